"""Convolution by loops: out[n,f,i,j] = Σ_cpq xpad[n,c,is+p,js+q] w[f,c,p,q] + b[f], and backward.

Used in: docs/convolution.md
"""
import numbers

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


def _param(name, a, dtype):
    """w or b: a float array, or an integer one cast to x's dtype (cs231n's aside has b = [0, 128])."""
    a = np.asarray(a)
    return _float_array(name, a.astype(dtype) if np.issubdtype(a.dtype, np.integer) else a)


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _conv_geometry(x, w, b, conv_param):
    """(stride, pad, H', W') after checking every shape; H' = 1 + (H + 2·pad − HH) / stride."""
    if x.ndim != 4 or w.ndim != 4 or b.shape != w.shape[:1] or x.shape[1] != w.shape[1]:
        raise ValueError(f"expected x (N, C, H, W), w (F, C, HH, WW) and b (F,) with the same C "
                         f"and F, got x {x.shape}, w {w.shape}, b {b.shape}")
    params = conv_param if isinstance(conv_param, dict) else {}
    stride, pad = params.get("stride"), params.get("pad")
    if not (_is_int(stride) and _is_int(pad) and stride >= 1 and pad >= 0):
        raise ValueError(f"conv_param needs an integer 'stride' >= 1 and 'pad' >= 0, "
                         f"got {conv_param!r}")
    out_size = []
    for what, size, k in (("H + 2*pad - HH", x.shape[2], w.shape[2]),
                          ("W + 2*pad - WW", x.shape[3], w.shape[3])):
        span = size + 2 * pad - k                       # how far the filter travels
        if k < 1 or span < 0 or span % stride:
            raise ValueError(f"stride {stride} and pad {pad} do not tile x of shape {x.shape} with "
                             f"w of shape {w.shape}: {what} = {span} must be a multiple of the "
                             f"stride, >= 0")
        out_size.append(1 + span // stride)
    return int(stride), int(pad), *out_size


# --8<-- [start:forward]
def conv_forward_naive(x, w, b, conv_param):
    """out[n, f, i, j] = <window (i, j) of padded image n, filter f> + b[f]."""
    x = _float_array("x", x)
    w, b = _param("w", w, x.dtype), _param("b", b, x.dtype)
    s, pad, H_out, W_out = _conv_geometry(x, w, b, conv_param)
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H+2pad, W+2pad): new
    out = np.empty((x.shape[0], w.shape[0], H_out, W_out),
                   dtype=np.result_type(x, w, b))           # (N, F, H', W')
    with np.errstate(under="ignore"):                       # products rounding to 0: right
        for n, f, i, j in np.ndindex(out.shape):
            window = xp[n, :, i * s:i * s + HH, j * s:j * s + WW]  # (C, HH, WW)
            out[n, f, i, j] = np.sum(window * w[f]) + b[f]  # (1): w is not flipped
    return out, (x, w, b, conv_param)
# --8<-- [end:forward]


# --8<-- [start:backward]
def conv_backward_naive(dout, cache):
    """dout (N, F, H', W') -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x, w, b, conv_param = cache
    s, pad, H_out, W_out = _conv_geometry(x, w, b, conv_param)
    dout = _float_array("dout", dout)
    if dout.shape != (x.shape[0], w.shape[0], H_out, W_out):
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{(x.shape[0], w.shape[0], H_out, W_out)} (x {x.shape}, w {w.shape})")
    (N, C, H, W), (HH, WW) = x.shape, w.shape[2:]
    dt = np.result_type(dout, x, w, b)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # (N, C, H+2pad, W+2pad)
    dxp = np.zeros(xp.shape, dtype=dt)                      # (N, C, H+2pad, W+2pad)
    dw = np.zeros(w.shape, dtype=dt)                        # (F, C, HH, WW)
    with np.errstate(under="ignore"):
        for n, f, i, j in np.ndindex(dout.shape):
            rows, cols = slice(i * s, i * s + HH), slice(j * s, j * s + WW)
            dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]  # (5): dout times window
            dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]  # (6): windows overlap, so add
    db = dout.sum(axis=(0, 2, 3), dtype=dt)                # (F,): (4), over n, i, j
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db     # dx (N, C, H, W): border cropped
# --8<-- [end:backward]


if __name__ == "__main__":
    x = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 1.0], [0.0, 2.0, 1.0]])[None, None]  # (1, 1, 3, 3)
    w = np.array([[1.0, 0.0], [-1.0, 2.0]])[None, None]             # (1, 1, 2, 2)
    b = np.array([0.5])                                             # (1,)
    out, cache = conv_forward_naive(x, w, b, {"stride": 1, "pad": 0})  # (1, 1, 2, 2)
    dout = np.array([[1.0, 0.0], [2.0, -1.0]])[None, None]          # (1, 1, 2, 2)
    dx, dw, db = conv_backward_naive(dout, cache)
    print("out =", out[0, 0].tolist(), "dx =", dx[0, 0].tolist(), "dw =", dw[0, 0].tolist(),
          "db =", db.tolist(), sep="\n")
