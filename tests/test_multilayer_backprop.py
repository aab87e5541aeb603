"""Tests for snippets/delta.py and the worked numbers of docs/multilayer-backprop.md.

Independent routes: autograd differentiates the loss J = ½ Σ ‖z⁽ᴸ⁾ − y‖² written directly
with autograd.numpy; centered finite differences (a local helper); hand-derived literals.
"""

from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from delta import backprop, forward
from markdown_code import expand, run_page

ROOT = Path(__file__).resolve().parent.parent

ACTIVATIONS = {
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2, anp.tanh),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype), lambda z: anp.maximum(z, 0.0)),
}


def make_net(widths, batch, seed=0, dtype=np.float64):
    """Random parameters in the column convention; batch=None means one sample."""
    rng = np.random.default_rng(seed)
    L = len(widths) - 1
    Ws = [rng.standard_normal((widths[l + 1], widths[l])).astype(dtype) for l in range(L)]
    bshape = (lambda d: (d,)) if batch is None else (lambda d: (d, 1))
    bs = [rng.standard_normal(bshape(widths[l + 1])).astype(dtype) for l in range(L)]
    tail = () if batch is None else (batch,)
    x = rng.standard_normal((widths[0],) + tail).astype(dtype)
    y = rng.standard_normal((widths[-1],) + tail).astype(dtype)
    return Ws, bs, x, y


def autograd_grads(Ws, bs, x, y, ag_g):
    """∇J for every W and b, by autograd on a loss written from the definition."""
    L = len(Ws)

    def J(params):
        a = x
        for l in range(L):
            z = anp.dot(params[l], a) + params[L + l]
            a = ag_g(z) if l < L - 1 else z
        return 0.5 * anp.sum((a - y) ** 2)

    g = grad(J)([np.asarray(p, dtype=np.float64) for p in list(Ws) + list(bs)])
    return g[:L], g[L:]


def numerical_gradient(f, P, h=1e-6):
    """Centered differences of the scalar f() in each entry of P (perturbed in place, restored)."""
    out = np.zeros_like(P)
    for ix in np.ndindex(P.shape):
        old = P[ix]
        P[ix] = old + h
        fp = f()
        P[ix] = old - h
        fm = f()
        P[ix] = old
        out[ix] = (fp - fm) / (2 * h)
    return out


CONFIGS = [
    ([3, 2], None), ([3, 2], 4),                      # L = 1: a linear least-squares layer
    ([2, 3, 2], None), ([2, 3, 2], 1), ([2, 3, 2], 5),
    ([4, 6, 5, 1], None), ([4, 6, 5, 1], 7),
    ([1, 3, 4, 2, 3], None), ([5, 2, 7, 3, 4], 3),    # L = 4
]


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("widths,batch", CONFIGS)
def test_backprop_matches_autograd(widths, batch, act):
    g, g_prime, ag_g = ACTIVATIONS[act]
    Ws, bs, x, y = make_net(widths, batch, seed=len(widths) + (batch or 0))
    dWs, dbs = backprop(Ws, bs, x, y, g, g_prime)
    ref_W, ref_b = autograd_grads(Ws, bs, x, y, ag_g)
    assert len(dWs) == len(dbs) == len(Ws)
    for l in range(len(Ws)):
        assert dWs[l].shape == Ws[l].shape and dbs[l].shape == bs[l].shape
        np.testing.assert_allclose(dWs[l], ref_W[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dbs[l], ref_b[l], rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None, database=None)
@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=6),
       batch=st.one_of(st.none(), st.integers(1, 4)),
       act=st.sampled_from(sorted(ACTIVATIONS)), seed=st.integers(0, 2**16))
def test_backprop_matches_autograd_any_shape(widths, batch, act, seed):
    """Any depth 1-5, any widths 1-5, one sample or a batch: same gradients as autograd."""
    g, g_prime, ag_g = ACTIVATIONS[act]
    Ws, bs, x, y = make_net(widths, batch, seed=seed)
    dWs, dbs = backprop(Ws, bs, x, y, g, g_prime)
    ref_W, ref_b = autograd_grads(Ws, bs, x, y, ag_g)
    for l in range(len(Ws)):
        np.testing.assert_allclose(dWs[l], ref_W[l], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dbs[l], ref_b[l], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("widths,batch", [([2, 3, 2], None), ([3, 4, 5, 2], 6)])
def test_backprop_matches_finite_differences(widths, batch):
    g, g_prime, _ = ACTIVATIONS["tanh"]
    Ws, bs, x, y = make_net(widths, batch, seed=3)
    dWs, dbs = backprop(Ws, bs, x, y, g, g_prime)
    Wc, bc = [W.copy() for W in Ws], [b.copy() for b in bs]
    J = lambda: 0.5 * np.sum((forward(Wc, bc, x, g)[0][-1] - y) ** 2)
    for l in range(len(Ws)):
        np.testing.assert_allclose(dWs[l], numerical_gradient(J, Wc[l]), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(dbs[l], numerical_gradient(J, bc[l]), rtol=1e-6, atol=1e-8)


def test_forward_shapes_and_values():
    Ws, bs, x, y = make_net([2, 3, 2], 4, seed=1)
    zs, acts = forward(Ws, bs, x, np.tanh)
    assert [z.shape for z in zs] == [(3, 4), (2, 4)]
    assert [a.shape for a in acts] == [(2, 4), (3, 4), (2, 4)]
    np.testing.assert_allclose(zs[0], Ws[0] @ x + bs[0])
    np.testing.assert_allclose(acts[1], np.tanh(zs[0]))
    np.testing.assert_array_equal(acts[2], zs[1])     # identity output


@pytest.mark.parametrize("batch", [None, 1, 5])
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_float32_in_float32_out(batch, act):
    g, g_prime, ag_g = ACTIVATIONS[act]
    Ws, bs, x, y = make_net([3, 4, 2], batch, seed=5, dtype=np.float32)
    dWs, dbs = backprop(Ws, bs, x, y, g, g_prime)
    ref_W, ref_b = autograd_grads(Ws, bs, x, y, ag_g)
    for l in range(len(Ws)):
        assert dWs[l].dtype == np.float32 and dbs[l].dtype == np.float32
        np.testing.assert_allclose(dWs[l], ref_W[l], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(dbs[l], ref_b[l], rtol=1e-4, atol=1e-5)


def test_inputs_not_mutated():
    Ws, bs, x, y = make_net([3, 4, 5, 2], 6, seed=2)
    before = [a.copy() for a in Ws + bs + [x, y]]
    for a in Ws + bs + [x, y]:
        a.flags.writeable = False                     # any in-place write would raise
    backprop(Ws, bs, x, y, *ACTIVATIONS["tanh"][:2])
    forward(Ws, bs, x, np.tanh)
    for a, b in zip(Ws + bs + [x, y], before):
        np.testing.assert_array_equal(a, b)


def _bad(case):
    """A valid (3, 4, 2) network with batch 5, broken in one way."""
    Ws, bs, x, y = make_net([3, 4, 2], 5, seed=0)
    if case == "W0 vs x":
        Ws[0] = np.zeros((4, 2))
    elif case == "W1 vs W0":
        Ws[1] = np.zeros((2, 3))
    elif case == "b0 1-D in a batch":
        bs[0] = np.zeros(4)
    elif case == "b1 wrong length":
        bs[1] = np.zeros((3, 1))
    elif case == "b0 as a row":
        bs[0] = np.zeros((1, 4))
    elif case == "y rows":
        y = np.zeros((3, 5))
    elif case == "y batch":
        y = np.zeros((2, 4))
    elif case == "len":
        bs = bs[:1]
    elif case == "x 3-D":
        x = np.zeros((3, 5, 1))
    elif case == "W 1-D":
        Ws[1] = np.zeros(4)
    return Ws, bs, x, y


@pytest.mark.parametrize("case,words", [
    ("W0 vs x", ["Ws[0]", "(4, 2)", "(3, 5)"]),
    ("W1 vs W0", ["Ws[1]", "(2, 3)", "Ws[0]", "(4, 3)"]),
    ("b0 1-D in a batch", ["bs[0]", "(4,)", "(4, 1)"]),
    ("b1 wrong length", ["bs[1]", "(3, 1)", "(2, 1)"]),
    ("b0 as a row", ["bs[0]", "(1, 4)", "(4, 1)"]),
    ("y rows", ["y", "(3, 5)", "(2, 5)"]),
    ("y batch", ["y", "(2, 4)", "(2, 5)"]),
    ("len", ["2 Ws", "1 bs"]),
    ("x 3-D", ["(3, 5, 1)"]),
    ("W 1-D", ["Ws[1]", "(4,)"]),
])
def test_shape_errors_name_the_shapes(case, words):
    Ws, bs, x, y = _bad(case)
    with pytest.raises(ValueError) as err:
        backprop(Ws, bs, x, y, *ACTIVATIONS["tanh"][:2])
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_single_sample_rejects_column_bias():
    # (d,) + (d, 1) would broadcast to (d, d) silently; the snippet must refuse it.
    Ws, bs, x, y = make_net([3, 4, 2], None)
    bs[0] = bs[0].reshape(4, 1)
    with pytest.raises(ValueError, match=r"bs\[0\] of shape \(4, 1\).*expected \(4,\)"):
        backprop(Ws, bs, x, y, *ACTIVATIONS["tanh"][:2])


def test_empty_network_rejected():
    with pytest.raises(ValueError, match="0 Ws"):
        backprop([], [], np.zeros(2), np.zeros(2), np.tanh, np.tanh)


@pytest.mark.parametrize("which", ["x", "y", "W", "b"])
def test_integer_arrays_raise_type_error(which):
    Ws, bs, x, y = make_net([2, 3, 2], None)
    if which == "x":
        x = np.array([1, 2])
    elif which == "y":
        y = np.array([1, 0])
    elif which == "W":
        Ws[0] = np.ones((3, 2), dtype=int)
    else:
        bs[1] = np.array([True, False])
    with pytest.raises(TypeError, match=r"astype\(np\.float64\)"):
        backprop(Ws, bs, x, y, *ACTIVATIONS["tanh"][:2])


def test_nan_raises_value_error():
    Ws, bs, x, y = make_net([2, 3, 2], None)
    x = x.copy()
    x[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        backprop(Ws, bs, x, y, *ACTIVATIONS["tanh"][:2])


def test_planted_bugs_are_caught():
    """The autograd comparison must notice the classic mistakes of the page's warning box."""
    Ws, bs, x, y = make_net([3, 4, 5, 2], 4, seed=7)
    ref_W, _ = autograd_grads(Ws, bs, x, y, anp.tanh)
    # g'(a) instead of g'(z): feed tanh' the activation by passing a composed derivative.
    wrong_prime = lambda z: 1 - np.tanh(np.tanh(z)) ** 2
    dWs_bug, _ = backprop(Ws, bs, x, y, np.tanh, wrong_prime)
    assert not np.allclose(dWs_bug[0], ref_W[0], rtol=1e-3)
    # Source 001's misprint: starting the recursion from z⁽ᴸ⁾ instead of z⁽ᴸ⁾ − y.
    dWs_misprint, _ = backprop(Ws, bs, x, np.zeros_like(y), np.tanh, ACTIVATIONS["tanh"][1])
    assert not np.allclose(dWs_misprint[-1], ref_W[-1], rtol=1e-3)


def test_output_gradient_is_z_minus_y_not_z():
    """Source 001 writes ∇_{z⁽ᴸ⁾}J = z⁽ᴸ⁾; autograd of ½‖z − y‖² gives z − y (zero at z = y)."""
    y = np.array([0.5, -1.0, 2.0])
    dJ = grad(lambda z: 0.5 * anp.sum((z - y) ** 2))
    np.testing.assert_allclose(dJ(y.copy()), np.zeros(3))
    z = np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(dJ(z), z - y)


# ---- the numbers on the page -------------------------------------------------------

@pytest.fixture(scope="module")
def page():
    text = expand((ROOT / "docs" / "multilayer-backprop.md").read_text(encoding="utf-8"))
    return run_page(text, "docs/multilayer-backprop.md")


def test_page_example_against_autograd(page):
    Ws, bs, X, Y = page["Ws"], page["bs"], page["X"], page["T"]
    assert [W.shape for W in Ws] == [(4, 3), (5, 4), (2, 5)] and X.shape == (3, 6)
    ref_W, ref_b = autograd_grads(Ws, bs, X, Y, anp.tanh)
    for l in range(3):
        np.testing.assert_allclose(page["dWs"][l], ref_W[l], rtol=1e-10)
        np.testing.assert_allclose(page["dbs"][l], ref_b[l], rtol=1e-10)
        # The rows tab: autograd in the row convention gives dW_rows = dW_colsᵀ.
        np.testing.assert_allclose(page["dWs_r"][l], ref_W[l].T, rtol=1e-10)
        np.testing.assert_allclose(page["dbs_r"][l], ref_b[l].ravel(), rtol=1e-10)


def test_rows_convention_by_autograd():
    """Differentiate Z = A W + 1b directly in rows and compare with delta.backprop transposed."""
    Ws, bs, X, Y = make_net([3, 4, 2], 5, seed=11)
    Wr, br = [W.T.copy() for W in Ws], [b.ravel().copy() for b in bs]

    def J(params):
        A = X.T
        for l in range(2):
            Z = anp.dot(A, params[l]) + params[2 + l]
            A = anp.tanh(Z) if l == 0 else Z
        return 0.5 * anp.sum((A - Y.T) ** 2)

    g = grad(J)(Wr + br)
    dWs, dbs = backprop(Ws, bs, X, Y, *ACTIVATIONS["tanh"][:2])
    for l in range(2):
        np.testing.assert_allclose(g[l], dWs[l].T, rtol=1e-10)
        np.testing.assert_allclose(g[2 + l], dbs[l].ravel(), rtol=1e-10)


def test_exercise_1_shapes():
    Ws, bs, x, y = make_net([784, 128, 64, 10], 32, seed=1)
    Ws = [0.05 * W for W in Ws]
    dWs, dbs = backprop(Ws, bs, x, y, *ACTIVATIONS["tanh"][:2])
    zs, _ = forward(Ws, bs, x, np.tanh)
    assert dWs[1].shape == (64, 128) and dbs[1].shape == (64, 1) and zs[1].shape == (64, 32)
    # Row convention: the transposes.
    assert dWs[1].T.shape == (128, 64) and zs[1].T.shape == (32, 64) and dbs[1].ravel().shape == (64,)


def test_exercise_2_by_hand():
    Ws = [np.array([[1.0, 0.0], [1.0, 2.0]]), np.array([[2.0, 1.0], [-1.0, 3.0]]), np.array([[1.0, -1.0]])]
    bs = [np.zeros(2), np.array([0.0, 2.0]), np.zeros(1)]
    x, y = np.array([1.0, -1.0]), np.array([3.0])
    # Hand-derived on the page: J = 2, δ³ = −2, δ² = (−2, 2), δ¹ = (−6, 0).
    hand_dW = [[[-6, 6], [0, 0]], [[-2, 0], [2, 0]], [[-4, -2]]]
    hand_db = [[-6, 0], [-2, 2], [-2]]
    ref_W, ref_b = autograd_grads(Ws, bs, x, y, lambda z: anp.maximum(z, 0.0))
    dWs, dbs = backprop(Ws, bs, x, y, *ACTIVATIONS["relu"][:2])
    for l in range(3):
        np.testing.assert_allclose(ref_W[l], hand_dW[l])
        np.testing.assert_allclose(ref_b[l], hand_db[l])
        np.testing.assert_allclose(dWs[l], hand_dW[l])
        np.testing.assert_allclose(dbs[l], hand_db[l])
    relu = ACTIVATIONS["relu"][0]
    z3 = Ws[2] @ relu(Ws[1] @ relu(Ws[0] @ x) + bs[1])      # written out, not via forward()
    assert z3.tolist() == [1.0] and 0.5 * float(np.sum((z3 - y) ** 2)) == 2.0


def test_exercise_3_output_layers():
    softmax_ce = lambda z: -anp.log(anp.exp(z[2]) / anp.sum(anp.exp(z)))       # y = (0, 0, 1)
    np.testing.assert_allclose(grad(softmax_ce)(np.array([0.0, 0.0, np.log(2.0)])), [0.25, 0.25, -0.5])
    sig = lambda z: 1 / (1 + anp.exp(-z))
    bce = lambda z: -anp.log(sig(z))                                            # y = 1
    np.testing.assert_allclose(grad(bce)(np.log(3.0)), -1 / 4)
    mse = lambda z: 0.5 * (sig(z) - 1.0) ** 2
    np.testing.assert_allclose(grad(mse)(np.log(3.0)), -3 / 64)


def test_exercise_4_mean_loss():
    Ws, bs, X, Y = make_net([3, 4, 5, 2], 6, seed=4)
    N = X.shape[1]

    def J_mean(params):
        a = X
        for l in range(3):
            z = anp.dot(params[l], a) + params[3 + l]
            a = anp.tanh(z) if l < 2 else z
        return anp.sum((a - Y) ** 2) / (2 * N)

    g = grad(J_mean)(Ws + bs)
    dWs, dbs = backprop(Ws, bs, X, Y, *ACTIVATIONS["tanh"][:2])
    for l in range(3):
        np.testing.assert_allclose(dWs[l] / N, g[l], rtol=1e-10)
        np.testing.assert_allclose(dbs[l] / N, g[3 + l], rtol=1e-10)


def test_exercise_5_per_sample_sum():
    Ws, bs, X, Y = make_net([3, 4, 2], 5, seed=9)
    dWs, dbs = backprop(Ws, bs, X, Y, *ACTIVATIONS["relu"][:2])
    total_W = [np.zeros_like(W) for W in Ws]
    total_b = [np.zeros(b.shape[0]) for b in bs]
    relu_ag = lambda z: anp.maximum(z, 0.0)
    for n in range(X.shape[1]):
        gW, gb = autograd_grads(Ws, [b.ravel() for b in bs], X[:, n], Y[:, n], relu_ag)
        total_W = [t + g for t, g in zip(total_W, gW)]
        total_b = [t + g for t, g in zip(total_b, gb)]
    for l in range(2):
        np.testing.assert_allclose(dWs[l], total_W[l], rtol=1e-10)
        np.testing.assert_allclose(dbs[l].ravel(), total_b[l], rtol=1e-10)


def test_softmax_hidden_layer_delta():
    """The note "Element-wise activations only": for a softmax layer (2-m) becomes
    delta_l = (diag(a) - a a^T) W_{l+1}^T delta_{l+1}; the Jacobian lives on the losses page."""
    rng = np.random.default_rng(8)
    W1, b1, W2, b2 = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal((2, 5)), rng.standard_normal(2)
    x, y = rng.standard_normal(3), rng.standard_normal(2)

    def J_of_b1(b):                                    # dJ/db1 = delta1, by (1b)
        z1 = anp.dot(W1, x) + b
        a1 = anp.exp(z1 - anp.max(z1)) / anp.sum(anp.exp(z1 - anp.max(z1)))
        return 0.5 * anp.sum((anp.dot(W2, a1) + b2 - y) ** 2)

    z1 = W1 @ x + b1
    a1 = np.exp(z1 - z1.max()) / np.exp(z1 - z1.max()).sum()
    delta2 = W2 @ a1 + b2 - y
    delta1 = (np.diag(a1) - np.outer(a1, a1)) @ W2.T @ delta2
    np.testing.assert_allclose(grad(J_of_b1)(b1), delta1, rtol=1e-10, atol=1e-14)
    assert not np.allclose((W2.T @ delta2) * a1 * (1 - a1), delta1)   # an element-wise g' is wrong
    text = (ROOT / "docs" / "multilayer-backprop.md").read_text(encoding="utf-8")
    note = text[text.index('!!! note "Element-wise activations only"'):text.index("## The matrix forms")]
    assert "losses.md#softmax-gradient" in note and "(activations.md)" not in note
    assert r"\operatorname{diag}(a^{(l)}) - a^{(l)} a^{(l)\top}" in note


def test_source_slip_warning_says_where_the_wrong_gradient_vanishes():
    """Issue 16: "the gradient does not vanish at the target" was ambiguous; the text now says
    that z vanishes at z = 0, not at z = y."""
    text = (ROOT / "docs" / "multilayer-backprop.md").read_text(encoding="utf-8")
    warning = text[text.index('!!! warning "A slip in source 001"'):text.index("Which losses give")]
    assert "vanish at $z^{(L)} = 0$, not at $z^{(L)} = y$" in warning
    z, y = np.array([0.0, 0.0]), np.array([1.0, -2.0])
    assert np.all(z == 0) and not np.allclose(z - y, 0)      # z^(L) vanishes at 0, z - y does not
