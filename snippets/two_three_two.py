"""Backprop in source 001's 2-3-2 net: δ⁽³⁾ = (a⁽³⁾ − y) ⊙ a⁽³⁾ ⊙ (1 − a⁽³⁾), δ⁽²⁾ = (W⁽³⁾ᵀδ⁽³⁾) ⊙ relu'(z⁽²⁾).

Used in: docs/two-three-two-network.md
Numbering as in the question: a⁽¹⁾ = x, ReLU hidden layer 2, sigmoid output layer 3,
L = ½ Σ (a⁽³⁾ − y)², summed over outputs (and over the batch if x has columns).
"""
import numpy as np

# The page's parameters (keep them stable: the notebook reuses them).
x = np.array([1.0, 2.0])                                # (2,)   all hidden z > 0
y = np.array([1.0, 0.0])                                # (2,)
x_neg = np.array([-1.0, 2.0])                           # (2,)   hidden z₂ < 0
y_neg = np.array([0.0, 1.0])                            # (2,)
W2 = np.array([[1.0, 1.0], [2.0, -1.0], [-1.0, 1.0]])   # (3, 2)
b2 = np.array([0.0, 1.0, 1.0])                          # (3,)
W3 = np.array([[1.0, -1.0, -1.0], [-1.0, 2.0, 0.0]])    # (2, 3)
b3 = np.array([1.0, 0.0])                               # (2,)


def _float_array(name, a):
    """Return `a` as a float ndarray; reject integer dtypes and NaN/inf."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype} with shape {a.shape}; "
                        f"convert it with {name}.astype(np.float64)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} contains NaN or inf")
    return a


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), written so that no exp overflows."""
    z = _float_array("z", z)
    with np.errstate(under="ignore"):                   # e^-|z| rounding to 0 is the right answer
        e = np.exp(-np.abs(z))                          # z's shape, in [0, 1]
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))   # z's shape


def network_forward(x, y, W2, b2, W3, b3):
    """Return the loss L and a cache of every z and a; x, y are (d,) or (d, N) in columns."""
    x, y = _float_array("x", x), _float_array("y", y)
    W2, b2 = _float_array("W2", W2), _float_array("b2", b2)
    W3, b3 = _float_array("W3", W3), _float_array("b3", b3)
    h, k = W2.shape[:1], W3.shape[:1]                   # (h,), (k,) as tuples for the checks
    if (x.ndim not in (1, 2) or W2.shape != h + x.shape[:1] or b2.shape != h
            or W3.shape != k + h or b3.shape != k or y.shape != k + x.shape[1:]):
        raise ValueError(f"shapes do not chain: x {x.shape}, W2 {W2.shape}, b2 {b2.shape}, "
                         f"W3 {W3.shape}, b3 {b3.shape}, y {y.shape}; need x (d,) or (d, N), "
                         f"W2 (h, d), b2 (h,), W3 (k, h), b3 (k,), y (k,) or (k, N)")
    col = (slice(None),) + (None,) * (x.ndim - 1)        # b[:, None] for a batch in columns
    z2 = W2 @ x + b2[col]                               # (3,) or (3, N)
    a2 = np.maximum(z2, 0)                              # (3,) or (3, N): ReLU
    z3 = W3 @ a2 + b3[col]                              # (2,) or (2, N)
    a3 = sigmoid(z3)                                    # (2,) or (2, N)
    L = 0.5 * np.sum((a3 - y) ** 2)                     # scalar
    return L, {"x": x, "y": y, "W2": W2, "W3": W3, "z2": z2, "a2": a2, "z3": z3, "a3": a3}


def network_backward(cache):
    """Return δ⁽³⁾, δ⁽²⁾ and dL/d(W3, b3, W2, b2, x), each shaped like its variable."""
    x, y, W2, W3, z2, a2, a3 = (cache[k] for k in ("x", "y", "W2", "W3", "z2", "a2", "a3"))
    delta3 = (a3 - y) * a3 * (1 - a3)                   # (2,) or (2, N): sigmoid' = a(1 − a)
    delta2 = (W3.T @ delta3) * (z2 > 0)                 # (3,) or (3, N): relu'(z) = [z > 0]
    cols = lambda v: v.reshape(v.shape[0], -1)          # (d,) -> (d, 1); (d, N) unchanged
    return {"delta3": delta3, "delta2": delta2,
            "dW3": cols(delta3) @ cols(a2).T,           # (2, 3) = δ⁽³⁾ a⁽²⁾ᵀ, summed over N
            "db3": cols(delta3).sum(axis=1),            # (2,)
            "dW2": cols(delta2) @ cols(x).T,            # (3, 2) = δ⁽²⁾ a⁽¹⁾ᵀ, summed over N
            "db2": cols(delta2).sum(axis=1),            # (3,)
            "dx": W2.T @ delta2}                        # x's shape

if __name__ == "__main__":
    L, cache = network_forward(x, y, W2, b2, W3, b3)
    grads = network_backward(cache)
    print("z2 =", cache["z2"], "z3 =", cache["z3"], "a3 =", cache["a3"], "L =", L)
    for name, value in grads.items():
        print(name, "=", value.tolist())
