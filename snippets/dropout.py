"""Inverted dropout: out = x ⊙ m with m = [u < p] / p, u ~ U[0, 1), p the keep probability; dx = dout ⊙ m.

Used in: docs/dropout-and-residuals.md
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


def _mode_p_seed(dropout_param):
    """Check cs231n's dropout_param: 'mode' ('train' or 'test'), 'p' in (0, 1], an optional 'seed'."""
    if not isinstance(dropout_param, dict) or "mode" not in dropout_param or "p" not in dropout_param:
        raise ValueError(f"dropout_param must be a dict with keys 'mode' and 'p' (and optionally 'seed'), "
                         f"got {dropout_param!r}")
    mode, p, seed = dropout_param["mode"], dropout_param["p"], dropout_param.get("seed")
    if mode not in ("train", "test"):
        raise ValueError(f"dropout_param['mode'] must be 'train' or 'test', got {mode!r}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"dropout_param['p'] must be one real number, got {p!r}")
    if not 0 < p <= 1:                               # also refuses NaN
        raise ValueError(f"dropout_param['p'] = {p!r} is the keep probability and must lie in (0, 1]; "
                         f"if you meant the drop probability q, pass p = 1 - q")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or not 0 <= seed < 2**32):
        raise ValueError(f"dropout_param['seed'] must be an integer in [0, 2**32), got {seed!r}")
    return mode, float(p), seed


def dropout_forward(x, dropout_param):
    """Train: out = x ⊙ [u < p] / p, so E[out] = x; test: out = x. Returns (out, (dropout_param, mask))."""
    x = _float_array("x", x)
    mode, p, seed = _mode_p_seed(dropout_param)
    if mode == "test":                               # nothing to undo: E[train output] is already x
        return x.copy(), (dict(dropout_param), None)
    # With a seed: the numbers np.random.seed(seed); np.random.rand(...) gives, without touching the
    # global generator. Without one: numpy's global generator, as cs231n's starter code uses.
    rng = np.random if seed is None else np.random.RandomState(seed)
    u = np.asarray(rng.rand(*x.shape))               # x's shape, uniform on [0, 1)
    mask = ((u < p) / p).astype(x.dtype)             # x's shape: 1/p where kept, 0 where dropped
    return x * mask, (dict(dropout_param), mask)     # a copy of the dict: later edits cannot change it


def dropout_backward(dout, cache):
    """dx = dout ⊙ mask in train mode (the mask is the cache), dx = dout in test mode."""
    dropout_param, mask = cache
    dout = _float_array("dout", dout)
    mode, _, _ = _mode_p_seed(dropout_param)
    if mode == "test":
        return dout.copy()
    if mask is None:
        raise ValueError("the cache says mode 'train' but holds no mask: pass the cache that "
                         "dropout_forward returned in train mode")
    if dout.shape != mask.shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the forward output of shape {mask.shape}")
    return dout * mask                               # dout's shape: dL/dx = dL/dout ⊙ ∂out/∂x


if __name__ == "__main__":
    x = np.array([[2.0, -1.0, 4.0], [0.5, 3.0, -2.0]])     # (2, 3)
    out, cache = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 30})
    print("mask =", cache[1].tolist())                     # 0 or 1/p = 2
    print("out  =", out.tolist())
    print("dx   =", dropout_backward(np.ones_like(x), cache).tolist())
    print("test =", dropout_forward(x, {"mode": "test", "p": 0.5})[0].tolist())
