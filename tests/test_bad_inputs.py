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
import batchnorm as bn
import delta
import layernorm as lnorm
import gradient_check as gc
import jacobians
import jvp_vjp
import layouts
import two_three_two as net
import vec_kronecker as vk
from affine import affine_backward, affine_forward
from bias_gradient import bias_backward, bias_forward
from softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward
from attention import (attention_backward, attention_forward, multihead_attention_backward,
                       multihead_attention_forward)
from dropout import dropout_backward, dropout_forward
from losses import mse_loss, softmax_loss, sum_loss, svm_loss
from residual import residual_backward, residual_forward
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
MLP_CACHE = jvp_vjp.mlp_forward(f64(2, 3), f64(3, 4), f64(4, 2), f64(2, 2))[1]   # X, W1, W2, T
DROPOUT_CACHE = dropout_forward(f64(2, 3), {"mode": "train", "p": 0.5, "seed": 0})[1]   # mask (2, 3)
RESIDUAL_CACHE = residual_forward(f64(2, 3), f64(3, 4), f64(4), f64(4, 3), f64(3))[1]  # x (2, 3), H = 4
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

    # ---- svm_loss(x, y): the same checks as softmax_loss ----
    ("svm_loss: one sample as 1-D scores", lambda: svm_loss(f64(3), np.array([0])),
     V, ["(N, C)", "got (3,)", "x.reshape(1, -1)"]),
    ("svm_loss: no classes", lambda: svm_loss(np.zeros((2, 0)), np.array([0, 0])),
     V, ["got (2, 0)", "a label needs a class"]),
    ("svm_loss: labels as a column", lambda: svm_loss(f64(2, 3), np.array([[0], [1]])),
     V, ["labels y of shape (2, 1)", "x of shape (2, 3)", "shape (2,)"]),
    ("svm_loss: label C is out of range", lambda: svm_loss(f64(2, 3), np.array([0, 3])),
     V, ["labels must lie in [0, 3)", "x of shape (2, 3)", "got [3] at rows [1]"]),
    ("svm_loss: negative label", lambda: svm_loss(f64(2, 3), np.array([-1, 2])),
     V, ["[0, 3)", "got [-1] at rows [0]"]),
    ("svm_loss: float labels", lambda: svm_loss(f64(2, 3), np.array([0.0, 2.0])),
     T, ["labels y must be integers", "float64", "(2,)", "y.astype(np.int64)"]),
    ("svm_loss: boolean labels", lambda: svm_loss(f64(2, 3), np.array([True, False])),
     T, ["labels y must be integers", "bool", "(2,)"]),
    ("svm_loss: integer scores", lambda: svm_loss(np.ones((2, 3), dtype=np.int64), np.array([0, 1])),
     T, ["x must be a float array", "int64", "(2, 3)", "x.astype(np.float64)"]),
    ("svm_loss: inf scores", lambda: svm_loss(with_nan(f64(2, 3), np.inf), np.array([0, 1])),
     V, ["x of shape (2, 3) contains NaN or inf"]),

    # ---- dropout_forward(x, dropout_param), dropout_backward(dout, cache) ----
    ("dropout_forward: keep probability 0", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": 0}),
     V, ["dropout_param['p'] = 0", "keep probability", "(0, 1]"]),
    ("dropout_forward: keep probability above 1", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": 1.5}),
     V, ["dropout_param['p'] = 1.5", "(0, 1]", "p = 1 - q"]),
    ("dropout_forward: negative p", lambda: dropout_forward(f64(2, 3), {"mode": "test", "p": -0.2}),
     V, ["dropout_param['p'] = -0.2", "(0, 1]"]),
    ("dropout_forward: NaN p", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": float("nan")}),
     V, ["dropout_param['p'] = nan", "(0, 1]"]),
    ("dropout_forward: p as a string", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": "0.5"}),
     T, ["dropout_param['p'] must be one real number", "'0.5'"]),
    ("dropout_forward: p = True", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": True}),
     T, ["dropout_param['p'] must be one real number", "True"]),
    ("dropout_forward: p as an array", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": np.array([0.5])}),
     T, ["dropout_param['p'] must be one real number", "array([0.5])"]),
    ("dropout_forward: unknown mode", lambda: dropout_forward(f64(2, 3), {"mode": "training", "p": 0.5}),
     V, ["dropout_param['mode'] must be 'train' or 'test'", "'training'"]),
    ("dropout_forward: no p", lambda: dropout_forward(f64(2, 3), {"mode": "train"}),
     V, ["dropout_param must be a dict with keys 'mode' and 'p'", "{'mode': 'train'}"]),
    ("dropout_forward: p passed instead of the dict", lambda: dropout_forward(f64(2, 3), 0.5),
     V, ["dropout_param must be a dict", "0.5"]),
    ("dropout_forward: negative seed", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": 0.5, "seed": -1}),
     V, ["dropout_param['seed'] must be an integer in [0, 2**32)", "-1"]),
    ("dropout_forward: float seed", lambda: dropout_forward(f64(2, 3), {"mode": "train", "p": 0.5, "seed": 1.5}),
     V, ["dropout_param['seed']", "1.5"]),
    ("dropout_forward: integer x", lambda: dropout_forward(np.ones((2, 3), dtype=np.int64), {"mode": "train", "p": 0.5}),
     T, ["x must be a float array", "int64", "(2, 3)", "x.astype(np.float64)"]),
    ("dropout_forward: NaN in x", lambda: dropout_forward(with_nan(f64(2, 3)), {"mode": "train", "p": 0.5}),
     V, ["x of shape (2, 3) contains NaN or inf"]),
    ("dropout_backward: dout transposed", lambda: dropout_backward(f64(3, 2), DROPOUT_CACHE),
     V, ["dout of shape (3, 2)", "forward output of shape (2, 3)"]),
    ("dropout_backward: integer dout", lambda: dropout_backward(np.ones((2, 3), dtype=np.int64), DROPOUT_CACHE),
     T, ["dout must be a float array", "int64", "(2, 3)"]),
    ("dropout_backward: NaN in dout", lambda: dropout_backward(with_nan(f64(2, 3)), DROPOUT_CACHE),
     V, ["dout of shape (2, 3) contains NaN or inf"]),
    ("dropout_backward: a train-mode cache without its mask",
     lambda: dropout_backward(f64(2, 3), ({"mode": "train", "p": 0.5}, None)),
     V, ["mode 'train' but holds no mask", "the cache that dropout_forward returned"]),

    # ---- residual_forward(x, w1, b1, w2, b2), residual_backward(dout, cache) ----
    ("residual_forward: w2 maps to the wrong width", lambda: residual_forward(f64(2, 3), f64(3, 4), f64(4), f64(4, 5), f64(5)),
     V, ["x (2, 3)", "w2 (H, 3)", "got w1 (3, 4)", "w2 (4, 5)", "b2 (5,)"]),
    ("residual_forward: w1 has the wrong rows", lambda: residual_forward(f64(2, 3), f64(4, 4), f64(4), f64(4, 3), f64(3)),
     V, ["x (2, 3)", "w1 (3, H)", "got w1 (4, 4)"]),
    ("residual_forward: b1 of the wrong length", lambda: residual_forward(f64(2, 3), f64(3, 4), f64(3), f64(4, 3), f64(3)),
     V, ["b1 (H,)", "b1 (3,)"]),
    ("residual_forward: one sample as a 1-D x", lambda: residual_forward(f64(3), f64(3, 4), f64(4), f64(4, 3), f64(3)),
     V, ["expected x (N, D)", "got x (3,)"]),
    ("residual_forward: integer x", lambda: residual_forward(np.ones((2, 3), dtype=np.int64), f64(3, 4), f64(4), f64(4, 3), f64(3)),
     T, ["x must be a float array", "int64", "(2, 3)"]),
    ("residual_forward: NaN in w2", lambda: residual_forward(f64(2, 3), f64(3, 4), f64(4), with_nan(f64(4, 3)), f64(3)),
     V, ["w2 of shape (4, 3) contains NaN or inf"]),
    ("residual_backward: dout transposed", lambda: residual_backward(f64(3, 2), RESIDUAL_CACHE),
     V, ["dout of shape (3, 2)", "block output of shape (2, 3)"]),
    ("residual_backward: integer dout", lambda: residual_backward(np.ones((2, 3), dtype=np.int64), RESIDUAL_CACHE),
     T, ["dout must be a float array", "int64"]),

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

    # ---- vec and Kronecker ----
    ("vec: a vector", lambda: vk.vec(f64(3)), V, ["vec takes a matrix", "(3,)"]),
    ("vec: a 3-D array", lambda: vk.vec(f64(2, 2, 2)), V, ["vec takes a matrix", "(2, 2, 2)"]),
    ("vec: unknown order", lambda: vk.vec(f64(2, 3), order="R"), V, ["'F' (columns stacked", "'C'", "'R'"]),
    ("vec: integer A", lambda: vk.vec(np.ones((2, 3), dtype=np.int64)),
     T, ["A must be a float array", "int64", "(2, 3)", "A.astype(np.float64)"]),
    ("vec: NaN", lambda: vk.vec(with_nan(f64(2, 3))), V, ["A of shape (2, 3) contains NaN or inf"]),
    ("unvec: wrong length", lambda: vk.unvec(f64(5), (2, 3)), V, ["v of shape (5,)", "matrix of shape (2, 3)"]),
    ("unvec: a matrix instead of a vector", lambda: vk.unvec(f64(2, 3), (2, 3)),
     V, ["v of shape (2, 3)", "matrix of shape (2, 3)"]),
    ("unvec: a 3-D shape", lambda: vk.unvec(f64(8), (2, 2, 2)), V, ["v of shape (8,)", "(2, 2, 2)"]),
    ("unvec: unknown order", lambda: vk.unvec(f64(6), (2, 3), order="A"), V, ["order must be", "'A'"]),
    ("matmul_jacobian: shapes do not chain", lambda: vk.matmul_jacobian(f64(2, 3), f64(4, 2)),
     V, ["X of shape (N, D)", "X (2, 3)", "W (4, 2)"]),
    ("matmul_jacobian: W transposed", lambda: vk.matmul_jacobian(f64(2, 3), f64(2, 3)), V, ["X (2, 3)", "W (2, 3)"]),
    ("matmul_jacobian: 1-D W", lambda: vk.matmul_jacobian(f64(2, 3), f64(3)), V, ["X (2, 3)", "W (3,)"]),
    ("matmul_jacobian: wrt Y", lambda: vk.matmul_jacobian(f64(2, 3), f64(3, 2), wrt="Y"), V, ["'W' or 'X'", "'Y'"]),
    ("matmul_jacobian: unknown order", lambda: vk.matmul_jacobian(f64(2, 3), f64(3, 2), order="c"), V, ["'c'"]),
    ("matmul_jacobian: too large to build", lambda: vk.matmul_jacobian(np.zeros((64, 784)), np.zeros((784, 128))),
     V, ["X (64, 784)", "W (784, 128)", "822,083,584 entries", "6.58 GB", "X.T @ G"]),
    ("matmul_jacobian: integer X", lambda: vk.matmul_jacobian(np.ones((2, 3), dtype=np.int32), f64(3, 2)),
     T, ["X must be a float array", "int32", "(2, 3)"]),

    # ---- forward and reverse mode ----
    ("mlp_forward: W1 with the wrong rows", lambda: jvp_vjp.mlp_forward(f64(2, 3), f64(4, 4), f64(4, 2), f64(2, 2)),
     V, ["X (N, D), W1 (D, H)", "X (2, 3)", "W1 (4, 4)", "W2 (4, 2)", "T (2, 2)"]),
    ("mlp_forward: W2 does not chain", lambda: jvp_vjp.mlp_forward(f64(2, 3), f64(3, 4), f64(3, 2), f64(2, 2)),
     V, ["W1 (3, 4)", "W2 (3, 2)"]),
    ("mlp_forward: T transposed", lambda: jvp_vjp.mlp_forward(f64(2, 3), f64(3, 4), f64(4, 5), f64(5, 2)),
     V, ["X (2, 3)", "W2 (4, 5)", "T (5, 2)"]),
    ("mlp_forward: one sample as 1-D X", lambda: jvp_vjp.mlp_forward(f64(3), f64(3, 4), f64(4, 2), f64(2)),
     V, ["X (3,)", "T (2,)"]),
    ("mlp_forward: integer T", lambda: jvp_vjp.mlp_forward(f64(2, 3), f64(3, 4), f64(4, 2), np.ones((2, 2), dtype=int)),
     T, ["T must be a float array", "int64", "(2, 2)", "T.astype(np.float64)"]),
    ("mlp_forward: NaN in W1", lambda: jvp_vjp.mlp_forward(f64(2, 3), with_nan(f64(3, 4)), f64(4, 2), f64(2, 2)),
     V, ["W1 of shape (3, 4) contains NaN or inf"]),
    ("mlp_jvp: tangent transposed", lambda: jvp_vjp.mlp_jvp(f64(4, 3), f64(4, 2), MLP_CACHE),
     V, ["W1_dot (4, 3)", "W1 (3, 4)", "W2_dot (4, 2)"]),
    ("mlp_jvp: W2_dot of the wrong shape", lambda: jvp_vjp.mlp_jvp(f64(3, 4), f64(2), MLP_CACHE),
     V, ["W2_dot (2,)", "W2 (4, 2)"]),
    ("mlp_jvp: integer tangent", lambda: jvp_vjp.mlp_jvp(np.ones((3, 4), dtype=int), f64(4, 2), MLP_CACHE),
     T, ["W1_dot must be a float array", "(3, 4)"]),
    ("mlp_jvp: inf in a tangent", lambda: jvp_vjp.mlp_jvp(f64(3, 4), with_nan(f64(4, 2), np.inf), MLP_CACHE),
     V, ["W2_dot of shape (4, 2) contains NaN or inf"]),
    ("mlp_vjp: an array L_bar", lambda: jvp_vjp.mlp_vjp(f64(2, 2), MLP_CACHE), T, ["L_bar must be one real number"]),
    ("mlp_vjp: a boolean L_bar", lambda: jvp_vjp.mlp_vjp(True, MLP_CACHE), T, ["L_bar must be one real number", "True"]),
    ("mlp_vjp: NaN L_bar", lambda: jvp_vjp.mlp_vjp(float("nan"), MLP_CACHE), V, ["L_bar must be finite", "nan"]),
    ("mlp_vjp: a complex L_bar", lambda: jvp_vjp.mlp_vjp(1j, MLP_CACHE), T, ["L_bar must be one real number", "1j"]),
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

# ---- batch, layer, spatial and group normalization ----
TRAIN = {"mode": "train"}
BN_CACHE = bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "train"})[1]
LN_CACHE = lnorm.layernorm_forward(f64(2, 3), f64(3), f64(3), {})[1]
SBN_CACHE = bn.spatial_batchnorm_forward(f64(2, 3, 4, 5), f64(3), f64(3), {"mode": "train"})[1]
GN_CACHE = lnorm.spatial_groupnorm_forward(f64(2, 6, 1, 2), f64(1, 6, 1, 1), f64(1, 6, 1, 1), 2, {})[1]
CASES += [
    ("batchnorm_forward: one sample as a 1-D x", lambda: bn.batchnorm_forward(f64(3), f64(3), f64(3), dict(TRAIN)),
     V, ["x must have shape (N, D)", "got (3,)"]),
    ("batchnorm_forward: images", lambda: bn.batchnorm_forward(f64(2, 3, 4, 5), f64(3), f64(3), dict(TRAIN)),
     V, ["got (2, 3, 4, 5)", "spatial_batchnorm_forward"]),
    ("batchnorm_forward: gamma of the wrong length", lambda: bn.batchnorm_forward(f64(2, 3), f64(4), f64(3), dict(TRAIN)),
     V, ["gamma of shape (4,)", "x of shape (2, 3)", "(3,) or (1, 3)"]),
    ("batchnorm_forward: beta as a column", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3, 1), dict(TRAIN)),
     V, ["beta of shape (3, 1)", "x of shape (2, 3)", "(3,) or (1, 3)"]),
    ("batchnorm_forward: integer x", lambda: bn.batchnorm_forward(np.ones((2, 3), dtype=np.int64), f64(3), f64(3), dict(TRAIN)),
     T, ["x must be a float array", "int64", "(2, 3)", "x.astype(np.float64)"]),
    ("batchnorm_forward: boolean gamma", lambda: bn.batchnorm_forward(f64(2, 3), np.ones(3, dtype=bool), f64(3), dict(TRAIN)),
     T, ["gamma must be a real array", "bool", "(3,)"]),
    ("batchnorm_forward: NaN in x", lambda: bn.batchnorm_forward(with_nan(f64(2, 3)), f64(3), f64(3), dict(TRAIN)),
     V, ["x of shape (2, 3) contains NaN or inf"]),
    ("batchnorm_forward: inf in beta", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), with_nan(f64(3), np.inf), dict(TRAIN)),
     V, ["beta of shape (3,)", "finite"]),
    ("batchnorm_forward: no mode", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {}),
     V, ["bn_param['mode'] must be 'train' or 'test'", "None"]),
    ("batchnorm_forward: mode 'eval'", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "eval"}),
     V, ["'train' or 'test'", "'eval'"]),
    ("batchnorm_forward: bn_param is a string", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), "train"),
     T, ["bn_param must be a dict", "str"]),
    ("batchnorm_forward: eps = 0", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "train", "eps": 0}),
     V, ["bn_param['eps']", "got 0, 0.9"]),
    ("batchnorm_forward: momentum 1.5", lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "train", "momentum": 1.5}),
     V, ["bn_param['momentum'] <= 1", "1.5"]),
    ("batchnorm_forward: running_mean of another layer",
     lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "test", "running_mean": f64(5)}),
     V, ["bn_param['running_mean'] of shape (5,)", "x of shape (2, 3)", "expected (3,)"]),
    ("batchnorm_forward: negative running_var",
     lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "test", "running_var": -f64(3)}),
     V, ["bn_param['running_var'] of shape (3,)", "all >= 0"]),
    ("batchnorm_forward: integer running_mean",
     lambda: bn.batchnorm_forward(f64(2, 3), f64(3), f64(3), {"mode": "train", "running_mean": np.zeros(3, dtype=int)}),
     T, ["bn_param['running_mean'] must be a float array", "int64", "(3,)"]),
    ("batchnorm_backward: dout transposed", lambda: bn.batchnorm_backward(f64(3, 2), BN_CACHE),
     V, ["dout of shape (3, 2)", "layer output of shape (2, 3)"]),
    ("batchnorm_backward_alt: dout flattened", lambda: bn.batchnorm_backward_alt(f64(6), BN_CACHE),
     V, ["dout of shape (6,)", "(2, 3)"]),
    ("batchnorm_backward: integer dout", lambda: bn.batchnorm_backward(np.ones((2, 3), dtype=np.int64), BN_CACHE),
     T, ["dout must be a float array", "int64", "(2, 3)", "dout.astype(np.float64)"]),
    ("batchnorm_backward_alt: NaN in dout", lambda: bn.batchnorm_backward_alt(with_nan(f64(2, 3)), BN_CACHE),
     V, ["dout of shape (2, 3) contains NaN or inf"]),
    ("layernorm_forward: no features", lambda: lnorm.layernorm_forward(np.zeros((3, 0)), np.zeros(0), np.zeros(0), {}),
     V, ["D >= 1 features", "got (3, 0)"]),
    ("layernorm_forward: 3-D x", lambda: lnorm.layernorm_forward(f64(2, 3, 1), f64(3), f64(3), {}),
     V, ["x must have shape (N, D)", "got (2, 3, 1)"]),
    ("layernorm_forward: gamma of length N", lambda: lnorm.layernorm_forward(f64(2, 3), f64(2), f64(3), {}),
     V, ["gamma of shape (2,)", "x of shape (2, 3)", "(3,) or (1, 3)"]),
    ("layernorm_forward: integer x", lambda: lnorm.layernorm_forward(np.ones((2, 3), dtype=np.int32), f64(3), f64(3), {}),
     T, ["x must be a float array", "int32", "(2, 3)"]),
    ("layernorm_forward: ln_param is None", lambda: lnorm.layernorm_forward(f64(2, 3), f64(3), f64(3), None),
     T, ["ln_param must be a dict", "NoneType"]),
    ("layernorm_forward: negative eps", lambda: lnorm.layernorm_forward(f64(2, 3), f64(3), f64(3), {"eps": -1.0}),
     V, ["ln_param['eps'] must be a positive number", "-1.0"]),
    ("layernorm_backward: dout transposed", lambda: lnorm.layernorm_backward(f64(3, 2), LN_CACHE),
     V, ["dout of shape (3, 2)", "layer output of shape (2, 3)"]),
    ("layernorm_backward: integer dout", lambda: lnorm.layernorm_backward(np.ones((2, 3), dtype=np.int64), LN_CACHE),
     T, ["dout must be a float array", "int64", "(2, 3)"]),
    ("spatial_batchnorm_forward: a 2-D x", lambda: bn.spatial_batchnorm_forward(f64(2, 3), f64(3), f64(3), dict(TRAIN)),
     V, ["x must have shape (N, C, H, W)", "got (2, 3)"]),
    ("spatial_batchnorm_forward: gamma per position", lambda: bn.spatial_batchnorm_forward(f64(2, 3, 4, 5), f64(5), f64(3), dict(TRAIN)),
     V, ["gamma of shape (5,)", "x of shape (2, 3, 4, 5)", "(3,) or (1, 3, 1, 1)"]),
    ("spatial_batchnorm_forward: no positions", lambda: bn.spatial_batchnorm_forward(np.zeros((2, 3, 0, 5)), f64(3), f64(3), dict(TRAIN)),
     V, ["x of shape (2, 3, 0, 5)", "N·H·W = 0"]),
    ("spatial_batchnorm_backward: H and W swapped", lambda: bn.spatial_batchnorm_backward(f64(2, 3, 5, 4), SBN_CACHE),
     V, ["dout of shape (2, 3, 5, 4)", "layer output of shape (2, 3, 4, 5)"]),
    ("spatial_groupnorm_forward: G does not divide C",
     lambda: lnorm.spatial_groupnorm_forward(f64(2, 6, 1, 1), f64(1, 6, 1, 1), f64(1, 6, 1, 1), 4, {}),
     V, ["G = 4", "C = 6 channels", "x of shape (2, 6, 1, 1)"]),
    ("spatial_groupnorm_forward: G = 0", lambda: lnorm.spatial_groupnorm_forward(f64(2, 6, 1, 1), f64(1, 6, 1, 1), f64(1, 6, 1, 1), 0, {}),
     V, ["G = 0", "C = 6"]),
    ("spatial_groupnorm_forward: G = 2.0", lambda: lnorm.spatial_groupnorm_forward(f64(2, 6, 1, 1), f64(1, 6, 1, 1), f64(1, 6, 1, 1), 2.0, {}),
     V, ["G = 2.0", "whole number"]),
    ("spatial_groupnorm_forward: gamma for 5 channels",
     lambda: lnorm.spatial_groupnorm_forward(f64(2, 6, 1, 1), f64(1, 5, 1, 1), f64(1, 6, 1, 1), 2, {}),
     V, ["gamma of shape (1, 5, 1, 1)", "x of shape (2, 6, 1, 1)", "(1, 6, 1, 1) or (6,)"]),
    ("spatial_groupnorm_forward: gn_param is None",
     lambda: lnorm.spatial_groupnorm_forward(f64(2, 6, 1, 1), f64(1, 6, 1, 1), f64(1, 6, 1, 1), 2, None),
     T, ["gn_param must be a dict", "NoneType"]),
    ("spatial_groupnorm_backward: dout of another layer", lambda: lnorm.spatial_groupnorm_backward(f64(2, 6, 2, 1), GN_CACHE),
     V, ["dout of shape (2, 6, 2, 1)", "layer output of shape (2, 6, 1, 2)"]),
]

# Softmax and log-softmax over the last axis: the same rows for both.
SOFTMAX = {"softmax": (softmax_forward, softmax_backward), "log_softmax": (log_softmax_forward, log_softmax_backward)}
for name, (forward, backward) in SOFTMAX.items():
    cache = forward(f64(2, 3))[1]
    CASES += [
        (f"{name}_forward: integer x", lambda f=forward: f(np.arange(6).reshape(2, 3)),
         T, ["x must be a float array", "int64", "(2, 3)", "x.astype(np.float64)"]),
        (f"{name}_forward: a scalar", lambda f=forward: f(np.float64(1.5)), V, ["(..., C)", "C >= 1", "got ()"]),
        (f"{name}_forward: no classes", lambda f=forward: f(np.zeros((3, 0))), V, ["C >= 1", "got (3, 0)"]),
        (f"{name}_forward: NaN", lambda f=forward: f(with_nan(f64(2, 3))), V, ["x of shape (2, 3) contains NaN or inf"]),
        (f"{name}_forward: inf", lambda f=forward: f(with_nan(f64(2, 3), np.inf)), V, ["x of shape (2, 3) contains NaN or inf"]),
        (f"{name}_backward: dout transposed", lambda b=backward, c=cache: b(f64(3, 2), c),
         V, ["dout of shape (3, 2)", "forward output of shape (2, 3)"]),
        (f"{name}_backward: dout of one row", lambda b=backward, c=cache: b(f64(1, 3), c),
         V, ["dout of shape (1, 3)", "forward output of shape (2, 3)"]),
        (f"{name}_backward: integer dout", lambda b=backward, c=cache: b(np.ones((2, 3), dtype=np.int64), c),
         T, ["dout must be a float array", "int64", "(2, 3)"]),
        (f"{name}_backward: NaN in dout", lambda b=backward, c=cache: b(with_nan(f64(2, 3)), c),
         V, ["dout of shape (2, 3) contains NaN or inf"]),
    ]

# Attention: q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv), a boolean mask broadcasting to (..., Tq, Tk).
ATTN_CACHE = attention_forward(f64(3, 2), f64(4, 2), f64(4, 5))[1]      # out (3, 5)
MH = dict(wq=f64(4, 6), wk=f64(4, 6), wv=f64(4, 4), wo=f64(4, 3), heads=2)   # D = 4, H = 2, d = 3, dv = 2, M = 3
MH_CACHE = multihead_attention_forward(f64(2, 3, 4), **MH)[1]           # y (2, 3, 3)
CAUSAL = np.tril(np.ones((3, 3), dtype=bool))
CASES += [
    ("attention_forward: q and k of different widths", lambda: attention_forward(f64(3, 2), f64(4, 3), f64(4, 5)),
     V, ["q (3, 2)", "k (4, 3)", "v (4, 5)", "same width d"]),
    ("attention_forward: k and v of different lengths", lambda: attention_forward(f64(3, 2), f64(4, 2), f64(5, 2)),
     V, ["k (4, 2)", "v (5, 2)", "same length Tk"]),
    ("attention_forward: batches differ", lambda: attention_forward(f64(2, 3, 2), f64(3, 4, 2), f64(3, 4, 2)),
     V, ["q (2, 3, 2)", "k (3, 4, 2)", "equal leading axes"]),
    ("attention_forward: a batch for q only", lambda: attention_forward(f64(2, 3, 2), f64(4, 2), f64(4, 2)),
     V, ["q (2, 3, 2)", "k (4, 2)", "v (4, 2)"]),
    ("attention_forward: 1-D q", lambda: attention_forward(f64(2), f64(4, 2), f64(4, 2)),
     V, ["q (2,)", "(..., Tq, d)"]),
    ("attention_forward: no keys", lambda: attention_forward(f64(3, 2), np.zeros((0, 2)), np.zeros((0, 2))),
     V, ["k (0, 2)", "Tk >= 1"]),
    ("attention_forward: width 0", lambda: attention_forward(np.zeros((3, 0)), np.zeros((4, 0)), f64(4, 2)),
     V, ["q (3, 0)", "d >= 1"]),
    ("attention_forward: mask transposed", lambda: attention_forward(f64(3, 2), f64(4, 2), f64(4, 2), np.ones((4, 3), dtype=bool)),
     V, ["mask of shape (4, 3)", "(3, 4)", "q (3, 2)"]),
    ("attention_forward: mask with a larger batch", lambda: attention_forward(f64(3, 2), f64(4, 2), f64(4, 2), np.ones((2, 3, 4), dtype=bool)),
     V, ["mask of shape (2, 3, 4)", "(3, 4)"]),
    ("attention_forward: a 0/1 float mask", lambda: attention_forward(f64(3, 2), f64(4, 2), f64(4, 2), np.ones((3, 4))),
     T, ["mask must be boolean", "float64", "(3, 4)", "mask.astype(bool)"]),
    ("attention_forward: a query with no key", lambda: attention_forward(f64(3, 2), f64(3, 2), f64(3, 2), ~CAUSAL),
     V, ["mask of shape (3, 3)", "index (2,)", "no key"]),
    ("attention_forward: integer q", lambda: attention_forward(np.ones((3, 2), dtype=int), f64(4, 2), f64(4, 2)),
     T, ["q must be a float array", "int64", "(3, 2)", "q.astype(np.float64)"]),
    ("attention_forward: scores beyond float32", lambda: attention_forward(np.full((3, 2), 1e20, dtype=np.float32),
                                                                           np.full((4, 2), 1e20, dtype=np.float32), f64(4, 2)),
     V, ["overflow float32", "q (3, 2)", "k (4, 2)"]),
    ("attention_forward: NaN in v", lambda: attention_forward(f64(3, 2), f64(4, 2), with_nan(f64(4, 2))),
     V, ["v of shape (4, 2) contains NaN or inf"]),
    ("attention_backward: dout transposed", lambda: attention_backward(f64(5, 3), ATTN_CACHE),
     V, ["dout of shape (5, 3)", "forward output of shape (3, 5)"]),
    ("attention_backward: integer dout", lambda: attention_backward(np.ones((3, 5), dtype=int), ATTN_CACHE),
     T, ["dout must be a float array", "int64", "(3, 5)"]),
    ("attention_backward: inf in dout", lambda: attention_backward(with_nan(f64(3, 5), np.inf), ATTN_CACHE),
     V, ["dout of shape (3, 5) contains NaN or inf"]),
    ("multihead_attention_forward: wq rows do not match x", lambda: multihead_attention_forward(f64(2, 3, 5), **MH),
     V, ["x (2, 3, 5)", "wq (4, 6)", "wo (4, 3)", "H = 2"]),
    ("multihead_attention_forward: heads do not divide H*d", lambda: multihead_attention_forward(f64(2, 3, 4), **{**MH, "heads": 4}),
     V, ["wq (4, 6)", "H = 4"]),
    ("multihead_attention_forward: wo rows are not H*dv", lambda: multihead_attention_forward(f64(2, 3, 4), **{**MH, "wo": f64(6, 3)}),
     V, ["wv (4, 4)", "wo (6, 3)"]),
    ("multihead_attention_forward: heads = 0", lambda: multihead_attention_forward(f64(2, 3, 4), **{**MH, "heads": 0}),
     V, ["heads must be a positive integer", "0"]),
    ("multihead_attention_forward: heads = 2.0", lambda: multihead_attention_forward(f64(2, 3, 4), **{**MH, "heads": 2.0}),
     T, ["heads must be a positive integer", "2.0"]),
    ("multihead_attention_forward: mask of another length", lambda: multihead_attention_forward(f64(2, 3, 4), **MH, mask=np.ones((4, 4), dtype=bool)),
     V, ["mask of shape (4, 4)", "(2, 3, 3)", "x (2, 3, 4)"]),
    ("multihead_attention_forward: integer x", lambda: multihead_attention_forward(np.ones((2, 3, 4), dtype=int), **MH),
     T, ["x must be a float array", "int64", "(2, 3, 4)"]),
    ("multihead_attention_backward: dout of the wrong width", lambda: multihead_attention_backward(f64(2, 3, 4), MH_CACHE),
     V, ["dout of shape (2, 3, 4)", "forward output of shape (2, 3, 3)"]),
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
        (f"{name}: boolean b", lambda f=forward: f(f64(2, 3, 5, 5), f64(2, 3, 3, 3), np.ones(2, dtype=bool), CONV_P),
         T, ["b must be a float array", "bool", "(2,)", "b.astype(np.float64)"]),
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


@pytest.mark.parametrize("name", SOFTMAX)
def test_empty_batch_softmax_layers_work(name):
    """N = 0 rows of C = 3 classes: nothing to normalize, an empty result (unlike the loss, no mean is taken)."""
    forward, backward = SOFTMAX[name]
    out, cache = forward(np.zeros((0, 3)))
    assert out.shape == (0, 3) and backward(np.zeros((0, 3)), cache).shape == (0, 3)


def test_empty_batch_attention_works():
    """N = 0 sequences, or Tq = 0 queries: empty outputs; dk and dv are then empty sums, exact zeros.
    No keys at all (Tk = 0) is refused above: a query needs a key to average over."""
    out, cache = attention_forward(np.zeros((0, 3, 2)), np.zeros((0, 4, 2)), np.zeros((0, 4, 5)))
    assert out.shape == (0, 3, 5)
    assert [g.shape for g in attention_backward(np.zeros((0, 3, 5)), cache)] == [(0, 3, 2), (0, 4, 2), (0, 4, 5)]
    out, cache = attention_forward(np.zeros((0, 2)), f64(4, 2), f64(4, 5))
    dq, dk, dv = attention_backward(np.zeros((0, 5)), cache)
    assert out.shape == (0, 5) and dq.shape == (0, 2)
    np.testing.assert_array_equal(dk, np.zeros((4, 2)))
    np.testing.assert_array_equal(dv, np.zeros((4, 5)))


def test_empty_batch_softmax_refuses():
    """The softmax loss is a mean over N; for N = 0 that is 0/0."""
    with pytest.raises(ValueError) as info:
        softmax_loss(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    assert "got (0, 3); the mean over N = 0 samples is undefined" in str(info.value)


def test_empty_batch_svm_refuses():
    """The SVM loss is a mean over N, like the softmax loss."""
    with pytest.raises(ValueError) as info:
        svm_loss(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    assert "got (0, 3); the mean over N = 0 samples is undefined" in str(info.value)


def test_empty_batch_dropout_and_residual_work():
    """Element-wise (dropout) and per-sample (residual) layers: an empty batch in, an empty batch out."""
    out, cache = dropout_forward(np.zeros((0, 3)), {"mode": "train", "p": 0.5, "seed": 0})
    assert out.shape == dropout_backward(np.zeros((0, 3)), cache).shape == (0, 3)
    y, cache = residual_forward(np.zeros((0, 3)), f64(3, 4), f64(4), f64(4, 3), f64(3))
    dx, dw1, db1, dw2, db2 = residual_backward(np.zeros((0, 3)), cache)
    assert y.shape == dx.shape == (0, 3)
    for g, like in [(dw1, (3, 4)), (db1, (4,)), (dw2, (4, 3)), (db2, (3,))]:
        np.testing.assert_array_equal(g, np.zeros(like))


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


def test_empty_batch_normalization_decisions():
    """Training-mode batch norm (plain and spatial) needs a batch mean: N = 0 is refused. Test mode,
    layer norm and group norm normalize each sample alone, so N = 0 works and dgamma, dbeta are zeros."""
    with pytest.raises(ValueError, match=r"x of shape \(0, 3\): the batch mean over N = 0 samples is undefined"):
        bn.batchnorm_forward(np.zeros((0, 3)), f64(3), f64(3), {"mode": "train"})
    with pytest.raises(ValueError, match="N·H·W = 0"):
        bn.spatial_batchnorm_forward(np.zeros((0, 3, 2, 2)), f64(3), f64(3), {"mode": "train"})
    calls = [
        (lambda: bn.batchnorm_forward(np.zeros((0, 3)), f64(3), f64(3), {"mode": "test"}), bn.batchnorm_backward, (0, 3)),
        (lambda: bn.spatial_batchnorm_forward(np.zeros((0, 3, 2, 2)), f64(3), f64(3), {"mode": "test"}),
         bn.spatial_batchnorm_backward, (0, 3, 2, 2)),
        (lambda: lnorm.layernorm_forward(np.zeros((0, 3)), f64(3), f64(3), {}), lnorm.layernorm_backward, (0, 3)),
        (lambda: lnorm.spatial_groupnorm_forward(np.zeros((0, 4, 2, 2)), f64(4), f64(4), 2, {}),
         lnorm.spatial_groupnorm_backward, (0, 4, 2, 2)),
    ]
    for forward, backward, shape in calls:
        out, cache = forward()
        dx, dgamma, dbeta = backward(np.zeros(shape), cache)
        assert out.shape == dx.shape == shape
        assert not dgamma.any() and not dbeta.any() and dgamma.size == shape[1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_normalization(dtype):
    """Every value of EXTREMES in one feature, next to a constant feature: finite, no warning, no underflow error.
    By hand: the constant feature comes out as beta exactly, and its x-hat is 0."""
    x = np.stack([EXTREMES, np.full(17, 1e4)], axis=1).astype(dtype)               # (17, 2)
    dout = np.stack([EXTREMES[::-1], EXTREMES], axis=1).astype(dtype)              # (17, 2)
    gamma, beta = np.array([1e4, -1e4], dtype=dtype), np.array([3.0, 0.5], dtype=dtype)
    runs = [
        (lambda: bn.batchnorm_forward(x, gamma, beta, {"mode": "train"}), bn.batchnorm_backward, dout),
        (lambda: bn.batchnorm_forward(x, gamma, beta, {"mode": "train"}), bn.batchnorm_backward_alt, dout),
        (lambda: lnorm.layernorm_forward(x.T, np.ones(17), np.zeros(17), {}), lnorm.layernorm_backward, dout.T),
        (lambda: bn.spatial_batchnorm_forward(x.T.reshape(1, 2, 17, 1), gamma, beta, {"mode": "train"}),
         bn.spatial_batchnorm_backward, dout.T.reshape(1, 2, 17, 1)),
        (lambda: lnorm.spatial_groupnorm_forward(x.T.reshape(1, 2, 17, 1), gamma, beta, 2, {}),
         lnorm.spatial_groupnorm_backward, dout.T.reshape(1, 2, 17, 1)),
    ]
    for forward, backward, upstream in runs:
        out, cache = strictly(forward)
        grads = strictly(lambda: backward(upstream, cache))
        assert out.dtype == dtype and np.isfinite(out).all()
        assert all(g.dtype == dtype and np.isfinite(g).all() for g in grads)
    out, _ = strictly(lambda: bn.batchnorm_forward(x, gamma, beta, {"mode": "train"}))
    assert np.all(out[:, 1] == np.float32(0.5))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", SOFTMAX)
def test_extreme_inputs_through_softmax_layers(name, dtype):
    forward, backward = SOFTMAX[name]
    x = np.vstack([EXTREMES, EXTREMES[::-1], np.full(17, -1e4)]).astype(dtype)   # (3, 17)
    out, cache = strictly(lambda: forward(x))
    dx = strictly(lambda: backward(np.linspace(-1, 1, 51).reshape(3, 17).astype(dtype), cache))
    assert out.dtype == dx.dtype == dtype
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    if name == "softmax":   # by hand: the 1e4 entry takes everything; a constant row is uniform
        assert out[0, -1] == 1.0 and out[1, 0] == 1.0 and out[0, :-1].max() == 0.0
        np.testing.assert_allclose(out[2], 1 / 17, rtol=1e-6)
    else:                   # by hand: log p = x - 1e4 exactly, the winner's log p = 0
        assert out[0, -1] == 0.0 and out[0, 0] == -2e4
        np.testing.assert_allclose(out[2], -np.log(17), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("masked", [False, True])
def test_extreme_scores_through_attention(dtype, masked):
    """Scores q.k/sqrt(d) from -1e4 to 1e4 (q, k built from EXTREMES): finite, no warning, dtype kept."""
    q = np.stack([EXTREMES / 100, np.ones(17)], axis=1).astype(dtype)   # (17, 2)
    k = np.array([[100 * np.sqrt(2), 0.0], [-100 * np.sqrt(2), 0.0], [0.0, 0.0]], dtype=dtype)   # (3, 2)
    v = np.array([[1.0, -1.0], [2.0, 5.0], [0.0, 3.0]], dtype=dtype)    # (3, 2)
    mask = np.array([True, True, False]) if masked else None             # key 2 hidden from every query
    out, cache = strictly(lambda: attention_forward(q, k, v, mask))
    grads = strictly(lambda: attention_backward(np.ones_like(out), cache))
    assert out.dtype == dtype and all(g.dtype == dtype for g in grads)
    assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)
    # by hand: query 0 scores (-1e4, 1e4, 0): key 1 wins; the last query (1e4, -1e4, 0): key 0 wins
    np.testing.assert_allclose(out[0], v[1])
    np.testing.assert_allclose(out[-1], v[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_forward_and_reverse_mode(dtype):
    X = EXTREMES.astype(dtype).reshape(1, -1)                              # (1, 17)
    W1 = np.stack([EXTREMES, EXTREMES[::-1]], axis=1).astype(dtype)        # (17, 2)
    W2 = np.array([[1e4, -1e4], [-1.0, 1e4]], dtype=dtype)                 # (2, 2)
    T = np.array([[1e4, -1e4]], dtype=dtype)                               # (1, 2)
    L, cache = strictly(lambda: jvp_vjp.mlp_forward(X, W1, W2, T))
    dW1, dW2 = strictly(lambda: jvp_vjp.mlp_vjp(1.0, cache))
    L_dot = strictly(lambda: jvp_vjp.mlp_jvp(W1, W2, cache))
    assert np.isfinite(L) and np.isfinite(L_dot) and dW1.dtype == dW2.dtype == dtype
    assert np.isfinite(dW1).all() and np.isfinite(dW2).all()
    J = strictly(lambda: vk.matmul_jacobian(X, W1, "W", "F"))              # (2, 34)
    assert J.dtype == dtype and np.isfinite(J).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_svm_loss(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 1e4, 1e4]], dtype=dtype)   # (3, 3)
    y = np.array([1, 2, 0])
    loss, dx = strictly(lambda: svm_loss(x, y))
    assert np.isfinite(loss) and np.isfinite(dx).all() and dx.dtype == dtype
    # By hand, margins x_j - x_y + 1 over j != y: row 0: 2e4 + 1 and 1e4 + 1; row 1: 1 and 1 (all equal);
    # row 2: 1e4 + 1 twice. Sum 2e4 + 1 + 1e4 + 1 + 2 + 2e4 + 2 = 5e4 + 6, over N = 3.
    assert loss == pytest.approx((5e4 + 6) / 3, rel=1e-6)
    np.testing.assert_array_equal(dx * 3, [[1, -2, 1], [1, 1, -2], [-2, 1, 1]])
    wide = np.vstack([EXTREMES, EXTREMES[::-1]]).astype(dtype)             # (2, 17)
    loss, dx = strictly(lambda: svm_loss(wide, np.array([0, 5])))
    assert np.isfinite(loss) and np.isfinite(dx).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_through_dropout_and_the_residual_block(dtype):
    x = EXTREMES.astype(dtype).reshape(1, -1)                              # (1, 17)
    out, cache = strictly(lambda: dropout_forward(x, {"mode": "train", "p": 0.3, "seed": 2}))
    dx = strictly(lambda: dropout_backward(np.ones_like(x), cache))
    assert out.dtype == dx.dtype == dtype and np.isfinite(out).all() and np.isfinite(dx).all()
    xr = EXTREMES.astype(dtype).reshape(-1, 1)                             # (17, 1)
    w = np.array([[1.0]], dtype=dtype)
    y, cache = strictly(lambda: residual_forward(xr, w, np.zeros(1, dtype), w, np.zeros(1, dtype)))
    # by hand: y = x + relu(x), so 2x for x > 0 and x otherwise; dx = 1 + [x > 0]
    np.testing.assert_array_equal(y[:, 0], np.where(xr[:, 0] > 0, 2 * xr[:, 0], xr[:, 0]))
    dxr = strictly(lambda: residual_backward(np.ones_like(xr), cache))[0]
    np.testing.assert_array_equal(dxr[:, 0], np.where(xr[:, 0] > 0, 2.0, 1.0))


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
