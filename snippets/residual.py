"""Residual block Y = X + F(X), F(X) = relu(X W1 + b1) W2 + b2; X feeds two paths, so dX = dY + dX_F.

Used in: docs/dropout-and-residuals.md
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


def residual_forward(x, w1, b1, w2, b2):
    """Y = X + relu(X W1 + b1) W2 + b2 for X (N, D), W1 (D, H), b1 (H,), W2 (H, D), b2 (D,)."""
    x, w1, b1 = _float_array("x", x), _float_array("w1", w1), _float_array("b1", b1)
    w2, b2 = _float_array("w2", w2), _float_array("b2", b2)
    if x.ndim != 2 or w1.ndim != 2 or w2.ndim != 2:
        raise ValueError(f"expected x (N, D), w1 (D, H) and w2 (H, D), got x {x.shape}, "
                         f"w1 {w1.shape} and w2 {w2.shape}")
    D, H = x.shape[1], w1.shape[1]
    if w1.shape[0] != D or w2.shape != (H, D) or b1.shape != (H,) or b2.shape != (D,):
        raise ValueError(f"x {x.shape} needs w1 ({D}, H), b1 (H,), w2 (H, {D}) and b2 ({D},) so that "
                         f"Y has x's shape; got w1 {w1.shape}, b1 {b1.shape}, w2 {w2.shape}, b2 {b2.shape}")
    a = x @ w1 + b1                                  # (N, H): pre-activation
    f = np.maximum(a, 0) @ w2 + b2                   # (N, D): the residual branch F(X)
    return x + f, (x, w1, b1, w2, b2, a)             # (N, D): the skip path adds X itself


def residual_backward(dout, cache):
    """Given dout = dL/dY (N, D), return dx, dw1, db1, dw2, db2, each with its variable's shape."""
    x, w1, b1, w2, b2, a = cache
    dout = _float_array("dout", dout)
    if dout.shape != x.shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the block output of shape {x.shape}")
    h = np.maximum(a, 0)                             # (N, H)
    dw2 = h.T @ dout                                 # (H, D): dW2 = Hᵀ dY
    db2 = dout.sum(axis=0)                           # (D,): summed over the batch index n, axis 0
    da = (dout @ w2.T) * (a > 0)                     # (N, H): dA = (dY W2ᵀ) ⊙ [A > 0], slope 0 at a = 0
    dw1 = x.T @ da                                   # (D, H): dW1 = Xᵀ dA
    db1 = da.sum(axis=0)                             # (H,)
    dx = dout + da @ w1.T                            # (N, D): skip path + branch path, summed
    return dx, dw1, db1, dw2, db2


if __name__ == "__main__":
    x = np.array([[1.0, -1.0]])                      # (N, D) = (1, 2)
    w1 = np.array([[1.0, 2.0], [0.0, 1.0]])          # (D, H) = (2, 2)
    b1 = np.array([0.0, -2.0])                       # (H,)
    w2 = np.array([[2.0, 1.0], [3.0, -1.0]])         # (H, D)
    b2 = np.array([0.5, 0.0])                        # (D,)
    y, cache = residual_forward(x, w1, b1, w2, b2)   # (1, 2)
    dx, dw1, db1, dw2, db2 = residual_backward(np.array([[1.0, 2.0]]), cache)
    print("y =", y.tolist(), " dx =", dx.tolist())   # [[3.5, 0.0]], [[5.0, 2.0]]
    print("dw1 =", dw1.tolist(), " db1 =", db1.tolist(), " dw2 =", dw2.tolist(), " db2 =", db2.tolist())
