"""Bias broadcast Y = X + 1b and its gradient db = 1ᵀdY = dY.sum(axis=0).

Used in: docs/bias-broadcast.md
"""
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


def bias_forward(x, b):
    """Y = X + 1b: add the row b, of shape (M,) or (1, M), to each of the N rows of x (N, M)."""
    x, b = _float_array("x", x), _float_array("b", b)
    if x.ndim != 2 or b.shape not in ((x.shape[1],), (1, x.shape[1])):
        raise ValueError(f"expected x of shape (N, M) and b of shape (M,) or (1, M), "
                         f"got x {x.shape} and b {b.shape}")
    out = x + b.reshape(1, -1)               # (N, M): the broadcast is the outer product 1b
    # Backward needs no values at all, only the shapes: dY/dX is the identity, dY/db is 1.
    return out, (x.shape, b.shape)


def bias_backward(dout, cache):
    """Given dout = dL/dY (N, M), return dx = dout (N, M) and db = 1ᵀdout in b's shape."""
    x_shape, b_shape = cache
    dout = _float_array("dout", dout)
    if dout.shape != x_shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output "
                         f"of shape {x_shape} (b {b_shape})")
    dx = dout.copy()                         # (N, M): a copy, so the caller may edit dx safely
    # Sum over the batch index i (axis 0): each b_j is used by all N rows, so its N
    # gradient contributions add up. Reshape so db has b's shape, (M,) or (1, M).
    db = dout.sum(axis=0).reshape(b_shape)   # (M,) or (1, M)
    return dx, db


if __name__ == "__main__":
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])       # (2, 3)
    print("A =", A.tolist())
    print("A.sum(axis=0) =", A.sum(axis=0).tolist(), "  axis 0 (rows i) collapses: column sums")
    print("A.sum(axis=1) =", A.sum(axis=1).tolist(), "     axis 1 (columns j) collapses: row sums")
    print("keepdims=True shapes:", A.sum(axis=0, keepdims=True).shape,
          A.sum(axis=1, keepdims=True).shape)
    XW = np.array([[5.0, 2.0, 2.0], [1.0, 1.0, -2.0]])    # (S, M) = (2, 3), source 000's layout
    b = np.array([1.0, -2.0, 0.5])                         # (M,)
    Z, cache = bias_forward(XW, b)                         # (2, 3)
    dZ = np.array([[1.0, -2.0, 3.0], [4.0, 0.0, -1.0]])   # (2, 3)
    dXW, db = bias_backward(dZ, cache)
    print("Z =", Z.tolist())
    print("db =", db.tolist())
