"""Tests for docs/bias-broadcast.md and snippets/bias_gradient.py.

The numbers on the page are checked against literal values derived by hand (see the
comments), against autograd applied to forward passes written here, and against
centered finite differences. Each mistake in the page's gallery is re-implemented here
and must fail the check, and its fix must pass.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from bias_gradient import bias_backward, bias_forward

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "bias-broadcast.md"

# Source 000's example, corrected to D = 3 (page: "Source 000's example, in both layouts").
X0 = np.array([[1.0, 0.0, 2.0], [-1.0, 3.0, 1.0]])                   # (S, D) = (2, 3)
W0 = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [2.0, 0.0, 1.0]])  # (D, M) = (3, 3)
b0 = np.array([1.0, -2.0, 0.5])                                      # (M,)
dZ0 = np.array([[1.0, -2.0, 3.0], [4.0, 0.0, -1.0]])                 # (S, M)

# By hand: XW row 1 = 1*(1,2,0) + 0*(0,1,-1) + 2*(2,0,1) = (5, 2, 2);
#          XW row 2 = -1*(1,2,0) + 3*(0,1,-1) + 1*(2,0,1) = (1, 1, -2); plus b.
Z0_HAND = [[6.0, 0.0, 2.5], [2.0, -1.0, -1.5]]
DB0_HAND = [1 + 4, -2 + 0, 3 - 1]                 # column sums of dZ0: (5, -2, 2)
WRONG_AXIS_HAND = [1 - 2 + 3, 4 + 0 - 1]          # row sums of dZ0: (2, 3)

SHAPES = [(1, 3, "vec"), (1, 3, "row"), (2, 3, "vec"), (4, 3, "row"), (5, 1, "vec"), (3, 7, "row")]


def numerical_gradient(f, a, h=1e-5):
    out = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        fp = f()
        a[idx] = old - h
        fm = f()
        a[idx] = old
        out[idx] = (fp - fm) / (2 * h)
    return out


def rel_error(a, n):
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)


def make(N, M, b_kind, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, M)).astype(dtype)
    b_ = rng.standard_normal(M if b_kind == "vec" else (1, M)).astype(dtype)
    dout = rng.standard_normal((N, M)).astype(dtype)
    return x, b_, dout


# --- the broadcast and the derivation ---------------------------------------------------


def test_broadcast_is_the_outer_product_with_ones():
    x, b_, _ = make(4, 3, "vec")
    ones = np.ones((4, 1))
    np.testing.assert_array_equal(x + b_, x + ones @ b_.reshape(1, 3))
    np.testing.assert_array_equal(bias_forward(x, b_)[0], x + ones @ b_.reshape(1, 3))


def test_db_is_ones_transpose_dY_elementwise():
    # Equation (2) as a loop: dL/db_v = sum_ij g_ij [j == v].
    _, _, dY = make(5, 4, "vec", seed=1)
    loop = [sum(dY[i, j] * (1.0 if j == v else 0.0) for i in range(5) for j in range(4)) for v in range(4)]
    np.testing.assert_allclose(np.ones(5) @ dY, loop)
    np.testing.assert_allclose(bias_backward(dY, bias_forward(np.zeros((5, 4)), np.zeros(4))[1])[1], loop)


def test_bias_trick_last_row_is_db():
    rng = np.random.default_rng(2)
    X, dY = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    X_aug = np.hstack([X, np.ones((6, 1))])
    np.testing.assert_allclose((X_aug.T @ dY)[-1], dY.sum(axis=0))


# --- numpy axes and keepdims ---------------------------------------------------------------


def test_axis_demo_by_hand():
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # By hand: column sums 1+4, 2+5, 3+6; row sums 1+2+3, 4+5+6.
    assert A.sum(axis=0).tolist() == [5.0, 7.0, 9.0]
    assert A.sum(axis=1).tolist() == [6.0, 15.0]
    assert (A[0] + A[1]).tolist() == [5.0, 7.0, 9.0]   # "the sum of the rows" = axis 0
    assert A.sum(axis=0, keepdims=True).shape == (1, 3)
    assert A.sum(axis=1, keepdims=True).shape == (2, 1)
    assert A.sum(axis=1, keepdims=True).tolist() == [[6.0], [15.0]]
    # Source 000's question: a (2, 3) matrix times three ones is the axis-1 sum, not db.
    np.testing.assert_array_equal(A @ np.ones(3), A.sum(axis=1))
    np.testing.assert_array_equal(np.ones(2) @ A, A.sum(axis=0))


def test_keepdims_with_a_vector_bias():
    db_keep = np.array([[5.0, 7.0, 9.0]])
    b_vec = np.zeros(3)
    with pytest.raises(ValueError):
        b_vec -= 0.1 * db_keep
    assert (b_vec - 0.1 * db_keep).shape == (1, 3)
    b_row = np.zeros((1, 3))
    b_row -= 0.1 * db_keep
    np.testing.assert_allclose(b_row, [[-0.5, -0.7, -0.9]])


def test_snippet_main_prints_the_axis_demo(capsys):
    runpy.run_path(str(ROOT / "snippets" / "bias_gradient.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "[5.0, 7.0, 9.0]" in out and "[6.0, 15.0]" in out
    assert "(1, 3) (2, 1)" in out
    assert "db = [5.0, -2.0, 2.0]" in out


# --- source 000's example ----------------------------------------------------------------


def test_source_000_example_by_hand():
    Z, cache = bias_forward(X0 @ W0, b0)
    _, db = bias_backward(dZ0, cache)
    np.testing.assert_allclose(Z, Z0_HAND)
    np.testing.assert_allclose(db, DB0_HAND)
    np.testing.assert_allclose(dZ0.sum(axis=1), WRONG_AXIS_HAND)
    # Columns layout: Z_cols = W^T X^T + b 1^T, db = dZ_cols 1 as a (3, 1) column.
    np.testing.assert_allclose(W0.T @ X0.T + b0.reshape(3, 1), np.array(Z0_HAND).T)
    np.testing.assert_allclose(dZ0.T @ np.ones((2, 1)), np.array(DB0_HAND).reshape(3, 1))
    # With a (1, M) bias, db comes back as (1, M).
    _, db_row = bias_backward(dZ0, bias_forward(X0 @ W0, b0.reshape(1, 3))[1])
    np.testing.assert_allclose(db_row, [DB0_HAND])


def test_source_000_example_autograd():
    def loss_rows(b_):
        return anp.sum(dZ0 * (anp.dot(X0, W0) + b_))

    def loss_cols(b_col):
        return anp.sum(dZ0.T * (anp.dot(W0.T, X0.T) + b_col))

    np.testing.assert_allclose(grad(loss_rows)(b0), DB0_HAND)
    np.testing.assert_allclose(grad(loss_cols)(b0.reshape(3, 1)), np.array(DB0_HAND).reshape(3, 1))


def test_source_000_dimensions():
    # D = 3 as stated: X is 2x3 and W is 3x3; Z = XW is S x M; W @ X is undefined.
    assert (X0 @ W0).shape == (2, 3)
    with pytest.raises(ValueError):
        W0 @ X0


def test_page_asserts_the_same_numbers():
    text = PAGE.read_text(encoding="utf-8")
    for line in (
        "np.testing.assert_allclose(Z0, [[6.0, 0.0, 2.5], [2.0, -1.0, -1.5]])",
        "np.testing.assert_allclose(db0, [5.0, -2.0, 2.0])",
        "np.testing.assert_allclose(db0_col, [[5.0], [-2.0], [2.0]])",
        "np.testing.assert_allclose(dZ0.sum(axis=1), [2.0, 3.0])",
    ):
        assert line in text, line


# --- the snippet against finite differences and autograd --------------------------------


@pytest.mark.parametrize("N, M, b_kind", SHAPES)
def test_bias_backward_matches_finite_differences(N, M, b_kind):
    x, b_, dout = make(N, M, b_kind)
    dx, db = bias_backward(dout, bias_forward(x, b_)[1])

    def f():
        return float(np.sum(dout * bias_forward(x, b_)[0]))

    assert dx.shape == x.shape and db.shape == b_.shape
    assert rel_error(dx, numerical_gradient(f, x)) < 1e-8
    assert rel_error(db, numerical_gradient(f, b_)) < 1e-8


@pytest.mark.parametrize("N, M, b_kind", SHAPES)
def test_bias_backward_matches_autograd(N, M, b_kind):
    x, b_, dout = make(N, M, b_kind, seed=3)

    def loss(x_, b__):
        return anp.sum(dout * (x_ + anp.reshape(b__, (1, -1))))

    dx, db = bias_backward(dout, bias_forward(x, b_)[1])
    np.testing.assert_allclose(dx, grad(loss, 0)(x, b_), rtol=1e-12)
    np.testing.assert_allclose(db, grad(loss, 1)(x, b_), rtol=1e-12)


@pytest.mark.parametrize("N, M, b_kind", SHAPES)
def test_float32_in_float32_out(N, M, b_kind):
    x, b_, dout = make(N, M, b_kind, dtype=np.float32)
    out, cache = bias_forward(x, b_)
    dx, db = bias_backward(dout, cache)
    assert out.dtype == dx.dtype == db.dtype == np.float32
    np.testing.assert_allclose(db, dout.astype(np.float64).sum(axis=0).reshape(b_.shape), rtol=1e-5)


@pytest.mark.parametrize("N, M, b_kind", SHAPES)
def test_inputs_are_not_mutated(N, M, b_kind):
    x, b_, dout = make(N, M, b_kind)
    copies = [a.copy() for a in (x, b_, dout)]
    out, cache = bias_forward(x, b_)
    dx, db = bias_backward(dout, cache)
    out += 1.0
    dx += 1.0                                   # dx is a copy: editing it leaves dout alone
    db += 1.0
    for a, c in zip((x, b_, dout), copies):
        np.testing.assert_array_equal(a, c)


def test_large_inputs_stay_finite_without_warnings():
    x, b_, dout = make(4, 3, "vec", dtype=np.float32)
    out, cache = bias_forward(1e4 * x, 1e4 * b_)
    dx, db = bias_backward(1e4 * dout, cache)
    assert np.isfinite(out).all() and np.isfinite(dx).all() and np.isfinite(db).all()


def test_error_b_vs_x_names_both_shapes():
    with pytest.raises(ValueError) as err:
        bias_forward(np.zeros((4, 3)), np.zeros((3, 1)))
    assert "(4, 3)" in str(err.value) and "(3, 1)" in str(err.value)
    with pytest.raises(ValueError) as err:
        bias_forward(np.zeros((4, 3)), np.zeros(4))
    assert "(4, 3)" in str(err.value) and "(4,)" in str(err.value)


def test_error_dout_vs_x_names_both_shapes():
    _, cache = bias_forward(np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError) as err:
        bias_backward(np.zeros((3, 4)), cache)
    assert "(3, 4)" in str(err.value) and "(4, 3)" in str(err.value)


def test_integer_and_nonfinite_inputs_are_rejected():
    with pytest.raises(TypeError, match="astype"):
        bias_forward(np.ones((2, 3), dtype=int), b0)
    with pytest.raises(ValueError, match="NaN or inf"):
        bias_forward(np.zeros((2, 3)), np.array([0.0, np.inf, 0.0]))
    _, cache = bias_forward(np.zeros((2, 3)), b0)
    with pytest.raises(TypeError, match="astype"):
        bias_backward(np.ones((2, 3), dtype=np.int64), cache)


# --- the gallery of mistakes ----------------------------------------------------------------


def gallery_check(db_rule, N=4, M=3, layout="rows", loss="sum", seed=0):
    """(db, relative error vs autograd, relative error vs finite differences)."""
    rng = np.random.default_rng(seed)
    D = 2
    if layout == "rows":
        X, W, b_ = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
        T = rng.standard_normal((N, M))

        def forward(bb):
            return anp.dot(X, W) + bb
    else:
        X, W, b_ = rng.standard_normal((D, N)), rng.standard_normal((M, D)), rng.standard_normal((M, 1))
        T = rng.standard_normal((M, N))

        def forward(bb):
            return anp.dot(W, X) + bb
    c = 1.0 if loss == "sum" else 1.0 / N

    def L(bb):
        return c * 0.5 * anp.sum((forward(bb) - T) ** 2)

    dY = c * (forward(b_) - T)
    db = db_rule(dY)
    return db, rel_error(db, grad(L)(b_)), rel_error(db, numerical_gradient(lambda: L(b_), b_))


SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_gallery_correct_rule_passes(seed):
    _, e_ag, e_fd = gallery_check(lambda dY: dY.sum(axis=0), seed=seed)
    assert e_ag < 1e-12 and e_fd < 1e-8


@pytest.mark.parametrize("N", [2, 4, 8])
def test_gallery_1_mean_instead_of_sum(N):
    db, e_ag, e_fd = gallery_check(lambda dY: dY.mean(axis=0), N=N)
    # By hand: db = n / N, so ||n/N - n|| / (||n/N|| + ||n||) = (N - 1) / (N + 1).
    np.testing.assert_allclose(e_ag, (N - 1) / (N + 1))
    assert e_fd > 1e-2
    # With N = 1 the mistake is invisible.
    assert gallery_check(lambda dY: dY.mean(axis=0), N=1)[1] < 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_gallery_2_wrong_axis(seed):
    db, e_ag, e_fd = gallery_check(lambda dY: dY.sum(axis=1), N=3, M=3, seed=seed)
    assert db.shape == (3,)                      # the shape check cannot see it when N == M
    assert e_ag > 1e-2 and e_fd > 1e-2
    db_ok, e_ok, _ = gallery_check(lambda dY: dY.sum(axis=0), N=3, M=3, seed=seed)
    assert e_ok < 1e-12
    # With N = 1 (and M > 1) the naive check broadcasts (1,) against (M,) and fails.
    assert gallery_check(lambda dY: dY.sum(axis=1), N=1, M=3, seed=seed)[1] > 1e-2
    # With N != M the shape is wrong and the comparison itself fails.
    with pytest.raises(ValueError):
        gallery_check(lambda dY: dY.sum(axis=1), N=4, M=3, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_gallery_3_no_sum(seed):
    db, e_ag, e_fd = gallery_check(lambda dY: dY, N=4, seed=seed)
    assert db.shape == (4, 3) and e_ag > 1e-2 and e_fd > 1e-2
    # Invisible with one sample: the reason to check with N >= 2.
    assert gallery_check(lambda dY: dY, N=1, seed=seed)[1] < 1e-12
    # The in-place update raises; the out-of-place one makes b an (N, M) matrix.
    b_ = np.zeros(3)
    with pytest.raises(ValueError):
        b_ -= 0.1 * db
    assert (b_ - 0.1 * db).shape == (4, 3)


@pytest.mark.parametrize("N", [2, 4, 8])
def test_gallery_4_divide_by_n_twice(N):
    _, e_ag, e_fd = gallery_check(lambda dY: dY.mean(axis=0), N=N, loss="mean")
    np.testing.assert_allclose(e_ag, (N - 1) / (N + 1))   # by hand, as in mistake 1
    assert e_fd > 1e-2
    _, e_ok, e_ok_fd = gallery_check(lambda dY: dY.sum(axis=0), N=N, loss="mean")
    assert e_ok < 1e-12 and e_ok_fd < 1e-8
    assert gallery_check(lambda dY: dY.mean(axis=0), N=1, loss="mean")[1] < 1e-12   # N = 1 hides it


@pytest.mark.parametrize("seed", SEEDS)
def test_gallery_5_broadcast_to_m_by_m(seed):
    db, e_ag, e_fd = gallery_check(lambda dY: dY.sum(axis=1), layout="cols", seed=seed)
    assert db.shape == (3,) and e_ag > 1e-2 and e_fd > 1e-2
    assert (np.zeros((3, 1)) - 0.1 * db).shape == (3, 3)
    db_ok, e_ok, e_ok_fd = gallery_check(lambda dY: dY.sum(axis=1, keepdims=True), layout="cols", seed=seed)
    assert db_ok.shape == (3, 1) and e_ok < 1e-12 and e_ok_fd < 1e-8
    # Caught even by a check with N = 1: (M,) against (M, 1) is still (M, M).
    assert gallery_check(lambda dY: dY.sum(axis=1), N=1, layout="cols", seed=seed)[1] > 1e-2
    # The rows-layout variant: a (1, M) db against an (M, 1) bias is (M, M) too.
    assert (np.zeros((3, 1)) - np.ones((1, 3))).shape == (3, 3)


# --- exercises --------------------------------------------------------------------------------


def test_exercise_1():
    dY = np.arange(1.0, 13.0).reshape(4, 3)
    # By hand: 1+4+7+10 = 22, 2+5+8+11 = 26, 3+6+9+12 = 30; row sums 6, 15, 24, 33.
    np.testing.assert_allclose(grad(lambda b_: anp.sum(dY * (anp.zeros((4, 3)) + b_)))(np.zeros(3)), [22, 26, 30])
    np.testing.assert_allclose(bias_backward(dY, bias_forward(np.zeros((4, 3)), np.zeros(3))[1])[1], [22, 26, 30])
    assert dY.sum(axis=1).tolist() == [6.0, 15.0, 24.0, 33.0]


def test_exercise_2():
    dZ_cols = np.array([[0.5, -0.5], [0.25, 0.25], [-1.0, 2.0]])
    # By hand: (0.5 - 0.5, 0.25 + 0.25, -1 + 2) = (0, 0.5, 1).
    g = grad(lambda b_col: anp.sum(dZ_cols * (anp.zeros((3, 2)) + b_col)))(np.zeros((3, 1)))
    np.testing.assert_allclose(g, [[0.0], [0.5], [1.0]])


def test_exercise_3():
    dY = np.arange(1.0, 13.0).reshape(4, 3)
    # By hand: (22, 26, 30) / 4 and / 16.
    np.testing.assert_allclose(bias_backward(dY / 4, bias_forward(np.zeros((4, 3)), np.zeros(3))[1])[1],
                               [5.5, 6.5, 7.5])
    np.testing.assert_allclose([22 / 16, 26 / 16, 30 / 16], [1.375, 1.625, 1.875])
    np.testing.assert_allclose((dY / 4).mean(axis=0), [1.375, 1.625, 1.875])


def test_exercise_4():
    # A per-sample bias B (N, M): dL/dB = dY.
    rng = np.random.default_rng(4)
    XW, dY = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(grad(lambda B: anp.sum(dY * (XW + B)))(np.zeros((4, 3))), dY)


def test_exercise_5():
    # By hand (page): rows of X^T dZ and the ones row.
    expected = [[-3.0, -2.0, 4.0], [12.0, 0.0, -3.0], [6.0, -4.0, 5.0], [5.0, -2.0, 2.0]]

    def loss(W_aug):
        return anp.sum(dZ0 * anp.dot(anp.hstack([X0, anp.ones((2, 1))]), W_aug))

    np.testing.assert_allclose(grad(loss)(np.vstack([W0, b0])), expected)
    np.testing.assert_allclose(expected[-1], DB0_HAND)


def test_wording_table_marks_both_along_phrases_ambiguous():
    """Issue 16: "along the columns" meant axis 0 on this page and axis 1 in source 000's answer.
    The table must call both "along" phrases ambiguous, and every other row must give the sum
    numpy computes for its axis."""
    text = PAGE.read_text(encoding="utf-8")
    table = text[text.index("| phrase | what it does to $A$ |"):]
    lines = table.split("\n\n")[0].splitlines()[2:]              # the table ends at a blank line
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    along = {}
    for phrase, _, result, axis in rows:
        if "along" in phrase:
            along[phrase] = (result, axis)
            continue
        numbers = [float(v) for v in re.findall(r"-?\d+", result)]
        assert numbers == A.sum(axis=int(axis)).tolist(), phrase
    assert set(along) == {'"sum along the columns"', '"sum along the rows"'}
    assert all(v == ("either", "avoid") for v in along.values())
