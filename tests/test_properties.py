"""Property tests: every backward function agrees with centered finite differences.

For random shapes (batch N = 1..8, one to three feature axes, 1..6 outputs) and random
values, each analytic gradient is compared with centered differences of the forward
pass (or of the loss), taken in float64 by a local helper that shares no code with the
snippets. Each forward value is also checked against an independent one-line formula,
so a forward pass and a backward pass that are wrong in the same way cannot agree.

float64: norm-wise relative error ||analytic - numeric|| / (||analytic|| + ||numeric||)
below 1e-6 (measured worst case over all examples: 4e-8, most are near 1e-10).
float32: the analytic gradient is computed in float32 and compared loosely (below 1e-4;
measured worst case 3e-6) with differences taken in float64 at the float32 inputs cast
up (a float32 step of 1e-5 is mostly round-off; see docs/gradient-checking.md).

Reproducible: hypothesis runs derandomized, without its example database, and
prints the falsifying example (shapes and seed) and a reproduction blob.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import activations
import batchnorm
import delta
import layernorm
import jvp_vjp
import vec_kronecker
from affine import affine_backward, affine_forward
from bias_gradient import bias_backward, bias_forward
from softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward
from attention import (attention_backward, attention_forward, multihead_attention_backward,
                       multihead_attention_forward)
from dropout import dropout_backward, dropout_forward
from losses import mse_loss, softmax_loss, sum_loss, svm_loss
from residual import residual_backward, residual_forward
from convolution import conv_backward_naive, conv_forward_naive
from im2col import conv_backward_im2col, conv_forward_im2col
from pooling import max_pool_backward_naive, max_pool_forward_naive

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True)
H = 1e-5                                   # float64 step: measured worst error 4e-8 (1e-6 gives 3e-7: round-off)
TOL = {np.float64: 1e-6, np.float32: 1e-4}  # norm-wise relative error
ATOL = 1e-8                                # for gradients that are (almost) all zero

seeds = st.integers(0, 2**32 - 1)
batch = st.integers(1, 8)
features = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)   # (d1,), (d1, d2) or (d1, d2, d3)
outputs = st.integers(1, 6)
dtypes = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])


# ---- the independent route: centered differences in float64 -------------------------

def numerical_vjp(f, inputs, dout=1.0, h=H):
    """Centered differences of L = sum(dout * f(*inputs)) with respect to every input.

    Works on private float64 copies; each entry is moved by +h and -h and put back.
    """
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    dout = np.asarray(dout, dtype=np.float64)
    grads = []
    for a in inputs:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            up = np.sum(dout * np.asarray(f(*inputs), dtype=np.float64))
            a[idx] = old - h
            down = np.sum(dout * np.asarray(f(*inputs), dtype=np.float64))
            a[idx] = old
            g[idx] = (up - down) / ((old + h) - (old - h))
        grads.append(g)
    return grads


def assert_gradient(analytic, numeric, dtype, what):
    """Norm-wise relative error ||a - n|| / (||a|| + ||n||), with a tiny absolute floor."""
    a = np.asarray(analytic)
    assert a.shape == numeric.shape, f"{what}: shape {a.shape}, expected {numeric.shape}"
    assert a.dtype == dtype, f"{what}: dtype {a.dtype}, expected {np.dtype(dtype)}"
    a = a.astype(np.float64)
    err, scale = np.linalg.norm(a - numeric), np.linalg.norm(a) + np.linalg.norm(numeric)
    assert err <= TOL[dtype] * scale + ATOL, (
        f"{what}: norm-wise relative error {err / max(scale, 1e-300):.3e} > {TOL[dtype]:g} "
        f"(||analytic - numeric|| = {err:.3e}, shape {a.shape})")


def away_from_zero(x, margin=1e-2):
    """Move entries out of (-margin, margin), keeping their sign: no input within h of a kink."""
    return np.where(x >= 0, x + margin, x - margin)


def draw(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


# ---- the affine layer ----------------------------------------------------------------

def check_affine(x, w, b, dout, dtype, backward=affine_backward):
    out, cache = affine_forward(x, w, b)
    X64, w64, b64 = x.reshape(x.shape[0], -1).astype(np.float64), w.astype(np.float64), b.astype(np.float64)
    np.testing.assert_allclose(out, X64 @ w64 + b64.reshape(1, -1), rtol=10 * TOL[dtype], atol=1e-6)
    dx, dw, db = backward(dout, cache)
    nx, nw, nb = numerical_vjp(lambda x, w, b: affine_forward(x, w, b)[0], [x, w, b], dout)
    assert_gradient(dx, nx, dtype, "dx")
    assert_gradient(dw, nw, dtype, "dw")
    assert_gradient(db, nb, dtype, "db")


@dtypes
@SETTINGS
@given(seed=seeds, N=batch, dims=features, M=outputs, row_bias=st.booleans())
def test_affine_backward(dtype, seed, N, dims, M, row_bias):
    rng = np.random.default_rng(seed)
    x = draw(rng, (N, *dims), dtype)                            # (N, d1, ..., dk)
    w = draw(rng, (math.prod(dims), M), dtype)                  # (D, M)
    b = draw(rng, (1, M) if row_bias else (M,), dtype)          # (1, M) or (M,)
    check_affine(x, w, b, draw(rng, (N, M), dtype), dtype)


# ---- the activations, as functions and as I2DL-style classes --------------------------

ACTIVATIONS = {
    # name: (forward, backward, independent formula, needs inputs away from the kink)
    "sigmoid": (activations.sigmoid_forward, activations.sigmoid_backward,
                lambda x: 0.5 * (1 + np.tanh(x / 2)), False),
    "tanh": (activations.tanh_forward, activations.tanh_backward,
             lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1), False),
    "relu": (activations.relu_forward, activations.relu_backward, lambda x: x * (x > 0), True),
    "leaky_relu": (lambda x: activations.leaky_relu_forward(x, 0.1), activations.leaky_relu_backward,
                   lambda x: np.where(x > 0, x, 0.1 * x), True),
    "square": (activations.square_forward, activations.square_backward, lambda x: x ** 2, False),
    "Sigmoid": (activations.Sigmoid().forward, activations.Sigmoid().backward,
                lambda x: 0.5 * (1 + np.tanh(x / 2)), False),
    "Tanh": (activations.Tanh().forward, activations.Tanh().backward, np.tanh, False),
    "Relu": (activations.Relu().forward, activations.Relu().backward, lambda x: np.maximum(x, 0), True),
    "LeakyRelu": (activations.LeakyRelu(0.2).forward, activations.LeakyRelu(0.2).backward,
                  lambda x: np.where(x > 0, x, 0.2 * x), True),
}


def check_activation(name, x, dout, dtype, backward=None):
    forward, real_backward, formula, _ = ACTIVATIONS[name]
    out, cache = forward(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, formula(x.astype(np.float64)), rtol=10 * TOL[dtype], atol=1e-7)
    dx = (backward or real_backward)(dout, cache)
    (nx,) = numerical_vjp(lambda x: forward(x)[0], [x], dout)
    assert_gradient(dx, nx, dtype, f"{name}: dx")


@dtypes
@pytest.mark.parametrize("name", ACTIVATIONS)
@SETTINGS
@given(seed=seeds, N=batch, dims=features)
def test_activation_backward(name, dtype, seed, N, dims):
    rng = np.random.default_rng(seed)
    x = draw(rng, (N, *dims), np.float64, scale=2.0)           # (N, d1, ..., dk), mostly |x| < 6
    if ACTIVATIONS[name][3]:
        x = away_from_zero(x)                                   # no entry within h of the kink at 0
    check_activation(name, x.astype(dtype), draw(rng, x.shape, dtype), dtype)


# ---- the losses ----------------------------------------------------------------------

@dtypes
@SETTINGS
@given(seed=seeds, N=batch, dims=features)
def test_sum_loss_gradient(dtype, seed, N, dims):
    y = draw(np.random.default_rng(seed), (N, *dims), dtype)   # (N, d1, ..., dk)
    loss, dy = sum_loss(y)
    assert loss == pytest.approx(float(np.sum(y.astype(np.float64))), rel=TOL[dtype], abs=1e-6)
    (ny,) = numerical_vjp(lambda y: sum_loss(y)[0], [y])
    assert_gradient(dy, ny, dtype, "sum_loss: dy")


@dtypes
@SETTINGS
@given(seed=seeds, N=batch, dims=features)
def test_mse_loss_gradient(dtype, seed, N, dims):
    rng = np.random.default_rng(seed)
    y_hat, y = draw(rng, (N, *dims), dtype), draw(rng, (N, *dims), dtype)
    loss, dy_hat = mse_loss(y_hat, y)
    half_sse = lambda y_hat: 0.5 * np.sum((y_hat - y.astype(np.float64)) ** 2)   # summed, not averaged
    assert loss == pytest.approx(half_sse(y_hat.astype(np.float64)), rel=TOL[dtype])
    (n_y_hat,) = numerical_vjp(lambda y_hat: mse_loss(y_hat, y.astype(np.float64))[0], [y_hat])
    assert_gradient(dy_hat, n_y_hat, dtype, "mse_loss: dy_hat")


def log_softmax_loss(x, y):
    """-(1/N) sum_i log softmax(x_i)[y_i], through np.logaddexp instead of a max shift."""
    return float(np.mean(np.logaddexp.reduce(x, axis=1) - x[np.arange(len(y)), y]))


@dtypes
@SETTINGS
@given(seed=seeds, N=batch, C=outputs)
def test_softmax_loss_gradient(dtype, seed, N, C):
    rng = np.random.default_rng(seed)
    x = draw(rng, (N, C), dtype, scale=3.0)                     # (N, C) scores
    y = rng.integers(0, C, size=N)                              # (N,) labels in [0, C)
    loss, dx = softmax_loss(x, y)
    assert loss == pytest.approx(log_softmax_loss(x.astype(np.float64), y), rel=TOL[dtype], abs=1e-6)
    (nx,) = numerical_vjp(lambda x: softmax_loss(x, y)[0], [x])
    assert_gradient(dx, nx, dtype, "softmax_loss: dx")


# ---- softmax and log-softmax as layers (docs/softmax-layer.md) ----------------------------

SOFTMAX_LAYERS = {  # name: (forward, backward, independent formula through np.logaddexp, no max shift)
    "softmax": (softmax_forward, softmax_backward,
                lambda x: np.exp(x - np.logaddexp.reduce(x, axis=-1, keepdims=True))),
    "log_softmax": (log_softmax_forward, log_softmax_backward,
                    lambda x: x - np.logaddexp.reduce(x, axis=-1, keepdims=True)),
}
leading = st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple)   # (), (N,) or (N, H)


def check_softmax_layer(name, x, dout, dtype, backward=None):
    forward, real_backward, formula = SOFTMAX_LAYERS[name]
    out, cache = forward(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, formula(x.astype(np.float64)), rtol=10 * TOL[dtype], atol=1e-6)
    dx = (backward or real_backward)(dout, cache)
    (nx,) = numerical_vjp(lambda x: forward(x)[0], [x], dout)
    assert_gradient(dx, nx, dtype, f"{name}: dx")


@dtypes
@pytest.mark.parametrize("name", SOFTMAX_LAYERS)
@SETTINGS
@given(seed=seeds, lead=leading, C=outputs)
def test_softmax_layer_backward(name, dtype, seed, lead, C):
    rng = np.random.default_rng(seed)
    x = draw(rng, (*lead, C), dtype, scale=3.0)                 # (..., C) scores
    check_softmax_layer(name, x, draw(rng, x.shape, dtype), dtype)


# ---- scaled dot-product attention and multi-head attention (docs/attention.md) ------------

ATTENTION_SETTINGS = settings(SETTINGS, max_examples=25)   # each example differentiates every entry of q, k, v
small = st.integers(1, 4)


def attention_formula(q, k, v, mask):
    """softmax(q k^T / sqrt(d)) v by einsum, the softmax through np.logaddexp over the allowed keys."""
    s = np.einsum("...id,...jd->...ij", q, k) / math.sqrt(q.shape[-1])
    s = np.where(mask, s, -np.inf) if mask is not None else s
    return np.einsum("...ij,...jv->...iv", np.exp(s - np.logaddexp.reduce(s, axis=-1, keepdims=True)), v)


def random_mask(rng, shape):
    """A boolean mask in which every query keeps at least one key (chosen at random)."""
    mask = rng.random(shape) < 0.5                              # (..., Tq, Tk)
    keep = rng.integers(0, shape[-1], size=shape[:-1])          # (..., Tq)
    np.put_along_axis(mask, keep[..., None], True, axis=-1)
    return mask


@dtypes
@ATTENTION_SETTINGS
@given(seed=seeds, lead=st.lists(st.integers(1, 2), max_size=2).map(tuple), Tq=small, Tk=small,
       d=st.integers(1, 3), dv=st.integers(1, 3), masked=st.booleans())
def test_attention_backward(dtype, seed, lead, Tq, Tk, d, dv, masked):
    rng = np.random.default_rng(seed)
    q, k, v = draw(rng, (*lead, Tq, d), dtype), draw(rng, (*lead, Tk, d), dtype), draw(rng, (*lead, Tk, dv), dtype)
    mask = random_mask(rng, (*lead, Tq, Tk)) if masked else None
    out, cache = attention_forward(q, k, v, mask)
    assert out.dtype == dtype
    f64 = [a.astype(np.float64) for a in (q, k, v)]
    np.testing.assert_allclose(out, attention_formula(*f64, mask), rtol=10 * TOL[dtype], atol=1e-6)
    dout = draw(rng, out.shape, dtype)
    numeric = numerical_vjp(lambda q, k, v: attention_forward(q, k, v, mask)[0], [q, k, v], dout)
    for name, g, n in zip(("dq", "dk", "dv"), attention_backward(dout, cache), numeric):
        assert_gradient(g, n, dtype, f"attention: {name}")


@dtypes
@settings(SETTINGS, max_examples=15)
@given(seed=seeds, N=st.integers(1, 2), T=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 2),
       d=st.integers(1, 2), dv=st.integers(1, 2), M=st.integers(1, 3), causal=st.booleans())
def test_multihead_attention_backward(dtype, seed, N, T, D, H, d, dv, M, causal):
    rng = np.random.default_rng(seed)
    params = [draw(rng, shape, dtype) for shape in ((N, T, D), (D, H * d), (D, H * d), (D, H * dv), (H * dv, M))]
    mask = np.tril(np.ones((T, T), dtype=bool)) if causal else None
    y, cache = multihead_attention_forward(*params, H, mask)
    assert y.dtype == dtype
    x, wq, wk, wv, wo = (a.astype(np.float64) for a in params)
    split = lambda a, w: np.swapaxes(a.reshape(N, T, H, w), 1, 2)   # (N, H, T, w): head h = columns h*w..(h+1)*w-1
    o = attention_formula(split(x @ wq, d), split(x @ wk, d), split(x @ wv, dv), mask)   # (N, H, T, dv)
    np.testing.assert_allclose(y, np.swapaxes(o, 1, 2).reshape(N, T, H * dv) @ wo, rtol=10 * TOL[dtype], atol=1e-5)
    dout = draw(rng, y.shape, dtype)
    numeric = numerical_vjp(lambda *p: multihead_attention_forward(*p, H, mask)[0], params, dout)
    for name, g, n in zip(("dx", "dwq", "dwk", "dwv", "dwo"), multihead_attention_backward(dout, cache), numeric):
        assert_gradient(g, n, dtype, f"multihead: {name}")


def hinge_loss(x, y):
    """(1/N) sum_i sum_j max(0, x_ij - x_iy_i + 1) - 1: the sum over all j counts j = y_i as max(0, 1) = 1."""
    N = x.shape[0]
    return float(np.sum(np.maximum(0.0, x - x[np.arange(N), y][:, None] + 1.0)) / N - 1.0)


@dtypes
@SETTINGS
@given(seed=seeds, N=batch, C=outputs)
def test_svm_loss_gradient(dtype, seed, N, C):
    rng = np.random.default_rng(seed)
    x = draw(rng, (N, C), dtype, scale=2.0)                     # (N, C) scores
    y = rng.integers(0, C, size=N)                              # (N,) labels in [0, C)
    margins = x.astype(np.float64) - x.astype(np.float64)[np.arange(N), y][:, None] + 1.0
    margins[np.arange(N), y] = 5.0                              # the correct class is not a margin
    assume(np.abs(margins).min() > 1e-2)                        # no margin within h of the kink
    loss, dx = svm_loss(x, y)
    assert loss == pytest.approx(hinge_loss(x.astype(np.float64), y), rel=TOL[dtype], abs=1e-6)
    (nx,) = numerical_vjp(lambda x: svm_loss(x, y)[0], [x])
    assert_gradient(dx, nx, dtype, "svm_loss: dx")


# ---- dropout and the residual block --------------------------------------------------

@dtypes
@SETTINGS
@given(seed=seeds, N=batch, dims=features, p=st.floats(0.05, 1.0), mask_seed=st.integers(0, 2**32 - 1))
def test_dropout_backward(dtype, seed, N, dims, p, mask_seed):
    rng = np.random.default_rng(seed)
    x, dout = draw(rng, (N, *dims), dtype), draw(rng, (N, *dims), dtype)
    param = {"mode": "train", "p": p, "seed": mask_seed}
    out, cache = dropout_forward(x, param)
    keep = np.random.RandomState(mask_seed).random_sample((N, *dims)) < p   # independent: the same stream
    np.testing.assert_allclose(out, np.where(keep, x.astype(np.float64) / p, 0.0), rtol=10 * TOL[dtype])
    (nx,) = numerical_vjp(lambda x: dropout_forward(x, param)[0], [x], dout)
    assert_gradient(dropout_backward(dout, cache), nx, dtype, "dropout: dx")
    test_out, test_cache = dropout_forward(x, {**param, "mode": "test"})
    assert np.array_equal(test_out, x) and np.array_equal(dropout_backward(dout, test_cache), dout)


@dtypes
@SETTINGS
@given(seed=seeds, N=batch, D=st.integers(1, 4), H=st.integers(1, 5))
def test_residual_backward(dtype, seed, N, D, H):
    rng = np.random.default_rng(seed)
    x, w1, b1 = draw(rng, (N, D), dtype), draw(rng, (D, H), dtype), draw(rng, (H,), dtype)
    w2, b2, dout = draw(rng, (H, D), dtype), draw(rng, (D,), dtype), draw(rng, (N, D), dtype)
    f64 = lambda a: a.astype(np.float64)
    a = f64(x) @ f64(w1) + f64(b1)                              # (N, H)
    assume(np.abs(a).min() > 1e-2)                              # no pre-activation within h of the kink
    y, cache = residual_forward(x, w1, b1, w2, b2)
    independent = f64(x) + np.where(a > 0, a, 0.0) @ f64(w2) + f64(b2)   # (N, D)
    np.testing.assert_allclose(y, independent, rtol=10 * TOL[dtype], atol=1e-5)
    grads = residual_backward(dout, cache)
    numeric = numerical_vjp(lambda *v: residual_forward(*v)[0], [x, w1, b1, w2, b2], dout)
    for name, g, n in zip(["dx", "dw1", "db1", "dw2", "db2"], grads, numeric):
        assert_gradient(g, n, dtype, f"residual: {name}")


# ---- the bias broadcast --------------------------------------------------------------

@dtypes
@SETTINGS
@given(seed=seeds, N=batch, M=outputs, row_bias=st.booleans())
def test_bias_backward(dtype, seed, N, M, row_bias):
    rng = np.random.default_rng(seed)
    x, b = draw(rng, (N, M), dtype), draw(rng, (1, M) if row_bias else (M,), dtype)
    out, cache = bias_forward(x, b)
    np.testing.assert_array_equal(out, x + b.reshape(1, M))
    dout = draw(rng, (N, M), dtype)
    dx, db = bias_backward(dout, cache)
    nx, nb = numerical_vjp(lambda x, b: bias_forward(x, b)[0], [x, b], dout)
    assert_gradient(dx, nx, dtype, "dx")
    assert_gradient(db, nb, dtype, "db")


# ---- the delta recursion (column convention) ------------------------------------------

G = {  # g and g', written here independently of the snippets; g' keeps the dtype
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "square": (lambda z: z * z, lambda z: 2 * z),
}


def cost_J(Ws, bs, x, y, g):
    """J = 1/2 sum (z^(L) - y)^2 for z^(l) = W^(l) a^(l-1) + b^(l), a^(l) = g(z^(l)), a^(L) = z^(L)."""
    a = x
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = W @ a + b
        a = g(z) if l < len(Ws) else z
    return 0.5 * np.sum((a - y) ** 2)


@dtypes
@pytest.mark.parametrize("g_name", G)
@SETTINGS
@given(seed=seeds, widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
       N=st.one_of(st.none(), batch))
def test_delta_backprop(g_name, dtype, seed, widths, N):
    """widths = (d_0, ..., d_L): one to three layers; N = None is one sample x of shape (d_0,)."""
    rng = np.random.default_rng(seed)
    g, g_prime = G[g_name]
    batch_axes = () if N is None else (N,)
    Ws = [draw(rng, (d_out, d_in), dtype) for d_in, d_out in zip(widths, widths[1:])]   # (d_l, d_{l-1})
    bs = [draw(rng, (d, 1) if N else (d,), dtype) for d in widths[1:]]                 # (d_l, 1) or (d_l,)
    x = draw(rng, (widths[0], *batch_axes), dtype)                                    # (d_0, N) or (d_0,)
    y = draw(rng, (widths[-1], *batch_axes), dtype)                                   # (d_L, N) or (d_L,)
    if g_name == "relu":                                     # no hidden pre-activation within h of the kink
        zs, _ = delta.forward(Ws, bs, x.astype(np.float64), g)
        assume(all(np.abs(z).min() > 1e-3 for z in zs[:-1]))
    dWs, dbs = delta.backprop(Ws, bs, x, y, g, g_prime)
    L = len(Ws)
    f = lambda *params: cost_J(params[:L], params[L:], x.astype(np.float64), y.astype(np.float64), g)
    numeric = numerical_vjp(f, [*Ws, *bs])
    for l in range(L):
        assert_gradient(dWs[l], numeric[l], dtype, f"dW^({l + 1})")
        assert_gradient(dbs[l], numeric[L + l], dtype, f"db^({l + 1})")


# ---- batch, layer, spatial and group normalization ---------------------------------------
# Inputs whose normalized groups are nearly constant (spread below 0.1, but not exactly 0) make the
# forward pass sharply curved, and a centered difference with h = 1e-5 then has truncation error
# ~ (h / spread)^2: those draws are skipped. Exactly constant groups (N = 1 for batch norm) stay in.

NORM_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None, print_blob=True)


def spread_ok(x, axis):
    s = np.asarray(x, dtype=np.float64).std(axis=axis)
    return bool(np.all((s > 0.1) | (s == 0)))


def normalize(x, axis, eps=1e-5):
    """The independent formula: (x - mean) / sqrt(var + eps) over `axis`, in float64."""
    x = x.astype(np.float64)
    return (x - x.mean(axis=axis, keepdims=True)) / np.sqrt(x.var(axis=axis, keepdims=True) + eps)


def check_normalization(forward, backward, x, params, dout, dtype, formula):
    out, cache = forward(x, *params)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, formula(x, *params), rtol=10 * TOL[dtype], atol=1e-5)
    grads = backward(dout, cache)
    numeric = numerical_vjp(lambda *a: forward(*a)[0], [x, *params], dout)
    for name, a, n in zip(("dx", "dgamma", "dbeta"), grads, numeric):
        assert_gradient(a, n, dtype, name)


@dtypes
@pytest.mark.parametrize("alt", [False, True], ids=["graph", "alt"])
@pytest.mark.parametrize("mode", ["train", "test"])
@NORM_SETTINGS
@given(seed=seeds, N=batch, D=st.integers(1, 4), row_params=st.booleans())
def test_batchnorm_backward(dtype, alt, mode, seed, N, D, row_params):
    rng = np.random.default_rng(seed)
    x = draw(rng, (N, D), dtype, scale=2.0)                                     # (N, D)
    assume(spread_ok(x, 0))
    pshape = (1, D) if row_params else (D,)
    gamma, beta, dout = draw(rng, pshape, dtype), draw(rng, pshape, dtype), draw(rng, (N, D), dtype)
    rm, rv = rng.standard_normal(D), rng.uniform(0.2, 3.0, D)                   # (D,) each, float64
    param = (lambda: {"mode": "train"}) if mode == "train" else (lambda: {"mode": "test", "running_mean": rm,
                                                                          "running_var": rv})
    if mode == "train":
        formula = lambda x, g, b: g.reshape(1, D) * normalize(x, 0) + b.reshape(1, D)
    else:
        formula = lambda x, g, b: g.reshape(1, D) * (x - rm) / np.sqrt(rv + 1e-5) + b.reshape(1, D)
    backward = batchnorm.batchnorm_backward_alt if alt else batchnorm.batchnorm_backward
    check_normalization(lambda x, g, b: batchnorm.batchnorm_forward(x, g, b, param()), backward,
                        x, (gamma, beta), dout, dtype, formula)


@dtypes
@NORM_SETTINGS
@given(seed=seeds, N=st.integers(0, 6), D=st.integers(1, 5))
def test_layernorm_backward(dtype, seed, N, D):
    rng = np.random.default_rng(seed)
    x = draw(rng, (N, D), dtype, scale=2.0)                                     # (N, D)
    assume(spread_ok(x, 1))
    gamma, beta, dout = draw(rng, (D,), dtype), draw(rng, (D,), dtype), draw(rng, (N, D), dtype)
    check_normalization(lambda x, g, b: layernorm.layernorm_forward(x, g, b, {}), layernorm.layernorm_backward,
                        x, (gamma, beta), dout, dtype, lambda x, g, b: g * normalize(x, 1) + b)


images = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))   # (N, C', H, W)


@dtypes
@NORM_SETTINGS
@given(seed=seeds, shape=images, four_d=st.booleans())
def test_spatial_batchnorm_backward(dtype, seed, shape, four_d):
    rng = np.random.default_rng(seed)
    N, C, H, W = shape
    x = draw(rng, shape, dtype, scale=2.0)                                      # (N, C, H, W)
    assume(spread_ok(x, (0, 2, 3)))
    pshape = (1, C, 1, 1) if four_d else (C,)
    gamma, beta, dout = draw(rng, pshape, dtype), draw(rng, pshape, dtype), draw(rng, shape, dtype)
    formula = lambda x, g, b: g.reshape(1, C, 1, 1) * normalize(x, (0, 2, 3)) + b.reshape(1, C, 1, 1)
    check_normalization(lambda x, g, b: batchnorm.spatial_batchnorm_forward(x, g, b, {"mode": "train"}),
                        batchnorm.spatial_batchnorm_backward, x, (gamma, beta), dout, dtype, formula)


@dtypes
@NORM_SETTINGS
@given(seed=seeds, shape=images, G=st.integers(1, 3), four_d=st.booleans())
def test_spatial_groupnorm_backward(dtype, seed, shape, G, four_d):
    rng = np.random.default_rng(seed)
    N, k, H, W = shape
    C = G * k                                                                   # C' = channels per group
    x = draw(rng, (N, C, H, W), dtype, scale=2.0)                               # (N, C, H, W)
    assume(spread_ok(x.reshape(N, G, k, H, W), (2, 3, 4)))
    pshape = (1, C, 1, 1) if four_d else (C,)
    gamma, beta, dout = draw(rng, pshape, dtype), draw(rng, pshape, dtype), draw(rng, x.shape, dtype)
    formula = lambda x, g, b: (g.reshape(1, C, 1, 1) * normalize(x.reshape(N, G, k, H, W), (2, 3, 4)).reshape(x.shape)
                               + b.reshape(1, C, 1, 1))
    check_normalization(lambda x, g, b: layernorm.spatial_groupnorm_forward(x, g, b, G, {}),
                        layernorm.spatial_groupnorm_backward, x, (gamma, beta), dout, dtype, formula)


# ---- forward and reverse mode (snippets/jvp_vjp.py) ------------------------------------

small = st.integers(1, 4)


def draw_mlp(rng, N, D, H, C, dtype):
    """X (N, D), W1 (D, H) scaled so tanh is not saturated, W2 (H, C), T (N, C)."""
    return (draw(rng, (N, D), dtype), draw(rng, (D, H), dtype, scale=1 / math.sqrt(D)),
            draw(rng, (H, C), dtype), draw(rng, (N, C), dtype))


def mlp_loss_formula(X, W1, W2, T):
    """½‖tanh(X W1) W2 − T‖², written with einsum and a norm, not with the snippet's lines."""
    S = np.einsum("nh,hc->nc", np.tanh(np.einsum("nd,dh->nh", X, W1)), W2)
    return 0.5 * np.linalg.norm(S - T) ** 2


def check_mlp_vjp(X, W1, W2, T, L_bar, dtype, vjp=jvp_vjp.mlp_vjp):
    L, cache = jvp_vjp.mlp_forward(X, W1, W2, T)
    args64 = [a.astype(np.float64) for a in (X, W1, W2, T)]
    assert L == pytest.approx(mlp_loss_formula(*args64), rel=10 * TOL[dtype], abs=1e-6)
    dW1, dW2 = vjp(L_bar, cache)
    n1, n2 = numerical_vjp(lambda W1, W2: jvp_vjp.mlp_forward(args64[0], W1, W2, args64[3])[0],
                           args64[1:3], L_bar)
    assert_gradient(dW1, n1, dtype, "mlp_vjp: dW1")
    assert_gradient(dW2, n2, dtype, "mlp_vjp: dW2")


@dtypes
@SETTINGS
@given(seed=seeds, N=small, D=small, H=small, C=small, L_bar=st.sampled_from([1.0, -0.5, 3.0]))
def test_mlp_vjp(dtype, seed, N, D, H, C, L_bar):
    check_mlp_vjp(*draw_mlp(np.random.default_rng(seed), N, D, H, C, dtype), L_bar, dtype)


@dtypes
@SETTINGS
@given(seed=seeds, N=small, D=small, H=small, C=small)
def test_mlp_jvp(dtype, seed, N, D, H, C):
    """The JVP is the centered difference of L along the tangent (W1_dot, W2_dot)."""
    rng = np.random.default_rng(seed)
    X, W1, W2, T = draw_mlp(rng, N, D, H, C, dtype)
    V1, V2 = draw(rng, W1.shape, dtype), draw(rng, W2.shape, dtype)
    L_dot = jvp_vjp.mlp_jvp(V1, V2, jvp_vjp.mlp_forward(X, W1, W2, T)[1])
    X64, W1_64, W2_64, T64, V1_64, V2_64 = (a.astype(np.float64) for a in (X, W1, W2, T, V1, V2))
    (numeric,) = numerical_vjp(lambda t: mlp_loss_formula(X64, W1_64 + t * V1_64, W2_64 + t * V2_64, T64),
                               [np.zeros(())])
    scale = abs(L_dot) + abs(float(numeric))
    assert abs(L_dot - float(numeric)) <= TOL[dtype] * scale + ATOL, (L_dot, float(numeric))


@SETTINGS
@given(seed=seeds, N=small, D=small, M=small, wrt=st.sampled_from("WX"), order=st.sampled_from("FC"))
def test_matmul_jacobian(seed, N, D, M, wrt, order):
    """Forward: J vec(input) = vec(XW). Transposed: Jᵀ vec(G) is the centered-difference gradient of <G, XW>."""
    rng = np.random.default_rng(seed)
    X, W, G = draw(rng, (N, D), np.float64), draw(rng, (D, M), np.float64), draw(rng, (N, M), np.float64)
    J = vec_kronecker.matmul_jacobian(X, W, wrt, order)
    flat = lambda A: A.reshape(-1, order=order)                 # written here, not the snippet's vec
    np.testing.assert_allclose(J @ flat(W if wrt == "W" else X), flat(X @ W), rtol=1e-12, atol=1e-12)
    n_X, n_W = numerical_vjp(lambda X, W: X @ W, [X, W], G)
    numeric = n_W if wrt == "W" else n_X
    assert_gradient((J.T @ flat(G)).reshape(numeric.shape, order=order), numeric, np.float64, "Jᵀ vec(G)")


# ---- convolution (naive and im2col) and max-pooling ---------------------------------------
# Small shapes and few examples: the naive loops run once per output entry, and the centered
# differences call the forward pass twice per input entry.

CONV_SETTINGS = settings(SETTINGS, max_examples=10)
CONV_ROUTES = {"naive": (conv_forward_naive, conv_backward_naive),
               "im2col": (conv_forward_im2col, conv_backward_im2col)}


@st.composite
def conv_geometry(draw):
    """(x shape, w shape, stride, pad) that tile: H is built from H' so (H + 2P - HH) % S == 0."""
    N, C, F = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    HH, WW, S, P = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    H_out, W_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = (H_out - 1) * S + HH - 2 * P, (W_out - 1) * S + WW - 2 * P
    assume(H >= 1 and W >= 1)
    return (N, C, H, W), (F, C, HH, WW), S, P


def conv_formula(x, w, b, S, P):
    """Equation (1) of docs/convolution.md by sliding_window_view and one einsum."""
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::S, ::S]
    return np.einsum("nchwpq,fcpq->nfhw", windows, w) + b.reshape(1, -1, 1, 1)


def check_conv(route, x, w, b, S, P, dout, dtype, backward=None):
    forward, real_backward = CONV_ROUTES[route]
    param = {"stride": S, "pad": P}
    out, cache = forward(x, w, b, param)
    assert out.dtype == dtype
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    np.testing.assert_allclose(out, conv_formula(x64, w64, b64, S, P), rtol=10 * TOL[dtype], atol=1e-5)
    dx, dw, db = (backward or real_backward)(dout, cache)
    nx, nw, nb = numerical_vjp(lambda x, w, b: forward(x, w, b, param)[0], [x, w, b], dout)
    assert_gradient(dx, nx, dtype, f"{route}: dx")
    assert_gradient(dw, nw, dtype, f"{route}: dw")
    assert_gradient(db, nb, dtype, f"{route}: db")


@dtypes
@pytest.mark.parametrize("route", CONV_ROUTES)
@CONV_SETTINGS
@given(seed=seeds, geometry=conv_geometry())
def test_conv_backward(route, dtype, seed, geometry):
    x_shape, w_shape, S, P = geometry
    rng = np.random.default_rng(seed)
    x, w, b = draw(rng, x_shape, dtype), draw(rng, w_shape, dtype), draw(rng, w_shape[:1], dtype)
    H_out, W_out = 1 + (x_shape[2] + 2 * P - w_shape[2]) // S, 1 + (x_shape[3] + 2 * P - w_shape[3]) // S
    check_conv(route, x, w, b, S, P, draw(rng, (x_shape[0], w_shape[0], H_out, W_out), dtype), dtype)


@st.composite
def pool_geometry(draw):
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw, S = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H_out, W_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (N, C, (H_out - 1) * S + ph, (W_out - 1) * S + pw), ph, pw, S


def check_pool(x, param, dout, dtype, backward=max_pool_backward_naive):
    ph, pw, S = param["pool_height"], param["pool_width"], param["stride"]
    out, cache = max_pool_forward_naive(x, param)
    assert out.dtype == dtype
    windows = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::S, ::S]
    np.testing.assert_array_equal(out, windows.max(axis=(4, 5)))
    dx = backward(dout, cache)
    (nx,) = numerical_vjp(lambda x: max_pool_forward_naive(x, param)[0], [x], dout)
    assert_gradient(dx, nx, dtype, "max_pool: dx")


@dtypes
@CONV_SETTINGS
@given(seed=seeds, geometry=pool_geometry())
def test_max_pool_backward(dtype, seed, geometry):
    """Distinct entries 0.01 apart: no ties, so no kink within h of any input."""
    shape, ph, pw, S = geometry
    rng = np.random.default_rng(seed)
    x = (0.01 * rng.permutation(math.prod(shape)) - 0.5).reshape(shape).astype(dtype)   # (N, C, H, W)
    param = {"pool_height": ph, "pool_width": pw, "stride": S}
    H_out, W_out = 1 + (shape[2] - ph) // S, 1 + (shape[3] - pw) // S
    check_pool(x, param, draw(rng, (shape[0], shape[1], H_out, W_out), dtype), dtype)


def test_a_planted_bug_in_conv_backward_is_caught():
    """An upstream gradient flipped in space (a misplaced flip): fails, the real one passes."""
    rng = np.random.default_rng(2)
    x, w, b, dout = draw(rng, (2, 2, 4, 5), np.float64), draw(rng, (3, 2, 3, 3), np.float64), \
        np.zeros(3), draw(rng, (2, 3, 4, 5), np.float64)
    check_conv("im2col", x, w, b, 1, 1, dout, np.float64)
    with pytest.raises(AssertionError, match="im2col: dx: norm-wise relative error"):
        check_conv("im2col", x, w, b, 1, 1, dout, np.float64,
                   backward=lambda g, cache: conv_backward_im2col(g[:, :, ::-1, ::-1].copy(), cache))


def test_a_planted_bug_in_max_pool_backward_is_caught():
    """The gradient sent to every entry of the window instead of the arg-max only."""
    x = (0.01 * np.random.default_rng(3).permutation(32) - 0.1).reshape(1, 2, 4, 4)
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.random.default_rng(4).standard_normal((1, 2, 2, 2))
    check_pool(x, param, dout, np.float64)
    with pytest.raises(AssertionError, match="max_pool: dx: norm-wise relative error"):
        check_pool(x, param, dout, np.float64, backward=lambda g, cache: np.kron(g, np.ones((2, 2))))


# ---- every check above can fail: planted bugs ------------------------------------------

def test_a_planted_bug_in_affine_backward_is_caught():
    """db as a mean over the batch instead of a sum (off by 1/N): fails for N = 3."""
    def mean_db_backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, dw, db / dout.shape[0]
    rng = np.random.default_rng(0)
    x, w, b, dout = draw(rng, (3, 2, 2), np.float64), draw(rng, (4, 5), np.float64), np.zeros(5), draw(rng, (3, 5), np.float64)
    check_affine(x, w, b, dout, np.float64)                     # the real one passes
    with pytest.raises(AssertionError, match="db: norm-wise relative error"):
        check_affine(x, w, b, dout, np.float64, backward=mean_db_backward)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_planted_bug_in_sigmoid_backward_is_caught_even_at_the_loose_float32_tolerance(dtype):
    """sigma' written as s instead of s(1 - s): caught in float32 too, where the tolerance is loose."""
    rng = np.random.default_rng(1)
    x, dout = draw(rng, (4, 3), dtype), draw(rng, (4, 3), dtype)
    check_activation("sigmoid", x, dout, dtype)
    with pytest.raises(AssertionError, match="sigmoid: dx: norm-wise relative error"):
        check_activation("sigmoid", x, dout, dtype, backward=lambda dout, s: dout * s)


def test_a_planted_bug_in_batchnorm_backward_is_caught():
    """The mean's path forgotten (dx without -mean(dY)): fails; the real backward passes."""
    def no_mean_path(dout, cache):
        dx, dgamma, dbeta = batchnorm.batchnorm_backward_alt(dout, cache)
        return dx + cache["gamma"] / cache["std"] * dout.mean(axis=0), dgamma, dbeta
    rng = np.random.default_rng(2)
    x, g, b, dout = draw(rng, (5, 3), np.float64), draw(rng, (3,), np.float64), draw(rng, (3,), np.float64), \
        draw(rng, (5, 3), np.float64)
    forward = lambda x, g, b: batchnorm.batchnorm_forward(x, g, b, {"mode": "train"})
    formula = lambda x, g, b: g * normalize(x, 0) + b
    check_normalization(forward, batchnorm.batchnorm_backward, x, (g, b), dout, np.float64, formula)
    with pytest.raises(AssertionError, match="dx: norm-wise relative error"):
        check_normalization(forward, no_mean_path, x, (g, b), dout, np.float64, formula)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_planted_bug_in_softmax_backward_is_caught(dtype):
    """Softmax treated as element-wise, dout * P * (1 - P): the diagonal of its Jacobian only."""
    rng = np.random.default_rng(2)
    x, dout = draw(rng, (3, 4), dtype), draw(rng, (3, 4), dtype)
    check_softmax_layer("softmax", x, dout, dtype)
    with pytest.raises(AssertionError, match="softmax: dx: norm-wise relative error"):
        check_softmax_layer("softmax", x, dout, dtype, backward=lambda dout, p: dout * p * (1 - p))


def test_a_planted_bug_in_attention_backward_is_caught():
    """dK without the transpose of dS: for Tq = Tk = 3 the shapes fit and the numbers do not."""
    rng = np.random.default_rng(4)
    q, k, v, dout = (draw(rng, (3, 2), np.float64) for _ in range(4))
    out, cache = attention_forward(q, k, v)
    numeric = numerical_vjp(lambda q, k, v: attention_forward(q, k, v)[0], [q, k, v], dout)
    _, dk, _ = attention_backward(dout, cache)
    assert_gradient(dk, numeric[1], np.float64, "dk")
    p, scale = cache[3], cache[4]
    dp = dout @ v.T
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
    with pytest.raises(AssertionError, match="dk: norm-wise relative error"):
        assert_gradient(ds @ q * scale, numeric[1], np.float64, "dk")


def test_a_planted_bug_in_mlp_vjp_is_caught():
    """tanh' forgotten in the reverse pass: dW1 = Xᵀ (dS W2ᵀ). Caught in float32 as well."""
    def no_tanh_prime(L_bar, cache):
        X, W1, W2, A, R = cache
        dW1, dW2 = jvp_vjp.mlp_vjp(L_bar, cache)
        return X.T @ ((L_bar * R) @ W2.T), dW2
    args = draw_mlp(np.random.default_rng(3), 3, 2, 4, 2, np.float64)
    check_mlp_vjp(*args, 1.0, np.float64)
    with pytest.raises(AssertionError, match="mlp_vjp: dW1: norm-wise relative error"):
        check_mlp_vjp(*args, 1.0, np.float64, vjp=no_tanh_prime)


def test_a_gradient_off_by_one_part_in_a_thousand_fails_float32():
    """The loose float32 tolerance (1e-4) still rejects a 0.1% error."""
    numeric = np.linspace(1, 2, 12).reshape(3, 4)
    assert_gradient((numeric * (1 + 1e-5)).astype(np.float32), numeric, np.float32, "ok")
    with pytest.raises(AssertionError):
        assert_gradient((numeric * (1 + 1e-3)).astype(np.float32), numeric, np.float32, "0.1% off")


def test_a_residual_backward_without_the_skip_gradient_is_caught():
    """The planted bug: dx from the branch only."""
    rng = np.random.default_rng(3)
    args = [draw(rng, s, np.float64) for s in [(3, 2), (2, 4), (4,), (4, 2), (2,)]]
    dout = draw(rng, (3, 2), np.float64)
    _, cache = residual_forward(*args)
    numeric = numerical_vjp(lambda *v: residual_forward(*v)[0], args, dout)
    assert_gradient(residual_backward(dout, cache)[0], numeric[0], np.float64, "dx")
    with pytest.raises(AssertionError, match="dx: norm-wise relative error"):
        assert_gradient(residual_backward(dout, cache)[0] - dout, numeric[0], np.float64, "dx")


def test_the_kink_would_fool_the_check_without_the_shift():
    """Why inputs move away from 0: at x = 0 relu's centered difference is 1/2, the code says 0."""
    x = np.array([[0.0, 1.0]])
    (nx,) = numerical_vjp(lambda x: activations.relu_forward(x)[0], [x])
    np.testing.assert_allclose(nx, [[0.5, 1.0]])
    assert away_from_zero(x).min() >= 1e-2
