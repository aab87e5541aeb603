"""Gradient checking by centered differences: df/dx_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h.

Used in: docs/gradient-checking.md
"""
from contextlib import closing

import numpy as np


def _check_x(x, h):
    """x is perturbed in place, so it must be a writable float ndarray of finite numbers."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array (it is perturbed in place), got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a float array, got dtype {x.dtype} with shape {x.shape}: in an integer "
                        f"array x[i] ± {h} is truncated toward zero, so the slopes would be garbage; "
                        f"convert it with x.astype(np.float64)")
    if not x.flags.writeable:
        raise ValueError(f"x of shape {x.shape} is read-only, but it must be perturbed in place")
    if not np.isfinite(x).all():
        raise ValueError(f"x of shape {x.shape} contains NaN or inf")
    if not h > 0:
        raise ValueError(f"the step h must be positive, got {h}")


def _centered(f, x, h):
    """Yield f(x), then (ix, f(x + h e_ix), f(x − h e_ix)) for every index; on close, x is bit-identical."""
    x0 = x.copy()                                     # x's shape: the exact bits to put back
    try:
        yield np.asarray(f(x))
        for ix in np.ndindex(x.shape):
            old = x[ix]
            x[ix] = old + h                           # f must see the perturbed x (cs231n contract)
            fxph = np.array(f(x), dtype=np.float64)   # f's shape; a copy, f may reuse its buffer
            x[ix] = old - h
            fxmh = np.array(f(x), dtype=np.float64)   # f's shape
            x[ix] = old
            if not (np.isfinite(fxph).all() and np.isfinite(fxmh).all()):
                raise ValueError(f"f is not finite at x ± {h} at index {ix}")
            yield ix, fxph, fxmh
    finally:                                          # runs even if f raises or the caller stops early
        np.copyto(x, x0)


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Gradient of a scalar function f at x, x's shape; error O(h²). Prints each entry if verbose."""
    _check_x(x, h)
    grad = np.zeros_like(x)                           # x's shape
    with closing(_centered(f, x, h)) as values:
        fx = next(values)
        if fx.ndim != 0:
            raise ValueError(f"f must return a scalar, but f(x) has shape {fx.shape} for x of shape "
                             f"{x.shape}; use eval_numerical_gradient_array(f, x, df) for array outputs")
        for ix, fxph, fxmh in values:
            grad[ix] = (fxph - fxmh) / (2 * h)
            if verbose:
                print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Vector-Jacobian product Σ_k df_k ∂f_k/∂x for an array-valued f, x's shape; error O(h²)."""
    _check_x(x, h)
    df = np.asarray(df)
    if not np.issubdtype(df.dtype, np.floating):
        raise TypeError(f"df must be a float array, got dtype {df.dtype} with shape {df.shape}; "
                        f"convert it with df.astype(np.float64)")
    if not np.isfinite(df).all():
        raise ValueError(f"df of shape {df.shape} contains NaN or inf")
    grad = np.zeros_like(x)                           # x's shape
    with closing(_centered(f, x, h)) as values:
        out_shape = next(values).shape
        if df.shape != out_shape:
            raise ValueError(f"df has shape {df.shape} but f(x) has shape {out_shape}; they must match "
                             f"(df is the upstream gradient dL/d(output))")
        for ix, pos, neg in values:
            grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def rel_error(x, y):
    """max over entries of |x − y| / max(1e-8, |x| + |y|), as in cs231n."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs equal shapes, got {x.shape} and {y.shape} (no broadcasting)")
    if x.size == 0 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"rel_error needs non-empty, finite arrays, got shape {x.shape}")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3))                   # (2, 3)
    num = eval_numerical_gradient(lambda x: np.sum(x ** 3), x, verbose=False)
    print("scalar f = sum(x^3):   rel_error =", rel_error(num, 3 * x ** 2))
    dout = rng.standard_normal((2, 3))                # (2, 3)
    num = eval_numerical_gradient_array(np.tanh, x, dout)
    print("array f = tanh(x):     rel_error =", rel_error(num, dout * (1 - np.tanh(x) ** 2)))
