"""Numerical derivative dy/dx by centered differences, in numerator layout (m x n) or denominator layout (n x m).

Used in: docs/layouts.md
"""
import numpy as np

LAYOUTS = ("numerator", "denominator")


def _float_array(name, a):
    """Return `a` as a float ndarray; reject integer dtypes and NaN/inf."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype} with shape {a.shape}; "
                        f"convert it with {name}.astype(np.float64)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} contains NaN or inf")
    return a


def numerical_derivative(f, x, layout="numerator", h=1e-6):
    """d f(x) / d x by centered differences, laid out as `layout` says.

    Numerator layout puts one row per component of f: (m, n) for f in R^m, x in R^n;
    (1, n) for a scalar f; (m, 1) for a scalar x; (q, p) for a scalar f of x in R^(p x q).
    Denominator layout is the transpose of each. Differences are taken in float64 on
    copies of x (x itself is never touched); the result has x's dtype.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'numerator' or 'denominator', got {layout!r}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"step h must be a positive number, got {h!r}")
    x = _float_array("x", x)
    if x.ndim > 2:
        raise ValueError(f"x must be a scalar, vector or matrix, got shape {x.shape}")
    x64 = x.astype(np.float64)                                  # x.shape; a copy, x is never perturbed
    y = np.asarray(f(x64.copy()), dtype=np.float64)             # () or (m,)
    if not np.isfinite(y).all():
        raise ValueError(f"f(x) is not finite at x of shape {x.shape}")
    if y.ndim > 1 or (y.ndim == 1 and x.ndim == 2):
        raise ValueError(f"f(x) of shape {y.shape} by x of shape {x.shape} is a tensor with more "
                         f"than two axes; only scalar-by-matrix and up to vector-by-vector fit a matrix")
    J = np.empty(y.shape + x.shape)                             # (*f, *x): J[i, j] = d f_i / d x_j
    for j in np.ndindex(x.shape):
        up, down = x64.copy(), x64.copy()                       # x.shape each
        up[j] += h
        down[j] -= h
        f_up = np.asarray(f(up), dtype=np.float64)              # y.shape
        f_down = np.asarray(f(down), dtype=np.float64)          # y.shape
        if f_up.shape != y.shape or f_down.shape != y.shape:
            raise ValueError(f"f changed its output shape from {y.shape} to {f_up.shape} / {f_down.shape}")
        if not (np.isfinite(f_up).all() and np.isfinite(f_down).all()):
            raise ValueError(f"f is not finite within h = {h} of x (shape {x.shape}) at index {j}")
        J[(Ellipsis,) + j] = (f_up - f_down) / (2 * h)
    if x.ndim == 2:
        numerator = J.T                                         # (q, p) for x of shape (p, q)
    else:
        numerator = J.reshape(y.size, x.size)                   # (m, n), (1, n) or (m, 1)
    out = numerator if layout == "numerator" else numerator.T   # denominator layout: the transpose
    return out.astype(x.dtype)


if __name__ == "__main__":
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])           # (2, 3)
    x = np.array([1.0, -1.0, 2.0])                              # (3,)
    a = np.array([0.5, 1.0, -2.0])                              # (3,)
    print("d(Ax)/dx, numerator (2, 3):", numerical_derivative(lambda v: A @ v, x).round(6).tolist())
    print("d(Ax)/dx, denominator (3, 2):",
          numerical_derivative(lambda v: A @ v, x, "denominator").round(6).tolist())
    print("d(a.x)/dx, numerator (1, 3):", numerical_derivative(lambda v: a @ v, x).round(6).tolist())
    print("d(a.x)/dx, denominator (3, 1):",
          numerical_derivative(lambda v: a @ v, x, "denominator").round(6).tolist())
