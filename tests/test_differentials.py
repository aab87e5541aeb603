"""Tests for docs/differentials.md, snippets/vec_kronecker.py, snippets/jvp_vjp.py and bench/jvp_vs_vjp.py.

Every expected number comes from a route other than the page's code: a literal worked out
by hand (the comment beside it shows the arithmetic), plain-Python loops, autograd (its
reverse mode, its Jacobian, and make_jvp), or centered differences from tests/numerics.py.
None is the code's output pasted back in. The planted-bug tests at the end show that each
kind of check fails on a wrong formula.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian, make_jvp

import jvp_vjp
from jvp_vjp import gradient_by_jvps, mlp_forward, mlp_jvp, mlp_vjp, multiply_counts
from markdown_code import expand, run_page
from numerics import centered_gradient
from vec_kronecker import MAX_ENTRIES, matmul_jacobian, unvec, vec

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "differentials.md"
TEXT = PAGE.read_text(encoding="utf-8")


# ---------------------------------------------------------------- independent helpers

def loop_matmul(A, B):
    """A @ B with three plain loops."""
    return np.array([[sum(A[i][k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))]
                     for i in range(len(A))], dtype=float)


def loop_inner(A, B):
    return sum(a * b for row_a, row_b in zip(np.asarray(A).tolist(), np.asarray(B).tolist())
               for a, b in zip(row_a, row_b))


def loop_trace(A):
    return sum(A[i][i] for i in range(len(A)))


def loop_vec(A, order):
    """Columns stacked (F) or rows stacked (C), with loops."""
    A = np.asarray(A)
    p, q = A.shape
    if order == "F":
        return np.array([A[i, j] for j in range(q) for i in range(p)])
    return np.array([A[i, j] for i in range(p) for j in range(q)])


def loop_kron(A, B):
    """A ⊗ B entry by entry: (A ⊗ B)[i r + k, j s + l] = a_ij b_kl."""
    (p, q), (r, s) = np.shape(A), np.shape(B)
    K = np.zeros((p * r, q * s))
    for i in range(p):
        for j in range(q):
            for k in range(r):
                for l in range(s):
                    K[i * r + k, j * s + l] = A[i][j] * B[k][l]
    return K


@pytest.fixture(scope="module")
def page():
    """The page's namespace after running all its code blocks (about 3 s)."""
    return run_page(expand(TEXT), "differentials.md")


def test_page_asserts_the_numbers_this_file_asserts():
    """The worked answers and exercises assert the same literals as the tests below."""
    for line in (
        "assert np.trace(A_h @ B_h) == 6 and np.trace(B_h @ A_h) == 6",
        "np.testing.assert_array_equal(A_h.T @ G_h, [[1, -3], [0, 6], [2, 0]])",
        "np.testing.assert_array_equal(dL_dW, [[-2, 3, 2], [-2, 4, 4]])",
        "assert two_layer_loss(**params) == 2.5",
        'np.testing.assert_array_equal(grads["W1"], [[-5, 2], [2, 4]])',
        "np.testing.assert_allclose(dX_n, [[0.128, -0.096], [0.5, 0.0]])",
        "np.testing.assert_array_equal(J_C, [[1, 0, 2, 0, 3, 0], [0, 1, 0, 2, 0, 3],",
        '"jvps": 2_368, "forward_mode": 209_369_409,',
        "assert round(counts[\"forward_mode\"] / counts[\"reverse_mode\"], 1) == 1272.9",
        "np.testing.assert_array_equal(X_e1.T @ (2 * Y_e1), [[20, 20], [32, 32]])",
        "np.testing.assert_array_equal(dX_e6, [[-2, -1, 3], [-1, -1, 2]])",
    ):
        assert line in TEXT, line


# ---------------------------------------------------------------- the identities

A_H = [[1.0, 0.0, 2.0], [-1.0, 3.0, 1.0]]      # (2, 3)
B_H = [[2.0, 1.0], [0.0, 1.0], [1.0, 0.0]]     # (3, 2)
G_H = [[1.0, -1.0], [0.0, 2.0]]                # (2, 2)


def test_identities_worked_answer():
    AB, BA = loop_matmul(A_H, B_H), loop_matmul(B_H, A_H)
    # By hand: AB = [[4, 1], [-1, 2]], tr 6; diag(BA) = (1, 3, 2), tr 6.
    assert AB.tolist() == [[4, 1], [-1, 2]] and loop_trace(AB) == 6
    assert np.diag(BA).tolist() == [1, 3, 2] and loop_trace(BA) == 6
    # <G, AB> = 1*4 - 1*1 + 0*(-1) + 2*2 = 7
    assert loop_inner(G_H, AB) == 7
    AtG = loop_matmul(np.transpose(A_H).tolist(), G_H)     # columns of A against columns of G
    GBt = loop_matmul(G_H, np.transpose(B_H).tolist())
    assert AtG.tolist() == [[1, -3], [0, 6], [2, 0]]
    assert GBt.tolist() == [[1, -1, 1], [2, 2, 0]]
    assert loop_inner(AtG, B_H) == 7 and loop_inner(GBt, A_H) == 7   # 2 - 3 + 6 + 2; 1 + 2 - 2 + 6
    # ... and they are the gradients of <G, AB>, by autograd
    f = lambda A, B: anp.sum(np.array(G_H) * anp.dot(A, B))
    np.testing.assert_allclose(grad(f, 1)(np.array(A_H), np.array(B_H)), AtG)
    np.testing.assert_allclose(grad(f, 0)(np.array(A_H), np.array(B_H)), GBt)


@pytest.mark.parametrize("p, q, r", [(1, 1, 1), (2, 3, 4), (4, 1, 3), (3, 3, 3)])
def test_identities_for_several_shapes(p, q, r):
    """(3) to (6) with loops, on random integers (exact in floating point)."""
    g = np.random.default_rng(p * 100 + q * 10 + r)
    ints = lambda *shape: g.integers(-5, 6, shape).astype(float)
    A, B = ints(p, q), ints(q, p)
    assert loop_trace(loop_matmul(A, B)) == loop_trace(loop_matmul(B, A))
    A5, B5, C5 = ints(p, r), ints(p, q), ints(q, r)
    lhs = loop_inner(A5, loop_matmul(B5, C5))
    assert lhs == loop_inner(loop_matmul(B5.T, A5), C5) == loop_inner(loop_matmul(A5, C5.T), B5)
    A6, B6, C6 = ints(p, q), ints(p, q), ints(p, q)
    assert loop_inner(A6, B6 * C6) == loop_inner(A6 * B6, C6)
    assert loop_inner(A6, B6) == loop_inner(A6.T, B6.T) == loop_trace(loop_matmul(A6.T, B6))


def test_a_missing_transpose_breaks_identity_5():
    """The check above can fail: <A, BC> = <AC, B> (no transpose) is false for square C."""
    g = np.random.default_rng(0)
    A, B, C = g.standard_normal((3, 3)), g.standard_normal((3, 3)), g.standard_normal((3, 3))
    assert not np.isclose(loop_inner(A, loop_matmul(B, C)), loop_inner(loop_matmul(A, C), B))


# ---------------------------------------------------------------- the affine layer

X_AFF = np.array([[1.0, 2.0], [3.0, 4.0]])
W_AFF = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
B_AFF = np.array([[0.5, -0.5, 1.0]])
G_AFF = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])


def test_affine_worked_answer():
    L = lambda X, W, b: anp.sum(G_AFF * (anp.dot(X, W) + b))
    # By hand (as on the affine page): dX[p, q] = sum_j g_pj w_qj, dW = columns of X against
    # columns of G, db = column sums of G.
    np.testing.assert_allclose(grad(L, 0)(X_AFF, W_AFF, B_AFF), [[-1, 2], [-1, -1]])
    np.testing.assert_allclose(grad(L, 1)(X_AFF, W_AFF, B_AFF), [[-2, 3, 2], [-2, 4, 4]])
    np.testing.assert_allclose(grad(L, 2)(X_AFF, W_AFF, B_AFF), [[0, 1, 2]])


@pytest.mark.parametrize("N, D, M", [(1, 1, 1), (3, 4, 2), (5, 2, 3)])
def test_affine_read_off_in_both_conventions(N, D, M):
    g = np.random.default_rng(N + D + M)
    X, W, b, G = g.standard_normal((N, D)), g.standard_normal((D, M)), g.standard_normal((1, M)), \
        g.standard_normal((N, M))
    rows = lambda X, W, b: anp.sum(G * (anp.dot(X, W) + anp.dot(np.ones((N, 1)), b)))
    np.testing.assert_allclose(grad(rows, 0)(X, W, b), G @ W.T)
    np.testing.assert_allclose(grad(rows, 1)(X, W, b), X.T @ G)
    np.testing.assert_allclose(grad(rows, 2)(X, W, b), np.ones((1, N)) @ G)
    Xc, Wc, bc, Gc = X.T, W.T, b.T, G.T                                 # (D, N), (M, D), (M, 1), (M, N)
    cols = lambda X, W, b: anp.sum(Gc * (anp.dot(W, X) + anp.dot(b, np.ones((1, N)))))
    np.testing.assert_allclose(grad(cols, 1)(Xc, Wc, bc), Gc @ Xc.T)
    np.testing.assert_allclose(grad(cols, 0)(Xc, Wc, bc), Wc.T @ Gc)
    np.testing.assert_allclose(grad(cols, 2)(Xc, Wc, bc), Gc @ np.ones((N, 1)))


def test_elementwise_rule():
    g = np.random.default_rng(3)
    Z, G_A = g.standard_normal((3, 4)), g.standard_normal((3, 4))
    np.testing.assert_allclose(grad(lambda Z: anp.sum(G_A * anp.tanh(Z)))(Z),
                               G_A * (1 - np.tanh(Z) ** 2))


# ---------------------------------------------------------------- the two-layer network

X2 = np.array([[1.0, 2.0], [3.0, 0.0]])
W1 = np.array([[1.0, -1.0], [1.0, 1.0]])
W2 = np.array([[1.0], [2.0]])
T2 = np.array([[4.0], [5.0]])


def two_layer(X, W1, b1, W2, b2):
    A = anp.maximum(anp.dot(X, W1) + b1, 0.0)
    return 0.5 * anp.sum((anp.dot(A, W2) + b2 - T2) ** 2)


def test_two_layer_worked_answer():
    args = (X2, W1, np.zeros((1, 2)), W2, np.zeros((1, 1)))
    # By hand: Z = [[3, 1], [3, -3]], A = [[3, 1], [3, 0]], S = [[5], [3]], R = [[1], [-2]],
    # L = (1 + 4) / 2; dW2 = A^T R = (3 - 6, 1); RW2^T = [[1, 2], [-2, -4]], masked by
    # relu'(Z) = [[1, 1], [1, 0]]: G_Z = [[1, 2], [-2, 0]]; dW1 = X^T G_Z = [[1 - 6, 2], [2, 4]];
    # db1 = column sums of G_Z; dX = G_Z W1^T: rows (1 - 2, 1 + 2) and (-2, -2).
    assert two_layer(*args) == 2.5
    expected = [[[-1, 3], [-2, -2]], [[-5, 2], [2, 4]], [[-1, 2]], [[-3], [1]], [[-1]]]
    for i, want in enumerate(expected):
        np.testing.assert_allclose(grad(two_layer, i)(*args), want, err_msg=f"argument {i}")
    np.testing.assert_allclose(centered_gradient(lambda W: two_layer(X2, W, *args[2:]), W1),
                               [[-5, 2], [2, 4]], atol=1e-8)
    # the forgotten transpose: X G_Z = [[1 - 4, 2], [3, 6]]
    np.testing.assert_allclose(X2 @ np.array([[1.0, 2.0], [-2.0, 0.0]]), [[-3, 2], [3, 6]])


@pytest.mark.parametrize("N, D, H, C", [(1, 3, 2, 1), (4, 3, 5, 2)])
def test_two_layer_formulas_in_both_conventions(N, D, H, C):
    """The read-off formulas of both tabs, against autograd (tanh in place of relu: no kinks)."""
    g = np.random.default_rng(N * D * H * C)
    X, T = g.standard_normal((N, D)), g.standard_normal((N, C))
    W1_, b1, W2_, b2 = g.standard_normal((D, H)), g.standard_normal((1, H)), g.standard_normal((H, C)), \
        g.standard_normal((1, C))
    L = lambda X, W1, b1, W2, b2: 0.5 * anp.sum((anp.dot(anp.tanh(anp.dot(X, W1) + b1), W2) + b2 - T) ** 2)
    Z = X @ W1_ + b1
    A = np.tanh(Z)
    R = A @ W2_ + b2 - T
    G_Z = (R @ W2_.T) * (1 - A ** 2)
    rows = [G_Z @ W1_.T, X.T @ G_Z, G_Z.sum(axis=0, keepdims=True), A.T @ R, R.sum(axis=0, keepdims=True)]
    for i, want in enumerate(rows):
        np.testing.assert_allclose(grad(L, i)(X, W1_, b1, W2_, b2), want, atol=1e-12)
    # columns: every matrix transposed, the formulas of the second tab
    Xc, Ac, Rc = X.T, A.T, R.T
    G_Zc = (W2_ @ Rc) * (1 - Ac ** 2)                      # (W2c^T R) with W2c = W2_.T
    cols = [W1_ @ G_Zc, G_Zc @ Xc.T, G_Zc.sum(axis=1, keepdims=True), Rc @ Ac.T, Rc.sum(axis=1, keepdims=True)]
    for want_rows, want_cols in zip(rows, cols):
        np.testing.assert_allclose(want_cols, want_rows.T, atol=1e-12)


def test_quadratic_form():
    A = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 1.0]]
    x = np.array([1.0, 1.0, 2.0])
    # (A + A^T) = [[2, 2, 1], [2, 2, 3], [1, 3, 2]]; times (1, 1, 2): (6, 10, 8)
    np.testing.assert_allclose(grad(lambda x: anp.dot(x, anp.dot(np.array(A), x)))(x), [6, 10, 8])


# ---------------------------------------------------------------- layers whose outputs mix

@pytest.mark.parametrize("Tq, Tk, d", [(3, 4, 2), (1, 1, 1), (2, 5, 1)])
def test_product_of_two_inputs(Tq, Tk, d):
    g = np.random.default_rng(Tq + Tk + d)
    Q, K, G = g.standard_normal((Tq, d)), g.standard_normal((Tk, d)), g.standard_normal((Tq, Tk))
    L = lambda Q, K: anp.sum(G * anp.dot(Q, K.T))
    np.testing.assert_allclose(grad(L, 0)(Q, K), G @ K)
    np.testing.assert_allclose(grad(L, 1)(Q, K), G.T @ Q)


def normalize(X):
    return X / anp.sqrt(anp.sum(X * X, axis=1, keepdims=True))


def test_normalization_worked_answer():
    X, G = np.array([[3.0, 4.0], [0.0, 2.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])
    dX = grad(lambda X: anp.sum(G * normalize(X)))(X)
    # By hand: row 1, ((1, 0) - 0.6 (0.6, 0.8)) / 5 = (0.64, -0.48) / 5; row 2, ((1, 1) - (0, 1)) / 2
    np.testing.assert_allclose(dX, [[0.128, -0.096], [0.5, 0.0]], atol=1e-15)
    np.testing.assert_allclose(normalize(X), [[0.6, 0.8], [0.0, 1.0]])


def test_normalization_formula_for_a_batch():
    g = np.random.default_rng(9)
    X, G = g.standard_normal((5, 4)), g.standard_normal((5, 4))
    r = np.linalg.norm(X, axis=1, keepdims=True)
    Y = X / r
    formula = (G - Y * np.sum(G * Y, axis=1, keepdims=True)) / r
    np.testing.assert_allclose(grad(lambda X: anp.sum(G * normalize(X)))(X), formula)
    np.testing.assert_allclose(np.sum(formula * X, axis=1), 0.0, atol=1e-12)   # orthogonal to each row
    J = jacobian(lambda x: x / anp.sqrt(anp.sum(x * x)))(X[0])                  # (D, D): one row's Jacobian
    np.testing.assert_allclose(J, (np.eye(4) - np.outer(Y[0], Y[0])) / r[0], atol=1e-12)
    assert np.count_nonzero(np.abs(J) > 1e-12) == 16                            # full: the outputs mix


# ---------------------------------------------------------------- vec and Kronecker

def test_vec_orders_by_loops():
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert vec(A, "F").tolist() == [1, 4, 2, 5, 3, 6] == loop_vec(A, "F").tolist()
    assert vec(A, "C").tolist() == [1, 2, 3, 4, 5, 6] == loop_vec(A, "C").tolist()
    for order in "FC":
        np.testing.assert_array_equal(unvec(vec(A, order), (2, 3), order), A)
    # entry (i, j) at i + p j (F) and q i + j (C), 0-based
    assert vec(A, "F")[1 + 2 * 2] == A[1, 2] == vec(A, "C")[3 * 1 + 2]


def test_kronecker_worked_answer():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    # By hand: I_2 ⊗ X is X in the two diagonal blocks; X ⊗ I_2 spreads each x_ij over a 2 x 2 identity.
    by_hand_F = [[1, 2, 3, 0, 0, 0], [4, 5, 6, 0, 0, 0], [0, 0, 0, 1, 2, 3], [0, 0, 0, 4, 5, 6]]
    by_hand_C = [[1, 0, 2, 0, 3, 0], [0, 1, 0, 2, 0, 3], [4, 0, 5, 0, 6, 0], [0, 4, 0, 5, 0, 6]]
    np.testing.assert_array_equal(matmul_jacobian(X, W, "W", "F"), by_hand_F)
    np.testing.assert_array_equal(matmul_jacobian(X, W, "W", "C"), by_hand_C)
    np.testing.assert_array_equal(loop_kron(np.eye(2), X), by_hand_F)
    np.testing.assert_array_equal(loop_kron(X, np.eye(2)), by_hand_C)
    J4 = jacobian(lambda W: anp.dot(X, W))(W)                       # (N, M, D, M) = (2, 2, 3, 2)
    np.testing.assert_array_equal(J4.reshape(4, 6), by_hand_C)
    np.testing.assert_array_equal(J4.transpose(1, 0, 3, 2).reshape(4, 6), by_hand_F)
    assert (X @ W)[0, 0] == 1 * 1 + 2 * 0 + 3 * 1 == 4


SHAPES = [(1, 1, 1), (2, 3, 4), (3, 1, 2), (1, 4, 1), (4, 2, 3)]


@pytest.mark.parametrize("N, D, M", SHAPES)
def test_matmul_jacobian_is_the_4d_jacobian_reshaped(N, D, M):
    g = np.random.default_rng(N * 100 + D * 10 + M)
    X, W = g.standard_normal((N, D)), g.standard_normal((D, M))
    J4_W = jacobian(lambda W: anp.dot(X, W))(W)                     # (N, M, D, M)
    J4_X = jacobian(lambda X: anp.dot(X, W))(X)                     # (N, M, N, D)
    np.testing.assert_allclose(matmul_jacobian(X, W, "W", "C"), J4_W.reshape(N * M, D * M))
    np.testing.assert_allclose(matmul_jacobian(X, W, "W", "F"), J4_W.transpose(1, 0, 3, 2).reshape(N * M, D * M))
    np.testing.assert_allclose(matmul_jacobian(X, W, "X", "C"), J4_X.reshape(N * M, N * D))
    np.testing.assert_allclose(matmul_jacobian(X, W, "X", "F"), J4_X.transpose(1, 0, 3, 2).reshape(N * M, N * D))
    # ... and the Kronecker products by loops, eq. (8)
    np.testing.assert_array_equal(matmul_jacobian(X, W, "W", "F"), loop_kron(np.eye(M), X))
    np.testing.assert_array_equal(matmul_jacobian(X, W, "W", "C"), loop_kron(X, np.eye(M)))
    np.testing.assert_array_equal(matmul_jacobian(X, W, "X", "F"), loop_kron(W.T, np.eye(N)))
    np.testing.assert_array_equal(matmul_jacobian(X, W, "X", "C"), loop_kron(np.eye(N), W.T))


@pytest.mark.parametrize("N, D, M", SHAPES)
def test_gradient_through_the_kronecker_matrix(N, D, M):
    g = np.random.default_rng(N + D + M)
    X, W, G = g.standard_normal((N, D)), g.standard_normal((D, M)), g.standard_normal((N, M))
    dW = grad(lambda W: anp.sum(G * anp.dot(X, W)))(W)
    dX = grad(lambda X: anp.sum(G * anp.dot(X, W)))(X)
    for order in "FC":
        J_W, J_X = matmul_jacobian(X, W, "W", order), matmul_jacobian(X, W, "X", order)
        np.testing.assert_allclose(unvec(J_W.T @ loop_vec(G, order), (D, M), order), dW)
        np.testing.assert_allclose(unvec(J_X.T @ loop_vec(G, order), (N, D), order), dX)


def test_the_conventions_give_one_matrix():
    g = np.random.default_rng(4)
    X_rows, W_rows = g.standard_normal((5, 3)), g.standard_normal((3, 2))
    textbook = loop_kron(X_rows, np.eye(2))                         # (X_cols^T ⊗ I_M) with X_cols = X_rows^T
    np.testing.assert_array_equal(matmul_jacobian(W_rows.T, X_rows.T, "X", "F"), textbook)
    np.testing.assert_array_equal(matmul_jacobian(X_rows, W_rows, "W", "C"), textbook)
    assert loop_vec(W_rows.T, "F").tolist() == loop_vec(W_rows, "C").tolist()


def test_dtype_and_size_guard():
    X32, W32 = np.ones((2, 3), np.float32), np.ones((3, 2), np.float32)
    assert matmul_jacobian(X32, W32).dtype == np.float32 and vec(X32).dtype == np.float32
    assert unvec(vec(X32), (2, 3)).dtype == np.float32
    with pytest.raises(ValueError) as info:
        matmul_jacobian(np.zeros((64, 784)), np.zeros((784, 128)))
    # 64 * 128 * 784 * 128 = 822,083,584 entries, 8 bytes each
    assert "822,083,584 entries" in str(info.value) and "6.58 GB" in str(info.value)
    assert MAX_ENTRIES == 10**7
    matmul_jacobian(np.zeros((10, 100)), np.zeros((100, 10)))       # 100 * 1000 = 1e5 entries: fine


def test_the_vec_orders_agree_only_for_one_output():
    """Mistake 2's claim: the F formula with the C vec is wrong for M >= 2, and right for M = 1."""
    g = np.random.default_rng(6)
    X = g.standard_normal((3, 2))
    for M, agree in [(1, True), (2, False), (3, False)]:
        W = g.standard_normal((2, M))
        mixed = loop_kron(np.eye(M), X) @ loop_vec(W, "C")
        assert np.allclose(mixed, loop_vec(X @ W, "C")) == agree


# ---------------------------------------------------------------- forward and reverse mode

def autograd_loss(X, W1, W2, T):
    return 0.5 * anp.sum((anp.dot(anp.tanh(anp.dot(X, W1)), W2) - T) ** 2)


def network(N, D, H, C, seed=0, dtype=np.float64):
    g = np.random.default_rng(seed)
    return tuple(g.standard_normal(s).astype(dtype) for s in [(N, D), (D, H), (H, C), (N, C)])


NETWORKS = [(1, 1, 1, 1), (3, 2, 4, 2), (5, 4, 3, 1), (2, 3, 1, 3)]


@pytest.mark.parametrize("shape", NETWORKS)
def test_vjp_is_autograds_gradient(shape):
    X, W1_, W2_, T = network(*shape)
    L, cache = mlp_forward(X, W1_, W2_, T)
    assert L == pytest.approx(float(autograd_loss(X, W1_, W2_, T)), rel=1e-12)
    dW1, dW2 = mlp_vjp(2.5, cache)                                  # L_bar scales the gradient
    np.testing.assert_allclose(dW1, 2.5 * grad(autograd_loss, 1)(X, W1_, W2_, T), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dW2, 2.5 * grad(autograd_loss, 2)(X, W1_, W2_, T), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shape", NETWORKS)
def test_jvp_is_the_directional_derivative(shape):
    X, W1_, W2_, T = network(*shape)
    g = np.random.default_rng(1)
    V1, V2 = g.standard_normal(W1_.shape), g.standard_normal(W2_.shape)
    L_dot = mlp_jvp(V1, V2, mlp_forward(X, W1_, W2_, T)[1])
    both = lambda t: autograd_loss(X, W1_ + t * V1, W2_ + t * V2, T)
    _, ref = make_jvp(both)(0.0)(1.0)                               # autograd's forward product
    assert L_dot == pytest.approx(float(ref), rel=1e-10, abs=1e-13)
    numeric = centered_gradient(lambda t: float(both(float(t))), np.array(0.0))
    assert L_dot == pytest.approx(float(numeric), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("shape", NETWORKS)
def test_gradient_by_jvps_makes_one_call_per_weight(shape, monkeypatch):
    X, W1_, W2_, T = network(*shape)
    cache = mlp_forward(X, W1_, W2_, T)[1]
    calls = []
    real = jvp_vjp.mlp_jvp
    monkeypatch.setattr(jvp_vjp, "mlp_jvp", lambda *a: calls.append(1) or real(*a))
    dW1, dW2 = gradient_by_jvps(cache)
    assert len(calls) == W1_.size + W2_.size == multiply_counts(cache)["jvps"]
    np.testing.assert_allclose(dW1, grad(autograd_loss, 1)(X, W1_, W2_, T), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dW2, grad(autograd_loss, 2)(X, W1_, W2_, T), rtol=1e-10, atol=1e-13)


class Tally:
    """Counts the multiplications of an independent re-implementation of the network."""

    def __init__(self):
        self.count = 0

    def mm(self, A, B):
        self.count += A.shape[0] * A.shape[1] * B.shape[1]
        return A @ B

    def mul(self, A, B):
        self.count += np.broadcast(A, B).size
        return A * B


def tallied(X, W1_, W2_, T, V1, V2):
    """(forward, jvp, vjp) multiplication counts and values, without the snippet."""
    f, j, v = Tally(), Tally(), Tally()
    A = np.tanh(f.mm(X, W1_))
    R = f.mm(A, W2_) - T
    L = f.mul(0.5, np.sum(f.mul(R, R)))
    tanh_prime = 1 - j.mul(A, A)
    L_dot = np.sum(j.mul(R, j.mm(j.mul(tanh_prime, j.mm(X, V1)), W2_) + j.mm(A, V2)))
    dS = v.mul(1.0, R)
    dW2 = v.mm(A.T, dS)
    dW1 = v.mm(X.T, v.mul(v.mm(dS, W2_.T), 1 - v.mul(A, A)))
    return (f.count, j.count, v.count), (L, L_dot, dW1, dW2)


@pytest.mark.parametrize("shape", NETWORKS + [(32, 64, 32, 10)])
def test_multiply_counts_match_an_independent_tally(shape):
    X, W1_, W2_, T = network(*shape)
    V1, V2 = np.ones_like(W1_), np.ones_like(W2_)
    (n_fwd, n_jvp, n_vjp), (L, L_dot, dW1, dW2) = tallied(X, W1_, W2_, T, V1, V2)
    L_s, cache = mlp_forward(X, W1_, W2_, T)                        # the same algorithm ...
    assert L_s == pytest.approx(L, rel=1e-12) and mlp_jvp(V1, V2, cache) == pytest.approx(L_dot, rel=1e-10)
    for mine, theirs in zip(mlp_vjp(1.0, cache), (dW1, dW2)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    counts = multiply_counts(cache)                                 # ... and the same counts
    assert (counts["forward"], counts["jvp"], counts["vjp"]) == (n_fwd, n_jvp, n_vjp)
    assert counts["forward_mode"] == n_fwd + counts["jvps"] * n_jvp
    assert counts["reverse_mode"] == n_fwd + n_vjp


def test_counts_worked_answer():
    cache = mlp_forward(*network(32, 64, 32, 10))[1]
    # By hand: NDH = 32*64*32 = 65,536; NHC = 32*32*10 = 10,240; NC = 320; NH = 1,024.
    # forward 65,536 + 10,240 + 320 + 1 = 76,097; JVP = VJP = 65,536 + 2*10,240 + 2*1,024 + 320 = 88,384;
    # JVPs: 64*32 + 32*10 = 2,368; 2,368 * 88,384 = 176,768,000 + 32,525,312 = 209,293,312.
    assert multiply_counts(cache) == {"forward": 76_097, "jvp": 88_384, "vjp": 88_384, "jvps": 2_368,
                                      "forward_mode": 76_097 + 209_293_312, "reverse_mode": 76_097 + 88_384}
    assert 209_369_409 / 164_481 == pytest.approx(1272.909, abs=5e-4)


def test_float32_stays_float32():
    X, W1_, W2_, T = network(3, 2, 4, 2, dtype=np.float32)
    L, cache = mlp_forward(X, W1_, W2_, T)
    dW1, dW2 = mlp_vjp(np.float64(1.0), cache)                      # a float64 scalar must not upcast
    assert dW1.dtype == dW2.dtype == np.float32
    assert mlp_vjp(np.array(1.0), cache)[0].dtype == np.float32     # a 0-d array is one number too
    assert all(g.dtype == np.float32 for g in gradient_by_jvps(cache))
    np.testing.assert_allclose(dW1, grad(autograd_loss, 1)(*(a.astype(float) for a in (X, W1_, W2_, T))),
                               rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- the benchmark and its quoted run

def _load_bench():
    spec = importlib.util.spec_from_file_location("jvp_vs_vjp_bench", ROOT / "bench" / "jvp_vs_vjp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_routes_agree_with_autograd():
    bench = _load_bench()
    args = bench.network(3, 4, 2, 2)
    for route in (bench.forward_mode, bench.reverse_mode):
        for i, got in zip((1, 2), route(*args)):
            np.testing.assert_allclose(got, grad(autograd_loss, i)(*args), rtol=1e-10, atol=1e-13)


def quoted_run():
    """The rows of the console block on the page: (size, JVPs, fwd mults, rev mults, ratio, t_fwd, t_rev, t_ratio, diff)."""
    block = TEXT[TEXT.index("$ python bench/jvp_vs_vjp.py"):]
    block = block[:block.index("```")]
    row = re.compile(r"^\s*\((\d+), (\d+), (\d+), (\d+)\)\s+([\d,]+) \|\s+([\d,]+)\s+([\d,]+)\s+([\d.]+) \|"
                     r"\s+([\d.]+) ms\s+([\d.]+) ms\s+(\d+) \| (\S+)$", re.MULTILINE)
    num = lambda s: float(s.replace(",", ""))
    return [(tuple(int(m.group(i)) for i in range(1, 5)), *(num(m.group(i)) for i in range(5, 13)))
            for m in row.finditer(block)]


def test_the_quoted_run_matches_the_script():
    """The deterministic columns are what the script computes; the times agree with their ratio."""
    bench = _load_bench()
    rows = quoted_run()
    assert [r[0] for r in rows] == bench.SIZES and bench.PAGE == (32, 64, 32, 10) in bench.SIZES
    for size, jvps, fwd, rev, ratio, t_fwd, t_rev, t_ratio, diff in rows:
        counts = multiply_counts(mlp_forward(*bench.network(*size))[1])
        assert (jvps, fwd, rev) == (counts["jvps"], counts["forward_mode"], counts["reverse_mode"])
        assert ratio == round(fwd / rev, 1)
        low, high = (t_fwd - 0.005) / (t_rev + 0.0005), (t_fwd + 0.005) / (t_rev - 0.0005)
        assert low - 0.5 <= t_ratio <= high + 0.5
        assert diff < 1e-10
    page_row = next(r for r in rows if r[0] == bench.PAGE)
    # the prose: "forward mode took about 2,000 times as long"
    assert "took about 2,000 times as long" in " ".join(TEXT.split()) and round(page_row[7], -3) == 2000
    assert page_row[7] > page_row[4]                                # "more than its multiplication ratio"


# ---------------------------------------------------------------- the exercises

def test_exercise_1_source_002():
    X, W = np.array([[0.0, 1.0], [2.0, 3.0]]), np.ones((2, 2))
    L = lambda X, W: anp.sum(anp.dot(X, W) ** 2)
    # Y = [[1, 1], [5, 5]]: L = 1 + 1 + 25 + 25 (source 002's answers)
    assert L(X, W) == 52
    np.testing.assert_allclose(grad(L, 0)(X, W), [[4, 4], [20, 20]])
    np.testing.assert_allclose(grad(L, 1)(X, W), [[20, 20], [32, 32]])


def test_exercise_2_least_squares():
    g = np.random.default_rng(11)
    X, T, W = g.standard_normal((6, 3)), g.standard_normal((6, 2)), g.standard_normal((3, 2))
    L = lambda W: 0.5 * anp.sum((anp.dot(X, W) - T) ** 2)
    np.testing.assert_allclose(grad(L)(W), X.T @ (X @ W - T))
    W_star = np.linalg.solve(X.T @ X, X.T @ T)                      # the normal equations
    np.testing.assert_allclose(grad(L)(W_star), 0.0, atol=1e-12)


def test_exercise_3_trace_form():
    g = np.random.default_rng(12)
    A, X = g.standard_normal((3, 3)), g.standard_normal((3, 2))
    f = lambda X: anp.trace(anp.dot(X.T, anp.dot(A, X)))
    np.testing.assert_allclose(grad(f)(X), (A + A.T) @ X)
    assert not np.allclose(grad(f)(X), 2 * A @ X)


def test_exercise_4_vec_identities():
    g = np.random.default_rng(13)
    A, B, C = g.standard_normal((2, 3)), g.standard_normal((3, 4)), g.standard_normal((4, 5))
    P = loop_matmul(loop_matmul(A, B), C)
    np.testing.assert_array_equal(loop_vec(A, "C"), loop_vec(A.T, "F"))
    np.testing.assert_allclose(loop_kron(C.T, A) @ loop_vec(B, "F"), loop_vec(P, "F"))
    np.testing.assert_allclose(loop_kron(A, C.T) @ loop_vec(B, "C"), loop_vec(P, "C"))
    assert not np.allclose(loop_kron(A, C.T) @ loop_vec(B, "F"), loop_vec(P, "F"))   # mixed orders fail


def test_exercise_5_one_jvp():
    X, W1_, W2_, _ = network(4, 3, 5, 2)
    S_of_t = lambda t: anp.dot(anp.tanh(anp.dot(X, t * W1_)), W2_)
    dS_dt = jacobian(S_of_t)(1.0)                                   # (N, C): autograd, reverse mode
    A = np.tanh(X @ W1_)
    np.testing.assert_allclose(((1 - A * A) * (X @ W1_)) @ W2_, dS_dt, rtol=1e-10)


def test_exercise_6_centering():
    G = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]])
    center = lambda X: X - anp.mean(X, axis=1, keepdims=True)
    # means 3 and 1: (1 - 3, 2 - 3, 6 - 3) and (0 - 1, 0 - 1, 3 - 1)
    np.testing.assert_allclose(grad(lambda X: anp.sum(G * center(X)))(np.ones((2, 3))), [[-2, -1, 3], [-1, -1, 2]])
    J = jacobian(lambda x: x - anp.mean(x))(np.zeros(3))            # I - 11^T / D
    np.testing.assert_allclose(J, np.eye(3) - 1 / 3)
    np.testing.assert_allclose(J, J.T)


# ---------------------------------------------------------------- the mistakes, and the page's checks can fail

def test_each_mistake_is_wrong_by_autograd():
    g = np.random.default_rng(14)
    X, W, G = g.standard_normal((4, 3)), g.standard_normal((3, 3)), g.standard_normal((4, 3))
    right = grad(lambda X: anp.sum(G * anp.dot(X, W)))(X)
    assert np.allclose(right, G @ W.T) and not np.allclose(right, G @ W)                 # mistake 1
    X4, G4 = g.standard_normal((3, 2)), g.standard_normal((3, 3))
    gram = grad(lambda X: anp.sum(G4 * anp.dot(X, X.T)))(X4)
    assert np.allclose(gram, (G4 + G4.T) @ X4)                                            # mistake 4
    assert not np.allclose(gram, G4 @ X4) and not np.allclose(gram, 2 * G4 @ X4)
    Z, G5 = g.standard_normal((3, 3)), g.standard_normal((3, 3))
    act = grad(lambda Z: anp.sum(G5 * anp.tanh(Z)))(Z)
    assert np.allclose(act, G5 * (1 - np.tanh(Z) ** 2))                                   # mistake 5
    assert not np.allclose(act, G5 @ (1 - np.tanh(Z) ** 2))
    A3, C3 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [0.0, 0.0]])
    assert loop_inner(A3, C3) == 2 and loop_trace(loop_matmul(A3, C3)) == 3               # mistake 3


def test_the_pages_checks_catch_planted_bugs(page):
    """error_along and dot_product_test, as defined on the page, flag wrong gradients."""
    error_along, dot_product_test = page["error_along"], page["dot_product_test"]
    g = np.random.default_rng(15)
    X, W, G = g.standard_normal((4, 3)), g.standard_normal((3, 3)), g.standard_normal((4, 3))
    L = lambda X: float(np.sum(G * (X @ W)))
    assert error_along(L, X, G @ W.T) < 1e-8
    assert error_along(L, X, G @ W.T * 1.01) > 1e-3                 # 1% off: caught
    ok = page["affine_vjp"]
    assert dot_product_test(ok) < 1e-14
    for k in range(3):                                              # a wrong sign on any one output
        bad = lambda X, W, b, Y_bar, k=k: tuple(-v if i == k else v for i, v in enumerate(ok(X, W, b, Y_bar)))
        assert dot_product_test(bad) > 0.5


def test_a_wrong_vjp_or_jvp_is_caught_by_autograd():
    """The network checks above can fail: tanh' forgotten in the VJP, a product-rule term dropped in the JVP."""
    X, W1_, W2_, T = network(3, 2, 4, 2)
    X_, W1c, W2c, A, R = mlp_forward(X, W1_, W2_, T)[1]
    no_tanh_prime = X_.T @ (R @ W2c.T)
    assert not np.allclose(no_tanh_prime, grad(autograd_loss, 1)(X, W1_, W2_, T))
    V1, V2 = np.zeros_like(W1_), np.ones_like(W2_)
    dropped = float(np.sum(R * (((1 - A * A) * (X_ @ V1)) @ W2c)))  # without A @ W2_dot
    _, ref = make_jvp(lambda t: autograd_loss(X, W1_ + t * V1, W2_ + t * V2, T))(0.0)(1.0)
    assert dropped != pytest.approx(float(ref), rel=1e-3)
