"""Tests for docs/gradients-and-jacobians.md, snippets/jacobians.py and bench/jacobian_vs_backprop.py.

Every expected number comes from a route other than the snippet: a literal worked out
by hand (the comment next to it shows the arithmetic), autodiff with autograd, exact
rational arithmetic (fractions), or numpy's own shape bookkeeping. None is the
snippet's output pasted back in.
"""
import importlib.util
import math
from fractions import Fraction
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

from jacobians import numerical_gradient, numerical_jacobian

ROOT = Path(__file__).resolve().parent.parent

# The page's small example (section "Contracting it gives X^T dY").
X_PAGE = np.array([[1.0, 0.0, 2.0, -1.0],
                   [0.0, 1.0, 1.0, 0.0],
                   [2.0, -1.0, 0.0, 1.0]])      # (3, 4)
W_PAGE = np.array([[0.5, -1.0],
                   [2.0, 0.0],
                   [1.0, 1.0],
                   [-0.5, 3.0]])                # (4, 2)
DY_PAGE = np.array([[1.0, 0.0],
                    [2.0, -1.0],
                    [0.0, 1.0]])                # (3, 2)


def agrees_with_autograd(J, f, x, rtol=1e-6, atol=1e-8):
    """The check a reader would run: same shape and same values as autograd's Jacobian."""
    J_ref = jacobian(f)(x)
    return J.shape == J_ref.shape and np.allclose(J, J_ref, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- agreement with autograd

def _softmax(z):
    e = anp.exp(z - anp.max(z))
    return e / anp.sum(e)


_rng = np.random.default_rng(42)
_A43 = _rng.standard_normal((4, 3))
_A44 = _rng.standard_normal((4, 4))
_X13 = _rng.standard_normal((1, 3))
_X53 = _rng.standard_normal((5, 3))
_LABELS = np.array([2, 0, 1, 1])

SCALAR_CASES = [
    ("sum of sin, (1,)", lambda x: anp.sum(anp.sin(x)), (1,)),
    ("sum of sin, (5,)", lambda x: anp.sum(anp.sin(x)), (5,)),
    ("sum of sin, (1, 1)", lambda x: anp.sum(anp.sin(x)), (1, 1)),
    ("sum of sin, (3, 4)", lambda x: anp.sum(anp.sin(x)), (3, 4)),
    ("sum of sin, (2, 3, 4)", lambda x: anp.sum(anp.sin(x)), (2, 3, 4)),
    ("logsumexp, (7,)", lambda x: anp.log(anp.sum(anp.exp(x))), (7,)),
    ("quadratic form, (4,)", lambda x: anp.dot(x, anp.dot(_A44, x)), (4,)),
    ("||XW||^2 by W, N = 1", lambda W: anp.sum(anp.dot(_X13, W) ** 2), (3, 2)),
    ("||XW||^2 by W, N = 5", lambda W: anp.sum(anp.dot(_X53, W) ** 2), (3, 2)),
    ("softmax cross-entropy, (4, 3)",
     lambda S: -anp.sum(S[np.arange(4), _LABELS] - anp.log(anp.sum(anp.exp(S), axis=1))), (4, 3)),
    ("softmax cross-entropy, N = 1",
     lambda S: -anp.sum(S[0, 1] - anp.log(anp.sum(anp.exp(S), axis=1))), (1, 3)),
]

VECTOR_CASES = [
    ("tanh, (5,)", lambda x: anp.tanh(x), (5,)),
    ("tanh, (2, 3)", lambda x: anp.tanh(x), (2, 3)),
    ("Ax, (3,) -> (4,)", lambda x: anp.dot(_A43, x), (3,)),
    ("softmax, (6,)", _softmax, (6,)),
    ("outer(x, x), (3,) -> (3, 3)", lambda x: anp.outer(x, x), (3,)),
    ("Wv by W, (2, 3) -> (2,)", lambda W: anp.dot(W, np.array([3.0, 0.0, 1.0])), (2, 3)),
    ("XW by W, N = 1", lambda W: anp.dot(_X13, W), (3, 2)),
    ("XW by W, N = 5", lambda W: anp.dot(_X53, W), (3, 2)),
    ("XW by X, N = 5", lambda X: anp.dot(X, _A43.T), (5, 3)),
    ("scalar output", lambda x: anp.sum(x ** 3), (2, 2)),
]


@pytest.mark.parametrize("name, f, shape", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_numerical_gradient_matches_autograd(name, f, shape):
    x = np.random.default_rng(0).standard_normal(shape)          # shape
    dx = numerical_gradient(f, x)
    assert dx.shape == x.shape                                   # a gradient has x's shape
    np.testing.assert_allclose(dx, grad(f)(x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, f, shape", VECTOR_CASES, ids=[c[0] for c in VECTOR_CASES])
def test_numerical_jacobian_matches_autograd(name, f, shape):
    x = np.random.default_rng(1).standard_normal(shape)          # shape
    J = numerical_jacobian(f, x)
    assert J.shape == np.shape(f(x)) + x.shape                   # the page's one rule
    assert agrees_with_autograd(J, f, x)


# ---------------------------------------------------------------- the page's worked answers

def test_derivative_worked_answer():
    # By hand: d/dx x^3 = 3x^2 = 12 at x = 2.
    assert grad(lambda x: x ** 3)(2.0) == 12.0
    d = numerical_gradient(lambda x: x ** 3, 2.0)
    assert d.shape == ()
    np.testing.assert_allclose(d, 12.0, rtol=1e-8)


def test_gradient_by_vector_worked_answer():
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 1.0]])
    x = np.array([1.0, 1.0, 2.0])
    f = lambda x: anp.dot(x, anp.dot(A, x))  # noqa: E731
    # By hand: f = (1, 1, 2) . (3, 7, 3) = 16; (A + A^T) x = (2+2+2, 2+2+6, 1+3+4) = (6, 10, 8).
    assert f(x) == 16.0
    np.testing.assert_allclose(grad(f)(x), [6.0, 10.0, 8.0])
    dx = numerical_gradient(f, x)
    np.testing.assert_allclose(dx, [6.0, 10.0, 8.0], rtol=1e-8)
    # Planted bug from the page's warning: 2Ax = (6, 14, 6) is caught.
    assert not np.allclose(2 * A @ x, dx, rtol=1e-3)


def test_gradient_by_matrix_worked_answer():
    W = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    u, v = np.array([1.0, -2.0]), np.array([3.0, 0.0, 1.0])
    f = lambda W: anp.dot(u, anp.dot(W, v))  # noqa: E731
    # By hand: u v^T = (1, -2)^T (3, 0, 1).
    expected = [[3.0, 0.0, 1.0], [-6.0, 0.0, -2.0]]
    np.testing.assert_allclose(grad(f)(W), expected)
    np.testing.assert_allclose(numerical_gradient(f, W), expected, atol=1e-8)
    # The page's chain-rule check: u contracted with d(Wv)/dW (autograd's) is u v^T.
    J3 = jacobian(lambda W: anp.dot(W, v))(W)                    # (2, 2, 3)
    np.testing.assert_allclose(np.tensordot(u, J3, axes=1), expected)


def test_jacobian_worked_answer():
    A23 = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    x3 = np.array([1.0, -1.0, 2.0])
    # By hand: d(Ax)/dx = A (2 x 3); d(x * x)/dx = diag(2x) = diag(2, -2, 4).
    np.testing.assert_allclose(jacobian(lambda x: anp.dot(A23, x))(x3), [[1, 2, 0], [0, -1, 3]])
    np.testing.assert_allclose(jacobian(lambda x: x * x)(x3), np.diag([2.0, -2.0, 4.0]))
    np.testing.assert_allclose(numerical_jacobian(lambda x: A23 @ x, x3), [[1, 2, 0], [0, -1, 3]],
                               atol=1e-8)
    np.testing.assert_allclose(numerical_jacobian(lambda x: x * x, x3), np.diag([2.0, -2.0, 4.0]),
                               atol=1e-8)
    # Rows tab: y = x W_rows with W_rows = A23^T; shape (1, M, 1, D) = (1, 2, 1, 3), values W_rows^T.
    J_row = jacobian(lambda x: anp.dot(x, A23.T))(x3.reshape(1, 3))
    assert J_row.shape == (1, 2, 1, 3)
    np.testing.assert_allclose(J_row.reshape(2, 3), [[1, 2, 0], [0, -1, 3]])
    J_row_num = numerical_jacobian(lambda x: x @ A23.T, x3.reshape(1, 3))
    assert J_row_num.shape == (1, 2, 1, 3)


def test_jacobian_3d_worked_answer():
    W = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    v = np.array([3.0, 0.0, 1.0])
    # By hand: d f_i / d w_kl = [i = k] v_l; block i holds v^T in its row i.
    expected = [[[3, 0, 1], [0, 0, 0]],
                [[0, 0, 0], [3, 0, 1]]]
    np.testing.assert_allclose(jacobian(lambda W: anp.dot(W, v))(W), expected)
    J3 = numerical_jacobian(lambda W: W @ v, W)
    assert J3.shape == (2, 2, 3)
    np.testing.assert_allclose(J3, expected, atol=1e-8)


def test_full_size_counts_worked_answer():
    N, D, M = 64, 784, 128
    # By hand: 64 * 128 = 8,192; 784 * 128 = 100,352;
    # 8,192 * 100,352 = 802,816,000 + 19,267,584 = 822,083,584; times 8 bytes = 6,576,668,672.
    jac_entries, jac_bytes = 822_083_584, 6_576_668_672
    dW_entries, dW_bytes = 100_352, 802_816
    assert math.prod((N, M, D, M)) == jac_entries
    # numpy's own count, from a zero-stride view that allocates one float, not 6.6 GB.
    view = np.broadcast_to(np.float64(0.0), (N, M, D, M))
    assert view.size == jac_entries and view.nbytes == jac_bytes
    dW_view = np.broadcast_to(np.float64(0.0), (D, M))
    assert dW_view.size == dW_entries and dW_view.nbytes == dW_bytes
    assert jac_bytes == 49 * 2 ** 27                             # exactly 6.125 GiB
    assert jac_entries // dW_entries == 8_192 == N * M
    # The note's 8 x 8 digits (D = 64): 2^6 * 2^7 * 2^6 * 2^7 * 2^3 = 2^29 = 536,870,912 bytes,
    # 784 / 64 = 12.25 times fewer.
    assert np.broadcast_to(np.float64(0.0), (64, 128, 64, 128)).nbytes == 536_870_912 == 2 ** 29
    assert jac_bytes / 536_870_912 == 12.25
    # Nonzero entries of X_ik [j = l]: N * D * M = 64 * 784 * 128 = 6,422,528, a fraction 1/M.
    assert N * D * M == 6_422_528 and jac_entries // 6_422_528 == M


def test_contraction_worked_answer():
    # By hand (page): rows of X^T dY are the columns of X weighting the rows of dY.
    expected_dW = [[1, 2], [2, -2], [4, -1], [-1, 1]]
    loss = lambda W: anp.sum(DY_PAGE * anp.dot(X_PAGE, W))  # noqa: E731  (so dL/dY = DY_PAGE)
    np.testing.assert_allclose(grad(loss)(W_PAGE), expected_dW)
    J_ag = jacobian(lambda W: anp.dot(X_PAGE, W))(W_PAGE)   # (3, 2, 4, 2)
    np.testing.assert_allclose(np.tensordot(DY_PAGE, J_ag, axes=([0, 1], [0, 1])), expected_dW)
    J_num = numerical_jacobian(lambda W: X_PAGE @ W, W_PAGE)
    np.testing.assert_allclose(np.tensordot(DY_PAGE, J_num, axes=([0, 1], [0, 1])), expected_dW,
                               atol=1e-8)
    np.testing.assert_allclose(X_PAGE.T @ DY_PAGE, expected_dW)
    # dY/dW_11 by hand: first column of X, (1, 0, 2), in column 1.
    np.testing.assert_allclose(J_ag[:, :, 0, 0], [[1, 0], [0, 0], [2, 0]])


@pytest.mark.parametrize("N, D, M", [(1, 1, 1), (1, 4, 3), (5, 3, 2), (2, 6, 4), (4, 4, 4)])
def test_contraction_equals_backprop_any_shape(N, D, M):
    rng = np.random.default_rng(N * 100 + D * 10 + M)
    X = rng.standard_normal((N, D))                              # (N, D)
    W = rng.standard_normal((D, M))                              # (D, M)
    dY = rng.standard_normal((N, M))                             # (N, M)
    J_ag = jacobian(lambda W: anp.dot(X, W))(W)                  # (N, M, D, M)
    assert J_ag.shape == (N, M, D, M)
    # The sparsity formula dY_ij/dW_kl = X_ik [j = l], entry by entry.
    for i, j, k, l in np.ndindex(N, M, D, M):
        assert J_ag[i, j, k, l] == (X[i, k] if j == l else 0.0)
    J_num = numerical_jacobian(lambda W: X @ W, W)
    np.testing.assert_allclose(J_num, J_ag, atol=1e-8)
    dW_ag = grad(lambda W: anp.sum(dY * anp.dot(X, W)))(W)
    np.testing.assert_allclose(np.tensordot(dY, J_num, axes=([0, 1], [0, 1])), dW_ag, atol=1e-8)
    np.testing.assert_allclose(X.T @ dY, dW_ag)


@pytest.mark.parametrize("d_out, d_in, N", [(2, 3, 1), (3, 2, 4)])
def test_columns_convention_contraction(d_out, d_in, N):
    # Columns tab: Z = W A, dZ_ij/dW_kl = [i = k] A_lj, so dW = dZ A^T.
    rng = np.random.default_rng(7)
    W = rng.standard_normal((d_out, d_in))                       # (d_l, d_{l-1})
    A = rng.standard_normal((d_in, N))                           # (d_{l-1}, N)
    dZ = rng.standard_normal((d_out, N))                         # (d_l, N)
    J = numerical_jacobian(lambda W: W @ A, W)                   # (d_l, N, d_l, d_{l-1})
    assert J.shape == (d_out, N, d_out, d_in)
    dW_ag = grad(lambda W: anp.sum(dZ * anp.dot(W, A)))(W)
    np.testing.assert_allclose(np.tensordot(dZ, J, axes=([0, 1], [0, 1])), dW_ag, atol=1e-8)
    np.testing.assert_allclose(dZ @ A.T, dW_ag)


# ---------------------------------------------------------------- planted bugs are caught

def _transposed_jacobian(f, x):
    """A planted bug: input axes first, output axes last (one row per input)."""
    J = numerical_jacobian(f, x)
    n_out = J.ndim - np.ndim(x)
    return np.moveaxis(J, list(range(n_out)), list(range(J.ndim - n_out, J.ndim)))


def test_wrong_orientation_jacobian_is_caught():
    rng = np.random.default_rng(3)
    A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])            # (2, 3): non-square
    x = rng.standard_normal(3)
    assert agrees_with_autograd(numerical_jacobian(lambda x: anp.dot(A, x), x),
                                lambda x: anp.dot(A, x), x)
    assert not agrees_with_autograd(_transposed_jacobian(lambda x: A @ x, x),
                                    lambda x: anp.dot(A, x), x)  # shape (3, 2) != (2, 3)
    # Square and not symmetric: the shapes agree, only the values betray the bug.
    B = np.array([[1.0, 2.0], [0.0, 1.0]])
    y = rng.standard_normal(2)
    J_bad = _transposed_jacobian(lambda x: B @ x, y)
    assert J_bad.shape == (2, 2)
    assert not agrees_with_autograd(J_bad, lambda x: anp.dot(B, x), y)
    # The 4-D Jacobian of XW laid out input-first, (D, M, N, M): with N != D the
    # contraction with dY fails loudly; with N == D it runs and gives a wrong dW.
    J_bad4 = _transposed_jacobian(lambda W: X_PAGE @ W, W_PAGE)  # (4, 2, 3, 2)
    with pytest.raises(ValueError):
        np.tensordot(DY_PAGE, J_bad4, axes=([0, 1], [0, 1]))
    Xsq = rng.standard_normal((3, 3))                            # N = D = 3
    Wsq = rng.standard_normal((3, 2))
    J_bad_sq = _transposed_jacobian(lambda W: Xsq @ W, Wsq)      # (3, 2, 3, 2), wrong layout
    assert not np.allclose(np.tensordot(DY_PAGE, J_bad_sq, axes=([0, 1], [0, 1])), Xsq.T @ DY_PAGE)
    J_good_sq = numerical_jacobian(lambda W: Xsq @ W, Wsq)
    np.testing.assert_allclose(np.tensordot(DY_PAGE, J_good_sq, axes=([0, 1], [0, 1])),
                               Xsq.T @ DY_PAGE, atol=1e-8)


def test_wrong_contraction_axes_are_caught():
    # Contracting dY with the Jacobian's *input* axes is a shape error at the page's sizes...
    J = jacobian(lambda W: anp.dot(X_PAGE, W))(W_PAGE)           # (3, 2, 4, 2)
    with pytest.raises(ValueError):
        np.tensordot(DY_PAGE, J, axes=([0, 1], [2, 3]))
    # ... and the common dW = X dY^T-style slip gives the wrong shape.
    assert (X_PAGE @ np.ones((4, 3))).shape != W_PAGE.shape


# ---------------------------------------------------------------- the snippet's promises

def test_never_mutates_x_even_if_f_does():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    saved = x.copy()

    def doubling_sum(z):
        z *= 2.0                                                 # writes into its argument
        return z.sum()

    dx = numerical_gradient(doubling_sum, x)
    np.testing.assert_array_equal(x, saved)
    np.testing.assert_allclose(dx, np.full((2, 2), 2.0), rtol=1e-8)   # by hand: d(2 sum x)/dx = 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_of_x_is_kept_and_result_is_float64(dtype):
    x = np.array([0.5, -1.5, 2.0], dtype=dtype)
    saved = x.copy()
    J = numerical_jacobian(lambda x: x ** 2, x)
    assert x.dtype == dtype and np.array_equal(x, saved)
    assert J.dtype == np.float64


def test_float32_input_is_differentiated_in_float64():
    x32 = np.array([30.0, 40.0], dtype=np.float32)
    f = lambda x: anp.sum(x ** 3)  # noqa: E731
    # By hand: 3 x^2 = (2700, 4800).
    dx = numerical_gradient(f, x32)
    np.testing.assert_allclose(dx, [2700.0, 4800.0], rtol=1e-7)
    np.testing.assert_allclose(dx, grad(f)(x32.astype(np.float64)), rtol=1e-7)
    # Why it matters (a planted float32 checker): in float32 the step 1e-6 vanishes at 40.
    h = np.float32(1e-6)
    naive = (f(x32 + h) - f(x32 - h)) / (2 * h)
    assert not np.allclose(naive, [2700.0, 4800.0], rtol=1e-2)


def test_accepts_lists_and_python_floats():
    np.testing.assert_allclose(numerical_gradient(lambda x: x @ x, [1.0, 2.0]), [2.0, 4.0], rtol=1e-8)
    assert numerical_gradient(lambda x: 3.0 * x, 1.5).shape == ()


@pytest.mark.parametrize("bad", [np.array([1, 2, 3]), np.array([True, False]), [1, 2], 2])
def test_non_float_x_raises_type_error(bad):
    with pytest.raises(TypeError, match=r"astype\(np\.float64\)"):
        numerical_jacobian(lambda x: x, bad)
    with pytest.raises(TypeError, match=r"astype\(np\.float64\)"):
        numerical_gradient(lambda x: x.sum(), bad)


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan]), np.array([[np.inf, 0.0]])])
def test_nan_or_inf_x_raises_value_error(bad):
    with pytest.raises(ValueError, match="NaN or inf"):
        numerical_jacobian(lambda x: x, bad)


def test_other_bad_input():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="function"):
        numerical_jacobian(np.ones(3), x)
    for h in (0.0, -1e-6, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive finite"):
            numerical_jacobian(lambda x: x, x, h=h)
    with pytest.raises(ValueError, match=r"shape \(3,\).*numerical_jacobian"):
        numerical_gradient(lambda x: 2 * x, x)
    with pytest.raises(ValueError, match="must not depend on x"):
        numerical_jacobian(lambda z: z[z > 2.0], x)              # output length depends on x
    with pytest.raises(ValueError, match="NaN or inf"):
        numerical_jacobian(lambda z: np.where(z < 1.5, np.inf, z), x)   # f(x)_0 = inf


# ---------------------------------------------------------------- the exercises

def test_exercise_1_shapes():
    rng = np.random.default_rng(0)
    Xe, We = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    # By hand from the rule: (10, 10); (D, M) = (3, 4); (N, M, N, D) = (2, 4, 2, 3); (1, M, D, M).
    assert jacobian(_softmax)(rng.standard_normal(10)).shape == (10, 10)
    assert grad(lambda W: anp.sum(anp.dot(Xe, W) ** 2))(We).shape == (3, 4)
    assert jacobian(lambda X: anp.dot(X, We))(Xe).shape == (2, 4, 2, 3)
    assert jacobian(lambda W: anp.dot(Xe[:1], W))(We).shape == (1, 4, 3, 4)


def test_exercise_2_dX():
    # By hand: (64 * 128) * (64 * 784) = 8,192 * 50,176 = 411,041,792 entries; * 8 = 3,288,334,336 bytes.
    view = np.broadcast_to(np.float64(0.0), (64, 128, 64, 784))
    assert view.size == 411_041_792 and view.nbytes == 3_288_334_336
    # By hand: dX = dY W^T; row 2 = 2 * (0.5, 2, 1, -0.5) - (-1, 0, 1, 3) = (2, 4, 1, -4).
    expected_dX = [[0.5, 2.0, 1.0, -0.5], [2.0, 4.0, 1.0, -4.0], [-1.0, 0.0, 1.0, 3.0]]
    np.testing.assert_allclose(grad(lambda X: anp.sum(DY_PAGE * anp.dot(X, W_PAGE)))(X_PAGE),
                               expected_dX)
    J_X = jacobian(lambda X: anp.dot(X, W_PAGE))(X_PAGE)         # (3, 2, 3, 4)
    for i, j, k, l in np.ndindex(J_X.shape):                     # [i = k] W_lj
        assert J_X[i, j, k, l] == (W_PAGE[l, j] if i == k else 0.0)
    J_num = numerical_jacobian(lambda X: X @ W_PAGE, X_PAGE)
    np.testing.assert_allclose(np.tensordot(DY_PAGE, J_num, axes=([0, 1], [0, 1])), expected_dX,
                               atol=1e-8)


def test_exercise_3_bias():
    # By hand: 64 * 128 * 128 = 1,048,576 entries, * 8 = 8,388,608 bytes.
    view = np.broadcast_to(np.float64(0.0), (64, 128, 128))
    assert view.size == 1_048_576 and view.nbytes == 8_388_608
    f = lambda b: anp.dot(X_PAGE, W_PAGE) + b  # noqa: E731
    J_b = jacobian(f)(np.zeros(2))                               # (N, M, M)
    assert J_b.shape == (3, 2, 2)
    for i in range(3):
        np.testing.assert_array_equal(J_b[i], np.eye(2))
    # By hand: column sums of dY = (1 + 2 + 0, 0 - 1 + 1) = (3, 0).
    np.testing.assert_allclose(grad(lambda b: anp.sum(DY_PAGE * f(b)))(np.zeros(2)), [3.0, 0.0])
    np.testing.assert_allclose(numerical_gradient(lambda b: np.sum(DY_PAGE * (X_PAGE @ W_PAGE + b)),
                                                  np.zeros(2)), [3.0, 0.0], atol=1e-8)


def test_exercise_4_centered():
    # Exact rational arithmetic: (2 +- h)^3 with h = 1/1000.
    h = Fraction(1, 1000)
    cube = lambda x: x ** 3  # noqa: E731
    forward = (cube(2 + h) - cube(2)) / h
    centered = (cube(2 + h) - cube(2 - h)) / (2 * h)
    assert forward == 12 + 6 * h + h ** 2 == Fraction("12.006001")
    assert centered == 12 + h ** 2 == Fraction("12.000001")
    # The snippet's centered difference at this h carries the same h^2 error.
    d = numerical_gradient(cube, 2.0, h=1e-3)
    np.testing.assert_allclose(d, 12.000001, rtol=1e-9)


# ---------------------------------------------------------------- the benchmark's routes

def _load_bench():
    path = ROOT / "bench" / "jacobian_vs_backprop.py"
    spec = importlib.util.spec_from_file_location("jacobian_vs_backprop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("N, D, M", [(1, 2, 3), (3, 4, 2)])
def test_bench_routes_agree_with_autograd(N, D, M):
    bench = _load_bench()
    assert bench.FULL == (64, 784, 128)
    rng = np.random.default_rng(5)
    X, dY = rng.standard_normal((N, D)), rng.standard_normal((N, M))
    dW_ag = grad(lambda W: anp.sum(dY * anp.dot(X, W)))(np.zeros((D, M)))
    np.testing.assert_allclose(bench.dW_by_jacobian(X, dY), dW_ag, atol=1e-12)
    np.testing.assert_allclose(bench.dW_by_backprop(X, dY), dW_ag, atol=1e-12)


def test_float32_accuracy_quoted_from_the_measurement():
    """Issue 16: three pages gave three accounts of float32 accuracy. This page quotes the one
    measurement (gradient-checking.md's running example in float32), and the quote must match
    an independent recomputation (tests/numerics.py) and the table printed on that page."""
    import re

    from numerics import float32_check_errors

    text = (ROOT / "docs" / "gradients-and-jacobians.md").read_text(encoding="utf-8")
    claim = re.search(r"relative error of\s+\$([\d.]+)\$ at \$h = 10\^\{-6\}\$.*?\$([\d.]+)\$ at \$h = 10\^\{-5\}\$",
                      text, re.DOTALL)
    assert claim, "the float32 bullet should quote the measured errors"
    at_1e6, at_1e5 = float(claim.group(1)), float(claim.group(2))
    measured = float32_check_errors((1e-5, 1e-6))
    assert at_1e6 == measured[1e-6] == 1.0
    assert at_1e5 == pytest.approx(measured[1e-5], rel=0.4)
    table = (ROOT / "docs" / "gradient-checking.md").read_text(encoding="utf-8")
    table = table[table.index("      h     float64     float32"):]           # the float64/float32 sweep
    row = re.search(r"^  1e-05 +\S+ +(\S+)$", table, re.MULTILINE)
    assert f"{float(row.group(1)):.2f}" == claim.group(2)        # the printed 1.8e-01
    assert "correct digits" not in text.split("It works in float64")[1].split("- **It divides")[0]
    assert float(np.float32(1.0) + np.float32(1e-6)) == pytest.approx(1.00000095, abs=5e-9)
