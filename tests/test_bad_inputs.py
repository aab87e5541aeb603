"""Bad inputs to every public function fail with a clear ValueError or TypeError.

One table, one row per mistake: the call, the exception type, and the pieces its message
must contain: the argument's name, the shapes involved as numpy prints them ("(2, 3)")
and, where there is one, the fix (".astype(np.float64)", "x.T"). Never a bare numpy
broadcasting or matmul error. Then the empty batch (N = 0), whose behaviour is a
decision documented in docs/shape-errors.md#empty-batch, and extreme inputs
(|x| up to 1e4), which must give finite results without a single floating-point
warning, underflow included.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import activations as act
import delta
import gradient_check as gc
import jacobians
import layouts
import two_three_two as net
from affine import affine_backward, affine_forward
from bias_gradient import bias_backward, bias_forward
from losses import mse_loss, softmax_loss, sum_loss
import convolution as conv
import im2col as i2c
import pooling as pool


def f64(*shape):
    return np.arange(1, np.prod(shape, dtype=int) + 1, dtype=np.float64).reshape(shape) / 7


def with_nan(a, value=np.nan):
    a = a.copy()
    a.flat[-1] = value
    return a


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


relu, relu_prime = (lambda z: np.maximum(z, 0)), (lambda z: (z > 0).astype(z.dtype))
Ws, bs, bs_cols = [f64(3, 2), f64(2, 3)], [f64(3), f64(2)], [f64(3, 1), f64(2, 1)]   # d = (2, 3, 2)
X_cols = f64(2, 5)                                                               # (d_0, N): a batch in columns
NET = dict(W2=net.W2, b2=net.b2, W3=net.W3, b3=net.b3)

AFFINE_CACHE = affine_forward(f64(2, 4), f64(4, 3), f64(3))[1]          # x (2, 4), w (4, 3), b (3,)
BIAS_CACHE = bias_forward(f64(2, 3), f64(3))[1]

V, T = ValueError, TypeError
CASES = [
    # ---- affine_forward(x, w, b), affine_backward(dout, cache) ----
    ("affine_forward: x has 5 features, w expects 4", lambda: affine_forward(f64(2, 5), f64(4, 3), f64(3)),
     V, ["x of shape (2, 5)", "D = 5 features", "w of shape (4, 3) expects 4"]),
    ("affine_forward: images flatten to D = 12, w expects 4", lambda: affine_forward(f64(2, 1, 3, 4), f64(4, 3), f64(3)),
     V, ["x of shape (2, 1, 3, 4)", "D = 12", "w of shape (4, 3)"]),
    ("affine_forward: w transposed", lambda: affine_forward(f64(2, 4), f64(3, 4), f64(3)),
     V, ["x of shape (2, 4)", "w of shape (3, 4) expects 3"]),
    ("affine_forward: one sample as a 1-D x", lambda: affine_forward(f64(4), f64(4, 3), f64(3)),
     V, ["x of shape (N, d1, ..., dk)", "x (4,)", "w (4, 3)"]),
    ("affine_forward: 1-D w", lambda: affine_forward(f64(2, 4), f64(4), f64(3)),
     V, ["w of shape (D, M)", "w (4,)"]),
    ("affine_forward: 3-D w", lambda: affine_forward(f64(2, 4), f64(4, 3, 1), f64(3)),
     V, ["w (4, 3, 1)"]),
    ("affine_forward: b has D entries, not M", lambda: affine_forward(f64(2, 4), f64(4, 3), f64(4)),
     V, ["b of shape (4,)", "w of shape (4, 3)", "expected (3,) or (1, 3)"]),
    ("affine_forward: b as a column", lambda: affine_forward(f64(2, 4), f64(4, 3), f64(3, 1)),
     V, ["b of shape (3, 1)", "expected (3,) or (1, 3)"]),
    ("affine_forward: one b per sample", lambda: affine_forward(f64(2, 4), f64(4, 3), f64(2, 3)),
     V, ["b of shape (2, 3)", "w of shape (4, 3)"]),
    ("affine_forward: integer x", lambda: affine_forward(np.ones((2, 4), dtype=np.int64), f64(4, 3), f64(3)),
     T, ["x must be a float array", "int64", "(2, 4)", "x.astype(np.float64)"]),
    ("affine_forward: a list of Python ints", lambda: affine_forward([[1, 2, 3, 4]], f64(4, 3), f64(3)),
     T, ["x must be a float array", "(1, 4)", "astype(np.float64)"]),
    ("affine_forward: boolean w", lambda: affine_forward(f64(2, 4), np.ones((4, 3), dtype=bool), f64(3)),
     T, ["w must be a float array", "bool", "(4, 3)"]),
    ("affine_forward: integer b", lambda: affine_forward(f64(2, 4), f64(4, 3), np.zeros(3, dtype=np.int32)),
     T, ["b must be a float array", "int32", "(3,)"]),
    ("affine_forward: NaN in x", lambda: affine_forward(with_nan(f64(2, 4)), f64(4, 3), f64(3)),
     V, ["x of shape (2, 4) contains NaN or inf"]),
    ("affine_forward: inf in w", lambda: affine_forward(f64(2, 4), with_nan(f64(4, 3), np.inf), f64(3)),
     V, ["w of shape (4, 3) contains NaN or inf"]),
    ("affine_backward: dout transposed", lambda: affine_backward(f64(3, 2), AFFINE_CACHE),
     V, ["dout of shape (3, 2)", "layer output of shape (2, 3)", "x (2, 4)", "w (4, 3)"]),
    ("affine_backward: 1-D dout", lambda: affine_backward(f64(3), AFFINE_CACHE),
     V, ["dout of shape (3,)", "(2, 3)"]),
    ("affine_backward: dout for the wrong batch", lambda: affine_backward(f64(5, 3), AFFINE_CACHE),
     V, ["dout of shape (5, 3)", "(2, 3)"]),
    ("affine_backward: integer dout", lambda: affine_backward(np.ones((2, 3), dtype=np.int64), AFFINE_CACHE),
     T, ["dout must be a float array", "int64", "(2, 3)", "dout.astype(np.float64)"]),
    ("affine_backward: NaN in dout", lambda: affine_backward(with_nan(f64(2, 3)), AFFINE_CACHE),
     V, ["dout of shape (2, 3) contains NaN or inf"]),

    # ---- losses ----
    ("sum_loss: integer y", lambda: sum_loss(np.ones((2, 3), dtype=np.int64)),
     T, ["y must be a float array", "int64", "(2, 3)", "astype(np.float64)"]),
    ("sum_loss: NaN", lambda: sum_loss(with_nan(f64(2, 3))), V, ["y of shape (2, 3) contains NaN or inf"]),
    ("mse_loss: y_hat (N, 1) against y (N,)", lambda: mse_loss(f64(3, 1), f64(3)),
     V, ["y_hat of shape (3, 1)", "y of shape (3,)", "same shape", "no broadcasting"]),
    ("mse_loss: y transposed", lambda: mse_loss(f64(2, 3), f64(3, 2)),
     V, ["y_hat of shape (2, 3)", "y of shape (3, 2)"]),
    ("mse_loss: integer targets", lambda: mse_loss(f64(2, 3), np.ones((2, 3), dtype=np.int64)),
     T, ["y must be a float array", "int64", "(2, 3)"]),
    ("mse_loss: integer predictions", lambda: mse_loss(np.ones((2, 3), dtype=np.int8), f64(2, 3)),
     T, ["y_hat must be a float array", "int8", "(2, 3)"]),
    ("mse_loss: NaN in y", lambda: mse_loss(f64(2, 3), with_nan(f64(2, 3))), V, ["y of shape (2, 3) contains NaN"]),
    ("softmax_loss: one sample as 1-D scores", lambda: softmax_loss(f64(3), np.array([0])),
     V, ["(N, C)", "got (3,)", "x.reshape(1, -1)"]),
    ("softmax_loss: 3-D scores", lambda: softmax_loss(f64(2, 3, 1), np.array([0, 1])),
     V, ["(N, C)", "got (2, 3, 1)"]),
    ("softmax_loss: no classes", lambda: softmax_loss(np.zeros((2, 0)), np.array([0, 0])),
     V, ["got (2, 0)", "a label needs a class"]),
    ("softmax_loss: too many labels", lambda: softmax_loss(f64(2, 3), np.array([0, 1, 2])),
     V, ["labels y of shape (3,)", "x of shape (2, 3)", "one label per row, shape (2,)"]),
    ("softmax_loss: labels as a column", lambda: softmax_loss(f64(2, 3), np.array([[0], [1]])),
     V, ["labels y of shape (2, 1)", "x of shape (2, 3)", "shape (2,)"]),
    ("softmax_loss: one-hot labels", lambda: softmax_loss(f64(2, 3), np.eye(3, dtype=np.int64)[[0, 2]]),
     V, ["labels y of shape (2, 3)", "x of shape (2, 3)", "shape (2,)"]),
    ("softmax_loss: label C is out of range", lambda: softmax_loss(f64(2, 3), np.array([0, 3])),
     V, ["labels must lie in [0, 3)", "x of shape (2, 3)", "got [3] at rows [1]"]),
    ("softmax_loss: negative label", lambda: softmax_loss(f64(2, 3), np.array([-1, 2])),
     V, ["[0, 3)", "got [-1] at rows [0]"]),
    ("softmax_loss: float labels", lambda: softmax_loss(f64(2, 3), np.array([0.0, 2.0])),
     T, ["labels y must be integers", "float64", "(2,)", "y.astype(np.int64)"]),
    ("softmax_loss: boolean labels", lambda: softmax_loss(f64(2, 3), np.array([True, False])),
     T, ["labels y must be integers", "bool", "(2,)"]),
    ("softmax_loss: integer scores", lambda: softmax_loss(np.ones((2, 3), dtype=np.int64), np.array([0, 1])),
     T, ["x must be a float array", "int64", "(2, 3)"]),
    ("softmax_loss: NaN scores", lambda: softmax_loss(with_nan(f64(2, 3)), np.array([0, 1])),
     V, ["x of shape (2, 3) contains NaN or inf"]),

    # ---- bias broadcast ----
    ("bias_forward: b of the wrong length", lambda: bias_forward(f64(2, 3), f64(2)),
     V, ["x of shape (N, M)", "x (2, 3)", "b (2,)"]),
    ("bias_forward: 1-D x", lambda: bias_forward(f64(3), f64(3)), V, ["x (3,)", "b (3,)"]),
    ("bias_forward: b as a column", lambda: bias_forward(f64(2, 3), f64(3, 1)), V, ["x (2, 3)", "b (3, 1)"]),
    ("bias_forward: integer b", lambda: bias_forward(f64(2, 3), np.ones(3, dtype=np.int64)),
     T, ["b must be a float array", "int64", "(3,)"]),
    ("bias_forward: NaN in x", lambda: bias_forward(with_nan(f64(2, 3)), f64(3)), V, ["x of shape (2, 3) contains NaN"]),
    ("bias_backward: dout transposed", lambda: bias_backward(f64(3, 2), BIAS_CACHE),
     V, ["dout of shape (3, 2)", "(2, 3)", "b (3,)"]),
    ("bias_backward: integer dout", lambda: bias_backward(np.ones((2, 3), dtype=np.int64), BIAS_CACHE),
     T, ["dout must be a float array", "(2, 3)"]),

    # ---- the delta recursion, column convention ----
    ("backprop: a batch in rows", lambda: delta.backprop(Ws, bs_cols, X_cols.T, f64(2, 5), relu, relu_prime),
     V, ["Ws[0] of shape (3, 2)", "x of shape (5, 2)", "samples go in columns, pass x.T"]),
    ("forward: a batch in rows", lambda: delta.forward(Ws, bs_cols, X_cols.T, relu),
     V, ["Ws[0] of shape (3, 2)", "x of shape (5, 2)", "pass x.T"]),
    ("backprop: 1-D biases with a batch", lambda: delta.backprop(Ws, bs, X_cols, f64(2, 5), relu, relu_prime),
     V, ["bs[0] of shape (3,)", "Ws[0] of shape (3, 2)", "x of shape (2, 5)", "expected (3, 1)"]),
    ("backprop: layers that do not chain", lambda: delta.backprop([Ws[0], f64(2, 4)], bs, f64(2), f64(2), relu, relu_prime),
     V, ["Ws[1] of shape (2, 4)", "(d_2, 3)", "Ws[0] of shape (3, 2)"]),
    ("backprop: W in rows convention (D, M)", lambda: delta.backprop([f64(2, 3), Ws[1]], bs, f64(2), f64(2), relu, relu_prime),
     V, ["Ws[0] of shape (2, 3)", "(d_1, 2)", "x of shape (2,)"]),
    ("backprop: y of the wrong length", lambda: delta.backprop(Ws, bs, f64(2), f64(3), relu, relu_prime),
     V, ["y of shape (3,)", "of shape (2,)", "Ws[-1] (2, 3)"]),
    ("backprop: y in rows", lambda: delta.backprop(Ws, bs_cols, X_cols, f64(5, 2), relu, relu_prime),
     V, ["y of shape (5, 2)", "(2, 5)"]),
    ("backprop: one bias too few", lambda: delta.backprop(Ws, bs[:1], f64(2), f64(2), relu, relu_prime),
     V, ["2 Ws and 1 bs"]),
    ("backprop: 3-D x", lambda: delta.backprop(Ws, bs, f64(2, 5, 1), f64(2, 5, 1), relu, relu_prime),
     V, ["(d_0,)", "(d_0, N)", "got (2, 5, 1)"]),
    ("backprop: integer W", lambda: delta.backprop([np.ones((3, 2), dtype=np.int64), Ws[1]], bs, f64(2), f64(2), relu, relu_prime),
     T, ["Ws[0] must be a float array", "int64", "(3, 2)", "Ws[0].astype(np.float64)"]),
    ("backprop: integer y", lambda: delta.backprop(Ws, bs, f64(2), np.array([1, 0]), relu, relu_prime),
     T, ["y must be a float array", "(2,)"]),
    ("backprop: NaN in x", lambda: delta.backprop(Ws, bs, with_nan(f64(2)), f64(2), relu, relu_prime),
     V, ["x of shape (2,) contains NaN or inf"]),
    ("backprop: inf in b", lambda: delta.backprop(Ws, [bs[0], with_nan(bs[1], np.inf)], f64(2), f64(2), relu, relu_prime),
     V, ["bs[1] of shape (2,) contains NaN or inf"]),

    # ---- the 2-3-2 network ----
    ("network_forward: a batch in rows", lambda: net.network_forward(f64(4, 2), f64(2, 4), **NET),
     V, ["x (4, 2)", "W2 (3, 2)", "y (2, 4)", "need x (d,) or (d, N)"]),
    ("network_forward: y of the wrong length", lambda: net.network_forward(f64(2), f64(3), **NET),
     V, ["x (2,)", "y (3,)", "y (k,) or (k, N)"]),
    ("network_forward: integer x", lambda: net.network_forward(np.array([1, 2]), f64(2), **NET),
     T, ["x must be a float array", "int64", "(2,)"]),
    ("network_forward: NaN in x", lambda: net.network_forward(with_nan(f64(2)), f64(2), **NET),
     V, ["x of shape (2,) contains NaN or inf"]),
    ("two_three_two.sigmoid: integer z", lambda: net.sigmoid(np.array([1, 2])),
     T, ["z must be a float array", "int64", "(2,)", "z.astype(np.float64)"]),
    ("two_three_two.sigmoid: NaN", lambda: net.sigmoid(with_nan(f64(2, 2))), V, ["z of shape (2, 2) contains NaN"]),

    # ---- the numerical tools ----
    ("numerical_jacobian: integer x", lambda: jacobians.numerical_jacobian(np.sin, np.arange(3)),
     T, ["x must be a float array", "int64", "(3,)"]),
    ("numerical_jacobian: NaN x", lambda: jacobians.numerical_jacobian(np.sin, with_nan(f64(3))),
     V, ["x of shape (3,) contains NaN"]),
    ("numerical_jacobian: f is not a function", lambda: jacobians.numerical_jacobian(f64(3), f64(3)),
     T, ["f must be a function of x", "ndarray"]),
    ("numerical_jacobian: output shape depends on x", lambda: jacobians.numerical_jacobian(lambda v: v[v > 1 / 7], f64(2)),
     V, ["f returned shape (1,) at x", "(2,)"]),
    ("numerical_jacobian: f is NaN", lambda: jacobians.numerical_jacobian(lambda v: v + np.nan, f64(2)),
     V, ["f returned NaN or inf at x"]),
    ("numerical_gradient: a vector f", lambda: jacobians.numerical_gradient(np.sin, f64(2, 3)),
     V, ["f returned shape (2, 3)", "scalar f", "numerical_jacobian"]),
    ("numerical_derivative: integer x", lambda: layouts.numerical_derivative(np.sin, np.arange(3)),
     T, ["x must be a float array", "int64", "(3,)"]),
    ("numerical_derivative: 3-D x", lambda: layouts.numerical_derivative(np.sum, f64(2, 2, 2)),
     V, ["scalar, vector or matrix", "(2, 2, 2)"]),
    ("numerical_derivative: matrix by matrix", lambda: layouts.numerical_derivative(lambda A: A.T, f64(2, 3)),
     V, ["f(x) of shape (3, 2)", "x of shape (2, 3)"]),
    ("numerical_derivative: unknown layout", lambda: layouts.numerical_derivative(np.sin, f64(3), "rows"),
     V, ["'numerator' or 'denominator'", "'rows'"]),
    ("numerical_derivative: NaN x", lambda: layouts.numerical_derivative(np.sin, with_nan(f64(3))),
     V, ["x of shape (3,) contains NaN"]),
    ("eval_numerical_gradient: a list", lambda: gc.eval_numerical_gradient(np.sum, [1.0, 2.0], verbose=False),
     T, ["numpy array", "list"]),
    ("eval_numerical_gradient: integer x", lambda: gc.eval_numerical_gradient(np.sum, np.arange(3), verbose=False),
     T, ["x must be a float array", "int64", "(3,)", "x.astype(np.float64)"]),
    ("eval_numerical_gradient: read-only x", lambda: gc.eval_numerical_gradient(np.sum, read_only(f64(3)), verbose=False),
     V, ["x of shape (3,) is read-only"]),
    ("eval_numerical_gradient: NaN x", lambda: gc.eval_numerical_gradient(np.sum, with_nan(f64(3)), verbose=False),
     V, ["x of shape (3,) contains NaN"]),
    ("eval_numerical_gradient: a vector f", lambda: gc.eval_numerical_gradient(np.sin, f64(2, 3), verbose=False),
     V, ["f(x) has shape (2, 3)", "x of shape (2, 3)", "eval_numerical_gradient_array"]),
    ("eval_numerical_gradient: h = 0", lambda: gc.eval_numerical_gradient(np.sum, f64(3), verbose=False, h=0.0),
     V, ["h must be positive", "0.0"]),
    ("eval_numerical_gradient_array: df transposed", lambda: gc.eval_numerical_gradient_array(np.sin, f64(2, 3), f64(3, 2)),
     V, ["df has shape (3, 2)", "f(x) has shape (2, 3)"]),
    ("eval_numerical_gradient_array: integer df", lambda: gc.eval_numerical_gradient_array(np.sin, f64(2, 3), np.ones((2, 3), dtype=int)),
     T, ["df must be a float array", "int64", "(2, 3)", "df.astype(np.float64)"]),
    ("eval_numerical_gradient_array: NaN in df", lambda: gc.eval_numerical_gradient_array(np.sin, f64(2, 3), with_nan(f64(2, 3))),
     V, ["df of shape (2, 3) contains NaN or inf"]),
    ("rel_error: shapes differ", lambda: gc.rel_error(f64(2, 3), f64(3, 2)),
     V, ["equal shapes", "(2, 3)", "(3, 2)", "no broadcasting"]),
    ("rel_error: NaN", lambda: gc.rel_error(f64(3), with_nan(f64(3))), V, ["finite", "(3,)"]),
    ("rel_error: empty", lambda: gc.rel_error(np.zeros(0), np.zeros(0)), V, ["non-empty", "(0,)"]),
]

# Every element-wise activation, as a function and as an I2DL-style class, gets the same rows.
ACTIVATIONS = {
    "sigmoid": (act.sigmoid_forward, act.sigmoid_backward), "tanh": (act.tanh_forward, act.tanh_backward),
    "relu": (act.relu_forward, act.relu_backward), "square": (act.square_forward, act.square_backward),
    "leaky_relu": (act.leaky_relu_forward, act.leaky_relu_backward),
    "Sigmoid()": (act.Sigmoid().forward, act.Sigmoid().backward), "Tanh()": (act.Tanh().forward, act.Tanh().backward),
    "Relu()": (act.Relu().forward, act.Relu().backward),
    "LeakyRelu(0.1)": (act.LeakyRelu(0.1).forward, act.LeakyRelu(0.1).backward),
}
for name, (forward, backward) in ACTIVATIONS.items():
    cache = forward(f64(2, 3))[1]
    CASES += [
        (f"{name} forward: integer x", lambda f=forward: f(np.arange(6).reshape(2, 3)),
         T, ["x must be a float array", "int64", "(2, 3)", "x.astype(np.float64)"]),
        (f"{name} forward: boolean x", lambda f=forward: f(np.ones((2, 3), dtype=bool)), T, ["bool", "(2, 3)"]),
        (f"{name} forward: NaN", lambda f=forward: f(with_nan(f64(2, 3))), V, ["x of shape (2, 3) contains NaN or inf"]),
        (f"{name} forward: -inf", lambda f=forward: f(with_nan(f64(2, 3), -np.inf)), V, ["x of shape (2, 3) contains NaN or inf"]),
        (f"{name} backward: dout transposed", lambda b=backward, c=cache: b(f64(3, 2), c),
         V, ["dout of shape (3, 2)", "forward output of shape (2, 3)"]),
        (f"{name} backward: dout flattened", lambda b=backward, c=cache: b(f64(6), c),
         V, ["dout of shape (6,)", "(2, 3)"]),
        (f"{name} backward: integer dout", lambda b=backward, c=cache: b(np.ones((2, 3), dtype=np.int64), c),
         T, ["dout must be a float array", "int64", "(2, 3)"]),
        (f"{name} backward: NaN in dout", lambda b=backward, c=cache: b(with_nan(f64(2, 3)), c),
         V, ["dout of shape (2, 3) contains NaN or inf"]),
    ]
CASES += [
    ("leaky_relu_forward: NaN slope", lambda: act.leaky_relu_forward(f64(2), slope=float("nan")),
     V, ["slope must be finite", "nan"]),
    ("leaky_relu_forward: an array of slopes", lambda: act.leaky_relu_forward(f64(2), slope=np.array([0.1, 0.2])),
     T, ["slope must be one real number", "array([0.1, 0.2])"]),
    ("LeakyRelu: a string slope", lambda: act.LeakyRelu("small").forward(f64(2)),
     T, ["slope must be one real number", "'small'"]),
]

# ---- convolution (naive and im2col), im2col/col2im, max-pooling ----
CONV_P = {"stride": 1, "pad": 1}
POOL_P = {"pool_height": 2, "pool_width": 2, "stride": 2}
for name, forward, backward in [("conv_forward_naive", conv.conv_forward_naive, conv.conv_backward_naive),
                                ("conv_forward_im2col", i2c.conv_forward_im2col, i2c.conv_backward_im2col)]:
    cache = forward(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(2), CONV_P)[1]      # out (2, 2, 5, 5)
    bwd = name.replace("forward", "backward")
    CASES += [
        (f"{name}: 3-D x", lambda f=forward: f(f64(3, 5, 5), f64(2, 3, 3, 3), f64(2), CONV_P),
         V, ["x (N, C, H, W)", "x (3, 5, 5)", "w (2, 3, 3, 3)"]),
        (f"{name}: channels differ", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 4, 3, 3), f64(2), CONV_P),
         V, ["same C", "x (2, 3, 5, 5)", "w (2, 4, 3, 3)"]),
        (f"{name}: b of the wrong length", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(3), CONV_P),
         V, ["b (F,)", "w (2, 3, 3, 3)", "b (3,)"]),
        (f"{name}: b as a column", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(2, 1), CONV_P),
         V, ["b (2, 1)"]),
        (f"{name}: conv_param without pad", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(2), {"stride": 1}),
         V, ["conv_param", "'pad'", "{'stride': 1}"]),
        (f"{name}: stride 0", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(2), {"stride": 0, "pad": 1}),
         V, ["stride", ">= 1", "0"]),
        (f"{name}: a float stride", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3), f64(2), {"stride": 1.0, "pad": 1}),
         V, ["integer", "stride", "1.0"]),
        (f"{name}: stride and pad do not tile", lambda f=forward: f(f64(2, 3, 32, 32), f64(8, 3, 3, 3), f64(8),
                                                                    {"stride": 2, "pad": 1}),
         V, ["stride 2 and pad 1 do not tile", "(2, 3, 32, 32)", "H + 2*pad - HH = 31", "multiple of the stride"]),
        (f"{name}: filter larger than the padded image", lambda f=forward: f(f64(1, 1, 2, 2), f64(1, 1, 5, 5), f64(1), CONV_P),
         V, ["(1, 1, 2, 2)", "H + 2*pad - HH = -1"]),
        (f"{name}: integer x", lambda f=forward: f(np.ones((2, 3, 5, 5), dtype=np.int64), f64(2, 3, 3, 3), f64(2), CONV_P),
         T, ["x must be a float array", "int64", "(2, 3, 5, 5)", "x.astype(np.float64)"]),
        (f"{name}: integer b, as in cs231n's image aside", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3),
                                                                               np.array([0, 128]), CONV_P),
         T, ["b must be a float array", "int64", "(2,)", "b.astype(np.float64)"]),
        (f"{name}: NaN in w", lambda f=forward: f(f64(2, 3, 5, 5), with_nan(f64(2, 3, 3, 3)), f64(2), CONV_P),
         V, ["w of shape (2, 3, 3, 3) contains NaN or inf"]),
        (f"{bwd}: dout for a smaller batch", lambda b=backward, c=cache: b(f64(1, 2, 5, 5), c),
         V, ["dout of shape (1, 2, 5, 5)", "layer output of shape (2, 2, 5, 5)", "x (2, 3, 5, 5)", "w (2, 3, 3, 3)"]),
        (f"{bwd}: dout flattened", lambda b=backward, c=cache: b(f64(2, 50), c),
         V, ["dout of shape (2, 50)", "(2, 2, 5, 5)"]),
        (f"{bwd}: integer dout", lambda b=backward, c=cache: b(np.ones((2, 2, 5, 5), dtype=np.int64), c),
         T, ["dout must be a float array", "int64", "(2, 2, 5, 5)"]),
        (f"{bwd}: NaN in dout", lambda b=backward, c=cache: b(with_nan(f64(2, 2, 5, 5)), c),
         V, ["dout of shape (2, 2, 5, 5) contains NaN or inf"]),
    ]
POOL_CACHE = pool.max_pool_forward_naive(f64(2, 3, 4, 4), POOL_P)[1]              # out (2, 3, 2, 2)
CASES += [
    ("im2col: 3-D x", lambda: i2c.im2col(f64(3, 5, 5), 3, 3, 1, 1), V, ["x (N, C, H, W)", "x (3, 5, 5)"]),
    ("im2col: a float filter size", lambda: i2c.im2col(f64(1, 3, 5, 5), 3.0, 3, 1, 1), V, ["integers", "HH=3.0"]),
    ("im2col: does not tile", lambda: i2c.im2col(f64(1, 1, 5, 4), 3, 3, 2, 0),
     V, ["(1, 1, 5, 4)", "3 x 3 filters", "W + 2*pad - WW = 1"]),
    ("im2col: integer x", lambda: i2c.im2col(np.ones((1, 1, 3, 3), dtype=np.int64), 2, 2, 1, 0),
     T, ["x must be a float array", "int64", "(1, 1, 3, 3)"]),
    ("col2im: cols of the wrong shape", lambda: i2c.col2im(f64(5, 27), (2, 3, 5, 7), 3, 3, 2, 1),
     V, ["cols of shape (5, 27)", "x of shape (2, 3, 5, 7)", "expected (24, 27)"]),
    ("col2im: cols transposed", lambda: i2c.col2im(f64(27, 24), (2, 3, 5, 7), 3, 3, 2, 1),
     V, ["cols of shape (27, 24)", "expected (24, 27)"]),
    ("col2im: integer cols", lambda: i2c.col2im(np.ones((24, 27), dtype=np.int64), (2, 3, 5, 7), 3, 3, 2, 1),
     T, ["cols must be a float array", "int64", "(24, 27)"]),
    ("col2im: NaN in cols", lambda: i2c.col2im(with_nan(f64(24, 27)), (2, 3, 5, 7), 3, 3, 2, 1),
     V, ["cols of shape (24, 27) contains NaN or inf"]),
    ("max_pool_forward_naive: 3-D x", lambda: pool.max_pool_forward_naive(f64(3, 4, 4), POOL_P),
     V, ["x (N, C, H, W)", "x (3, 4, 4)"]),
    ("max_pool_forward_naive: pool_width missing", lambda: pool.max_pool_forward_naive(
        f64(2, 3, 4, 4), {"pool_height": 2, "stride": 2}), V, ["pool_width", "{'pool_height': 2, 'stride': 2}"]),
    ("max_pool_forward_naive: stride 0", lambda: pool.max_pool_forward_naive(f64(2, 3, 4, 4), POOL_P | {"stride": 0}),
     V, [">= 1", "'stride': 0"]),
    ("max_pool_forward_naive: windows do not tile", lambda: pool.max_pool_forward_naive(f64(2, 3, 5, 5), POOL_P),
     V, ["2 x 2 windows with stride 2 do not tile x of shape (2, 3, 5, 5)", "H - pool_height = 3"]),
    ("max_pool_forward_naive: window larger than the image", lambda: pool.max_pool_forward_naive(
        f64(1, 1, 2, 2), {"pool_height": 3, "pool_width": 3, "stride": 1}), V, ["(1, 1, 2, 2)", "H - pool_height = -1"]),
    ("max_pool_forward_naive: integer x", lambda: pool.max_pool_forward_naive(np.ones((2, 3, 4, 4), dtype=np.int64), POOL_P),
     T, ["x must be a float array", "int64", "(2, 3, 4, 4)", "x.astype(np.float64)"]),
    ("max_pool_forward_naive: NaN", lambda: pool.max_pool_forward_naive(with_nan(f64(2, 3, 4, 4)), POOL_P),
     V, ["x of shape (2, 3, 4, 4) contains NaN or inf"]),
    ("max_pool_backward_naive: dout of the input's shape", lambda: pool.max_pool_backward_naive(f64(2, 3, 4, 4), POOL_CACHE),
     V, ["dout of shape (2, 3, 4, 4)", "layer output of shape (2, 3, 2, 2)", "x (2, 3, 4, 4)"]),
    ("max_pool_backward_naive: integer dout", lambda: pool.max_pool_backward_naive(np.ones((2, 3, 2, 2), dtype=int), POOL_CACHE),
     T, ["dout must be a float array", "(2, 3, 2, 2)"]),
    ("max_pool_backward_naive: NaN in dout", lambda: pool.max_pool_backward_naive(with_nan(f64(2, 3, 2, 2)), POOL_CACHE),
     V, ["dout of shape (2, 3, 2, 2) contains NaN or inf"]),
]

NUMPY_INTERNALS = ("could not be broadcast", "core dimension", "gufunc", "only 0-dimensional arrays",
                   "out of bounds for axis", "too many indices", "not enough values to unpack", "unsupported operand")


def test_case_ids_are_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("call, error, pieces", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_fails_with_a_clear_message(call, error, pieces):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert type(info.value) is error, f"raised {type(info.value).__name__}, expected {error.__name__}: {message}"
    missing = [piece for piece in pieces if piece not in message]
    assert not missing, f"the message lacks {missing}:\n{message}"
    leaked = [word for word in NUMPY_INTERNALS if word in message]
    assert not leaked, f"a numpy-internal error leaked through ({leaked}):\n{message}"


def test_the_checks_can_fail():
    """A bare numpy error would fail the test above: matmul's message names no argument."""
    with pytest.raises(ValueError) as info:
        _ = f64(2, 5) @ f64(4, 3)
    assert any(word in str(info.value) for word in NUMPY_INTERNALS)
    assert "(2, 5)" not in str(info.value)                  # and it does not name the shapes either


# ---- the empty batch, N = 0: a documented decision per function --------------------

def test_empty_batch_affine_works_and_its_parameter_gradients_are_zero():
    """N = 0: the layer output is empty and dW, db are empty sums, i.e. exact zeros."""
    out, cache = affine_forward(np.zeros((0, 2, 2)), f64(4, 3), f64(3))
    assert out.shape == (0, 3)
    dx, dw, db = affine_backward(np.zeros((0, 3)), cache)
    assert dx.shape == (0, 2, 2)
    np.testing.assert_array_equal(dw, np.zeros((4, 3)))
    np.testing.assert_array_equal(db, np.zeros(3))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_empty_batch_activations_work(name):
    forward, backward = ACTIVATIONS[name]
    out, cache = forward(np.zeros((0, 3)))
    assert out.shape == (0, 3)
    assert backward(np.zeros((0, 3)), cache).shape == (0, 3)


def test_empty_batch_bias_works():
    out, cache = bias_forward(np.zeros((0, 3)), f64(3))
    dx, db = bias_backward(np.zeros((0, 3)), cache)
    assert out.shape == dx.shape == (0, 3)
    np.testing.assert_array_equal(db, np.zeros(3))


def test_empty_batch_sum_and_mse_are_zero():
    """Both are sums, not means: the empty sum is 0."""
    loss, dy = sum_loss(np.zeros((0, 3)))
    assert loss == 0.0 and dy.shape == (0, 3)
    loss, dy_hat = mse_loss(np.zeros((0, 3)), np.zeros((0, 3)))
    assert loss == 0.0 and dy_hat.shape == (0, 3)


def test_empty_batch_softmax_refuses():
    """The softmax loss is a mean over N; for N = 0 that is 0/0."""
    with pytest.raises(ValueError) as info:
        softmax_loss(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    assert "got (0, 3); the mean over N = 0 samples is undefined" in str(info.value)


def test_empty_batch_delta_and_network_give_zero_gradients():
    zs, acts = delta.forward(Ws, bs_cols, np.zeros((2, 0)), relu)
    assert [z.shape for z in zs] == [(3, 0), (2, 0)]
    dWs, dbs = delta.backprop(Ws, bs_cols, np.zeros((2, 0)), np.zeros((2, 0)), relu, relu_prime)
    for got, like in zip(dWs + dbs, Ws + bs_cols):
        np.testing.assert_array_equal(got, np.zeros_like(like))
    L, cache = net.network_forward(np.zeros((2, 0)), np.zeros((2, 0)), **NET)
    assert L == 0.0
    grads = net.network_backward(cache)
    np.testing.assert_array_equal(grads["dW2"], np.zeros((3, 2)))
    np.testing.assert_array_equal(grads["db3"], np.zeros(2))


# ---- extreme inputs: finite, and not a single floating-point warning -----------------

EXTREMES = np.array([-1e4, -1e3, -745.0, -709.0, -100.0, -88.0, -40.0, -1.0, 0.0,
                     1.0, 40.0, 88.0, 100.0, 709.0, 745.0, 1e3, 1e4])   # (17,)


def strictly(call):
    """Run call() with every numpy floating-point event an error (underflow too) and warnings as errors."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return call()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "Sigmoid()", "Tanh()"])
@pytest.mark.parametrize("dout_value", [1.0, 0.37, 1e-3])
def test_extreme_inputs_through_saturating_activations(name, dtype, dout_value):
    forward, backward = ACTIVATIONS[name]
    x = EXTREMES.astype(dtype)                                             # (17,)
    out, cache = strictly(lambda: forward(x))
    dx = strictly(lambda: backward(np.full_like(x, dout_value), cache))
    assert out.dtype == dx.dtype == dtype
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    low = -1.0 if name.lower().startswith("tanh") else 0.0                 # by hand: the limits at -1e4 and 1e4
    assert out[0] == low and out[-1] == 1.0 and dx[0] == 0.0 and dx[-1] == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_the_2_3_2_sigmoid(dtype):
    s = strictly(lambda: net.sigmoid(EXTREMES.astype(dtype)))
    assert s.dtype == dtype and np.isfinite(s).all() and s[0] == 0.0 and s[-1] == 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_softmax_loss(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 1e4, 1e4]], dtype=dtype)   # (3, 3)
    y = np.array([1, 2, 0])
    loss, dx = strictly(lambda: softmax_loss(x, y))
    assert np.isfinite(loss) and np.isfinite(dx).all() and dx.dtype == dtype
    # By hand, row by row: -log P = (max - x_y) + log(sum of e^(x - max)):
    # row 0: 2e4 + log(1 + e^-1e4 + e^-2e4) = 2e4; row 1: 0 + log 3; row 2: 1e4 + log 2.
    assert loss == pytest.approx((2e4 + np.log(3) + 1e4 + np.log(2)) / 3, rel=1e-6)
    np.testing.assert_allclose(dx * 3, [[1, -1, 0], [1 / 3, 1 / 3, -2 / 3], [-1, 0.5, 0.5]], atol=1e-6)
    wide = np.vstack([EXTREMES, EXTREMES[::-1]]).astype(dtype)             # (2, 17)
    loss, dx = strictly(lambda: softmax_loss(wide, np.array([0, 5])))
    assert np.isfinite(loss) and np.isfinite(dx).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_mse_loss(dtype):
    y_hat = EXTREMES.astype(dtype).reshape(1, -1)                          # (1, 17)
    loss, dy_hat = strictly(lambda: mse_loss(y_hat, -y_hat))
    assert np.isfinite(loss) and dy_hat.dtype == dtype
    # By hand: 1/2 sum (2x)^2 = 2 sum x^2
    assert loss == pytest.approx(2 * float(np.sum(EXTREMES.astype(dtype).astype(np.float64) ** 2)), rel=1e-6)
    np.testing.assert_array_equal(dy_hat, 2 * y_hat)


def test_the_strict_mode_would_catch_an_unguarded_exp():
    """The planted bug: exp(-|x|) without np.errstate(under="ignore") underflows at x = -1e4."""
    with pytest.raises(FloatingPointError, match="underflow"):
        strictly(lambda: np.exp(-np.abs(EXTREMES)))


# ---- convolution and max-pooling: the empty batch and extreme inputs -----------------------

@pytest.mark.parametrize("forward, backward", [(conv.conv_forward_naive, conv.conv_backward_naive),
                                               (i2c.conv_forward_im2col, i2c.conv_backward_im2col)])
def test_empty_batch_convolution_works_and_its_parameter_gradients_are_zero(forward, backward):
    """N = 0: the output is empty; dw and db are empty sums over (n, i, j), i.e. exact zeros."""
    out, cache = forward(np.zeros((0, 2, 4, 4)), f64(3, 2, 3, 3), f64(3), {"stride": 1, "pad": 1})
    assert out.shape == (0, 3, 4, 4)
    dx, dw, db = backward(np.zeros((0, 3, 4, 4)), cache)
    assert dx.shape == (0, 2, 4, 4)
    np.testing.assert_array_equal(dw, np.zeros((3, 2, 3, 3)))
    np.testing.assert_array_equal(db, np.zeros(3))


def test_empty_batch_max_pool_works():
    out, cache = pool.max_pool_forward_naive(np.zeros((0, 2, 4, 4)), {"pool_height": 2, "pool_width": 2, "stride": 2})
    assert out.shape == (0, 2, 2, 2)
    assert pool.max_pool_backward_naive(np.zeros((0, 2, 2, 2)), cache).shape == (0, 2, 4, 4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("forward, backward", [(conv.conv_forward_naive, conv.conv_backward_naive),
                                               (i2c.conv_forward_im2col, i2c.conv_backward_im2col)])
def test_extreme_inputs_through_convolution(forward, backward, dtype):
    """|x|, |w|, |dout| up to 1e4 (EXTREMES): sums of 18 products up to 1e8 stay finite, no FP event."""
    rng = np.random.default_rng(0)
    x = rng.choice(EXTREMES, (2, 2, 4, 4)).astype(dtype)                       # (N, C, H, W)
    w = rng.choice(EXTREMES, (3, 2, 3, 3)).astype(dtype)                       # (F, C, HH, WW)
    b = rng.choice(EXTREMES, 3).astype(dtype)                                  # (F,)
    out, cache = strictly(lambda: forward(x, w, b, {"stride": 1, "pad": 1}))
    grads = strictly(lambda: backward(rng.choice(EXTREMES, out.shape).astype(dtype), cache))
    assert out.dtype == dtype and all(g.dtype == dtype for g in grads)
    assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)
    # By hand, one entry: output (0, 0, 1, 1) is b_0 plus the full 3 x 3 window (no padding in it).
    expected = float(b[0]) + float(np.sum(x[0, :, 0:3, 0:3].astype(np.float64) * w[0].astype(np.float64)))
    assert float(out[0, 0, 1, 1]) == pytest.approx(expected, rel=1e-6, abs=1e-2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_max_pool(dtype):
    x = np.resize(EXTREMES, (1, 2, 4, 4)).astype(dtype)                       # (1, 2, 4, 4)
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = strictly(lambda: pool.max_pool_forward_naive(x, param))
    dx = strictly(lambda: pool.max_pool_backward_naive(np.full(out.shape, 1e4, dtype=dtype), cache))
    assert out.dtype == dx.dtype == dtype
    np.testing.assert_array_equal(out, x.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5)))
    assert dx.sum() == 1e4 * out.size
