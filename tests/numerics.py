"""References shared by the page tests, independent of snippets/: centered differences, and a
convolution written as einsums (differentiable by autograd)."""

import autograd.numpy as anp
import numpy as np


def centered_gradient(f, x, h=1e-6):
    """dF/dx of a scalar f by centered differences, one entry at a time (on a float64 copy of x)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        g[i] = (plus - minus) / (2 * h)
    return g


def conv_reference(x, w, b, stride, pad):
    """Equation (1) as a sum over filter offsets (p, q) of einsums on strided slices (autograd-able)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = anp.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = anp.reshape(b, (1, F, 1, 1)) * anp.ones((N, F, Ho, Wo))
    for p in range(HH):
        for q in range(WW):
            patch = xp[:, :, p:p + stride * (Ho - 1) + 1:stride, q:q + stride * (Wo - 1) + 1:stride]
            out = out + anp.einsum("nchw,fc->nfhw", patch, w[:, :, p, q])
    return out


def float32_check_errors(steps=(1e-5, 1e-6)):
    """The float32 measurement the site quotes (gradient-checking.md, "Why float64"): the page's
    running example, L(W) = 1/2 sum (tanh(XW) - T)^2 with rng seed 0 and (N, D, M) = (5, 4, 3),
    checked entry by entry with centered differences in float32 against the float64 gradient.
    Returns {h: worst-entry relative error}, the quantity cs231n's rel_error reports."""
    rng = np.random.default_rng(0)
    X, T, W = rng.standard_normal((5, 4)), rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    A = np.tanh(X @ W)
    exact = X.T @ ((A - T) * (1 - A * A))                         # dW, hand-derived, float64
    X32, T32 = X.astype(np.float32), T.astype(np.float32)
    loss32 = lambda W32: 0.5 * np.sum((np.tanh(X32 @ W32) - T32) ** 2)   # float32 throughout
    errors = {}
    for h in steps:
        W32, num = W.astype(np.float32), np.zeros(W.shape, dtype=np.float32)
        for i in np.ndindex(W.shape):
            old = W32[i]
            W32[i] = old + h                                      # rounded to float32, as in a checker
            plus = float(loss32(W32))
            W32[i] = old - h
            minus = float(loss32(W32))
            W32[i] = old
            num[i] = (plus - minus) / (2 * h)
        a, n = num.astype(np.float64), exact
        errors[h] = float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))
    return errors
