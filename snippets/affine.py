"""Affine layer Y = XW + b and its backward pass dX = dY Wᵀ, dW = XᵀdY, db = 1ᵀdY.

Used in: docs/affine-layer.md
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


def affine_forward(x, w, b):
    """Y = XW + b, with x of shape (N, d1, ..., dk) flattened row by row to X (N, D)."""
    x, w, b = _float_array("x", x), _float_array("w", w), _float_array("b", b)
    if x.ndim < 2 or w.ndim != 2:
        raise ValueError(f"expected x of shape (N, d1, ..., dk) and w of shape (D, M), "
                         f"got x {x.shape} and w {w.shape}")
    N, D = x.shape[0], math.prod(x.shape[1:])
    if w.shape[0] != D:
        raise ValueError(f"x of shape {x.shape} has D = {D} features per sample, "
                         f"but w of shape {w.shape} expects {w.shape[0]} (its rows)")
    if b.shape not in ((w.shape[1],), (1, w.shape[1])):
        raise ValueError(f"b of shape {b.shape} does not match w of shape {w.shape}: "
                         f"expected ({w.shape[1]},) or (1, {w.shape[1]})")
    X = x.reshape(N, D)                      # (N, D)
    out = X @ w + b.reshape(1, -1)           # (N, M); b is copied into each of the N rows
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Given dout = dL/dY (N, M), return dx (x's shape), dw (D, M) and db (b's shape)."""
    x, w, b = cache
    dout = _float_array("dout", dout)
    N, D = x.shape[0], math.prod(x.shape[1:])
    if dout.shape != (N, w.shape[1]):
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output "
                         f"of shape {(N, w.shape[1])} (x {x.shape}, w {w.shape})")
    X = x.reshape(N, D)                      # (N, D)
    dx = (dout @ w.T).reshape(x.shape)       # (N, d1, ..., dk): dX = dY Wᵀ
    dw = X.T @ dout                          # (D, M): dW = Xᵀ dY
    db = dout.sum(axis=0).reshape(b.shape)   # (M,): db = 1ᵀ dY, summed over the batch
    return dx, dw, db


if __name__ == "__main__":
    X = np.array([[1.0, 2.0], [3.0, 4.0]])                 # (2, 2)
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])      # (2, 3)
    b = np.array([0.5, -0.5, 1.0])                         # (3,)
    Y, cache = affine_forward(X, W, b)                     # (2, 3)
    dY = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])     # (2, 3)
    dX, dW, db = affine_backward(dY, cache)
    print("Y =", Y.tolist())
    print("dX =", dX.tolist(), "dW =", dW.tolist(), "db =", db.tolist(), sep="\n")
