"""Batch norm Y = γ ⊙ (X − 1μ) / σ + β, σ = √(v + ε): two backward passes, and (N, C, H, W).

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


def _settings(bn_param, x):
    """mode, eps, momentum and the running statistics (zeros of x's dtype if absent), as cs231n."""
    if not isinstance(bn_param, dict):
        raise TypeError(f"bn_param must be a dict such as {{'mode': 'train'}}, "
                        f"got {type(bn_param).__name__}")
    mode, eps, m = bn_param.get("mode"), bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    if mode not in ("train", "test"):
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    real = (lambda t: isinstance(t, numbers.Real) and not isinstance(t, bool))
    if not (real(eps) and 0 < eps < np.inf and real(m) and 0 <= m <= 1):
        raise ValueError(f"need 0 < bn_param['eps'] < inf and 0 <= bn_param['momentum'] <= 1, "
                         f"got {eps!r}, {m!r}")
    D, stats = x.shape[1], []
    for key in ("running_mean", "running_var"):
        r = _float_array(f"bn_param['{key}']", bn_param.get(key, np.zeros(D, x.dtype)))   # (D,)
        if r.shape != (D,) or (key == "running_var" and (r < 0).any()):
            raise ValueError(f"bn_param['{key}'] of shape {r.shape} does not fit x of shape {x.shape}:"
                             f" expected ({D},){', all >= 0' if key == 'running_var' else ''}")
        stats.append(r)
    return mode, eps, m, *stats


def batchnorm_forward(x, gamma, beta, bn_param):
    """x (N, D): feature j normalized by the batch's μ_j, v_j ("train") or the running ones."""
    x = _float_array("x", x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, D), got {x.shape}; for (N, C, H, W) "
                         f"use spatial_batchnorm_forward")
    N, D = x.shape
    g, b = (_param(k, a, x.shape, [(D,), (1, D)]) for k, a in (("gamma", gamma), ("beta", beta)))
    mode, eps, m, run_mean, run_var = _settings(bn_param, x)
    if mode == "train" and N == 0:
        raise ValueError(f"x of shape {x.shape}: the batch mean over N = 0 samples is undefined")
    train = mode == "train"
    with np.errstate(all="ignore"):              # overflow is checked below; underflow is 0
        X = x.astype(np.float64)                 # (N, D): statistics accumulated in float64
        mu = X.mean(axis=0) if train else run_mean.astype(np.float64)   # (D,): eq. (1)
        xc = X - mu                              # (N, D)
        v = (xc * xc).mean(axis=0) if train else run_var.astype(np.float64)   # (D,): eq. (2)
        std = np.sqrt(v + eps)                   # (D,)
        xhat = xc / std                          # (N, D): eq. (3)
        out = (g.reshape(D) * xhat + b.reshape(D)).astype(x.dtype)   # (N, D): eq. (4)
        if train:                                # new arrays; the caller's are left untouched
            run_mean = (m * run_mean + (1 - m) * mu).astype(run_mean.dtype)   # (D,): eq. (5)
            run_var = (m * run_var + (1 - m) * v).astype(run_var.dtype)       # (D,)
    if not (np.isfinite(out).all() and np.isfinite(run_var).all()):
        raise ValueError(f"x of shape {x.shape} is too large to normalize in {x.dtype}: "
                         f"its variance overflows")
    bn_param["running_mean"], bn_param["running_var"] = run_mean, run_var
    cache = {"mode": mode, "xhat": xhat, "xc": xc, "std": std, "dtype": x.dtype,
             "gamma": g.reshape(D).astype(np.float64), "shapes": (g.shape, b.shape)}
    return out, cache


def _upstream(dout, cache):
    dout = _float_array("dout", dout)
    if dout.shape != cache["xhat"].shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{cache['xhat'].shape}")
    return dout.astype(np.float64), cache["xhat"], cache["std"], cache["gamma"]


def _result(dx, dgamma, dbeta, cache):
    """The gradients in x's dtype; dgamma and dbeta in the shapes of gamma and beta."""
    g_shape, b_shape = cache["shapes"]
    with np.errstate(over="ignore", under="ignore"):
        grads = tuple(a.astype(cache["dtype"])
                      for a in (dx, dgamma.reshape(g_shape), dbeta.reshape(b_shape)))
    if not all(np.isfinite(a).all() for a in grads):
        raise ValueError(f"the gradients of shape {dx.shape} overflow {cache['dtype']}")
    return grads


@np.errstate(under="ignore")                     # a gradient below the smallest float is 0
def batchnorm_backward(dout, cache):
    """dx through the graph μ → xc → v → σ → x̂ → y, last node first: (dx, dgamma, dbeta)."""
    dY, xhat, std, gamma = _upstream(dout, cache)   # (N, D), (N, D), (D,), (D,)
    xc, N = cache["xc"], xhat.shape[0]
    dbeta = dY.sum(axis=0)                       # (D,): y = γx̂ + β, β shared by the N rows
    dgamma = (dY * xhat).sum(axis=0)             # (D,)
    dxhat = dY * gamma                           # (N, D)
    dxc = dxhat / std                            # (N, D): x̂ = xc / σ, first use of xc
    if cache["mode"] == "test":                  # μ and v are constants at test time
        return _result(dxc, dgamma, dbeta, cache)
    dstd = -(dxhat * xc).sum(axis=0) / std ** 2  # (D,): x̂ = xc / σ, summed over the batch
    dv = dstd / (2 * std)                        # (D,): σ = √(v + ε)
    dxc = dxc + 2 * xc * dv / N                  # (N, D): v = Σ xc² / N, second use of xc
    dmu = -dxc.sum(axis=0)                       # (D,): xc = x − μ
    dx = dxc + dmu / N                           # (N, D): μ = Σ x / N, second use of x
    return _result(dx, dgamma, dbeta, cache)


@np.errstate(under="ignore")
def batchnorm_backward_alt(dout, cache):
    """dx = (γ / Nσ) ⊙ (N dY − 1ᵀdY − X̂ ⊙ 1ᵀ(dY ⊙ X̂)), eq. (7): the sums are dbeta, dgamma."""
    dY, xhat, std, gamma = _upstream(dout, cache)
    N = xhat.shape[0]
    dbeta, dgamma = dY.sum(axis=0), (dY * xhat).sum(axis=0)   # (D,), (D,)
    if cache["mode"] == "test":
        return _result(gamma / std * dY, dgamma, dbeta, cache)
    dx = gamma / (N * std) * (N * dY - dbeta - xhat * dgamma)   # (N, D)
    return _result(dx, dgamma, dbeta, cache)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """x (N, C, H, W): batch norm per channel over N·H·W values, on rows of shape (N·H·W, C)."""
    x = _float_array("x", x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    N, C, H, W = x.shape
    shapes = [(C,), (1, C, 1, 1)]
    g, b = (_param(k, a, x.shape, shapes) for k, a in (("gamma", gamma), ("beta", beta)))
    if N * H * W == 0 and isinstance(bn_param, dict) and bn_param.get("mode") == "train":
        raise ValueError(f"x of shape {x.shape} has N·H·W = 0 values per channel: "
                         f"the batch mean is undefined")
    rows = x.transpose(0, 2, 3, 1).reshape(N * H * W, C)   # (N·H·W, C): channels last
    out, cache = batchnorm_forward(rows, g.reshape(C), b.reshape(C), bn_param)   # (N·H·W, C)
    out = out.reshape(N, H, W, C).transpose(0, 3, 1, 2)    # (N, C, H, W)
    return out, (x.shape, g.shape, b.shape, cache)


def spatial_batchnorm_backward(dout, cache):
    """dout (N, C, H, W) → (dx, dgamma, dbeta): the 2-D backward on the same rows."""
    x_shape, g_shape, b_shape, bn_cache = cache
    dout = _float_array("dout", dout)
    if dout.shape != x_shape:
        raise ValueError(f"dout of shape {dout.shape} does not match the layer output of shape "
                         f"{x_shape}")
    N, C, H, W = x_shape
    drows = dout.transpose(0, 2, 3, 1).reshape(N * H * W, C)   # (N·H·W, C)
    dx, dgamma, dbeta = batchnorm_backward_alt(drows, bn_cache)
    dx = dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)          # (N, C, H, W)
    return dx, dgamma.reshape(g_shape), dbeta.reshape(b_shape)


if __name__ == "__main__":
    X = np.array([[0.0, 1.0], [2.0, -1.0], [2.0, -1.0], [8.0, 1.0]])   # (N, D) = (4, 2)
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])          # (D,) each
    dY = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [2.0, 0.0]])   # (N, D)
    bn_param = {"mode": "train"}
    Y, cache = batchnorm_forward(X, gamma, beta, bn_param)             # (4, 2)
    dX, dgamma, dbeta = batchnorm_backward(dY, cache)
    print("Y =", Y.round(6).tolist())
    print("dX =", dX.round(6).tolist(), "dgamma =", dgamma.round(6).tolist(),
          "dbeta =", dbeta.tolist(), sep="\n")
    alt = batchnorm_backward_alt(dY, cache)[0]
    print("graph vs closed form, max |difference|:", np.abs(dX - alt).max())
    print("running_mean =", bn_param["running_mean"].round(6).tolist(),
          "running_var =", bn_param["running_var"].round(6).tolist())
