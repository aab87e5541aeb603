"""docs/losses.md and snippets/losses.py: each gradient against centered finite differences
and autograd on several shapes; large logits; dtypes; validation; the page's worked numbers
against hand arithmetic."""

import math
import re
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from gradient_check import eval_numerical_gradient, rel_error
from losses import mse_loss, softmax_loss, sum_loss, svm_loss


from numerics import centered_gradient as centered_difference


def cross_entropy_autograd(x, y):
    """Independent formula: -(1/N) sum_i log(exp(x_i,y_i) / sum_j exp(x_ij)), no shift."""
    N = x.shape[0]
    log_p = x - anp.log(anp.sum(anp.exp(x), axis=1, keepdims=True))
    return -anp.sum(log_p[np.arange(N), y]) / N


SHAPES = [(1,), (4,), (1, 3), (5, 2), (2, 3, 4), (1, 2, 2, 3)]


# ---- sum loss ----------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sum_loss_gradient(shape):
    rng = np.random.default_rng(len(shape))
    y = rng.normal(size=shape)
    loss, dy = sum_loss(y)
    assert isinstance(loss, float) and loss == pytest.approx(math.fsum(y.ravel()))
    np.testing.assert_allclose(dy, centered_difference(lambda z: sum_loss(z)[0], y), rtol=1e-7)
    np.testing.assert_array_equal(dy, grad(lambda z: anp.sum(z))(y))


def test_sum_loss_source_002_value():
    # By hand: F = Y^2 = [[1,1],[25,25]], so L = 1 + 1 + 25 + 25 = 52 and dF = ones.
    loss, dF = sum_loss(np.array([[1.0, 1.0], [25.0, 25.0]]))
    assert loss == 52.0
    np.testing.assert_array_equal(dF, [[1.0, 1.0], [1.0, 1.0]])


# ---- MSE ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_mse_gradient(shape):
    rng = np.random.default_rng(10 + len(shape))
    y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
    loss, dy_hat = mse_loss(y_hat, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(0.5 * math.fsum(((y_hat - y) ** 2).ravel()))
    np.testing.assert_allclose(dy_hat, centered_difference(lambda z: mse_loss(z, y)[0], y_hat),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dy_hat, grad(lambda z: 0.5 * anp.sum((z - y) ** 2))(y_hat), rtol=1e-12)


def test_mse_worked_example_by_hand():
    # The page's example: y_hat = [[0.5, 1.0], [2.0, -1.0], [0.0, 0.0]], y = [[0, 1], [1, 1], [0, 2]].
    # By hand: y_hat - y = [[0.5, 0], [1, -2], [0, -2]]; squares 0.25 + 0 + 1 + 4 + 0 + 4 = 9.25;
    # summed convention L = 9.25 / 2 = 4.625; mean over N = 3 rows: 9.25 / 6 = 1.541666...;
    # mean over all N*M = 6 entries: 9.25 / 12 = 0.770833...
    y_hat = np.array([[0.5, 1.0], [2.0, -1.0], [0.0, 0.0]])
    y = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 2.0]])
    loss, d = mse_loss(y_hat, y)
    assert loss == 4.625
    np.testing.assert_array_equal(d, [[0.5, 0.0], [1.0, -2.0], [0.0, -2.0]])
    # mean conventions by autograd: the 1/N (or 1/(N M)) scales the gradient exactly once
    g_rows = grad(lambda z: anp.sum((z - y) ** 2) / (2 * 3))(y_hat)
    g_all = grad(lambda z: anp.mean((z - y) ** 2) / 2)(y_hat)
    np.testing.assert_allclose(g_rows, np.array([[0.5, 0.0], [1.0, -2.0], [0.0, -2.0]]) / 3)
    np.testing.assert_allclose(g_all, np.array([[0.5, 0.0], [1.0, -2.0], [0.0, -2.0]]) / 6)
    assert 9.25 / 6 == pytest.approx(1.5416666666666667)


# ---- softmax cross-entropy ---------------------------------------------------------

@pytest.mark.parametrize("N, C", [(1, 1), (1, 2), (1, 5), (2, 3), (4, 3), (7, 10)])
def test_softmax_gradient(N, C):
    rng = np.random.default_rng(100 * N + C)
    x = rng.normal(scale=2.0, size=(N, C))
    y = rng.integers(0, C, size=N)
    loss, dx = softmax_loss(x, y)
    assert isinstance(loss, float) and dx.shape == (N, C)
    assert loss == pytest.approx(float(cross_entropy_autograd(x, y)), rel=1e-12)
    np.testing.assert_allclose(dx, centered_difference(lambda z: softmax_loss(z, y)[0], x),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dx, grad(cross_entropy_autograd)(x, y), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)   # each row of softmax - onehot sums to 0


def test_softmax_worked_example_by_hand():
    """x = [[0, ln 2, ln 5], [0, 0, 0]], y = [2, 0].
    By hand: row 1 has exp = (1, 2, 5), softmax (1/8, 2/8, 5/8); row 2 softmax (1/3, 1/3, 1/3).
    L = (-ln(5/8) - ln(1/3)) / 2 = (ln 1.6 + ln 3) / 2 = ln(4.8) / 2.
    dx = [[1/8, 2/8, 5/8 - 1], [1/3 - 1, 1/3, 1/3]] / 2 = [[1/16, 1/8, -3/16], [-1/3, 1/6, 1/6]]."""
    x = np.array([[0.0, math.log(2), math.log(5)], [0.0, 0.0, 0.0]])
    loss, dx = softmax_loss(x, np.array([2, 0]))
    assert loss == pytest.approx(math.log(4.8) / 2, rel=1e-15)
    assert loss == pytest.approx(0.78430796, rel=1e-8)   # ln 4 + ln 1.2 = 1.3862944 + 0.1823216
    np.testing.assert_allclose(dx, [[1 / 16, 1 / 8, -3 / 16], [-1 / 3, 1 / 6, 1 / 6]], rtol=1e-14, atol=1e-16)
    # adding a constant to a row changes nothing (the max shift relies on this)
    loss2, dx2 = softmax_loss(x + np.array([[1000.0], [-50.0]]), np.array([2, 0]))
    assert loss2 == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(dx2, dx, atol=1e-12)


def test_the_double_division_bug_is_caught():
    """Planted bug: the loss is averaged AND the upstream gradient is divided by N again."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    _, dx = softmax_loss(x, y)
    numeric = centered_difference(lambda z: softmax_loss(z, y)[0], x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-9)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(dx / 4, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_large_logits_by_hand(dtype):
    # By hand: row [1e4, 0] with label 1: max shift gives [0, -1e4], exp -> [1, 0] (underflow),
    # so -log p_1 = 1e4 exactly and dx = softmax - onehot = [1, -1].
    # Row [-1e4, 1e4] with label 1: p = [0, 1], loss 0, dx row 0.  Mean over N = 2.
    x = np.array([[1e4, 0.0], [-1e4, 1e4]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, dx = softmax_loss(x, np.array([1, 1]))
    assert loss == 5000.0
    np.testing.assert_array_equal(dx, np.array([[0.5, -0.5], [0.0, 0.0]], dtype=dtype))
    assert dx.dtype == dtype


def test_naive_softmax_would_overflow():
    """Planted bug: exp without the max shift overflows at 1e4."""
    with pytest.raises(FloatingPointError), np.errstate(over="raise"):
        np.exp(np.array([1e4, 0.0])).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_preserved(dtype):
    x = np.array([[1.0, 2.0, -1.0]], dtype=dtype)
    assert softmax_loss(x, np.array([0]))[1].dtype == dtype
    assert mse_loss(x, np.zeros_like(x))[1].dtype == dtype
    assert sum_loss(x)[1].dtype == dtype
    assert all(isinstance(f[0], float) for f in
               (softmax_loss(x, np.array([0])), mse_loss(x, np.zeros_like(x)), sum_loss(x)))


def test_mse_gradient_has_y_hat_dtype_even_if_y_is_float64():
    y_hat = np.array([1.0, 2.0], dtype=np.float32)
    assert mse_loss(y_hat, np.array([0.0, 0.0]))[1].dtype == np.float32


def test_inputs_are_never_mutated():
    x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    y = np.array([2, 0])
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    copies = [a.copy() for a in (x, y, t)]
    for a in (x, y, t):
        a.flags.writeable = False                   # any in-place write would raise
    softmax_loss(x, y)
    mse_loss(x, t)
    sum_loss(x)
    for a, c in zip((x, y, t), copies):
        np.testing.assert_array_equal(a, c)


# ---- validation --------------------------------------------------------------------

def test_softmax_validation_messages():
    x = np.zeros((3, 4))
    with pytest.raises(TypeError, match=r"labels y must be integers, got dtype float64 with shape \(3,\)"):
        softmax_loss(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=r"dtype bool"):
        softmax_loss(x, np.array([True, False, True]))
    with pytest.raises(ValueError, match=r"labels y of shape \(3, 1\) do not match x of shape \(3, 4\).*\(3,\)"):
        softmax_loss(x, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"labels y of shape \(2,\) do not match x of shape \(3, 4\)"):
        softmax_loss(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 4\) for x of shape \(3, 4\); got \[4\] at rows \[2\]"):
        softmax_loss(x, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"got \[-1\] at rows \[0\]"):
        softmax_loss(x, np.array([-1, 1, 2]))
    with pytest.raises(ValueError, match=r"got \(0, 4\); the mean over N = 0 samples is undefined"):
        softmax_loss(np.zeros((0, 4)), np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match=r"shape \(N, C\).*got \(4,\)"):
        softmax_loss(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match=r"got \(2, 0\)"):
        softmax_loss(np.zeros((2, 0)), np.array([0, 0]))
    with pytest.raises(TypeError, match=r"x must be a float array, got dtype int64 with shape \(3, 4\)"):
        softmax_loss(np.zeros((3, 4), dtype=np.int64), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"x of shape \(3, 4\) contains NaN or inf"):
        softmax_loss(np.full((3, 4), np.inf), np.array([0, 1, 2]))


def test_mse_and_sum_validation_messages():
    with pytest.raises(ValueError, match=r"y_hat of shape \(3,\) and y of shape \(3, 1\)"):
        mse_loss(np.zeros(3), np.zeros((3, 1)))     # would broadcast to (3, 3) silently
    with pytest.raises(ValueError, match=r"y_hat of shape \(2, 3\) and y of shape \(3, 2\)"):
        mse_loss(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match=r"y must be a float array, got dtype int64 with shape \(2,\)"):
        mse_loss(np.zeros(2), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y_hat of shape \(2,\) contains NaN or inf"):
        mse_loss(np.array([np.nan, 0.0]), np.zeros(2))
    with pytest.raises(TypeError, match=r"y must be a float array, got dtype int64 with shape \(2, 2\)"):
        sum_loss(np.ones((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match=r"y of shape \(1,\) contains NaN or inf"):
        sum_loss(np.array([np.inf]))


def test_sum_and_mse_accept_empty_arrays_with_loss_zero():
    # A sum over zero terms is 0 (as the page says); only the softmax mean is undefined.
    loss, dy = sum_loss(np.zeros((0, 3)))
    assert loss == 0.0 and dy.shape == (0, 3)
    loss, d = mse_loss(np.zeros((0, 2)), np.zeros((0, 2)))
    assert loss == 0.0 and d.shape == (0, 2)


# ---- the page's exercises ----------------------------------------------------------

def test_exercise_1_binary_cross_entropy():
    # By hand: p = sigma(ln 3) = 3/4, loss = -ln(3/4) = ln(4/3) = 0.2876820..., dl/dz = p - 1 = -1/4.
    def bce(z, y):
        p = 1 / (1 + anp.exp(-z))
        return -(y * anp.log(p) + (1 - y) * anp.log(1 - p))
    z = math.log(3.0)
    assert bce(z, 1.0) == pytest.approx(0.28768207245178, rel=1e-12)
    assert grad(bce)(z, 1.0) == pytest.approx(-0.25, rel=1e-12)
    # and it is the C = 2 case of softmax cross-entropy with scores (0, z)
    loss, dS = softmax_loss(np.array([[0.0, z]]), np.array([1]))
    assert loss == pytest.approx(math.log(4 / 3), rel=1e-14)
    np.testing.assert_allclose(dS, [[0.25, -0.25]], rtol=1e-14)


def test_exercise_3_double_division():
    """db = dS.mean(axis=0) is N = 4 times too small; the finite difference says so."""
    rng = np.random.default_rng(3)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    y = np.array([0, 4, 2, 2])
    _, dS = softmax_loss(X @ W + b, y)
    numeric = centered_difference(lambda c: softmax_loss(X @ W + c, y)[0], b)
    auto = grad(lambda c: cross_entropy_autograd(anp.dot(X, W) + c, y))(b)
    np.testing.assert_allclose(dS.sum(axis=0), numeric, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(dS.sum(axis=0), auto, rtol=1e-10)
    np.testing.assert_allclose(auto / dS.mean(axis=0), 4.0, rtol=1e-10)


def test_exercise_5_label_shape_broadcast():
    # By hand: index arrays (3,) and (3, 1) broadcast to (3, 3); entry [a, b] = log_p[b, y[a]],
    # so with log_p[r, c] = 3r + c and y = (2, 0, 1): rows [2, 5, 8], [0, 3, 6], [1, 4, 7].
    log_p = np.arange(9.0).reshape(3, 3)
    picked = log_p[np.arange(3), np.array([[2], [0], [1]])]
    np.testing.assert_array_equal(picked, [[2, 5, 8], [0, 3, 6], [1, 4, 7]])
    with pytest.raises(ValueError, match=r"\(3, 1\)"):
        softmax_loss(np.zeros((3, 3)), np.array([[2], [0], [1]]))


# ---- multiclass SVM (hinge) loss ---------------------------------------------------

def svm_loops(x, y):
    """Independent route: plain Python loops over samples and wrong classes, slope [margin > 0]."""
    N, C = len(x), len(x[0])
    loss, dx = 0.0, [[0.0] * C for _ in range(N)]
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i][j] - x[i][y[i]] + 1.0
            if margin > 0:
                loss += margin
                dx[i][j] += 1.0 / N
                dx[i][y[i]] -= 1.0 / N
    return loss / N, dx


def svm_autograd(x, y):
    N = x.shape[0]
    margins = anp.maximum(0.0, x - x[np.arange(N), y][:, None] + 1.0)
    return (anp.sum(margins) - N * 1.0) / N               # the j = y_i terms are max(0, 1) = 1 each


def test_svm_worked_example_by_hand():
    S = [[2.0, 2.5, -1.0], [0.5, 1.0, 1.5], [0.0, 0.0, 0.0]]
    y = [0, 2, 1]
    # by hand: row 0 margins 1.5, -2; row 1 margins 0 (kink), 0.5; row 2 margins 1, 1
    assert (2.5 - 2 + 1, -1 - 2 + 1, 0.5 - 1.5 + 1, 1 - 1.5 + 1) == (1.5, -2, 0, 0.5)
    loss, dS = svm_loss(np.array(S), np.array(y))
    loops_loss, loops_dx = svm_loops(S, y)
    assert loss == pytest.approx((1.5 + 0.5 + 2) / 3, rel=1e-15) == pytest.approx(loops_loss, rel=1e-15)
    np.testing.assert_allclose(dS * 3, [[-1, 1, 0], [0, 1, -1], [1, -2, 1]], rtol=1e-15)
    np.testing.assert_allclose(dS, loops_dx, rtol=1e-15)
    kink = centered_difference(lambda z: svm_loss(z, np.array(y))[0], np.array(S))
    assert kink[1, 0] == pytest.approx(1 / 6, rel=1e-6)    # half of the slope 1/N: a false alarm


@pytest.mark.parametrize("N, C", [(1, 1), (1, 4), (5, 3), (8, 10), (3, 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_svm_gradient(N, C, dtype):
    rng = np.random.default_rng(100 * N + C)
    x, y = rng.normal(size=(N, C)), rng.integers(0, C, size=N)
    loss, dx = svm_loss(x.astype(dtype), y)
    assert isinstance(loss, float) and dx.dtype == dtype and dx.shape == (N, C)
    assert loss == pytest.approx(svm_loops(x.tolist(), y.tolist())[0], rel=1e-5 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(dx, grad(svm_autograd)(x, y), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(dx, centered_difference(lambda z: svm_loss(z, y)[0], x), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)


def test_svm_equals_the_loop_definition_exactly_on_kinks():
    """Half-integer scores put many margins exactly on 0; the strict indicator gives them slope 0."""
    rng = np.random.default_rng(7)
    kinks = 0
    for _ in range(300):
        N, C = rng.integers(1, 6), rng.integers(1, 6)
        x, y = rng.integers(-4, 5, size=(N, C)) / 2, rng.integers(0, C, size=N)
        loss, dx = svm_loss(x, y)
        loops_loss, loops_dx = svm_loops(x.tolist(), y.tolist())
        assert loss == pytest.approx(loops_loss, rel=1e-15, abs=1e-15)
        np.testing.assert_allclose(dx, loops_dx, rtol=1e-15, atol=1e-15)
        margins = x - x[np.arange(N), y][:, None] + 1.0
        margins[np.arange(N), y] = 1.0
        kinks += int((margins == 0).sum())
    assert kinks > 100


def test_svm_the_course_notebook_cell():
    """cs231n FullyConnectedNets.ipynb (2017-19): 'Loss should be around 9 and dx error ... e-9'."""
    state = np.random.get_state()
    try:
        np.random.seed(231)
        x = 0.001 * np.random.randn(50, 10)
        y = np.random.randint(10, size=50)
    finally:
        np.random.set_state(state)
    dx_num = eval_numerical_gradient(lambda x: svm_loss(x, y)[0], x, verbose=False)
    loss, dx = svm_loss(x, y)
    assert abs(loss - 9) < 0.01
    assert rel_error(dx_num, dx) < 1e-8


def test_svm_float32_and_the_labels_checks():
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    loss, dx = svm_loss(x, np.array([2]))
    assert dx.dtype == np.float32 and loss == 0.0         # by hand: 1 - 3 + 1 < 0 and 2 - 3 + 1 = 0 (kink)
    np.testing.assert_array_equal(dx, [[0, 0, 0]])
    with pytest.raises(ValueError, match="the mean over N = 0 samples is undefined"):
        svm_loss(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    with pytest.raises(TypeError, match="labels y must be integers"):
        svm_loss(np.zeros((2, 3)), np.array([0.0, 1.0]))


# ---- what the page says, against what numpy does (issue 16) --------------------------

PAGE = Path(__file__).resolve().parent.parent / "docs" / "losses.md"


def test_boolean_labels_are_a_mask_and_the_snippet_refuses_them():
    """The "Bad input" table: boolean labels are not classes 0 and 1. In x[arange(N), mask] numpy
    replaces the mask by the positions of its True entries (np.flatnonzero), which must then pair
    with the N row indices."""
    table = np.arange(16.0).reshape(4, 4)                         # N = C = 4, entry 4i + c
    rows = np.arange(4)
    for k in range(4):                                            # one True at k: class k everywhere
        mask = np.arange(4) == k
        np.testing.assert_array_equal(table[rows, mask], table[rows, k])
        assert k == 0 or not np.array_equal(table[rows, mask], table[rows, 0])   # not "class 0"
    np.testing.assert_array_equal(table[rows, np.ones(4, bool)], np.diag(table))  # all True: class i
    for n_true in (0, 2, 3):                                      # any other count: IndexError
        mask = np.arange(4) < n_true
        with pytest.raises(IndexError):
            table[rows, mask]
    with pytest.raises(IndexError):                               # N != C: the mask does not fit
        np.zeros((3, 4))[np.arange(3), np.array([True, False, True])]
    assert np.zeros((1, 1))[np.arange(1), np.array([False])].size == 0   # N = C = 1: picks nothing
    with pytest.raises(TypeError, match="dtype bool"):
        softmax_loss(np.zeros((4, 4)), np.arange(4) == 1)
    row = next(line for line in PAGE.read_text(encoding="utf-8").splitlines()
               if line.startswith("| boolean labels |"))
    assert "IndexError" in row and "positions of the `True` entries" in row   # what the code above shows
    assert "class $0$ for every sample" not in row


def test_quoted_log_probabilities_use_the_pages_index_base():
    """Every literal P_{r,c} or log P_{r,c} quoted on the page is entry [r, c] of the worked
    example it belongs to, with numpy's 0-based indices (the labels are 0-based too)."""
    text = PAGE.read_text(encoding="utf-8")
    examples = {
        "Extreme scores": (np.array([[1e4, 0.0], [-1e4, 1e4]]), np.array([1, 1])),
        "Scores chosen": (np.array([[0.0, math.log(2), math.log(5)], [0.0, 0.0, 0.0]]), np.array([2, 0])),
    }
    checked = 0
    for start, (S, y) in examples.items():
        block = text[text.index(start):][:1500]
        shifted = S - S.max(axis=1, keepdims=True)
        log_P = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        for r, c, value in re.findall(r"\\log P_\{(\d+),\s*(\d+)\} = (-10\^4|-?[\d.]+)", block):
            expected = -1e4 if value == "-10^4" else float(value)
            assert int(r) < S.shape[0] and int(c) < S.shape[1], f"P_{{{r},{c}}} is outside the example"
            assert log_P[int(r), int(c)] == pytest.approx(expected, abs=1e-12), (start, r, c)
            checked += 1
        for r, label_row in re.findall(r"P_\{(\d+),\s*y_(\d+)\}", block):
            assert r == label_row and int(r) < S.shape[0]                  # P_{i, y_i} of a real row
        for r, c in re.findall(r"-\\ln P_\{(\d+),(\d+)\}", block):
            assert int(c) == y[int(r)], "ℓ_i is -ln P_{i, y_i}"
            checked += 1
    assert checked >= 4
    softmax_section = text[text.index("## Softmax cross-entropy"):text.index("## Bad input")]
    assert not re.search(r"\\sum_\{[ik]=1\}", softmax_section), "sums over samples or classes start at 0"


def test_columns_tab_writes_the_batch_matrix_as_Delta():
    text = PAGE.read_text(encoding="utf-8")
    assert "(A^{(L)} - T^\\top)/N$ of shape $(C, N)$" in text
    assert not re.search(r"\\delta\^\{\(L\)\} = \(A\^\{\(L\)\}", text)          # δ is one sample's column


def test_mse_loss_says_it_is_a_half_sum():
    assert "half sum of squares" in mse_loss.__doc__ and "not a mean" in mse_loss.__doc__
    y_hat, t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))
    assert mse_loss(y_hat, t)[0] == 0.5 * 30.0 != np.mean(y_hat ** 2)          # 15, not 7.5
    text = PAGE.read_text(encoding="utf-8")
    assert "not a\nmean" in text or "not a mean" in text
