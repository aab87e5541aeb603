"""Convolution as the affine layer Y = XW + b on im2col's matrix of windows; col2im is its transpose.

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


def _out_size(x_shape, HH, WW, stride, pad):
    """(H', W') = (1 + (H + 2·pad − HH) / stride, ...), or a ValueError naming the shapes."""
    ints = all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
               for v in (HH, WW, stride, pad))
    if len(x_shape) != 4 or not ints or min(HH, WW, stride) < 1 or pad < 0:
        raise ValueError(f"expected x (N, C, H, W), integers HH, WW, stride >= 1 and pad >= 0, got "
                         f"x {tuple(x_shape)}, HH={HH!r}, WW={WW!r}, stride={stride!r}, pad={pad!r}")
    out_size = []
    for what, span in (("H + 2*pad - HH", x_shape[2] + 2 * pad - HH),
                       ("W + 2*pad - WW", x_shape[3] + 2 * pad - WW)):  # the filter's travel
        if span < 0 or span % stride:
            raise ValueError(f"stride {stride} and pad {pad} do not tile x of shape {tuple(x_shape)} "
                             f"with {HH} x {WW} filters: {what} = {span} must be a multiple of the "
                             f"stride, >= 0")
        out_size.append(1 + span // stride)
    return tuple(out_size)


# --8<-- [start:im2col]
def im2col(x, HH, WW, stride, pad):
    """X (N·H'·W', C·HH·WW): row (n, i, j) is window (i, j) of padded image n."""
    x = _float_array("x", x)
    H_out, W_out = _out_size(x.shape, HH, WW, stride, pad)
    N, C = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))   # (N, C, H + 2pad, W + 2pad)
    cols = np.empty((N, H_out, W_out, C, HH, WW), dtype=x.dtype)  # one window per (n, i, j)
    for p, q in np.ndindex(HH, WW):                             # offset (p, q) of every window
        at_pq = xp[:, :, p:p + stride * H_out:stride,
                   q:q + stride * W_out:stride]                 # (N, C, H', W')
        cols[:, :, :, :, p, q] = at_pq.transpose(0, 2, 3, 1)    # a copy per window
    return cols.reshape(N * H_out * W_out, C * HH * WW)         # (N·H'·W', C·HH·WW)
# --8<-- [end:im2col]


# --8<-- [start:col2im]
def col2im(cols, x_shape, HH, WW, stride, pad):
    """The transpose of im2col: each entry of cols is added back onto the pixel it copies."""
    cols = _float_array("cols", cols)
    H_out, W_out = _out_size(x_shape, HH, WW, stride, pad)
    N, C, H, W = x_shape
    if cols.shape != (N * H_out * W_out, C * HH * WW):
        raise ValueError(f"cols of shape {cols.shape} does not match x of shape {tuple(x_shape)} "
                         f"with {HH} x {WW} filters: expected {(N * H_out * W_out, C * HH * WW)}")
    cols = cols.reshape(N, H_out, W_out, C, HH, WW)             # (N, H', W', C, HH, WW)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)  # (N, C, H+2pad, W+2pad)
    for p, q in np.ndindex(HH, WW):
        xp[:, :, p:p + stride * H_out:stride, q:q + stride * W_out:stride] += \
            cols[:, :, :, :, p, q].transpose(0, 3, 1, 2)        # +=: overlapping copies add up
    return xp[:, :, pad:pad + H, pad:pad + W]                   # (N, C, H, W): border cropped
# --8<-- [end:col2im]


# --8<-- [start:forward]
def conv_forward_im2col(x, w, b, conv_param):
    """out = im2col(x) @ w.reshape(F, -1).T + b, as (N, F, H', W'); the cache adds X."""
    x = _float_array("x", x)
    w, b = _param("w", w, x.dtype), _param("b", b, x.dtype)
    if x.ndim != 4 or w.ndim != 4 or b.shape != w.shape[:1] or x.shape[1] != w.shape[1]:
        raise ValueError(f"expected x (N, C, H, W), w (F, C, HH, WW) and b (F,) with the same C "
                         f"and F, got x {x.shape}, w {w.shape}, b {b.shape}")
    if not isinstance(conv_param, dict) or not {"stride", "pad"} <= conv_param.keys():
        raise ValueError(f"conv_param must be a dict with 'stride' and 'pad', got {conv_param!r}")
    (N, F), (HH, WW) = (x.shape[0], w.shape[0]), w.shape[2:]
    H_out, W_out = _out_size(x.shape, HH, WW, conv_param["stride"], conv_param["pad"])
    X = im2col(x, HH, WW, conv_param["stride"], conv_param["pad"])  # (N·H'·W', C·HH·WW)
    W = w.reshape(F, -1).T                                      # (C·HH·WW, F): filter f in column f
    with np.errstate(under="ignore"):                           # products rounding to 0: right
        Y = X @ W + b                                           # (N·H'·W', F): an affine layer
    out = Y.reshape(N, H_out, W_out, F).transpose(0, 3, 1, 2)   # (N, F, H', W')
    return out, (x, w, b, conv_param, X)
# --8<-- [end:forward]


# --8<-- [start:backward]
def conv_backward_im2col(dout, cache):
    """The affine layer's backward on the window matrix X, then col2im: dx, dw, db."""
    x, w, b, conv_param, X = cache
    (N, F), (HH, WW) = (x.shape[0], w.shape[0]), w.shape[2:]
    H_out, W_out = _out_size(x.shape, HH, WW, conv_param["stride"], conv_param["pad"])
    dout = _float_array("dout", dout)
    if dout.shape != (N, F, H_out, W_out):
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{(N, F, H_out, W_out)} (x {x.shape}, w {w.shape})")
    dY = dout.transpose(0, 2, 3, 1).reshape(N * H_out * W_out, F)  # (N·H'·W', F): rows as in X
    W = w.reshape(F, -1).T                                      # (C·HH·WW, F), as in forward
    with np.errstate(under="ignore"):
        dW = X.T @ dY                                           # (C·HH·WW, F): dW = Xᵀ dY
        dX = dY @ W.T                                           # (N·H'·W', C·HH·WW): dY Wᵀ
    db = dY.sum(axis=0)                                         # (F,): over windows, axis 0
    dx = col2im(dX, x.shape, HH, WW, conv_param["stride"], conv_param["pad"])
    return dx, dW.T.reshape(w.shape), db                        # dw (F, C, HH, WW)
# --8<-- [end:backward]


if __name__ == "__main__":
    x = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 1.0], [0.0, 2.0, 1.0]])[None, None]  # (1, 1, 3, 3)
    w = np.array([[1.0, 0.0], [-1.0, 2.0]])[None, None]                            # (1, 1, 2, 2)
    out, cache = conv_forward_im2col(x, w, np.array([0.5]), {"stride": 1, "pad": 0})
    print("X =", cache[4].tolist(), "out =", out[0, 0].tolist(), sep="\n")
    dout = np.array([[1.0, 0.0], [2.0, -1.0]])[None, None]             # (1, 1, 2, 2)
    dx, dw, db = conv_backward_im2col(dout, cache)
    print("dx =", dx[0, 0].tolist(), "dw =", dw[0, 0].tolist(), "db =", db.tolist(),
          sep="\n")
