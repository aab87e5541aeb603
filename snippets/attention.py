"""Scaled dot-product attention O = softmax(QKᵀ/√d) V, its backward pass, and multi-head attention around it.

Used in: docs/attention.md
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


def _dout(dout, out_shape):
    """dout = dL/d(out) must have exactly the shape of the forward output."""
    dout = _float_array("dout", dout)
    if dout.shape != out_shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the forward output of shape {out_shape}")
    return dout


def _T(a):
    return np.swapaxes(a, -1, -2)                    # transpose the last two axes: (..., m, n) -> (..., n, m)


def _fits(shape, target):
    """True if an array of `shape` broadcasts to `target` without enlarging it."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


# --8<-- [start:kernel]
def attention_forward(q, k, v, mask=None):
    """O = PV with P = softmax(S) over the keys, S = QKᵀ/√d; mask[..., i, j] False: query i ignores key j.

    q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) with the same leading (batch) axes;
    mask boolean, broadcastable to (..., Tq, Tk), True where a query may attend to a key.
    """
    q, k, v = _float_array("q", q), _float_array("k", k), _float_array("v", v)
    shapes = f"q {q.shape}, k {k.shape}, v {v.shape}"
    if min(q.ndim, k.ndim, v.ndim) < 2 or not q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        raise ValueError(f"need q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) with equal leading axes; got {shapes}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2] or 0 in (q.shape[-1], k.shape[-2]):
        raise ValueError(f"q and k need the same width d >= 1, k and v the same length Tk >= 1; got {shapes}")
    scale = 1 / math.sqrt(q.shape[-1])               # a Python float: float32 stays float32
    with np.errstate(over="ignore", invalid="ignore"):   # an overflow is reported just below
        s = (q @ _T(k)) * scale                      # (..., Tq, Tk): S = QKᵀ/√d
    if not np.isfinite(s).all():
        raise ValueError(f"the scores QKᵀ/√d overflow {s.dtype} for {shapes}; scale q and k down")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"mask must be boolean (True: may attend), got dtype {mask.dtype} with shape "
                            f"{mask.shape}; for a 0/1 mask use mask.astype(bool)")
        if not _fits(mask.shape, s.shape):
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to the scores (..., Tq, Tk) "
                             f"of shape {s.shape} ({shapes})")
        empty = ~np.broadcast_to(mask, s.shape).any(axis=-1)   # (..., Tq): rows with no key at all
        if empty.any():
            raise ValueError(f"mask of shape {mask.shape} lets the query at index {tuple(np.argwhere(empty)[0].tolist())} "
                             f"of the scores {s.shape} attend to no key: its softmax would be 0/0")
        s = np.where(mask, s, -np.inf)               # (..., Tq, Tk): masked scores are -inf, exp(-inf) = 0
    with np.errstate(under="ignore"):                # e^(-1e4) rounding to 0 is the right answer
        e = np.exp(s - s.max(axis=-1, keepdims=True))   # (..., Tq, Tk), the max shift: entries in [0, 1]
        p = e / e.sum(axis=-1, keepdims=True)        # (..., Tq, Tk), each row sums to 1
        out = p @ v                                  # (..., Tq, dv): O = PV
    return out, (q, k, v, p, scale)


def attention_backward(dout, cache):
    """dV = PᵀdO, dP = dO Vᵀ, dS = P ⊙ (dP - rowsum(dP ⊙ P)), dQ = dS K/√d, dK = dSᵀQ/√d."""
    q, k, v, p, scale = cache
    dout = _dout(dout, p.shape[:-1] + v.shape[-1:])  # (..., Tq, dv)
    with np.errstate(under="ignore"):
        dv = _T(p) @ dout                            # (..., Tk, dv)
        dp = dout @ _T(v)                            # (..., Tq, Tk)
        ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))   # (..., Tq, Tk): softmax backward
        dq = (ds @ k) * scale                        # (..., Tq, d)
        dk = (_T(ds) @ q) * scale                    # (..., Tk, d)
    return dq, dk, dv
# --8<-- [end:kernel]


# --8<-- [start:multihead]
def _split(a, heads):
    """(..., T, H*d) -> (..., H, T, d): each head's d columns become its own batch entry."""
    return np.swapaxes(a.reshape(a.shape[:-1] + (heads, a.shape[-1] // heads)), -2, -3)


def _merge(a):
    """(..., H, T, d) -> (..., T, H*d), the inverse of _split."""
    a = np.swapaxes(a, -2, -3)                       # (..., T, H, d)
    return a.reshape(a.shape[:-2] + (-1,))


def multihead_attention_forward(x, wq, wk, wv, wo, heads, mask=None):
    """Self-attention Y = concat_h(attention(X Wq_h, X Wk_h, X Wv_h)) Wo, for x (..., T, D).

    wq, wk (D, H*d), wv (D, H*dv), wo (H*dv, M); mask broadcastable to (..., T, T), the same for every head.
    """
    x, wq, wk, wv, wo = (_float_array(n, a) for n, a in zip(("x", "wq", "wk", "wv", "wo"), (x, wq, wk, wv, wo)))
    if isinstance(heads, bool) or not isinstance(heads, (int, np.integer)):
        raise TypeError(f"heads must be a positive integer, got {heads!r}")
    if heads < 1:
        raise ValueError(f"heads must be a positive integer, got {heads!r}")
    if (x.ndim < 2 or any(w.ndim != 2 or w.shape[0] != x.shape[-1] for w in (wq, wk, wv)) or wo.ndim != 2
            or wq.shape != wk.shape or wq.shape[1] % heads or wv.shape[1] % heads or wo.shape[0] != wv.shape[1]):
        raise ValueError(f"need x (..., T, D), wq and wk (D, H*d), wv (D, H*dv), wo (H*dv, M) with H = {heads}; got "
                         f"x {x.shape}, wq {wq.shape}, wk {wk.shape}, wv {wv.shape}, wo {wo.shape}")
    if mask is not None:
        scores = x.shape[:-2] + (x.shape[-2],) * 2   # (..., T, T): one mask shared by the H heads
        if np.asarray(mask).dtype == bool and not _fits(np.shape(mask), scores):
            raise ValueError(f"mask of shape {np.shape(mask)} does not broadcast to (..., T, T) = {scores} for x {x.shape}")
        mask = np.expand_dims(mask, -3) if np.ndim(mask) > 2 else mask   # (..., 1, T, T) against (..., H, T, T)
    o, attn_cache = attention_forward(_split(x @ wq, heads), _split(x @ wk, heads), _split(x @ wv, heads), mask)
    o = _merge(o)                                    # (..., T, H*dv): the heads side by side
    return o @ wo, (x, wq, wk, wv, wo, heads, o, attn_cache)


def multihead_attention_backward(dout, cache):
    """dx sums the three projections' gradients (x feeds Q, K and V); weight gradients sum over batch and T."""
    x, wq, wk, wv, wo, heads, o, attn_cache = cache
    dout = _dout(dout, o.shape[:-1] + wo.shape[1:])  # (..., T, M)
    do = _split(dout @ wo.T, heads)                  # (..., H, T, dv)
    dq, dk, dv = (_merge(g) for g in attention_backward(do, attn_cache))   # (..., T, H*d), twice, (..., T, H*dv)
    rows = lambda a: a.reshape(-1, a.shape[-1])      # (batch * T, width): one row per position
    dwq, dwk, dwv = (rows(x).T @ rows(g) for g in (dq, dk, dv))   # (D, H*d), (D, H*d), (D, H*dv)
    dwo = rows(o).T @ rows(dout)                     # (H*dv, M)
    dx = dq @ wq.T + dk @ wk.T + dv @ wv.T           # (..., T, D)
    return dx, dwq, dwk, dwv, dwo
# --8<-- [end:multihead]


if __name__ == "__main__":
    c = math.sqrt(2) * math.log(2)                   # chosen so that the scores are multiples of ln 2
    Q = c * np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])     # (T, d) = (3, 2)
    K = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])         # (T, d)
    V = np.array([[1.0, 0.0], [0.0, 1.0], [4.0, 4.0]])         # (T, dv) = (3, 2)
    O, cache = attention_forward(Q, K, V)
    print("P =", cache[3].round(4).tolist())         # [[1/2, 1/4, 1/4], [1/4, 1/2, 1/4], [2/5, 2/5, 1/5]]
    print("O =", O.round(4).tolist())                # [[1.5, 1.25], [1.25, 1.5], [1.2, 1.2]]
    dQ, dK, dV = attention_backward(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), cache)
    print("dV =", dV.round(4).tolist())              # [[1/2, 2/5], [1/4, 2/5], [1/4, 1/5]]
    causal = np.tril(np.ones((3, 3), dtype=bool))    # (T, T): query t sees keys 1..t
    print("P causal =", attention_forward(Q, K, V, causal)[1][3].round(4).tolist())
