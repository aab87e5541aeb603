"""Numerical gradients and Jacobians by centered differences: J[i + k] = (f_i(x + h e_k) - f_i(x - h e_k)) / 2h.

Used in: docs/gradients-and-jacobians.md
"""
import math

import numpy as np


def _float_array(name, a):
    """Return `a` as a float ndarray; reject integer dtypes and NaN/inf."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype} with shape {a.shape}; "
                        f"convert it with {name}.astype(np.float64)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} contains NaN or inf")
    return a


def _evaluate(f, z, shape, where):
    """f(z) as a float64 array, checked to be finite and, if `shape` is given, of that shape."""
    out = np.asarray(f(z), dtype=np.float64)
    if shape is not None and out.shape != shape:
        raise ValueError(f"f returned shape {shape} at x but {out.shape} at {where}; "
                         f"its output shape must not depend on x")
    if not np.isfinite(out).all():
        raise ValueError(f"f returned NaN or inf at {where}")
    return out


def numerical_jacobian(f, x, h=1e-6):
    """Return J of shape f(x).shape + x.shape with J[out_idx + in_idx] = d f[out_idx] / d x[in_idx]."""
    if not callable(f):
        raise TypeError(f"f must be a function of x, got {type(f).__name__}")
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"the step h must be a positive finite number, got {h}")
    # A private float64 copy, whatever x's dtype: a step of 1e-6 vanishes in float32.
    x = _float_array("x", x).astype(np.float64)     # x.shape
    fx = _evaluate(f, x.copy(), None, "x")          # f(x).shape
    J = np.zeros(fx.shape + x.shape)                # f(x).shape + x.shape
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()                 # x.shape; f never sees x itself
        xp[idx] += h
        xm[idx] -= h
        step = xp[idx] - xm[idx]                    # not exactly 2h in floating point
        fp = _evaluate(f, xp, fx.shape, f"x + h at index {idx}")
        fm = _evaluate(f, xm, fx.shape, f"x - h at index {idx}")
        J[(...,) + idx] = (fp - fm) / step
    return J


def numerical_gradient(f, x, h=1e-6):
    """Return dx of x's shape for a scalar-valued f: its Jacobian, of shape () + x.shape."""
    J = numerical_jacobian(f, x, h)                 # f(x).shape + x.shape
    if J.ndim != np.ndim(x):
        raise ValueError(f"f returned shape {J.shape[:J.ndim - np.ndim(x)]}, but a gradient needs a "
                         f"scalar f; use numerical_jacobian, or reduce the output (e.g. .sum())")
    return J


if __name__ == "__main__":
    A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])     # (2, 3)
    x = np.array([1.0, -1.0, 2.0])                         # (3,)
    v = np.array([3.0, 0.0, 1.0])                          # (3,)
    print("d(x.x)/dx shape", numerical_gradient(lambda x: x @ x, x).shape)   # (3,)
    print("d(Wv)/dW shape ", numerical_jacobian(lambda W: W @ v, A).shape)   # (2, 2, 3)
    print("d(Ax)/dx =\n", numerical_jacobian(lambda x: A @ x, x).round(6))  # (2, 3): A itself
