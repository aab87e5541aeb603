"""docs/attention.md and snippets/attention.py: the attention kernel and multi-head attention
against autograd (through separately written einsum formulas) and centered differences, for
T = 1, d = 1, Tq != Tk, dv != d, batches and masks; the mask's meaning; the causal independence
of dq; the memory of the cache; the recomputation identities; the page's worked numbers in
exact fractions; dtypes, extreme scores and planted bugs."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

from attention import (attention_backward, attention_forward, multihead_attention_backward,
                       multihead_attention_forward)
from numerics import centered_gradient


def attention_ref(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d)) v with einsum; masked scores at -1e30 (not -inf: autograd-safe)."""
    s = anp.einsum("...id,...jd->...ij", q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = anp.where(mask, s, -1e30)
    s = s - anp.max(s, axis=-1, keepdims=True)
    e = anp.exp(s)
    return anp.einsum("...ij,...jv->...iv", e / anp.sum(e, axis=-1, keepdims=True), v)


def make_mask(kind, lead, Tq, Tk, rng):
    if kind is None:
        return None
    if kind == "causal":
        return np.tril(np.ones((Tq, Tk), dtype=bool))
    if kind == "padding":                                  # one row of key flags per sequence
        mask = np.ones((*lead, 1, Tk), dtype=bool)
        mask[..., Tk // 2:] = rng.random((*lead, 1, Tk - Tk // 2)) < 0.5
        return mask
    mask = rng.random((*lead, Tq, Tk)) < 0.5               # random, every query keeps key 0
    mask[..., 0] = True
    return mask


CASES = [  # (leading axes, Tq, Tk, d, dv, mask)
    ((), 1, 1, 1, 1, None), ((), 1, 4, 2, 3, None), ((), 3, 1, 1, 2, None), ((), 3, 3, 2, 2, None),
    ((), 3, 5, 4, 2, "random"), ((), 4, 4, 3, 5, "causal"), ((2,), 3, 5, 2, 4, None),
    ((2,), 4, 6, 3, 2, "padding"), ((2, 3), 3, 4, 2, 3, "random"), ((2, 2), 5, 5, 1, 2, "causal"),
]


def case_arrays(case, seed=0):
    lead, Tq, Tk, d, dv, kind = case
    rng = np.random.default_rng(seed + Tq * 7 + Tk * 3 + d + len(lead))
    q, k, v = rng.normal(size=(*lead, Tq, d)), rng.normal(size=(*lead, Tk, d)), rng.normal(size=(*lead, Tk, dv))
    return q, k, v, make_mask(kind, lead, Tq, Tk, rng), rng.normal(size=(*lead, Tq, dv))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_matches_the_reference(case):
    q, k, v, mask, _ = case_arrays(case)
    out, cache = attention_forward(q, k, v, mask)
    np.testing.assert_allclose(out, attention_ref(q, k, v, mask), rtol=1e-12, atol=1e-13)
    P = cache[3]
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=1e-14)
    if mask is not None:
        assert (P[~np.broadcast_to(mask, P.shape)] == 0).all()   # exactly zero, not just small


@pytest.mark.parametrize("case", CASES, ids=str)
def test_backward_against_autograd_and_finite_differences(case):
    q, k, v, mask, G = case_arrays(case, seed=1)
    _, cache = attention_forward(q, k, v, mask)
    grads = attention_backward(G, cache)
    L = lambda q, k, v: anp.sum(G * attention_ref(q, k, v, mask))
    for i, (x, g) in enumerate(zip((q, k, v), grads)):
        assert g.shape == x.shape and g.dtype == np.float64
        np.testing.assert_allclose(g, grad(L, i)(q, k, v), rtol=1e-10, atol=1e-12)

        def loss_i(x_, i=i):
            args = [q, k, v]
            args[i] = x_
            return np.sum(G * attention_forward(*args, mask)[0])
        np.testing.assert_allclose(g, centered_gradient(loss_i, x), rtol=1e-6, atol=1e-9)


def test_a_mask_is_the_same_as_dropping_the_masked_keys():
    """Independent route for the mask: each query attends, unmasked, to its allowed keys only."""
    rng = np.random.default_rng(5)
    q, k, v = rng.normal(size=(4, 3)), rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    mask = rng.random((4, 6)) < 0.5
    mask[:, 2] = True
    out, _ = attention_forward(q, k, v, mask)
    for i in range(4):
        keep = mask[i]
        alone, _ = attention_forward(q[i:i + 1], k[keep], v[keep])
        np.testing.assert_allclose(out[i], alone[0], rtol=1e-13)


def test_a_fully_masked_query_is_an_error_that_names_it():
    mask = np.ones((2, 3, 4), dtype=bool)
    mask[1, 2] = False                                     # sequence 1, query 2: no key
    with pytest.raises(ValueError) as info:
        attention_forward(np.ones((2, 3, 2)), np.ones((2, 4, 2)), np.ones((2, 4, 2)), mask)
    assert "(1, 2)" in str(info.value) and "(2, 3, 4)" in str(info.value)
    inverted_causal = ~np.tril(np.ones((3, 3), dtype=bool))   # True = ignore: the wrong meaning
    with pytest.raises(ValueError, match=r"index \(2,\)"):
        attention_forward(np.ones((3, 2)), np.ones((3, 2)), np.ones((3, 2)), inverted_causal)


@pytest.mark.parametrize("t", range(5))
def test_causal_dq_of_position_t_ignores_every_later_position(t):
    rng = np.random.default_rng(t)
    T = 5
    causal = np.tril(np.ones((T, T), dtype=bool))
    q, k, v, G = rng.normal(size=(T, 2)), rng.normal(size=(T, 2)), rng.normal(size=(T, 3)), rng.normal(size=(T, 3))
    dq = attention_backward(G, attention_forward(q, k, v, causal)[1])[0]
    for a in (q, k, v, G):
        a[t + 1:] = rng.normal(size=a[t + 1:].shape) * 5
    dq_new = attention_backward(G, attention_forward(q, k, v, causal)[1])[0]
    np.testing.assert_array_equal(dq_new[:t + 1], dq[:t + 1])
    # autograd's Jacobians agree: outputs up to t do not depend on keys or values after t
    for i in (1, 2):
        f = lambda x, i=i: attention_ref(*[x if j == i else a for j, a in enumerate((q, k, v))], causal)
        J = jacobian(f)((q, k, v)[i])                      # (T, dv, T, width)
        assert np.all(J[:t + 1, :, t + 1:, :] == 0)
    assert np.all(dq[0] == 0)                              # the first query's only weight is 1


# ---- the worked example, in exact fractions ------------------------------------------------

def worked_arrays():
    c = math.sqrt(2) * math.log(2)
    Q = c * np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    K = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    V = np.array([[1.0, 0.0], [0.0, 1.0], [4.0, 4.0]])
    dO = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    return Q, K, V, dO


def test_worked_example_by_hand():
    """S = ln 2 * A with A the 0/1 matrix below, so exp(S) = 2^A: small integers, exact fractions."""
    A = [[1, 0, 0], [0, 1, 0], [1, 1, 0]]                  # S / ln 2, from Q K^T / sqrt 2 by hand
    E = [[2 ** a for a in row] for row in A]
    P = [[Fraction(e, sum(row)) for e in row] for row in E]
    V = [[1, 0], [0, 1], [4, 4]]
    dO = [[1, 0], [0, 0], [0, 1]]
    O = [[sum(P[i][j] * V[j][c] for j in range(3)) for c in range(2)] for i in range(3)]
    dV = [[sum(P[i][j] * dO[i][c] for i in range(3)) for c in range(2)] for j in range(3)]
    dP = [[sum(dO[i][c] * V[j][c] for c in range(2)) for j in range(3)] for i in range(3)]
    tot = [sum(dP[i][j] * P[i][j] for j in range(3)) for i in range(3)]
    dS = [[P[i][j] * (dP[i][j] - tot[i]) for j in range(3)] for i in range(3)]
    Kmat = [[1, 0], [0, 1], [0, 0]]
    Amat = [[1, 0], [0, 1], [1, 1]]                        # Q / c
    dQ_sqrt2 = [[sum(dS[i][j] * Kmat[j][c] for j in range(3)) for c in range(2)] for i in range(3)]
    dK_over_ln2 = [[sum(dS[i][j] * Amat[i][c] for i in range(3)) for c in range(2)] for j in range(3)]
    assert P == [[Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)], [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)],
                 [Fraction(2, 5), Fraction(2, 5), Fraction(1, 5)]]
    assert O == [[Fraction(3, 2), Fraction(5, 4)], [Fraction(5, 4), Fraction(3, 2)], [Fraction(6, 5), Fraction(6, 5)]]
    assert dV == [[Fraction(1, 2), Fraction(2, 5)], [Fraction(1, 4), Fraction(2, 5)], [Fraction(1, 4), Fraction(1, 5)]]
    assert dP == [[1, 0, 4], [0, 0, 0], [0, 1, 4]]
    assert tot == [Fraction(3, 2), 0, Fraction(6, 5)]
    assert dS == [[Fraction(-1, 4), Fraction(-3, 8), Fraction(5, 8)], [0, 0, 0],
                  [Fraction(-12, 25), Fraction(-2, 25), Fraction(14, 25)]]
    assert dQ_sqrt2 == [[Fraction(-1, 4), Fraction(-3, 8)], [0, 0], [Fraction(-12, 25), Fraction(-2, 25)]]
    assert dK_over_ln2 == [[Fraction(-73, 100), Fraction(-12, 25)], [Fraction(-91, 200), Fraction(-2, 25)],
                           [Fraction(237, 200), Fraction(14, 25)]]
    # the snippet gives the same numbers
    Q, K, Vn, dOn = worked_arrays()
    out, cache = attention_forward(Q, K, Vn)
    dq, dk, dv = attention_backward(dOn, cache)
    f = lambda rows: np.array(rows, dtype=float)
    np.testing.assert_allclose(cache[3], f(P), rtol=1e-14)
    np.testing.assert_allclose(out, f(O), rtol=1e-14)
    np.testing.assert_allclose(dv, f(dV), rtol=1e-14)
    np.testing.assert_allclose(dq * math.sqrt(2), f(dQ_sqrt2), atol=1e-15)
    np.testing.assert_allclose(dk / math.log(2), f(dK_over_ln2), rtol=1e-13)
    np.testing.assert_allclose(dq, [[-0.1768, -0.2652], [0, 0], [-0.3394, -0.0566]], atol=5e-5)
    np.testing.assert_allclose(dk, [[-0.5060, -0.3327], [-0.3154, -0.0555], [0.8214, 0.3882]], atol=5e-5)


def test_worked_example_autograd():
    Q, K, V, dO = worked_arrays()
    L = lambda q, k, v: anp.sum(dO * attention_ref(q, k, v))
    np.testing.assert_allclose(grad(L, 0)(Q, K, V) * math.sqrt(2), [[-0.25, -0.375], [0, 0], [-0.48, -0.08]], atol=1e-14)
    np.testing.assert_allclose(grad(L, 1)(Q, K, V) / math.log(2), [[-0.73, -0.48], [-0.455, -0.08], [1.185, 0.56]],
                               atol=1e-14)
    np.testing.assert_allclose(grad(L, 2)(Q, K, V), [[0.5, 0.4], [0.25, 0.4], [0.25, 0.2]], atol=1e-14)


# ---- the cache, and the identities memory-efficient kernels use --------------------------------

@pytest.mark.parametrize("Tq, Tk", [(64, 64), (96, 32), (256, 256)])
def test_the_cache_holds_references_and_one_Tq_by_Tk_matrix(Tq, Tk):
    rng = np.random.default_rng(Tq)
    q, k, v = (rng.normal(size=(T, 8)).astype(np.float32) for T in (Tq, Tk, Tk))
    _, cache = attention_forward(q, k, v)
    new = [a for a in cache if isinstance(a, np.ndarray) and not any(np.shares_memory(a, x) for x in (q, k, v))]
    assert len(new) == 1 and new[0].nbytes == 4 * Tq * Tk     # float32: 4 bytes per weight
    assert 4 * 8192**2 == 256 * 2**20 and 4 * 4 * 8192 * 64 == 8 * 2**20   # the page's table, by hand


def test_P_from_Q_K_and_one_log_sum_exp_per_query():
    rng = np.random.default_rng(8)
    q, k, v = rng.normal(size=(3, 5, 4)), rng.normal(size=(3, 7, 4)), rng.normal(size=(3, 7, 2))
    mask = rng.random((3, 5, 7)) < 0.6
    mask[..., 3] = True
    out, cache = attention_forward(q, k, v, mask)
    S = np.einsum("nid,njd->nij", q, k) / 2.0              # sqrt(4) = 2
    lse = np.array([[math.log(sum(math.exp(S[n, i, j]) for j in range(7) if mask[n, i, j])) for i in range(5)]
                    for n in range(3)])
    np.testing.assert_allclose(np.where(mask, np.exp(S - lse[..., None]), 0.0), cache[3], rtol=1e-13, atol=1e-300)
    G = rng.normal(size=out.shape)
    dP = np.einsum("niv,njv->nij", G, v)
    np.testing.assert_allclose((dP * cache[3]).sum(axis=-1), (G * out).sum(axis=-1), rtol=1e-12)


# ---- multi-head attention ------------------------------------------------------------------------

def multihead_ref(x, wq, wk, wv, wo, H, mask):
    """An explicit loop over heads, each with its own column block of the projections."""
    d, dv = wq.shape[1] // H, wv.shape[1] // H
    heads = [attention_ref(anp.dot(x, wq[:, h * d:(h + 1) * d]), anp.dot(x, wk[:, h * d:(h + 1) * d]),
                           anp.dot(x, wv[:, h * dv:(h + 1) * dv]), mask) for h in range(H)]
    return anp.dot(anp.concatenate(heads, axis=-1), wo)


@pytest.mark.parametrize("lead, T, D, H, d, dv, M, mask_kind", [
    ((), 3, 4, 2, 2, 3, 5, None), ((2,), 4, 3, 3, 1, 2, 3, "causal"), ((2,), 3, 4, 2, 2, 2, 4, "per-sequence"),
    ((2, 2), 2, 2, 1, 3, 1, 2, None)])
def test_multihead_against_autograd_and_finite_differences(lead, T, D, H, d, dv, M, mask_kind):
    rng = np.random.default_rng(T * D + H)
    x = rng.normal(size=(*lead, T, D))
    wq, wk, wv, wo = rng.normal(size=(D, H * d)), rng.normal(size=(D, H * d)), rng.normal(size=(D, H * dv)), \
        rng.normal(size=(H * dv, M))
    mask = None
    if mask_kind == "causal":
        mask = np.tril(np.ones((T, T), dtype=bool))
    elif mask_kind == "per-sequence":                      # (N, T, T): one mask per sequence, shared by heads
        mask = rng.random((*lead, T, T)) < 0.5
        mask[..., 0] = True
    y, cache = multihead_attention_forward(x, wq, wk, wv, wo, H, mask)
    ref_mask = mask                                        # (T, T) or (N, T, T): broadcasts against each head's (N, T, T)
    np.testing.assert_allclose(y, multihead_ref(x, wq, wk, wv, wo, H, ref_mask), rtol=1e-12, atol=1e-12)
    G = rng.normal(size=y.shape)
    grads = multihead_attention_backward(G, cache)
    params = [x, wq, wk, wv, wo]
    L = lambda *p: anp.sum(G * multihead_ref(*p, H, ref_mask))
    for i, g in enumerate(grads):
        assert g.shape == params[i].shape
        np.testing.assert_allclose(g, grad(L, i)(*params), rtol=1e-10, atol=1e-12)

        def loss_i(a, i=i):
            args = list(params)
            args[i] = a
            return np.sum(G * multihead_attention_forward(*args, H, mask)[0])
        np.testing.assert_allclose(g, centered_gradient(loss_i, params[i]), rtol=1e-6, atol=1e-9)


# ---- dtypes, extreme scores, bad input ------------------------------------------------------------

def strictly(call):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("masked", [False, True])
def test_extreme_scores_are_finite_without_a_warning(dtype, masked):
    # scores q.k/sqrt(2) reach +-1e4: rows with one clear winner, and a row of exact ties
    s = 100 * 2 ** 0.25                                    # s * s / sqrt(2) = 1e4
    q = np.array([[s, 0.0], [0.0, -s], [0.0, 0.0]], dtype=dtype)
    k = np.array([[s, 0.0], [-s, 0.0], [0.0, s], [0.0, -s]], dtype=dtype)
    v = np.arange(8, dtype=dtype).reshape(4, 2)
    mask = np.array([[True, True, False, True]] * 3) if masked else None
    out, cache = strictly(lambda: attention_forward(q, k, v, mask))
    grads = strictly(lambda: attention_backward(np.ones_like(out), cache))
    assert out.dtype == dtype and all(g.dtype == dtype for g in grads)
    assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)
    # by hand: query 0 scores (1e4, -1e4, 0, 0): key 0 wins; query 1 scores (0, 0, -1e4, 1e4): key 3 wins
    np.testing.assert_allclose(out[0], v[0])
    np.testing.assert_allclose(out[1], v[3])
    np.testing.assert_allclose(out[2], v[mask[2]].mean(axis=0) if masked else v.mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_masked_key_is_gone_even_when_every_allowed_score_is_minus_1e4(dtype):
    """Masked scores are -inf, not a large negative number: a fill of -1e4 (or d2l's -1e6 for
    scores below -1e6) would tie with the allowed keys here and take a third of the weight."""
    s = 100 * 2 ** 0.25                                    # s * s / sqrt(2) = 1e4
    q = np.array([[s, 0.0]], dtype=dtype)
    k = np.array([[-s, 0.0], [-s, 0.0], [0.0, 0.0]], dtype=dtype)   # scores (-1e4, -1e4, 0)
    v = np.array([[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]], dtype=dtype)
    out, cache = strictly(lambda: attention_forward(q, k, v, np.array([[True, True, False]])))
    np.testing.assert_allclose(cache[3], [[0.5, 0.5, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(out, [[2.0, 0.0]], rtol=1e-6)


def test_bad_input_messages_name_the_shapes():
    with pytest.raises(ValueError, match=r"q \(3, 2\), k \(4, 3\), v \(4, 2\)"):
        attention_forward(np.ones((3, 2)), np.ones((4, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"mask of shape \(4, 3\).*\(3, 4\)"):
        attention_forward(np.ones((3, 2)), np.ones((4, 2)), np.ones((4, 2)), np.ones((4, 3), dtype=bool))
    with pytest.raises(TypeError, match="mask.astype"):
        attention_forward(np.ones((3, 2)), np.ones((4, 2)), np.ones((4, 2)), np.ones((3, 4)))


# ---- planted bugs: the checks fail on each ---------------------------------------------------------

def rel_errors(backward, Tq=4, Tk=4, d=4, dv=3, seed=3):
    rng = np.random.default_rng(seed)
    q, k, v, G = rng.normal(size=(Tq, d)), rng.normal(size=(Tk, d)), rng.normal(size=(Tk, dv)), rng.normal(size=(Tq, dv))
    analytic = backward(G, attention_forward(q, k, v)[1])
    L = lambda q, k, v: anp.sum(G * attention_ref(q, k, v))
    exact = [grad(L, i)(q, k, v) for i in range(3)]
    return [np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n)) for a, n in zip(analytic, exact)]


def test_planted_bugs_are_caught_with_the_predicted_errors():
    assert max(rel_errors(attention_backward)) < 1e-12

    def no_scale(dout, cache):
        dq, dk, dv = attention_backward(dout, cache)
        return dq * 2.0, dk * 2.0, dv                      # sqrt(d) = 2 times too large
    eq, ek, ev = rel_errors(no_scale)
    assert eq == pytest.approx(1 / 3) and ek == pytest.approx(1 / 3) and ev < 1e-12

    def no_transpose(dout, cache):
        q, k, v, p, scale = cache
        dq, _, _ = attention_backward(dout, cache)
        dp = dout @ v.T
        ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
        return dq, ds @ q * scale, p @ dout
    errs = rel_errors(no_transpose)
    assert errs[1] > 0.1 and errs[2] > 0.1
    with pytest.raises(ValueError):                        # Tq != Tk: the shapes catch it
        rel_errors(no_transpose, Tq=3, Tk=5)


# ---- exercises -------------------------------------------------------------------------------------

def test_exercise_1_cross_attention_shapes():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 7, 4)), rng.normal(size=(2, 7, 3))
    pad = np.ones((2, 1, 7), dtype=bool)
    pad[1, 0, 5:] = False
    out, cache = attention_forward(q, k, v, pad)
    assert out.shape == (2, 5, 3) and cache[3].shape == (2, 5, 7)
    dq, dk, dv = attention_backward(np.ones_like(out), cache)
    assert (dq.shape, dk.shape, dv.shape) == ((2, 5, 4), (2, 7, 4), (2, 7, 3))
    assert (dv[1, 5:] == 0).all() and (dk[1, 5:] == 0).all()


def test_exercise_2_causal_worked_example():
    Q, K, V, dO = worked_arrays()
    causal = np.tril(np.ones((3, 3), dtype=bool))
    out, cache = attention_forward(Q, K, V, causal)
    # by hand: row 2 keeps keys 1, 2 with exp(S) = (1, 2)
    np.testing.assert_allclose(cache[3], [[1, 0, 0], [1 / 3, 2 / 3, 0], [0.4, 0.4, 0.2]], rtol=1e-14)
    np.testing.assert_allclose(out, [[1, 0], [1 / 3, 2 / 3], [1.2, 1.2]], rtol=1e-14)
    L = lambda q: anp.sum(dO * attention_ref(q, K, V, causal))
    dq = grad(L)(Q)
    np.testing.assert_allclose(attention_backward(dO, cache)[0], dq, atol=1e-15)
    assert np.abs(dq[:2]).max() < 1e-15


def test_exercise_3_without_the_scale():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(16, 256)), rng.normal(size=(16, 256)), rng.normal(size=(16, 8))
    dP = rng.normal(size=(16, 8)) @ v.T
    out = {}
    for name, scores in (("scaled", q @ k.T / 16), ("unscaled", q @ k.T)):
        P = np.exp(scores - np.logaddexp.reduce(scores, axis=1, keepdims=True))
        m = scores.max(axis=1, keepdims=True)              # a constant shift, for autograd's exp
        dS = grad(lambda s: anp.sum(dP * anp.exp(s - m - anp.log(anp.sum(anp.exp(s - m), axis=1, keepdims=True)))))(scores)
        out[name] = (float(np.std(scores)), P.max(axis=1).mean(), np.linalg.norm(dS) / np.linalg.norm(dP))
    for name, expected in (("scaled", (1.01, 0.23, 0.071)), ("unscaled", (16.1, 0.94, 0.018))):
        for got, want, tol in zip(out[name], expected, (0.05, 5e-3, 5e-4)):
            assert got == pytest.approx(want, abs=tol), (name, got, want)


def test_exercise_4_keys_shifted_together():
    rng = np.random.default_rng(4)
    q, k, v, G = rng.normal(size=(5, 3)), rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), rng.normal(size=(5, 2))
    dk = grad(lambda k: anp.sum(G * attention_ref(q, k, v)))(k)
    np.testing.assert_allclose(dk.sum(axis=0), 0.0, atol=1e-14)
    dq = grad(lambda q: anp.sum(G * attention_ref(q, k, v)))(q)
    u = rng.normal(size=3)
    assert abs(np.sum(dq * u)) > 1e-3                      # the queries have no such invariance
    np.testing.assert_allclose(attention_ref(q, k + u, v), attention_ref(q, k, v), rtol=1e-12)


def test_exercise_5_long_context():
    T = 131_072
    assert 2 * T * T == 32 * 2**30                         # float16 P: 32 GiB
    assert 4 * T == 512 * 2**10                            # float32 log-sum-exp: 512 KiB
    assert 2 * 4 * T * 128 == 128 * 2**20 == 4 * 8192**2 // 2
