"""Layer norm (each sample over its features) and group norm (over groups of channels), γ ⊙ x̂ + β.

Used in: docs/normalization.md
"""
import numbers

import numpy as np


def _float_array(name, a):
    """Return `a` as a float ndarray; reject integer dtypes and NaN/inf."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype} with shape "
                        f"{a.shape}; convert it with {name}.astype(np.float64)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} contains NaN or inf")
    return a


def _param(name, a, x_shape, shapes):
    """gamma or beta, in one of `shapes`; integers are allowed (the course's checks use them)."""
    a = np.asarray(a)
    if a.dtype == bool or not np.issubdtype(a.dtype, np.integer) | np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a real array, got dtype {a.dtype} with shape {a.shape}")
    if a.shape not in shapes or not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} does not fit x of shape {x_shape}: expected "
                         f"finite values of shape {' or '.join(map(str, shapes))}")
    return a


def _eps(name, param):
    """ε from ln_param or gn_param (default 1e-5); other keys, such as 'mode', are ignored."""
    if not isinstance(param, dict):
        raise TypeError(f"{name} must be a dict such as {{}} or {{'eps': 1e-5}}, "
                        f"got {type(param).__name__}")
    eps = param.get("eps", 1e-5)
    if isinstance(eps, bool) or not (isinstance(eps, numbers.Real) and 0 < eps < np.inf):
        raise ValueError(f"{name}['eps'] must be a positive number, got {eps!r}")
    return eps


def _normalize_rows(A, eps):
    """Eq. (10) for each row of A (R, K), in float64: returns x̂ (R, K) and σ (R, 1)."""
    with np.errstate(all="ignore"):              # overflow is checked below; underflow is 0
        Ac = A - A.mean(axis=1, keepdims=True)   # (R, K)
        std = np.sqrt((Ac * Ac).mean(axis=1, keepdims=True) + eps)   # (R, 1): divided by K
        xhat = Ac / std                          # (R, K)
    if not np.isfinite(std).all():               # an infinite σ would give x̂ = 0, silently
        raise ValueError(f"x is too large to normalize: the variance of a row of {A.shape} "
                         f"overflows float64")
    return xhat, std


def _normalize_rows_backward(dxhat, xhat, std):
    """Eq. (11): dA = (K dx̂ − Σ_k dx̂ − x̂ ⊙ Σ_k dx̂ ⊙ x̂) / (Kσ), the sums over axis 1."""
    K = xhat.shape[1]
    return (K * dxhat - dxhat.sum(axis=1, keepdims=True)
            - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)) / (K * std)   # (R, K)


def _in_dtype(*arrays, dtype):
    """The arrays in x's dtype; a value beyond its range is an error, not an inf."""
    with np.errstate(over="ignore", under="ignore"):
        arrays = tuple(a.astype(dtype) for a in arrays)
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"a result of shape {arrays[0].shape} overflows {np.dtype(dtype).name}")
    return arrays


def layernorm_forward(x, gamma, beta, ln_param):
    """x (N, D): each sample (row) normalized over its D features; γ, β per feature."""
    x = _float_array("x", x)
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"x must have shape (N, D) with D >= 1 features to average over, "
                         f"got {x.shape}")
    N, D = x.shape
    g, b = (_param(k, a, x.shape, [(D,), (1, D)]) for k, a in (("gamma", gamma), ("beta", beta)))
    xhat, std = _normalize_rows(x.astype(np.float64), _eps("ln_param", ln_param))   # (N, D), (N, 1)
    out = g.reshape(1, D) * xhat + b.reshape(1, D)                # (N, D)
    cache = {"xhat": xhat, "std": std, "gamma": g.reshape(1, D).astype(np.float64),
             "shapes": (g.shape, b.shape), "dtype": x.dtype}
    return _in_dtype(out, dtype=x.dtype)[0], cache


@np.errstate(under="ignore")                     # a gradient below the smallest float is 0
def layernorm_backward(dout, cache):
    """dout (N, D) → (dx, dgamma, dbeta); γ varies along the normalized axis: it enters first."""
    dout = _float_array("dout", dout)
    xhat, std, gamma, (g_shape, b_shape) = (cache[k] for k in ("xhat", "std", "gamma", "shapes"))
    if dout.shape != xhat.shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{xhat.shape}")
    dY = dout.astype(np.float64)                                  # (N, D)
    dgamma, dbeta = (dY * xhat).sum(axis=0), dY.sum(axis=0)       # (D,): sums over the batch
    dx = _normalize_rows_backward(dY * gamma, xhat, std)          # (N, D)
    return _in_dtype(dx, dgamma.reshape(g_shape), dbeta.reshape(b_shape), dtype=cache["dtype"])


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """x (N, C, H, W): each sample's G groups of C/G consecutive channels, over (C/G, H, W)."""
    x = _float_array("x", x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    N, C, H, W = x.shape
    if isinstance(G, bool) or not isinstance(G, numbers.Integral) or G < 1 or C % G \
            or C // G * H * W == 0:
        raise ValueError(f"G = {G!r} must be a whole number of groups that divides the C = {C} "
                         f"channels of x of shape {x.shape}, each group holding a value")
    shapes = [(1, C, 1, 1), (C,)]
    g, b = (_param(k, a, x.shape, shapes) for k, a in (("gamma", gamma), ("beta", beta)))
    rows = x.astype(np.float64).reshape(N * G, C // G * H * W)   # (N·G, C/G·H·W)
    xhat, std = _normalize_rows(rows, _eps("gn_param", gn_param))   # one row per sample, group
    xhat = xhat.reshape(N, C, H, W)                               # (N, C, H, W)
    out = g.reshape(1, C, 1, 1) * xhat + b.reshape(1, C, 1, 1)    # (N, C, H, W)
    cache = {"xhat": xhat, "std": std, "rows": rows.shape, "shapes": (g.shape, b.shape),
             "gamma": g.reshape(1, C, 1, 1).astype(np.float64), "dtype": x.dtype}
    return _in_dtype(out, dtype=x.dtype)[0], cache


@np.errstate(under="ignore")
def spatial_groupnorm_backward(dout, cache):
    """dout (N, C, H, W) → (dx, dgamma, dbeta): the layer-norm backward on the same rows."""
    dout = _float_array("dout", dout)
    xhat, std, rows, gamma = (cache[k] for k in ("xhat", "std", "rows", "gamma"))
    if dout.shape != xhat.shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{xhat.shape}")
    g_shape, b_shape = cache["shapes"]
    dY = dout.astype(np.float64)                                  # (N, C, H, W)
    dgamma = (dY * xhat).sum(axis=(0, 2, 3))                      # (C,): over samples, positions
    dbeta = dY.sum(axis=(0, 2, 3))                                # (C,)
    dxhat = (dY * gamma).reshape(rows)                            # (N·G, C/G·H·W)
    dx = _normalize_rows_backward(dxhat, xhat.reshape(rows), std).reshape(xhat.shape)
    return _in_dtype(dx, dgamma.reshape(g_shape), dbeta.reshape(b_shape), dtype=cache["dtype"])


if __name__ == "__main__":
    X = np.array([[0.0, 2.0, 2.0, 8.0], [1.0, -1.0, -1.0, 1.0]])   # (N, D) = (2, 4)
    gamma, beta = np.array([1.0, 2.0, 0.5, 1.0]), np.zeros(4)     # (D,) each
    Y, cache = layernorm_forward(X, gamma, beta, {})              # (2, 4)
    print("layer norm, x̂ =", cache["xhat"].round(6).tolist())
    dx, dgamma, dbeta = layernorm_backward(np.ones_like(X), cache)
    print("dx =", dx.round(6).tolist(), "dgamma =", dgamma.round(6).tolist(),
          "dbeta =", dbeta.tolist(), sep="\n")
    x = np.arange(24.0).reshape(2, 4, 1, 3) ** 2                  # (N, C, H, W) = (2, 4, 1, 3)
    out, _ = spatial_groupnorm_forward(x, np.ones((1, 4, 1, 1)), np.zeros((1, 4, 1, 1)), 2, {})
    groups = out.reshape(4, -1)                                   # (N·G, C/G·H·W) = (4, 6)
    print("group norm, G = 2: mean and std of each (sample, group) =",
          groups.mean(axis=1).round(6).tolist(), groups.std(axis=1).round(6).tolist())
