"""Max-pooling, out[n,c,i,j] = max of window (i, j); backward routes dout to the window's arg-max.

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


def _pool_geometry(x, pool_param):
    """(pool_height, pool_width, stride, H', W') with H' = 1 + (H − pool_height) / stride."""
    keys = ("pool_height", "pool_width", "stride")
    values = [pool_param.get(k) if isinstance(pool_param, dict) else None for k in keys]
    if x.ndim != 4 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                              for v in values):
        raise ValueError(f"expected x (N, C, H, W) and pool_param with integers {keys} >= 1, "
                         f"got x {x.shape}, pool_param {pool_param!r}")
    ph, pw, s = (int(v) for v in values)
    spans = x.shape[2] - ph, x.shape[3] - pw                    # how far the window travels
    if min(spans) < 0 or spans[0] % s or spans[1] % s:
        raise ValueError(f"{ph} x {pw} windows with stride {s} do not tile x of shape {x.shape}: "
                         f"H - pool_height = {spans[0]} and W - pool_width = {spans[1]} must be "
                         f"multiples of the stride, >= 0")
    return ph, pw, s, 1 + spans[0] // s, 1 + spans[1] // s


# --8<-- [start:forward]
def max_pool_forward_naive(x, pool_param):
    """out (N, C, H', W'): the largest entry of each window; cache (x, pool_param)."""
    x = _float_array("x", x)
    ph, pw, s, H_out, W_out = _pool_geometry(x, pool_param)
    out = np.empty((*x.shape[:2], H_out, W_out), dtype=x.dtype)   # (N, C, H', W')
    for i, j in np.ndindex(H_out, W_out):                        # all n and c at once
        out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)
# --8<-- [end:forward]


# --8<-- [start:backward]
def max_pool_backward_naive(dout, cache):
    """dx (N, C, H, W): dout[n, c, i, j] goes to the first maximum of window (i, j)."""
    x, pool_param = cache
    ph, pw, s, H_out, W_out = _pool_geometry(x, pool_param)
    dout = _float_array("dout", dout)
    (N, C), out_shape = x.shape[:2], (*x.shape[:2], H_out, W_out)
    if dout.shape != out_shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{out_shape} (x {x.shape}, pool_param {pool_param!r})")
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))      # (N, C, H, W)
    n, c = np.indices((N, C))                                   # (N, C) each
    for i, j in np.ndindex(H_out, W_out):
        window = x[:, :, i * s:i * s + ph, j * s:j * s + pw]  # (N, C, ph, pw)
        k = window.reshape(N, C, ph * pw).argmax(axis=2)        # (N, C): first max, row-major
        dx[n, c, i * s + k // pw, j * s + k % pw] += dout[:, :, i, j]  # (10): overlaps add
    return dx
# --8<-- [end:backward]


if __name__ == "__main__":
    x = np.array([[1.0, 3.0, 2.0, 0.0],
                  [3.0, 0.0, 1.0, 1.0],
                  [0.0, 2.0, 4.0, 2.0],
                  [1.0, 1.0, 2.0, 4.0]])[None, None]                 # (1, 1, 4, 4)
    out, cache = max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = max_pool_backward_naive(np.array([[10.0, 20.0], [30.0, 40.0]])[None, None], cache)
    print("out =", out[0, 0].tolist(), "dx =", dx[0, 0].tolist(), sep="\n")
