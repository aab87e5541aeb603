"""A finite-difference reference shared by the page tests: independent of snippets/."""

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
