"""Softmax over the last axis, P = softmax(Z), with backward dZ = P ⊙ (dP − rowsum(dP ⊙ P)); log-softmax too.

Used in: docs/softmax-layer.md
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


def _scores(x):
    """x (..., C) with C >= 1 classes on the last axis, shifted so that each row's max is 0."""
    x = _float_array("x", x)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x must have shape (..., C) with C >= 1 classes on its last axis, got {x.shape}")
    return x - x.max(axis=-1, keepdims=True)         # (..., C), every entry <= 0, the row max is 0


def _dout(dout, out_shape):
    """dout = dL/d(out) must have exactly the shape of the forward output."""
    dout = _float_array("dout", dout)
    if dout.shape != out_shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the forward output "
                         f"of shape {out_shape}")
    return dout


def softmax_forward(x):
    """P = exp(x - max) / sum exp(x - max) over the last axis; the cache is P itself."""
    shifted = _scores(x)                             # (..., C)
    with np.errstate(under="ignore"):                # e^(-1e4) rounding to 0 is the right answer
        e = np.exp(shifted)                          # (..., C), the largest entry is exactly 1
        p = e / e.sum(axis=-1, keepdims=True)        # (..., C), each row sums to 1
    return p, p


def softmax_backward(dout, cache):
    """dx = P ⊙ (dout - rowsum(dout ⊙ P)): the Jacobian diag(p) - p pᵀ of each row, never built."""
    p = cache
    dout = _dout(dout, p.shape)
    with np.errstate(under="ignore"):                # p ≈ 0 times a number may round to 0, rightly
        return p * (dout - np.sum(dout * p, axis=-1, keepdims=True))   # (..., C)


def log_softmax_forward(x):
    """log P = (x - max) - log sum exp(x - max) over the last axis; never the log of a rounded P."""
    shifted = _scores(x)                             # (..., C)
    with np.errstate(under="ignore"):
        lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))   # (..., 1), in [0, log C]
    log_p = shifted - lse                            # (..., C)
    return log_p, log_p


def log_softmax_backward(dout, cache):
    """dx = dout - P ⊙ rowsum(dout), with P = exp(log P) from the cache."""
    log_p = cache
    dout = _dout(dout, log_p.shape)
    with np.errstate(under="ignore"):
        return dout - np.exp(log_p) * dout.sum(axis=-1, keepdims=True)   # (..., C)


if __name__ == "__main__":
    Z = np.log(np.array([[1.0, 3.0, 4.0], [1.0, 1.0, 2.0]]))     # (2, 3): exp(Z) are small integers
    dP = np.array([[8.0, 0.0, -2.0], [4.0, 0.0, 0.0]])           # (2, 3): an upstream gradient
    P, cache = softmax_forward(Z)
    print("P =", P.tolist())                                     # [[1/8, 3/8, 1/2], [1/4, 1/4, 1/2]]
    print("dZ =", softmax_backward(dP, cache).tolist())          # [[1, 0, -1], [3/4, -1/4, -1/2]]
    log_P, log_cache = log_softmax_forward(Z)
    print("dZ (log-softmax) =", log_softmax_backward(dP, log_cache).tolist())   # [[7.25, -2.25, -5], [3, -1, -2]]
