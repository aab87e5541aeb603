"""docs/softmax-layer.md and snippets/softmax.py: the softmax and log-softmax layers against
autograd and centered differences on several shapes; the row Jacobian and its properties; the
Hessian of cross-entropy; the fused gradient P - Y against losses.softmax_loss; the page's worked
numbers in exact fractions; dtypes and extreme inputs; planted bugs that the checks catch."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian, jacobian

from losses import softmax_loss
from numerics import centered_gradient
from softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward


def softmax_ref(x):
    """Independent of the snippet: exp(x - logsumexp(x)) through np.logaddexp, no max shift."""
    return np.exp(x - np.logaddexp.reduce(x, axis=-1, keepdims=True))


def asoftmax(z):
    """The textbook formula for autograd, no shift (the tests keep |z| small)."""
    e = anp.exp(z)
    return e / anp.sum(e, axis=-1, keepdims=True)


def alog_softmax(z):
    return z - anp.log(anp.sum(anp.exp(z), axis=-1, keepdims=True))


SHAPES = [(1,), (3,), (1, 1), (1, 4), (5, 3), (3, 5), (2, 3, 4)]
LAYERS = {"softmax": (softmax_forward, softmax_backward, asoftmax),
          "log_softmax": (log_softmax_forward, log_softmax_backward, alog_softmax)}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_forward_matches_an_independent_formula(shape):
    x = np.random.default_rng(len(shape) * 10 + shape[-1]).normal(scale=3.0, size=shape)
    P, cache = softmax_forward(x)
    np.testing.assert_allclose(P, softmax_ref(x), rtol=1e-13)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=1e-15)
    assert cache is P                                       # the cache is the output itself
    log_P, _ = log_softmax_forward(x)
    np.testing.assert_allclose(log_P, x - np.logaddexp.reduce(x, axis=-1, keepdims=True), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_backward_against_finite_differences_and_autograd(name, shape):
    forward, backward, formula = LAYERS[name]
    rng = np.random.default_rng(sum(shape))
    x, G = rng.normal(scale=2.0, size=shape), rng.normal(size=shape)
    out, cache = forward(x)
    dx = backward(G, cache)
    assert dx.shape == x.shape
    numeric = centered_gradient(lambda z: np.sum(G * forward(z)[0]), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dx, grad(lambda z: anp.sum(G * formula(z)))(x), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dx.sum(axis=-1), 0.0, atol=1e-12)   # a shift of a row changes nothing


@pytest.mark.parametrize("C", [1, 2, 3, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_row_jacobian_and_its_properties(C, seed):
    z = np.random.default_rng(seed).normal(scale=2.0, size=C)
    J = jacobian(asoftmax)(z)                              # (C, C) by autograd, numerator layout
    p = softmax_ref(z)
    np.testing.assert_allclose(J, np.diag(p) - np.outer(p, p), atol=1e-15)
    np.testing.assert_allclose(J, J.T, atol=1e-15)                        # symmetric
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)            # rows sum to zero
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)            # and columns
    eig = np.linalg.eigvalsh(J)
    assert eig.min() > -1e-15 and eig.max() <= p.max() + 1e-15            # PSD, at most max p
    assert np.linalg.matrix_rank(J, tol=1e-12) == C - 1
    # the backward pass is the product with J, for any upstream gradient
    dp = np.random.default_rng(seed + 10).normal(size=C)
    np.testing.assert_allclose(softmax_backward(dp, softmax_forward(z)[1]), J.T @ dp, atol=1e-14)


@pytest.mark.parametrize("C", [2, 4, 5])
def test_hessian_of_cross_entropy_is_the_softmax_jacobian_for_every_label(C):
    z = np.random.default_rng(C).normal(size=C)
    p = softmax_ref(z)
    for label in range(C):
        ell = lambda z: -alog_softmax(z)[label]
        np.testing.assert_allclose(hessian(ell)(z), np.diag(p) - np.outer(p, p), atol=1e-14)


def test_hessian_of_the_batch_mean_is_block_diagonal():
    rng = np.random.default_rng(3)
    N, C = 3, 4
    Z, y = rng.normal(size=(N, C)), np.array([1, 3, 0])
    L = lambda flat: -anp.sum(alog_softmax(anp.reshape(flat, (N, C)))[np.arange(N), y]) / N
    H = hessian(L)(Z.ravel())                              # (NC, NC)
    P = softmax_ref(Z)
    blocks = np.zeros((N * C, N * C))
    for i in range(N):
        blocks[i * C:(i + 1) * C, i * C:(i + 1) * C] = (np.diag(P[i]) - np.outer(P[i], P[i])) / N
    np.testing.assert_allclose(H, blocks, atol=1e-15)


@pytest.mark.parametrize("N, C", [(1, 1), (1, 3), (4, 5), (6, 2)])
def test_cross_entropy_through_log_softmax_is_the_fused_gradient(N, C):
    rng = np.random.default_rng(N * C)
    Z, y = rng.normal(scale=2.0, size=(N, C)), rng.integers(0, C, size=N)
    Y = np.eye(C)[y]
    _, cache = log_softmax_forward(Z)
    dZ = log_softmax_backward(-Y / N, cache)               # dL/dlogP = -Y/N for the mean loss
    np.testing.assert_allclose(dZ, softmax_loss(Z, y)[1], atol=1e-15)   # the losses page's snippet
    P, _ = softmax_forward(Z)
    np.testing.assert_allclose(dZ, (P - Y) / N, atol=1e-15)


# ---- the worked example, in exact fractions --------------------------------------------------

EXPS = [[1, 3, 4], [1, 1, 2]]                             # exp(Z): Z = log of these
DP = [[8, 0, -2], [4, 0, 0]]


def exact_rows():
    P = [[Fraction(e, sum(row)) for e in row] for row in EXPS]
    dZ = [[p * (d - sum(dd * pp for dd, pp in zip(drow, prow))) for p, d in zip(prow, drow)]
          for prow, drow in zip(P, DP)]
    dZ_log = [[d - p * sum(drow) for p, d in zip(prow, drow)] for prow, drow in zip(P, DP)]
    return P, dZ, dZ_log


def test_worked_example_by_hand():
    P_exact, dZ_exact, dZ_log_exact = exact_rows()
    assert P_exact == [[Fraction(1, 8), Fraction(3, 8), Fraction(1, 2)], [Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)]]
    assert dZ_exact == [[1, 0, -1], [Fraction(3, 4), Fraction(-1, 4), Fraction(-1, 2)]]
    assert dZ_log_exact == [[Fraction(29, 4), Fraction(-9, 4), -5], [3, -1, -2]]
    # row 1's Jacobian, times 64, and its characteristic polynomial
    p = P_exact[0]
    J64 = [[64 * ((p[c] if c == k else 0) - p[c] * p[k]) for k in range(3)] for c in range(3)]
    assert J64 == [[7, -3, -4], [-3, 15, -12], [-4, -12, 16]]
    trace = sum(J64[i][i] for i in range(3))
    minors = [J64[a][a] * J64[b][b] - J64[a][b] * J64[b][a] for a, b in ((0, 1), (0, 2), (1, 2))]
    det = round(np.linalg.det(np.array(J64, dtype=float)))
    assert (trace, minors, det) == (38, [96, 96, 96], 0)
    roots = sorted([(trace - math.sqrt(trace**2 - 4 * sum(minors))) / 2, (trace + math.sqrt(trace**2 - 4 * sum(minors))) / 2])
    assert roots == pytest.approx([19 - math.sqrt(73), 19 + math.sqrt(73)])
    # the snippet gives the same numbers
    Z = np.log(np.array(EXPS, dtype=float))
    P, cache = softmax_forward(Z)
    np.testing.assert_allclose(P, np.array(P_exact, dtype=float), rtol=1e-15)
    np.testing.assert_allclose(softmax_backward(np.array(DP, dtype=float), cache), np.array(dZ_exact, dtype=float),
                               atol=1e-15)
    _, log_cache = log_softmax_forward(Z)
    np.testing.assert_allclose(log_softmax_backward(np.array(DP, dtype=float), log_cache),
                               np.array(dZ_log_exact, dtype=float), rtol=1e-15)
    J1 = np.diag(P[0]) - np.outer(P[0], P[0])
    np.testing.assert_allclose(np.linalg.eigvalsh(J1), [0.0, *np.array(roots) / 64], atol=1e-15)
    assert np.linalg.eigvalsh(J1)[1:] == pytest.approx([0.1634, 0.4304], abs=5e-5)


def test_worked_example_autograd():
    Z = np.log(np.array(EXPS, dtype=float))
    dP = np.array(DP, dtype=float)
    dZ = grad(lambda z: anp.sum(dP * asoftmax(z)))(Z)
    np.testing.assert_allclose(dZ, [[1, 0, -1], [0.75, -0.25, -0.5]], atol=1e-14)
    dZ_log = grad(lambda z: anp.sum(dP * alog_softmax(z)))(Z)
    np.testing.assert_allclose(dZ_log, [[7.25, -2.25, -5], [3, -1, -2]], atol=1e-14)
    np.testing.assert_allclose(64 * jacobian(asoftmax)(Z[0]), [[7, -3, -4], [-3, 15, -12], [-4, -12, 16]], atol=1e-13)


# ---- dtypes and extreme inputs --------------------------------------------------------------

def strictly(call):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LAYERS)
def test_extreme_scores_are_finite_without_a_warning(name, dtype):
    forward, backward, _ = LAYERS[name]
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [-745.0, 709.0, 88.7]], dtype=dtype)   # (3, 3)
    out, cache = strictly(lambda: forward(x))
    dx = strictly(lambda: backward(np.full_like(x, 0.5) + np.eye(3, dtype=dtype), cache))
    assert out.dtype == dx.dtype == dtype
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    if name == "softmax":   # by hand: one winner takes all; equal scores share equally
        np.testing.assert_allclose(out[:2], [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    else:                   # by hand: log p = x - max - log(sum exp(x - max))
        np.testing.assert_allclose(out[0], [0, -1e4, -2e4], rtol=1e-6)
        np.testing.assert_allclose(out[1], -np.log(3), rtol=1e-6)


def test_the_naive_softmax_would_overflow():
    """The planted bug: no max shift. e^(1e4) overflows."""
    with pytest.raises(FloatingPointError):
        strictly(lambda: np.exp(np.array([1e4, 0.0])) / np.exp(np.array([1e4, 0.0])).sum())


# ---- planted bugs: the checks above fail on each -------------------------------------------

def relative_error(backward, shape, seed=0):
    rng = np.random.default_rng(seed)
    x, G = rng.normal(size=shape), rng.normal(size=shape)
    P, _ = softmax_forward(x)
    a = backward(G, P)
    n = grad(lambda z: anp.sum(G * asoftmax(z)))(x)
    return np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n))


def test_the_real_backward_passes_the_check_the_bugs_fail():
    assert relative_error(softmax_backward, (4, 5)) < 1e-12
    element_wise = lambda dP, P: dP * P * (1 - P)
    wrong_axis = lambda dP, P: P * (dP - np.sum(dP * P, axis=0, keepdims=True))
    no_keepdims = lambda dP, P: P * (dP - np.sum(dP * P, axis=1))
    for seed in range(3):
        assert relative_error(element_wise, (4, 5), seed) > 0.05
        assert relative_error(wrong_axis, (4, 5), seed) > 0.05
        assert relative_error(no_keepdims, (5, 5), seed) > 0.05
    with pytest.raises(ValueError):
        relative_error(no_keepdims, (4, 5))
    # for N = 1 the wrong axis is the element-wise mistake, as the page says
    rng = np.random.default_rng(9)
    G, P = rng.normal(size=(1, 4)), softmax_ref(rng.normal(size=(1, 4)))
    np.testing.assert_allclose(wrong_axis(G, P), element_wise(G, P))


# ---- exercises ---------------------------------------------------------------------------------

def test_exercise_1_two_classes():
    z = np.array([math.log(3), 0.0])
    J = jacobian(asoftmax)(z)
    s = 1 / (1 + math.exp(-(z[0] - z[1])))                 # sigma(z1 - z2) = 3/4
    assert s == pytest.approx(0.75)
    np.testing.assert_allclose(J, s * (1 - s) * np.array([[1, -1], [-1, 1]]), atol=1e-15)
    np.testing.assert_allclose(J, 3 / 16 * np.array([[1, -1], [-1, 1]]), atol=1e-15)


def test_exercise_2_constant_rows():
    P, cache = softmax_forward(np.random.default_rng(2).normal(size=(3, 4)))
    dP = np.array([[2.5], [-1.0], [0.0]]) * np.ones((3, 4))
    np.testing.assert_allclose(softmax_backward(dP, cache), 0.0, atol=1e-15)
    assert np.all(grad(lambda z: anp.sum(dP * asoftmax(z)))(np.ones((3, 4))) == 0)


def test_exercise_3_temperature():
    tau, z, dp = 2.0, np.log([1.0, 3.0, 4.0]), np.array([8.0, 0.0, -2.0])
    expected = grad(lambda z: anp.sum(dp * asoftmax(z / tau)))(z)
    _, cache = softmax_forward(z / tau)
    np.testing.assert_allclose(softmax_backward(dp, cache) / tau, expected, rtol=1e-13)
    p = np.array([1, math.sqrt(3), 2]) / (3 + math.sqrt(3))   # by hand: e^(z/2) = (1, sqrt 3, 2)
    np.testing.assert_allclose(expected, 0.5 * p * (dp - 4 / (3 + math.sqrt(3))), rtol=1e-13)


def test_exercise_4_hessian_in_w():
    rng = np.random.default_rng(4)
    D, C, label = 2, 3, 1
    x, W = np.array([1.0, -2.0]), rng.normal(size=(D, C))
    ell = lambda w: -alog_softmax(anp.dot(x, anp.reshape(w, (D, C))))[label]
    H_W = hessian(ell)(W.ravel())                          # (DC, DC) in numpy's row-major order
    p = softmax_ref(x @ W)
    np.testing.assert_allclose(H_W, np.kron(np.outer(x, x), np.diag(p) - np.outer(p, p)), atol=1e-14)
    with pytest.raises(AssertionError):                    # the swapped factors are the column-major answer
        np.testing.assert_allclose(H_W, np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x)), atol=1e-6)


def test_exercise_5_memory():
    assert np.zeros((32, 50_000), dtype=np.float32).nbytes == 6_400_000
    assert 32 * 50_000 * 50_000 * 4 == 320 * 10**9
    assert (32 * 50_000) ** 2 * 4 == 10_240_000_000_000
