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
