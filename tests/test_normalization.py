"""Tests for docs/normalization.md, snippets/batchnorm.py and snippets/layernorm.py.

Every number on the page is checked here through a route independent of the snippets:
fractions worked out by hand (see the comments), autograd through forward passes written
below with autograd.numpy, and centered finite differences. The cs231n notebook checks
(BatchNormalization.ipynb, ConvolutionalNetworks.ipynb) are encoded with the site's
cs231n-compatible snippets/gradient_check.py, on the notebooks' own data (legacy seed 231).
Run against the course's cells themselves, the snippets printed (numpy 2.4, this machine):
  batchnorm   dx 1.70e-09  dgamma 7.42e-13  dbeta 2.88e-12   (notebook: "1e-13 to 1e-8")
  layernorm   dx 1.43e-09  dgamma 4.52e-12  dbeta 2.28e-12
  spatial bn  dx 2.79e-07  dgamma 7.10e-12  dbeta 3.28e-12   ("1e-12 to 1e-06")
  group norm  dx 7.41e-08  dgamma 9.47e-12  dbeta 3.35e-12   ("1e-12 to 1e-07")
  backward vs backward_alt on 100 x 500: dx 1.4e-12, dgamma 0, dbeta 0
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

from affine import affine_forward
from batchnorm import (batchnorm_backward, batchnorm_backward_alt, batchnorm_forward, spatial_batchnorm_backward,
                       spatial_batchnorm_forward)
from gradient_check import eval_numerical_gradient_array, rel_error
from layernorm import layernorm_backward, layernorm_forward, spatial_groupnorm_backward, spatial_groupnorm_forward

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "normalization.md"
EPS = 1e-5

# ---- independent forward passes, written with autograd.numpy ----------------------------


def bn_train_ref(x, gamma, beta, eps=EPS):
    mu = anp.sum(x, axis=0) / x.shape[0]
    var = anp.sum((x - mu) ** 2, axis=0) / x.shape[0]
    return gamma * (x - mu) / anp.sqrt(var + eps) + beta


def bn_test_ref(x, gamma, beta, rm, rv, eps=EPS):
    return gamma * (x - rm) / anp.sqrt(rv + eps) + beta


def ln_ref(x, gamma, beta, eps=EPS):
    return anp.transpose(bn_train_ref(anp.transpose(x), 1.0, 0.0, eps)) * gamma + beta


def sbn_ref(x, gamma, beta, eps=EPS):
    """Per channel over (N, H, W), written with sums over axes 0, 2, 3 (no transpose)."""
    m = x.shape[0] * x.shape[2] * x.shape[3]
    mu = anp.sum(x, axis=(0, 2, 3), keepdims=True) / m
    var = anp.sum((x - mu) ** 2, axis=(0, 2, 3), keepdims=True) / m
    return anp.reshape(gamma, (1, -1, 1, 1)) * (x - mu) / anp.sqrt(var + eps) + anp.reshape(beta, (1, -1, 1, 1))


def gn_ref(x, gamma, beta, G, eps=EPS):
    """Group by group, with an explicit loop over the groups of C/G consecutive channels."""
    N, C, H, W = x.shape
    k = C // G
    parts = []
    for g in range(G):
        block = x[:, g * k:(g + 1) * k]                               # (N, C/G, H, W)
        mu = anp.mean(block, axis=(1, 2, 3), keepdims=True)
        var = anp.mean((block - mu) ** 2, axis=(1, 2, 3), keepdims=True)
        parts.append((block - mu) / anp.sqrt(var + eps))
    xhat = anp.concatenate(parts, axis=1)
    return anp.reshape(gamma, (1, C, 1, 1)) * xhat + anp.reshape(beta, (1, C, 1, 1))


def numerical_vjp(f, inputs, dout, h=1e-5):
    """Centered differences of sum(dout * f(*inputs)) w.r.t. each input, on private float64 copies."""
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    grads = []
    for a in inputs:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            up = np.sum(dout * f(*inputs))
            a[idx] = old - h
            down = np.sum(dout * f(*inputs))
            a[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def norm_error(a, n):
    return np.linalg.norm(np.asarray(a) - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)


def strictly(call):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return call()


# ---- the worked example ------------------------------------------------------------------

X = np.array([[0.0, 1.0], [2.0, -1.0], [2.0, -1.0], [8.0, 1.0]])
GAMMA, BETA = np.array([2.0, 0.5]), np.array([1.0, -1.0])
DY = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [2.0, 0.0]])

# By hand, with eps neglected: mu = (3, 0), v = (36/4, 4/4) = (9, 1), sigma = (3, 1),
# Xhat col 1 = (-3, -1, -1, 5)/3, col 2 = (1, -1, -1, 1); Y = 2*Xhat1 + 1, 0.5*Xhat2 - 1.
Y_HAND = [[-1, -0.5], [1 / 3, -1.5], [1 / 3, -1.5], [13 / 3, -0.5]]
# dbeta = column sums of dY; dgamma1 = -1 + 0 + 1/3 + 10/3 = 8/3, dgamma2 = 0 - 1 - 2 + 0 = -3.
DBETA_HAND, DGAMMA_HAND = [2.0, 3.0], [8 / 3, -3.0]
# dX col 1 = (2/12)(4g - 2 - (8/3) xhat): (14/3, -10/9, -46/9, 14/9)/6; col 2 = (1/8)(4g - 3 + 3 xhat).
DX_HAND = [[7 / 9, 0], [-5 / 27, -1 / 4], [-23 / 27, 1 / 4], [7 / 27, 0]]
RUNNING_HAND = ([0.3, 0.0], [0.9, 0.1])                                # 0.1 * mu, 0.1 * v


def test_worked_example_by_hand():
    bn_param = {"mode": "train"}
    Y, cache = batchnorm_forward(X, GAMMA, BETA, bn_param)
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        dX, dgamma, dbeta = backward(DY, cache)
        np.testing.assert_allclose(dX, DX_HAND, atol=1e-5)
        np.testing.assert_allclose(dgamma, DGAMMA_HAND, atol=2e-5)
        np.testing.assert_allclose(dbeta, DBETA_HAND)
    np.testing.assert_allclose(Y, Y_HAND, atol=1e-5)
    np.testing.assert_allclose(bn_param["running_mean"], RUNNING_HAND[0])
    np.testing.assert_allclose(bn_param["running_var"], RUNNING_HAND[1])
    # with eps = 1e-300, sigma is exactly (3, 1) and the hand fractions are exact
    Y0, cache0 = batchnorm_forward(X, GAMMA, BETA, {"mode": "train", "eps": 1e-300})
    np.testing.assert_allclose(Y0, Y_HAND, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(batchnorm_backward(DY, cache0)[0], DX_HAND, rtol=1e-13, atol=1e-15)


def test_worked_example_autograd():
    L = lambda x, g, b: anp.sum(DY * bn_train_ref(x, g, b))
    Y, cache = batchnorm_forward(X, GAMMA, BETA, {"mode": "train"})
    np.testing.assert_allclose(Y, bn_train_ref(X, GAMMA, BETA), rtol=1e-14)
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        for got, i in zip(backward(DY, cache), range(3)):
            np.testing.assert_allclose(got, grad(L, i)(X, GAMMA, BETA), rtol=1e-12, atol=1e-14)
    # the hand fractions are exact for eps = 0 (no constant feature here)
    L0 = lambda x: anp.sum(DY * bn_train_ref(x, GAMMA, BETA, eps=0.0))
    np.testing.assert_allclose(grad(L0)(X), DX_HAND, rtol=1e-13, atol=1e-15)


def test_worked_example_finite_differences():
    _, cache = batchnorm_forward(X, GAMMA, BETA, {"mode": "train"})
    f = lambda x, g, b: batchnorm_forward(x, g, b, {"mode": "train"})[0]
    for got, num in zip(batchnorm_backward(DY, cache), numerical_vjp(f, [X, GAMMA, BETA], DY)):
        assert norm_error(got, num) < 1e-9


def test_graph_numbers_of_feature_1():
    """The node-by-node table: dsigma = -16/9, dv = -8/27, dmu = -4/3 (eps neglected), via autograd."""
    g1, gamma1, xc = DY[:, 0], 2.0, np.array([-3.0, -1.0, -1.0, 5.0])
    dsigma = grad(lambda s: anp.sum(g1 * gamma1 * xc / s))(3.0)             # xc held fixed: node 5
    dv = grad(lambda v: anp.sum(g1 * gamma1 * xc / anp.sqrt(v)))(9.0)       # through sigma: node 4
    dmu = grad(lambda mu: anp.sum(g1 * gamma1 * (X[:, 0] - mu) / 3.0))(3.0)  # sigma fixed ...
    # ... plus the mu path through v: v = mean((x - mu)^2) has dv/dmu = 0 at the batch mean
    assert dsigma == pytest.approx(-16 / 9) and dv == pytest.approx(-8 / 27)
    assert dmu + (-(4 / 9 + 4 / 27 + 4 / 27 - 20 / 27)) == pytest.approx(-4 / 3)
    text = PAGE.read_text(encoding="utf-8")
    assert "[-16 / 9, -8 / 27, -4 / 3]" in text and "[7 / 9, -5 / 27, -23 / 27, 7 / 27]" in text


def test_page_asserts_the_same_numbers():
    text = PAGE.read_text(encoding="utf-8")
    flat = " ".join(text.split())                  # the asserts may wrap over several lines
    for line in (
        "np.testing.assert_allclose(Y, [[-1, -0.5], [1 / 3, -1.5], [1 / 3, -1.5], [13 / 3, -0.5]], atol=1e-5)",
        "np.testing.assert_allclose(dbeta, [2.0, 3.0])",
        "np.testing.assert_allclose(dgamma, [8 / 3, -3.0], atol=2e-5)",
        "np.testing.assert_allclose(dX, [[7 / 9, 0], [-5 / 27, -1 / 4], [-23 / 27, 1 / 4], [7 / 27, 0]], atol=1e-5)",
        'np.testing.assert_allclose(bn_param["running_mean"], [0.3, 0.0])',
        'np.testing.assert_allclose(bn_param["running_var"], [0.9, 0.1])',
        "np.testing.assert_allclose(J[0, :, 3, :], [[1 / 9, 0], [0, -1 / 4]], atol=2e-5)",
        "np.testing.assert_allclose(J[0, :, 0, :], [[1 / 3, 0], [0, 1 / 4]], atol=2e-5)",
    ):
        assert line in flat, line


# ---- the Jacobian ----------------------------------------------------------------------------


def test_jacobian_blocks_by_hand():
    """dy_1/dx_4 = diag(-(2/12)(1 - 5/3), -(0.5/4)(1 + 1)) = diag(1/9, -1/4); dy_1/dx_1 = diag(1/3, 1/4)."""
    J = jacobian(lambda x: bn_train_ref(x, GAMMA, BETA, eps=0.0))(X)        # (N, D, N, D)
    np.testing.assert_allclose(J[0, :, 3, :], [[1 / 9, 0], [0, -1 / 4]], atol=1e-14)
    np.testing.assert_allclose(J[0, :, 0, :], [[1 / 3, 0], [0, 1 / 4]], atol=1e-14)
    Jb = jacobian(lambda x: bn_train_ref(x, GAMMA, BETA))(X)                # with eps: within 2e-5
    np.testing.assert_allclose(Jb[0, :, 3, :], [[1 / 9, 0], [0, -1 / 4]], atol=2e-5)


@pytest.mark.parametrize("N, D", [(3, 2), (5, 3), (4, 4)])
def test_jacobian_couples_samples_not_features(N, D):
    rng = np.random.default_rng(N * 10 + D)
    x, gamma = rng.standard_normal((N, D)) * 2 + 1, rng.standard_normal(D)
    J = jacobian(lambda a: bn_train_ref(a, gamma, 0.0))(x)                  # (N, D, N, D)
    for n in range(N):
        for i in range(N):
            block = J[n, :, i, :]                                           # (D, D)
            assert np.abs(block - np.diag(np.diag(block))).max() < 1e-12    # features never mix
            if n != i:
                assert np.abs(np.diag(block)).max() > 1e-3                  # samples always do
    # eq. (9): the feature block
    sigma = np.sqrt(x.var(axis=0) + EPS)
    xhat = (x - x.mean(axis=0)) / sigma
    for j in range(D):
        J_j = gamma[j] / sigma[j] * (np.eye(N) - 1 / N - np.outer(xhat[:, j], xhat[:, j]) / N)
        np.testing.assert_allclose(J[:, j, :, j], J_j, atol=1e-12)
    # the affine layer, for contrast: block-diagonal over samples
    w = rng.standard_normal((D, D))
    Ja = jacobian(lambda a: anp.dot(a, w))(x)
    assert all(np.abs(Ja[n, :, i, :]).max() == 0 for n in range(N) for i in range(N) if n != i)
    np.testing.assert_allclose(affine_forward(x, w, np.zeros(D))[0], x @ w)


def test_with_two_samples_the_coupling_is_of_order_eps():
    """N = 2: xhat = +-sqrt(v/(v + eps)), so 1 + xhat_1 xhat_2 = eps/(v + eps): exercise 1's saturation."""
    x = np.array([[1.0, 0.0], [3.0, 10.0]])
    J = jacobian(lambda a: bn_train_ref(a, 1.0, 0.0))(x)
    v = x.var(axis=0)
    np.testing.assert_allclose(np.diag(J[0, :, 1, :]), -1 / (2 * np.sqrt(v + EPS)) * EPS / (v + EPS), rtol=1e-6)


# ---- backward passes against finite differences and autograd, several shapes --------------

BN_SHAPES = [(1, 3), (2, 1), (2, 3), (4, 5), (7, 2), (16, 4)]


def make(shape, seed, scale=3.0, shift=2.0):
    rng = np.random.default_rng(seed)
    D = shape[1]
    return (scale * rng.standard_normal(shape) + shift, rng.standard_normal(D), rng.standard_normal(D),
            rng.standard_normal(shape))


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt], ids=["graph", "alt"])
def test_batchnorm_train_backward(shape, backward):
    x, g, b, dout = make(shape, sum(shape))
    _, cache = batchnorm_forward(x, g, b, {"mode": "train"})
    got = backward(dout, cache)
    num = numerical_vjp(lambda x, g, b: batchnorm_forward(x, g, b, {"mode": "train"})[0], [x, g, b], dout)
    L = lambda x, g, b: anp.sum(dout * bn_train_ref(x, g, b))
    for i, (a, n) in enumerate(zip(got, num)):
        assert a.shape == n.shape
        assert np.linalg.norm(a - n) < 1e-7 * (np.linalg.norm(a) + np.linalg.norm(n)) + 1e-9
        np.testing.assert_allclose(a, grad(L, i)(x, g, b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", BN_SHAPES + [(0, 3)])
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt], ids=["graph", "alt"])
def test_batchnorm_test_mode_backward(shape, backward):
    x, g, b, dout = make(shape, 7 + sum(shape))
    rng = np.random.default_rng(1)
    rm, rv = rng.standard_normal(shape[1]), rng.uniform(0.1, 3, shape[1])
    param = lambda: {"mode": "test", "running_mean": rm, "running_var": rv}
    out, cache = batchnorm_forward(x, g, b, param())
    np.testing.assert_allclose(out, bn_test_ref(x, g, b, rm, rv), rtol=1e-13, atol=1e-14)
    L = lambda x, g, b: anp.sum(dout * bn_test_ref(x, g, b, rm, rv))
    for i, a in enumerate(backward(dout, cache)):
        np.testing.assert_allclose(a, grad(L, i)(x, g, b), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(1, 4), (3, 1), (4, 5), (6, 3), (0, 3)])
def test_layernorm_backward(shape):
    x, g, b, dout = make(shape, 3 + sum(shape))
    out, cache = layernorm_forward(x, g, b, {})
    np.testing.assert_allclose(out, ln_ref(x, g, b), rtol=1e-12, atol=1e-13)
    L = lambda x, g, b: anp.sum(dout * ln_ref(x, g, b))
    got = layernorm_backward(dout, cache)
    for i, a in enumerate(got):
        np.testing.assert_allclose(a, grad(L, i)(x, g, b), rtol=1e-10, atol=1e-12)
    if shape[0]:
        num = numerical_vjp(lambda x, g, b: layernorm_forward(x, g, b, {})[0], [x, g, b], dout)
        assert all(norm_error(a, n) < 1e-7 for a, n in zip(got, num))


SPATIAL_SHAPES = [(1, 2, 1, 1), (2, 3, 4, 5), (1, 1, 3, 2), (3, 2, 2, 3)]


@pytest.mark.parametrize("shape", SPATIAL_SHAPES)
@pytest.mark.parametrize("param_shape", ["vector", "4d"])
def test_spatial_batchnorm_backward(shape, param_shape):
    rng = np.random.default_rng(sum(shape))
    C = shape[1]
    pshape = (C,) if param_shape == "vector" else (1, C, 1, 1)
    x, g, b, dout = (2 * rng.standard_normal(shape) + 1, rng.standard_normal(pshape), rng.standard_normal(pshape),
                     rng.standard_normal(shape))
    out, cache = spatial_batchnorm_forward(x, g, b, {"mode": "train"})
    np.testing.assert_allclose(out, sbn_ref(x, g, b), rtol=1e-12, atol=1e-13)
    L = lambda x, g, b: anp.sum(dout * sbn_ref(x, g, b))
    got = spatial_batchnorm_backward(dout, cache)
    for i, a in enumerate(got):
        assert a.shape == (x, g, b)[i].shape
        np.testing.assert_allclose(a, grad(L, i)(x, g, b), rtol=1e-10, atol=1e-12)
    num = numerical_vjp(lambda x, g, b: spatial_batchnorm_forward(x, g, b, {"mode": "train"})[0], [x, g, b], dout)
    assert all(norm_error(a, n) < 1e-7 for a, n in zip(got, num))


@pytest.mark.parametrize("shape, G", [((2, 6, 4, 5), 2), ((1, 4, 2, 3), 4), ((3, 3, 1, 2), 1), ((2, 4, 1, 1), 2)])
@pytest.mark.parametrize("param_shape", ["4d", "vector"])
def test_spatial_groupnorm_backward(shape, G, param_shape):
    rng = np.random.default_rng(sum(shape) + G)
    C = shape[1]
    pshape = (1, C, 1, 1) if param_shape == "4d" else (C,)
    x, g, b, dout = (2 * rng.standard_normal(shape) + 3, rng.standard_normal(pshape), rng.standard_normal(pshape),
                     rng.standard_normal(shape))
    out, cache = spatial_groupnorm_forward(x, g, b, G, {})
    np.testing.assert_allclose(out, gn_ref(x, g, b, G), rtol=1e-12, atol=1e-13)
    L = lambda x, g, b: anp.sum(dout * gn_ref(x, g, b, G))
    got = spatial_groupnorm_backward(dout, cache)
    for i, a in enumerate(got):
        assert a.shape == (x, g, b)[i].shape
        np.testing.assert_allclose(a, grad(L, i)(x, g, b), rtol=1e-10, atol=1e-12)
    num = numerical_vjp(lambda x, g, b: spatial_groupnorm_forward(x, g, b, G, {})[0], [x, g, b], dout)
    for a, n in zip(got, num):   # a group of two close values is sharply curved: truncation error ~ (h / spread)^2
        assert np.linalg.norm(a - n) < 1e-6 * (np.linalg.norm(a) + np.linalg.norm(n)) + 1e-9


@pytest.mark.parametrize("shape", [(1, 3), (2, 2), (3, 5), (8, 4), (16, 1), (4, 5), (100, 500)])
def test_graph_and_closed_form_agree_to_1e_12(shape):
    """Relative to the size of the terms dx is made of, (gamma / sigma) |dY|, over many draws.

    For N = 2 the entries of dx are themselves differences of order eps (exercise 1), so neither
    the entry-wise cs231n rel_error (up to 4e-9 there) nor the largest entry of dx is the scale.
    From N = 4 on, both the norm-wise and the entry-wise errors are small as well.
    """
    for seed in range(40 if shape[0] < 100 else 3):
        rs = np.random.RandomState(seed)
        x, g, b, d = 5 * rs.randn(*shape) + 12, rs.randn(shape[1]), rs.randn(shape[1]), rs.randn(*shape)
        _, cache = batchnorm_forward(x, g, b, {"mode": "train"})
        d1, d2 = batchnorm_backward(d, cache), batchnorm_backward_alt(d, cache)
        scale = np.abs(g / cache["std"]).max() * np.abs(d).max()
        assert np.abs(d1[0] - d2[0]).max() <= 1e-12 * scale
        np.testing.assert_array_equal(d1[1], d2[1])
        np.testing.assert_array_equal(d1[2], d2[2])
        if shape[0] >= 4:
            assert norm_error(d1[0], d2[0]) < 1e-12 and rel_error(d1[0], d2[0]) < 1e-10


def test_columns_of_dx_sum_to_zero_and_scale_invariance():
    for shape in BN_SHAPES:
        x, g, b, dout = make(shape, 11)
        _, cache = batchnorm_forward(x, g, b, {"mode": "train"})
        dx = batchnorm_backward(dout, cache)[0]
        np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12 * max(1.0, np.abs(dx).max()))
        _, cache10 = batchnorm_forward(10 * x, g, b, {"mode": "train"})
        dx10 = batchnorm_backward(dout, cache10)[0]
        if shape[0] > 2:                    # N = 2: dx is of order eps (exercise 1), and scales as 1/a^3
            assert np.linalg.norm(dx10) / np.linalg.norm(dx) == pytest.approx(0.1, rel=1e-4)


# ---- zero variance, a batch of one, the sum-or-mean section --------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [5.0, 0.1, -1e4, 0.0])
def test_constant_feature_is_finite_and_explained(dtype, value):
    x = np.array([[value, 1.0], [value, 2.0], [value, 4.0], [value, 9.0]], dtype=dtype)
    gamma, beta = np.array([3.0, 1.0], dtype=dtype), np.array([0.5, 0.0], dtype=dtype)
    out, cache = strictly(lambda: batchnorm_forward(x, gamma, beta, {"mode": "train"}))
    dx, dgamma, dbeta = strictly(lambda: batchnorm_backward(DY.astype(dtype), cache))
    assert out.dtype == dx.dtype == dtype and np.isfinite(out).all() and np.isfinite(dx).all()
    np.testing.assert_allclose(out[:, 0], 0.5, atol=1e-9)                        # y = beta
    expected = 3.0 / np.sqrt(EPS) * (DY[:, 0] - DY[:, 0].mean())                 # (gamma / sqrt eps) centred g
    np.testing.assert_allclose(dx[:, 0], expected, rtol=1e-5 if dtype == np.float32 else 1e-9)
    assert abs(dgamma[0]) < 1e-8
    if dtype == np.float64:                                                      # and a gradient check agrees
        num = numerical_vjp(lambda x: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0], [x], DY)[0]
        assert norm_error(dx, num) < 1e-6


def test_page_zero_variance_numbers():
    """1/sqrt(1e-5) = 316.23; (0.5, -0.5, -1.5, 1.5) * 316.23 = (158.114, -158.114, -474.342, 474.342)."""
    assert 1 / math.sqrt(1e-5) == pytest.approx(316.2278, abs=1e-4)
    assert 0.5 / math.sqrt(1e-5) == pytest.approx(158.114, abs=1e-3)
    assert 1.5 / math.sqrt(1e-5) == pytest.approx(474.342, abs=1e-3)
    assert sum([0.1, 0.1, 0.1]) / 3 - 0.1 == np.spacing(0.1)                    # one rounding step


@pytest.mark.parametrize("D", [1, 3])
def test_batch_of_one(D):
    rng = np.random.default_rng(D)
    x, g, b, dout = rng.standard_normal((1, D)), rng.standard_normal(D), rng.standard_normal(D), rng.standard_normal((1, D))
    bn_param = {"mode": "train"}
    out, cache = strictly(lambda: batchnorm_forward(x, g, b, bn_param))
    np.testing.assert_array_equal(out, b.reshape(1, D))
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        dx, dgamma, dbeta = backward(dout, cache)
        np.testing.assert_array_equal(dx, np.zeros((1, D)))
        np.testing.assert_array_equal(dgamma, np.zeros(D))
        np.testing.assert_array_equal(dbeta, dout[0])
    np.testing.assert_array_equal(bn_param["running_var"], np.zeros(D))           # 0.1 * 0


def test_sum_or_mean():
    rng = np.random.default_rng(0)
    A, G = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    L_sum = lambda a: anp.sum(G * bn_train_ref(a, 1.0, 0.0))
    L_mean = lambda a: anp.sum(G * bn_train_ref(a, 1.0, 0.0)) / 5
    np.testing.assert_allclose(grad(L_mean)(A), grad(L_sum)(A) / 5, rtol=1e-12)
    ratio = np.linalg.norm(grad(L_sum)(10 * A)) / np.linalg.norm(grad(L_sum)(A))
    assert ratio == pytest.approx(0.1, rel=1e-4)
    np.testing.assert_allclose(grad(lambda a: anp.sum(bn_train_ref(a, 1.0, 0.0)))(A), 0.0, atol=1e-12)


# ---- running statistics and bn_param -----------------------------------------------------


def test_running_statistics_follow_the_course():
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) + 2
    g, b = np.ones(3), np.zeros(3)
    p = {"mode": "train", "momentum": 0.7}
    batchnorm_forward(x1, g, b, p)
    first_mean, first_var = p["running_mean"], p["running_var"]
    np.testing.assert_allclose(first_mean, 0.3 * x1.mean(axis=0))               # from zeros
    np.testing.assert_allclose(first_var, 0.3 * x1.var(axis=0))                 # biased variance
    snapshot = first_mean.copy(), first_var.copy()
    batchnorm_forward(x2, g, b, p)
    np.testing.assert_allclose(p["running_mean"], 0.7 * first_mean + 0.3 * x2.mean(axis=0))
    np.testing.assert_allclose(p["running_var"], 0.7 * first_var + 0.3 * x2.var(axis=0))
    assert p["running_mean"] is not first_mean                                  # replaced, ...
    np.testing.assert_array_equal(first_mean, snapshot[0])                      # ... not written into
    np.testing.assert_array_equal(first_var, snapshot[1])
    p["mode"] = "test"
    kept = p["running_mean"], p["running_var"]
    batchnorm_forward(x1, g, b, p)
    assert p["running_mean"] is kept[0] and p["running_var"] is kept[1]        # test mode updates nothing


def test_defaults_and_dtypes_of_the_running_statistics():
    x = np.random.default_rng(3).standard_normal((5, 2))
    a = batchnorm_forward(x, np.ones(2), np.zeros(2), p1 := {"mode": "train"})[0]
    b_ = batchnorm_forward(x, np.ones(2), np.zeros(2), p2 := {"mode": "train", "eps": 1e-5, "momentum": 0.9})[0]
    np.testing.assert_array_equal(a, b_)
    np.testing.assert_array_equal(p1["running_var"], p2["running_var"])
    p32 = {"mode": "train"}
    batchnorm_forward(x.astype(np.float32), np.ones(2), np.zeros(2), p32)
    assert p32["running_mean"].dtype == p32["running_var"].dtype == np.float32   # zeros of x's dtype
    p64 = {"mode": "train", "running_mean": np.zeros(2), "running_var": np.zeros(2)}
    batchnorm_forward(x.astype(np.float32), np.ones(2), np.zeros(2), p64)
    assert p64["running_mean"].dtype == np.float64                              # the given dtype is kept


def test_test_mode_without_statistics_uses_zeros_like_the_course():
    """cs231n's starter code falls back to zeros: test mode then divides by sqrt(eps)."""
    x = np.array([[1.0, -2.0]])
    p = {"mode": "test"}
    out, _ = batchnorm_forward(x, np.ones(2), np.zeros(2), p)
    np.testing.assert_allclose(out, x / np.sqrt(EPS))
    np.testing.assert_array_equal(p["running_mean"], np.zeros(2))


def test_notebook_momentum_arithmetic():
    assert round(0.9 ** 10, 2) == 0.35 and round(0.9 ** 50, 3) == 0.005
    assert 0.9 * 0.3 + 0.1 * 3 == pytest.approx(0.57)


# ---- layer, spatial and group normalization -------------------------------------------------


def test_layernorm_is_batchnorm_of_the_transpose():
    rng = np.random.default_rng(4)
    for shape in [(3, 5), (1, 4), (6, 2)]:
        x = 3 * rng.standard_normal(shape) - 1
        ln, _ = layernorm_forward(x, np.ones(shape[1]), np.zeros(shape[1]), {})
        bn, _ = batchnorm_forward(x.T, np.ones(shape[0]), np.zeros(shape[0]), {"mode": "train"})
        np.testing.assert_allclose(ln, bn.T, rtol=1e-13, atol=1e-14)


def test_layernorm_page_numbers():
    """Row 2 of X.T is (1, -1, -1, 1), xhat the same; dxhat = gamma = (1, 2, 0.5, 1) (dY = ones):
    sums 4.5 and -0.5, so dx = (4 gamma - 4.5 + 0.5 xhat) / 4 = (0, 0.75, -0.75, 0)."""
    gamma = np.array([1.0, 2.0, 0.5, 1.0])
    L = lambda x: anp.sum(ln_ref(x, gamma, 0.0, eps=0.0))
    np.testing.assert_allclose(grad(L)(X.T)[1], [0.0, 0.75, -0.75, 0.0], atol=1e-14)
    _, cache = layernorm_forward(X.T, gamma, np.zeros(4), {})
    np.testing.assert_allclose(layernorm_backward(np.ones((2, 4)), cache)[0][1], [0, 0.75, -0.75, 0], atol=1e-5)


def test_layernorm_accepts_the_course_ln_param_with_a_mode_key():
    x = np.random.default_rng(5).standard_normal((4, 3))
    a, _ = layernorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    b_, _ = layernorm_forward(x, np.ones(3), np.zeros(3), {})
    np.testing.assert_array_equal(a, b_)


def test_spatial_batchnorm_needs_the_transpose():
    rng = np.random.default_rng(1)
    x = 3 * rng.standard_normal((2, 3, 4, 5)) + np.arange(3).reshape(1, 3, 1, 1) * 10
    out, _ = spatial_batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-13)
    wrong, _ = batchnorm_forward(x.reshape(-1, 3), np.ones(3), np.zeros(3), {"mode": "train"})
    assert np.abs(wrong.reshape(x.shape).mean(axis=(0, 2, 3))).max() > 0.5
    assert 2 * 4 * 5 == 40


def test_groupnorm_extremes_are_layer_and_instance_norm():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 3, 2)) * 4 + 10
    one, zero = np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1))
    g1, _ = spatial_groupnorm_forward(x, one, zero, 1, {})
    np.testing.assert_allclose(g1, ln_ref(x.reshape(2, -1), 1.0, 0.0).reshape(x.shape), rtol=1e-12)
    gC, _ = spatial_groupnorm_forward(x, one, zero, 6, {})
    inst = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + EPS)
    np.testing.assert_allclose(gC, inst, rtol=1e-12, atol=1e-13)


# ---- the cs231n notebook checks, with the site's gradient_check.py ----------------------------


def notebook_activations(rs, N=200):
    """a = relu(X W1) W2 with X (N, 50), W1 (50, 60), W2 (60, 3), drawn in the notebook's order."""
    return np.maximum(0, rs.randn(N, 50).dot(rs.randn(50, 60))).dot(rs.randn(60, 3))


def test_course_batchnorm_forward_check():
    a = notebook_activations(np.random.RandomState(231))
    out, _ = batchnorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-13)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-7)
    gamma, beta = np.asarray([1.0, 2.0, 3.0]), np.asarray([11.0, 12.0, 13.0])
    out, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-7)


def test_course_batchnorm_test_time_check():
    """Notebook output with the reference solution: means (-0.039, -0.043, -0.105), stds (1.015, 1.012, 0.978)."""
    rs = np.random.RandomState(231)
    W1, W2 = rs.randn(50, 60), rs.randn(60, 3)
    bn_param = {"mode": "train"}
    for _ in range(50):
        batchnorm_forward(np.maximum(0, rs.randn(200, 50).dot(W1)).dot(W2), np.ones(3), np.zeros(3), bn_param)
    bn_param["mode"] = "test"
    out, _ = batchnorm_forward(np.maximum(0, rs.randn(200, 50).dot(W1)).dot(W2), np.ones(3), np.zeros(3), bn_param)
    np.testing.assert_allclose(out.mean(axis=0), [-0.03927354, -0.04349152, -0.10452688], atol=1e-6)
    np.testing.assert_allclose(out.std(axis=0), [1.01531428, 1.01238373, 0.97819988], atol=1e-6)


def test_course_spatial_checks_with_integer_gamma_beta():
    rs = np.random.RandomState(231)
    x = 4 * rs.randn(2, 3, 4, 5) + 10
    out, _ = spatial_batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-14)
    out, _ = spatial_batchnorm_forward(x, np.asarray([3, 4, 5]), np.asarray([6, 7, 8]), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [6, 7, 8], atol=1e-13)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [3, 4, 5], rtol=1e-5)
    # test time: reference output means (-0.080, 0.076, 0.057, 0.044), stds (0.967, 1.030, 1.029, 1.006)
    rs = np.random.RandomState(231)
    bn_param = {"mode": "train"}
    for _ in range(50):
        spatial_batchnorm_forward(2.3 * rs.randn(10, 4, 11, 12) + 13, np.ones(4), np.zeros(4), bn_param)
    bn_param["mode"] = "test"
    out, _ = spatial_batchnorm_forward(2.3 * rs.randn(10, 4, 11, 12) + 13, np.ones(4), np.zeros(4), bn_param)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [-0.08034406, 0.07562881, 0.05716371, 0.04378383], atol=1e-6)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [0.96718744, 1.0299714, 1.02887624, 1.00585577], atol=1e-6)


def test_course_groupnorm_forward_check():
    rs = np.random.RandomState(231)
    x = 4 * rs.randn(2, 6, 4, 5) + 10
    out, _ = spatial_groupnorm_forward(x, np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 2, {"mode": "train"})
    groups = out.reshape(4, -1)
    np.testing.assert_allclose(groups.mean(axis=1), 0, atol=1e-14)
    np.testing.assert_allclose(groups.std(axis=1), 1, atol=1e-5)


def course_gradient_check(layer):
    """The notebook cell of each layer, in our words; the lambdas for spatial and group norm ignore
    their argument and read the array the checker perturbs in place, as the notebook's do."""
    rs = np.random.RandomState(231)
    if layer in ("batchnorm", "layernorm"):
        x, gamma, beta, dout = 5 * rs.randn(4, 5) + 12, rs.randn(5), rs.randn(5), rs.randn(4, 5)
        fwd = (lambda x_, g_, b_: batchnorm_forward(x_, g_, b_, {"mode": "train"})) if layer == "batchnorm" \
            else (lambda x_, g_, b_: layernorm_forward(x_, g_, b_, {}))
        bwd = batchnorm_backward if layer == "batchnorm" else layernorm_backward
        num = [eval_numerical_gradient_array(lambda x_: fwd(x_, gamma, beta)[0], x, dout),
               eval_numerical_gradient_array(lambda g_: fwd(x, g_, beta)[0], gamma.copy(), dout),
               eval_numerical_gradient_array(lambda b_: fwd(x, gamma, b_)[0], beta.copy(), dout)]
    else:
        C, pshape = (3, (3,)) if layer == "spatial" else (6, (1, 6, 1, 1))
        x = 5 * rs.randn(2, C, 4, 5) + 12
        gamma, beta, dout = rs.randn(*pshape), rs.randn(*pshape), rs.randn(2, C, 4, 5)
        fwd = (lambda: spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})) if layer == "spatial" \
            else (lambda: spatial_groupnorm_forward(x, gamma, beta, 2, {}))
        bwd = spatial_batchnorm_backward if layer == "spatial" else spatial_groupnorm_backward
        num = [eval_numerical_gradient_array(lambda _: fwd()[0], a, dout) for a in (x, gamma, beta)]
        fwd_now = fwd
        fwd = lambda *_: fwd_now()
    got = bwd(dout, fwd(x, gamma, beta)[1])
    return [rel_error(n, a) for n, a in zip(num, got)]


@pytest.mark.parametrize("layer, dx_band, param_max", [
    ("batchnorm", (1e-9, 3e-9), 1e-11),     # measured 1.70e-9, 7.4e-13, 2.9e-12
    ("layernorm", (1e-9, 3e-9), 1e-11),     # measured 1.43e-9, 4.5e-12, 2.3e-12
    ("spatial", (1e-7, 5e-7), 1e-10),       # measured 2.79e-7, 7.1e-12, 3.3e-12
    ("groupnorm", (1e-8, 2e-7), 1e-10),     # measured 7.41e-8, 9.5e-12, 3.4e-12
])
def test_course_gradient_checks(layer, dx_band, param_max):
    errors = course_gradient_check(layer)
    assert dx_band[0] < errors[0] < dx_band[1], errors
    assert max(errors[1:]) < param_max, errors


def test_course_alt_agreement_cell():
    """The notebook's speed cell: N, D = 100, 500; dgamma and dbeta identical, dx within 1e-11."""
    rs = np.random.RandomState(0)
    x, g, b, dout = 5 * rs.randn(100, 500) + 12, rs.randn(500), rs.randn(500), rs.randn(100, 500)
    _, cache = batchnorm_forward(x, g, b, {"mode": "train"})
    (dx1, dg1, db1), (dx2, dg2, db2) = batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)
    assert 1e-13 < rel_error(dx1, dx2) < 1e-11
    assert rel_error(dg1, dg2) == 0.0 and rel_error(db1, db2) == 0.0


# ---- the snippets' promises: dtypes, extreme inputs, messages ---------------------------------

CALLS = {
    "batchnorm": (lambda x: batchnorm_forward(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), {"mode": "train"}),
                  batchnorm_backward, (5, 3)),
    "batchnorm_alt": (lambda x: batchnorm_forward(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), {"mode": "train"}),
                      batchnorm_backward_alt, (5, 3)),
    "layernorm": (lambda x: layernorm_forward(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), {}),
                  layernorm_backward, (5, 3)),
    "spatial": (lambda x: spatial_batchnorm_forward(x, np.ones(2), np.zeros(2), {"mode": "train"}),
                spatial_batchnorm_backward, (2, 2, 3, 2)),
    "groupnorm": (lambda x: spatial_groupnorm_forward(x, np.ones((1, 2, 1, 1)), np.zeros((1, 2, 1, 1)), 2, {}),
                  spatial_groupnorm_backward, (2, 2, 3, 2)),
}


@pytest.mark.parametrize("name", CALLS)
def test_float32_in_float32_out(name):
    forward, backward, shape = CALLS[name]
    rng = np.random.default_rng(8)
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    out32, cache32 = forward(x.astype(np.float32))
    grads32 = backward(dout.astype(np.float32), cache32)
    out64, cache64 = forward(x)
    grads64 = backward(dout, cache64)
    assert out32.dtype == np.float32 and all(g.dtype == np.float32 for g in grads32)
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    for g32, g64 in zip(grads32, grads64):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("kind", ["large", "tiny spread", "huge offset", "constant"])
def test_extreme_inputs_are_finite_without_warnings(name, dtype, kind):
    forward, backward, shape = CALLS[name]
    rng = np.random.default_rng(9)
    base = rng.standard_normal(shape)
    x = {"large": 1e4 * base / np.abs(base).max(), "tiny spread": 1e4 + 1e-3 * base,
         "huge offset": -1e4 + base, "constant": np.full(shape, 7.0)}[kind].astype(dtype)
    out, cache = strictly(lambda: forward(x))
    grads = strictly(lambda: backward((1e4 * base).astype(dtype), cache))
    assert out.dtype == dtype and np.isfinite(out).all()
    assert all(g.dtype == dtype and np.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", ["batchnorm", "spatial"])
def test_a_running_variance_that_overflows_float32_is_refused(name):
    forward, _, shape = CALLS[name]
    x = (np.random.default_rng(10).standard_normal(shape) * 1e30).astype(np.float32)   # variance ~1e60
    with pytest.raises(ValueError, match="overflow"):
        strictly(lambda: forward(x))
    out, _ = strictly(lambda: forward(x.astype(np.float64)))         # fine in float64
    assert np.isfinite(out).all()


@pytest.mark.parametrize("name", ["layernorm", "groupnorm"])
def test_any_finite_float32_input_works_without_running_statistics(name):
    forward, backward, shape = CALLS[name]
    base = np.random.default_rng(10).standard_normal(shape)
    x = (base * 3e38 / np.abs(base).max()).astype(np.float32)          # up to the largest float32
    out, cache = strictly(lambda: forward(x))
    ref, _ = forward((base / np.abs(base).max()).astype(np.float32))  # the same up to scale and eps
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-3)
    assert all(np.isfinite(g).all() for g in strictly(lambda: backward(np.ones(shape, np.float32), cache)))


@pytest.mark.parametrize("name", CALLS)
def test_a_float64_variance_that_overflows_is_refused(name):
    forward, _, shape = CALLS[name]
    x = np.random.default_rng(10).standard_normal(shape) * 1e200
    with pytest.raises(ValueError, match="overflow"):
        strictly(lambda: forward(x))


def test_inputs_and_caches_are_not_mutated():
    x, g, b, dout = make((4, 3), 12)
    rm, rv = np.ones(3), np.ones(3)
    copies = [a.copy() for a in (x, g, b, dout, rm, rv)]
    p = {"mode": "train", "running_mean": rm, "running_var": rv}
    _, cache = batchnorm_forward(x, g, b, p)
    before = {k: v.copy() for k, v in cache.items() if isinstance(v, np.ndarray)}
    dx, dg, db = batchnorm_backward(dout, cache)
    batchnorm_backward_alt(dout, cache)
    dx += 1
    for a, c in zip((x, g, b, dout, rm, rv), copies):
        np.testing.assert_array_equal(a, c)
    for k, v in before.items():
        np.testing.assert_array_equal(cache[k], v)


def test_error_messages_name_the_shapes():
    with pytest.raises(ValueError, match=r"gamma of shape \(4,\) does not fit x of shape \(2, 3\)"):
        batchnorm_forward(np.zeros((2, 3)), np.ones(4), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"running_mean'\] of shape \(5,\) does not fit x of shape \(2, 3\)"):
        batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3), {"mode": "train", "running_mean": np.zeros(5)})
    with pytest.raises(ValueError, match=r"dout of shape \(3, 2\) does not match the layer output of shape \(2, 3\)"):
        batchnorm_backward(np.zeros((3, 2)), batchnorm_forward(np.eye(2, 3), np.ones(3), np.zeros(3), {"mode": "train"})[1])
    with pytest.raises(ValueError, match=r"G = 4 .* C = 6 .* \(2, 6, 1, 1\)"):
        spatial_groupnorm_forward(np.zeros((2, 6, 1, 1)), np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 4, {})
    with pytest.raises(ValueError, match="'train' or 'test'"):
        batchnorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3), {"mode": "eval"})


def test_empty_batches():
    with pytest.raises(ValueError, match="N = 0 samples is undefined"):
        batchnorm_forward(np.zeros((0, 3)), np.ones(3), np.zeros(3), {"mode": "train"})
    out, cache = batchnorm_forward(np.zeros((0, 3)), np.ones(3), np.zeros(3), {"mode": "test"})
    dx, dg, db = batchnorm_backward(np.zeros((0, 3)), cache)
    assert out.shape == dx.shape == (0, 3) and not dg.any() and not db.any()
    out, cache = layernorm_forward(np.zeros((0, 3)), np.ones(3), np.zeros(3), {})
    assert layernorm_backward(np.zeros((0, 3)), cache)[0].shape == (0, 3)
    with pytest.raises(ValueError, match="D >= 1"):
        layernorm_forward(np.zeros((3, 0)), np.ones(0), np.zeros(0), {})


# ---- the gallery of mistakes -----------------------------------------------------------------


def check_dx_independent(rule, x, dout):
    """Norm-wise error of rule(dout, xhat, sigma) against autograd on the independent forward pass."""
    true = grad(lambda a: anp.sum(dout * bn_train_ref(a, 1.0, 0.0)))(x)
    sigma = np.sqrt(x.var(axis=0) + EPS)
    xhat = (x - x.mean(axis=0)) / sigma
    return norm_error(rule(dout, xhat, sigma), true)


X_M = 2 * np.random.default_rng(3).standard_normal((6, 3)) + 1


def test_mistake_1_mean_path_forgotten():
    rule = lambda d, xh, s: (d - xh * (d * xh).mean(axis=0)) / s
    assert check_dx_independent(rule, X_M, np.random.default_rng(4).standard_normal((6, 3))) > 1e-2
    # dY all ones: the true dX is 0, so the error is exactly 1 (up to rounding)
    assert check_dx_independent(rule, X_M, np.ones((6, 3))) == pytest.approx(1.0, abs=1e-9)


def test_mistake_2_variance_path_forgotten():
    rule = lambda d, xh, s: (d - d.mean(axis=0)) / s
    assert check_dx_independent(rule, X_M, np.random.default_rng(4).standard_normal((6, 3))) > 1e-2
    xhat = (X_M - X_M.mean(axis=0)) / np.sqrt(X_M.var(axis=0) + EPS)
    err = check_dx_independent(rule, X_M, xhat)                       # L = 1/2 sum Y^2
    assert 1 - 10 * EPS / X_M.var(axis=0).min() < err < 1


def test_mistake_3_unbiased_variance():
    x = np.random.RandomState(0).randn(4, 3)
    wrong = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + EPS)
    np.testing.assert_allclose(wrong.std(axis=0), math.sqrt(3 / 4), rtol=1e-4)
    assert math.sqrt(199 / 200) == pytest.approx(0.9975, abs=5e-5)


def test_mistake_4_batch_statistics_at_test_time():
    one_a, one_b = np.array([[4.0, 9.0]]), np.array([[-2.0, 0.0]])
    as_train = [batchnorm_forward(o, np.ones(2), np.zeros(2), {"mode": "train"})[0] for o in (one_a, one_b)]
    np.testing.assert_array_equal(as_train[0], as_train[1])
    p = {"mode": "test", "running_mean": np.array([5.0, 5.0]), "running_var": np.array([9.0, 9.0])}
    test_a, test_b = (batchnorm_forward(o, np.ones(2), np.zeros(2), p)[0] for o in (one_a, one_b))
    np.testing.assert_allclose(test_a, [[-1 / 3, 4 / 3]], rtol=1e-5)   # (4 - 5)/3, (9 - 5)/3
    assert not np.allclose(test_a, test_b)


def test_mistake_5_wrong_axis():
    x = np.random.default_rng(6).standard_normal((3, 3)) + np.array([0.0, 5.0, 10.0])
    wrong = (x - x.mean(axis=1)) / np.sqrt(x.var(axis=1) + EPS)
    assert np.abs(wrong.mean(axis=0)).max() > 0.5
    with pytest.raises(ValueError):
        np.zeros((4, 3)) - np.zeros((4, 3)).mean(axis=1)


def test_a_planted_bug_fails_the_course_check():
    """The course's check catches a backward without the mean's path; the real one passes."""
    rs = np.random.RandomState(231)
    x, g, b, dout = 5 * rs.randn(4, 5) + 12, rs.randn(5), rs.randn(5), rs.randn(4, 5)
    _, cache = batchnorm_forward(x, g, b, {"mode": "train"})
    num = eval_numerical_gradient_array(lambda a: batchnorm_forward(a, g, b, {"mode": "train"})[0], x, dout)
    dx_ok = batchnorm_backward(dout, cache)[0]
    xhat, std = cache["xhat"], cache["std"]
    dx_bug = g / std * (dout - xhat * (dout * xhat).mean(axis=0))
    assert rel_error(num, dx_ok) < 1e-8 and rel_error(num, dx_bug) > 1e-2


# ---- exercises -------------------------------------------------------------------------------


def test_exercise_1_batch_of_two():
    """x = (1, 3): xhat = (-1, 1)/s, s = sqrt(1 + eps); dx = +-(1/(2s)) eps/(1 + eps)."""
    L = lambda a: anp.sum(np.array([[1.0], [0.0]]) * bn_train_ref(a, 1.0, 0.0))
    s = math.sqrt(1 + EPS)
    np.testing.assert_allclose(grad(L)(np.array([[1.0], [3.0]])).ravel(),
                               [EPS / (1 + EPS) / (2 * s), -EPS / (1 + EPS) / (2 * s)], rtol=1e-6)
    assert EPS / (1 + EPS) / (2 * s) == pytest.approx(5e-6, rel=1e-4)


def test_exercise_2_counts():
    assert 64 * 16 * 16 == 16384 and (32 // 8) * 16 * 16 == 1024 and 64 * 8 == 512
    x = np.random.default_rng(7).standard_normal((2, 32, 4, 4))
    p = {"mode": "train"}
    _, cache = spatial_batchnorm_forward(x, np.ones(32), np.zeros(32), p)
    assert p["running_mean"].shape == (32,)
    dx, dgamma, _ = spatial_batchnorm_backward(np.ones_like(x), cache)
    assert dgamma.shape == (32,)
    out, cache = spatial_groupnorm_forward(x, np.ones((1, 32, 1, 1)), np.zeros((1, 32, 1, 1)), 8, {})
    assert out.reshape(2 * 8, -1).shape == (16, 4 * 4 * 4)                      # groups of 4 channels
    assert spatial_groupnorm_backward(np.ones_like(x), cache)[1].shape == (1, 32, 1, 1)


def test_exercise_3_no_component_along_xhat():
    for eps in (1e-5, 1e-1):
        L = lambda a: anp.sum(DY * bn_train_ref(a, GAMMA, BETA, eps=eps))
        dx = grad(L)(X)
        v = X.var(axis=0)
        xhat = (X - X.mean(axis=0)) / np.sqrt(v + eps)
        dgamma = (DY * xhat).sum(axis=0)
        np.testing.assert_allclose((xhat * dx).sum(axis=0), GAMMA / np.sqrt(v + eps) * eps / (v + eps) * dgamma,
                                   rtol=1e-8, atol=1e-16)


def test_exercise_4_test_mode_backward():
    rm, rv = np.array([0.3, 0.0]), np.array([0.9, 0.1])
    L = lambda a: anp.sum(DY * bn_test_ref(a, GAMMA, BETA, rm, rv))
    np.testing.assert_allclose(grad(L)(X), DY * GAMMA / np.sqrt(rv + EPS))
    assert 2 / math.sqrt(0.9) == pytest.approx(2.108, abs=1e-3) and 0.5 / math.sqrt(0.1) == pytest.approx(1.581, abs=1e-3)


def test_exercise_5_gamma_inside_the_sums():
    rng = np.random.default_rng(5)
    x, d = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for gamma, equal in [(np.ones(4), True), (rng.standard_normal(4), False)]:
        true = grad(lambda a: anp.sum(d * ln_ref(a, gamma, 0.0)))(x)
        sigma = np.sqrt(x.var(axis=1, keepdims=True) + EPS)
        xhat = (x - x.mean(axis=1, keepdims=True)) / sigma
        copied = gamma / (4 * sigma) * (4 * d - d.sum(axis=1, keepdims=True) - xhat * (d * xhat).sum(axis=1, keepdims=True))
        assert np.allclose(copied, true, rtol=1e-8, atol=1e-10) == equal
