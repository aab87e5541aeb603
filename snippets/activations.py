"""Element-wise activations out = g(x) and their backward pass dx = dout ⊙ g'(x).

Used in: docs/activations.md
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
        raise ValueError(f"dout of shape {dout.shape} does not match the forward output "
                         f"of shape {out_shape}")
    return dout


# --8<-- [start:sigmoid]
def sigmoid_forward(x):
    """s = 1 / (1 + exp(-x)); only exp(-|x|) <= 1 is ever computed, so nothing overflows."""
    x = _float_array("x", x)
    with np.errstate(under="ignore"):                # e^-|x| rounding to 0 is the right answer
        e = np.exp(-np.abs(x))                       # x's shape, in [0, 1]
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))   # x's shape
    return s, s                                      # the cache is the output s itself


def sigmoid_backward(dout, cache):
    """dx = dout ⊙ s(1 - s): sigma' needs only the cached output, no exp."""
    s = cache
    dout = _dout(dout, s.shape)
    with np.errstate(under="ignore"):                # s ≈ e^x ≈ 0: the product may round to 0, rightly
        return dout * s * (1 - s)                    # x's shape
# --8<-- [end:sigmoid]


# --8<-- [start:tanh]
def tanh_forward(x):
    """t = tanh(x); np.tanh saturates to ±1 without overflow."""
    t = np.tanh(_float_array("x", x))                # x's shape
    return t, t


def tanh_backward(dout, cache):
    """dx = dout ⊙ (1 - t²), again from the cached output."""
    t = cache
    return _dout(dout, t.shape) * (1 - t * t)        # x's shape
# --8<-- [end:tanh]


# --8<-- [start:relu]
def relu_forward(x):
    """out = max(0, x); the cache is x."""
    x = _float_array("x", x)
    return np.maximum(x, 0), x                       # x's shape


def relu_backward(dout, cache):
    """dx = dout ⊙ [x > 0]: the derivative at x = 0 is taken to be 0 (as in cs231n)."""
    x = cache
    return _dout(dout, x.shape) * (x > 0)            # x's shape
# --8<-- [end:relu]


# --8<-- [start:leaky_relu]
def leaky_relu_forward(x, slope=0.01):
    """out = x for x > 0, slope * x otherwise."""
    x = _float_array("x", x)
    try:
        slope = float(slope)                         # a Python float keeps float32 as float32
    except (TypeError, ValueError):
        raise TypeError(f"slope must be one real number, got {slope!r}") from None
    if not math.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope}")
    return np.where(x > 0, x, slope * x), (x, slope)  # x's shape


def leaky_relu_backward(dout, cache):
    """dx = dout for x > 0, slope * dout otherwise (so slope at x = 0)."""
    x, slope = cache
    dout = _dout(dout, x.shape)
    return np.where(x > 0, dout, slope * dout)       # x's shape
# --8<-- [end:leaky_relu]


# --8<-- [start:square]
def square_forward(x):
    """out = x², the f of source 002's exercise 2; the cache is x."""
    x = _float_array("x", x)
    return x * x, x                                  # x's shape


def square_backward(dout, cache):
    """dx = 2x ⊙ dout."""
    x = cache
    return 2 * x * _dout(dout, x.shape)              # x's shape
# --8<-- [end:square]


# --8<-- [start:classes]
class Sigmoid:
    """I2DL-style layer: .forward(x) -> (out, cache), .backward(dout, cache) -> dx."""
    forward = staticmethod(sigmoid_forward)
    backward = staticmethod(sigmoid_backward)


class Tanh:
    forward = staticmethod(tanh_forward)
    backward = staticmethod(tanh_backward)


class Relu:
    forward = staticmethod(relu_forward)
    backward = staticmethod(relu_backward)


class LeakyRelu:
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, x):
        return leaky_relu_forward(x, self.slope)

    backward = staticmethod(leaky_relu_backward)
# --8<-- [end:classes]


if __name__ == "__main__":
    x = np.array([[-1e4, -1.0, 0.0], [0.5, 2.0, 1e4]])   # (2, 3)
    dout = np.ones_like(x)                                # (2, 3)
    for name, layer in [("sigmoid", Sigmoid()), ("tanh", Tanh()), ("relu", Relu()),
                        ("leaky relu", LeakyRelu(0.1))]:
        out, cache = layer.forward(x)
        print(f"{name:>10}: out = {out.round(4).tolist()}")
        print(f"{'':>10}  dx  = {layer.backward(dout, cache).round(4).tolist()}")
