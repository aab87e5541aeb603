"""docs/exercises.md: every worked answer, asserted again by independent routes.

The expected values are the page's hand-derived numbers, typed in here by hand (never the
output of the code under test). Each is reached twice: by autograd, differentiating a plain
forward function, and by centered finite differences of that same forward function. The
snippets (affine, activations, losses) are checked against the same numbers, and a few
planted bugs show that each check can fail.
"""

import math
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

from activations import sigmoid_backward, sigmoid_forward, square_backward, square_forward
from affine import affine_backward, affine_forward
from losses import sum_loss
from markdown_code import expand, run_page


from numerics import centered_gradient


# ---------------------------------------------------------------------------------------
# Source 002's exercise. Hand values: Y = [[1,1],[5,5]], F = [[1,1],[25,25]], L = 52,
# dF = ones, dY = 2Y = [[2,2],[10,10]], dX = dY Wᵀ = [[4,4],[20,20]], dW = XᵀdY = [[20,20],[32,32]].
X = np.array([[0.0, 1.0], [2.0, 3.0]])
W = np.ones((2, 2))


def toy_loss(X, W):
    """L = Σ_ij (XW)_ij², written with autograd.numpy so it can be differentiated."""
    Y = anp.dot(X, W)
    return anp.sum(Y * Y)


def test_part_1_sigmoid_backward():
    ln3 = math.log(3.0)
    Y = np.array([[0.0, ln3], [-ln3, 0.0]])
    dS = np.array([[4.0, 16.0], [16.0, 4.0]])
    expected = np.array([[1.0, 3.0], [3.0, 1.0]])   # by hand: 4·1/4, 16·3/16
    # autograd: the vector-Jacobian product of the sigmoid is grad of Σ dS ⊙ σ(Y)
    vjp = grad(lambda Y: anp.sum(dS / (1 + anp.exp(-Y))))
    np.testing.assert_allclose(vjp(Y), expected, rtol=1e-12)
    np.testing.assert_allclose(centered_gradient(lambda Y: np.sum(dS / (1 + np.exp(-Y))), Y),
                               expected, rtol=1e-7)
    # the site's snippet agrees, and so does σ(1 − σ) at 0, ±ln 3: 1/4, 3/16
    S, cache = sigmoid_forward(Y)
    np.testing.assert_allclose(S, [[0.5, 0.75], [0.25, 0.5]], rtol=1e-12)
    np.testing.assert_allclose(sigmoid_backward(dS, cache), expected, rtol=1e-12)
    # a planted bug, σ'(y) = σ(y) instead of σ(1 − σ), is caught
    assert not np.allclose(dS * S, expected)


def test_part_a_loss():
    # plain-Python triple loop, no matrix product: (Σ_k x_ik w_kj)² summed over i, j
    loops = sum(sum(X[i, k] * W[k, j] for k in range(2)) ** 2 for i in range(2) for j in range(2))
    assert loops == 52
    assert toy_loss(X, W) == 52
    assert sum_loss(np.array([[1.0, 1.0], [25.0, 25.0]]))[0] == 52
    # the matrix-product misreading F = YY gives 72, not 52
    Y = X @ W
    assert np.sum(Y @ Y) == 72


def test_part_b_dF():
    F = np.array([[1.0, 1.0], [25.0, 25.0]])
    expected = np.ones((2, 2))
    np.testing.assert_array_equal(grad(anp.sum)(F), expected)
    np.testing.assert_allclose(centered_gradient(np.sum, F), expected, rtol=1e-7)
    np.testing.assert_array_equal(sum_loss(F)[1], expected)


def test_part_c_dY():
    Y = np.array([[1.0, 1.0], [5.0, 5.0]])
    expected = np.array([[2.0, 2.0], [10.0, 10.0]])
    np.testing.assert_allclose(grad(lambda Y: anp.sum(Y * Y))(Y), expected)
    np.testing.assert_allclose(centered_gradient(lambda Y: np.sum(Y * Y), Y), expected, rtol=1e-7)
    _, cache = square_forward(Y)
    np.testing.assert_array_equal(square_backward(np.ones((2, 2)), cache), expected)
    assert not np.allclose(Y, expected)   # planted bug: forgetting the factor 2


def test_part_d_dX():
    expected = np.array([[4.0, 4.0], [20.0, 20.0]])
    np.testing.assert_allclose(grad(toy_loss, 0)(X, W), expected)
    np.testing.assert_allclose(centered_gradient(lambda X: toy_loss(X, W), X), expected, rtol=1e-7)
    _, cache = affine_forward(X, W, np.zeros(2))
    dX, _, _ = affine_backward(np.array([[2.0, 2.0], [10.0, 10.0]]), cache)
    np.testing.assert_array_equal(dX, expected)


def test_part_e_dW():
    expected = np.array([[20.0, 20.0], [32.0, 32.0]])
    np.testing.assert_allclose(grad(toy_loss, 1)(X, W), expected)
    np.testing.assert_allclose(centered_gradient(lambda W: toy_loss(X, W), W), expected, rtol=1e-7)
    dY = np.array([[2.0, 2.0], [10.0, 10.0]])
    _, cache = affine_forward(X, W, np.zeros(2))
    np.testing.assert_array_equal(affine_backward(dY, cache)[1], expected)
    # planted bugs: X dY (no transpose) and dY Xᵀ both give other numbers
    assert not np.allclose(X @ dY, expected)
    assert not np.allclose(dY @ X.T, expected)


def test_part_e_columns_convention_is_the_transpose():
    """The column-convention tabs: Y_c = W_c X_c with X_c = Xᵀ, W_c = Wᵀ; gradients transpose."""
    def loss_cols(Xc, Wc):
        Yc = anp.dot(Wc, Xc)
        return anp.sum(Yc * Yc)
    Xc, Wc = X.T.copy(), W.T.copy()
    np.testing.assert_allclose(grad(loss_cols, 1)(Xc, Wc), [[20.0, 32.0], [20.0, 32.0]])
    np.testing.assert_allclose(grad(loss_cols, 0)(Xc, Wc), [[4.0, 20.0], [4.0, 20.0]])


# ---------------------------------------------------------------------------------------
# Bias and axis

def test_ex1_db_both_layouts():
    dY = np.array([[1.0, -2.0, 3.0], [4.0, 0.0, -1.0]])
    rng = np.random.default_rng(1)
    Xr, Wr, b = rng.standard_normal((2, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    # L = Σ dY ⊙ (XW + b) has dL/dY = dY, so its gradient in b is the db asked for
    rows = lambda b: anp.sum(dY * (anp.dot(Xr, Wr) + b))
    np.testing.assert_allclose(grad(rows)(b), [5.0, -2.0, 2.0])
    np.testing.assert_allclose(centered_gradient(rows, b), [5.0, -2.0, 2.0], rtol=1e-7)
    # columns: Z = W_c X_c + b (b a (3, 1) column), upstream dZ = dYᵀ
    cols = lambda bc: anp.sum(dY.T * (anp.dot(Wr.T, Xr.T) + bc))
    np.testing.assert_allclose(grad(cols)(b.reshape(3, 1)), [[5.0], [-2.0], [2.0]])
    # the wrong axis gives the per-sample totals 2 and 3 (by hand), not db
    np.testing.assert_array_equal(dY.sum(axis=1), [2.0, 3.0])


def test_ex2_keepdims_trap():
    dZ = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    bad = np.zeros((3, 1)) - 0.1 * np.sum(dZ, axis=1)
    assert bad.shape == (3, 3)
    np.testing.assert_allclose(bad, np.tile([-0.3, -0.7, -1.1], (3, 1)))
    good = np.zeros((3, 1)) - 0.1 * np.sum(dZ, axis=1, keepdims=True)
    np.testing.assert_allclose(good, [[-0.3], [-0.7], [-1.1]])
    # the bad bias breaks the next forward pass for N != 3 and is silently wrong for N = 3
    Wc = np.ones((3, 2))
    with pytest.raises(ValueError):
        Wc @ np.ones((2, 4)) + np.zeros((3, 3))
    # ... but N = 1 broadcasts too (issue 16: the page once said it fails for every N != 3)
    assert (Wc @ np.ones((2, 1)) + np.zeros((3, 3))).shape == (3, 3)
    text = (Path(__file__).resolve().parent.parent / "docs" / "exercises.md").read_text(encoding="utf-8")
    assert "fails unless $N = 3$ or $N = 1$" in text
    # rows: keepdims turns (3,) into (1, 3): right values, wrong shape
    rows_bad = np.zeros(3) - 0.1 * np.sum(dZ.T, axis=0, keepdims=True)
    assert rows_bad.shape == (1, 3)
    # the bias gradient of an independent autograd model has b's shape, (3, 1)
    Xc = np.array([[1.0, -1.0], [0.5, 2.0]])
    loss = lambda bc: anp.sum(dZ * (anp.dot(Wc, Xc) + bc))
    assert grad(loss)(np.zeros((3, 1))).shape == (3, 1)


def test_ex3_bias_trick():
    X3 = np.array([[1.0, 2.0], [3.0, 4.0]])
    W3 = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b3 = np.array([0.5, -0.5, 1.0])
    dY = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    expected = np.array([[-2.0, 3.0, 2.0], [-2.0, 4.0, 4.0], [0.0, 1.0, 2.0]])   # by hand
    X_aug = np.hstack([X3, np.ones((2, 1))])
    W_aug = np.vstack([W3, b3])
    loss = lambda Wa: anp.sum(dY * anp.dot(X_aug, Wa))
    np.testing.assert_allclose(grad(loss)(W_aug), expected)
    np.testing.assert_allclose(centered_gradient(loss, W_aug), expected, rtol=1e-7, atol=1e-9)
    _, cache = affine_forward(X3, W3, b3)
    _, dW, db = affine_backward(dY, cache)
    np.testing.assert_array_equal(dW, expected[:2])
    np.testing.assert_array_equal(db, expected[2])


# ---------------------------------------------------------------------------------------
# Layouts

W45 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
z45 = np.array([1.0, 0.0, -1.0])


def test_ex4_layout_shapes():
    J = jacobian(lambda z: anp.dot(W45, z))(z45)
    assert J.shape == (2, 3)                       # autograd: output index first (numerator)
    np.testing.assert_array_equal(J, W45)
    dL_dW = grad(lambda W: 0.5 * anp.sum(anp.dot(W, z45) ** 2))(W45)
    assert dL_dW.shape == (2, 3)                   # the d prefix: the shape of W
    dL_da = grad(lambda a: 0.5 * anp.sum(a ** 2))(W45 @ z45)
    assert dL_da.shape == (2,)


def test_ex5_fix_chain_rule():
    L = lambda z: 0.5 * anp.sum(anp.dot(W45, z) ** 2)
    expected = np.array([-10.0, -14.0, -18.0])     # by hand: Wᵀa with a = (-2, -2)
    np.testing.assert_allclose(grad(L)(z45), expected)
    np.testing.assert_allclose(centered_gradient(L, z45), expected, rtol=1e-7)
    a = W45 @ z45
    with pytest.raises(ValueError):
        a[:, None] @ W45.T                         # the student's (2,1)(3,2) product


def test_ex6_jacobian_contraction():
    X3 = np.array([[1.0, 2.0], [3.0, 4.0]])
    W3 = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    dY = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    J = jacobian(lambda W: anp.dot(X3, W))(W3)
    assert J.shape == (2, 3, 2, 3)
    assert np.count_nonzero(J) == 12
    np.testing.assert_allclose(np.tensordot(dY, J, axes=2), [[-2.0, 3.0, 2.0], [-2.0, 4.0, 4.0]])
    # ∂Y/∂X for N = 64, D = M = 4096 has N·M·N·D entries; 4 bytes each is 256 GiB
    assert 64 * 4096 * 64 * 4096 * 4 == 256 * 1024 ** 3


# ---------------------------------------------------------------------------------------
# The delta recursion: a 2-3-1 network, ReLU hidden, linear output, J = ½ Σ (z2 − y)²

W1 = np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 1.0]])
b1 = np.array([0.0, 0.0, -1.0])
W2 = np.array([[1.0, 2.0, -1.0]])
b2 = np.array([0.0])


def net_loss(W1, b1, W2, b2, X, Y):
    """Columns convention, samples in the columns of X (d0, N); relu written as a product."""
    Z1 = anp.dot(W1, X) + b1[:, None]
    A1 = Z1 * (Z1 > 0)
    Z2 = anp.dot(W2, A1) + b2[:, None]
    return 0.5 * anp.sum((Z2 - Y) ** 2)


def all_grads(X, Y):
    return [grad(net_loss, i)(W1, b1, W2, b2, X, Y) for i in range(4)]


def test_ex7_delta_two_layer():
    x, y = np.array([[1.0], [2.0]]), np.array([[1.0]])
    assert net_loss(W1, b1, W2, b2, x, y) == 0.5
    dW1, db1, dW2, db2 = all_grads(x, y)
    np.testing.assert_allclose(dW1, [[1.0, 2.0], [0.0, 0.0], [-1.0, -2.0]])
    np.testing.assert_allclose(db1, [1.0, 0.0, -1.0])        # = δ⁽¹⁾
    np.testing.assert_allclose(dW2, [[3.0, 0.0, 1.0]])
    np.testing.assert_allclose(db2, [1.0])                   # = δ⁽²⁾
    # δ⁽¹⁾ = dJ/dz⁽¹⁾ directly: perturb z⁽¹⁾ through b⁽¹⁾ by finite differences
    fd = centered_gradient(lambda b: net_loss(W1, b, W2, b2, x, y), b1)
    np.testing.assert_allclose(fd, [1.0, 0.0, -1.0], atol=1e-7)
    # planted bug: dropping relu'(z⁽¹⁾) gives W⁽²⁾ᵀδ⁽²⁾ = (1, 2, -1), gradient through the dead unit
    assert not np.allclose((W2.T @ np.array([1.0])), [1.0, 0.0, -1.0])


def test_ex8_batched_delta():
    X8, Y8 = np.array([[1.0, 1.0], [2.0, 0.0]]), np.array([[1.0, 1.0]])
    assert not np.array_equal(X8, X8.T)             # issue 16: a symmetric X hid a lost transpose
    page = run_page(expand((Path(__file__).resolve().parent.parent / "docs" / "exercises.md")
                           .read_text(encoding="utf-8")), "docs/exercises.md")
    np.testing.assert_array_equal(page["X8"], X8)   # the page's batch is this non-symmetric one
    dW1, db1, dW2, db2 = all_grads(X8, Y8)
    # by hand: Delta1 = [[1, 2], [0, 4], [-1, 0]], Delta1 X^T = [[1+2, 2], [4, 0], [-1, -2]]
    np.testing.assert_allclose(dW1, [[3.0, 2.0], [4.0, 0.0], [-1.0, -2.0]])
    delta1 = np.array([[1.0, 2.0], [0.0, 4.0], [-1.0, 0.0]])
    assert not np.allclose(delta1 @ X8, dW1)        # the forgotten transpose gives other numbers
    np.testing.assert_allclose(db1, [3.0, 4.0, -1.0])
    np.testing.assert_allclose(dW2, [[5.0, 2.0, 1.0]])       # 1 (3, 0, 1) + 2 (1, 1, 0)
    np.testing.assert_allclose(db2, [3.0])
    # the batch gradient is the sum of the per-sample gradients
    per_sample = [all_grads(X8[:, [n]], Y8[:, [n]]) for n in range(2)]
    for k in range(4):
        np.testing.assert_allclose(per_sample[0][k] + per_sample[1][k], all_grads(X8, Y8)[k])
    fd = centered_gradient(lambda W: net_loss(W, b1, W2, b2, X8, Y8), W1)
    np.testing.assert_allclose(fd, [[3.0, 2.0], [4.0, 0.0], [-1.0, -2.0]], atol=1e-6)


def test_ex9_output_delta():
    z3, y = np.array([0.0, math.log(3.0)]), np.array([1.0, 0.0])
    a2 = np.array([2.0, 0.0, 1.0])
    J = lambda z: 0.5 * anp.sum((1 / (1 + anp.exp(-z)) - y) ** 2)
    expected = np.array([-1 / 8, 9 / 64])                   # by hand
    np.testing.assert_allclose(grad(J)(z3), expected, rtol=1e-12)
    np.testing.assert_allclose(centered_gradient(J, z3), expected, rtol=1e-7)
    # ∇W J through z = W a2 + b, at a W that produces z3 (W = [[0,0,0],[0,0,ln3]] with a2[2] = 1)
    W3 = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, math.log(3.0)]])
    np.testing.assert_allclose(W3 @ a2, z3)
    dW3 = grad(lambda W: J(anp.dot(W, a2)))(W3)
    np.testing.assert_allclose(dW3, [[-1 / 4, 0.0, -1 / 8], [9 / 32, 0.0, 9 / 64]], rtol=1e-12)
    # neither shortcut is the gradient here
    a3 = 1 / (1 + np.exp(-z3))
    assert not np.allclose(z3 - y, expected) and not np.allclose(a3 - y, expected)


@pytest.mark.parametrize("N", [1, 32])
def test_ex10_architecture_shapes(N):
    sizes = [784, 128, 64, 10]
    rng = np.random.default_rng(N)
    Ws = [rng.standard_normal((m, n)) * 0.05 for m, n in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(n) for n in sizes[1:]]
    Xb = rng.standard_normal((N, 784))

    def loss(Ws, bs):
        A = Xb
        for l, (W_, b_) in enumerate(zip(Ws, bs)):
            Z = anp.dot(A, W_) + b_
            A = Z * (Z > 0) if l < 2 else Z
        return anp.sum(A * A)

    dWs, dbs = grad(loss, 0)(Ws, bs), grad(loss, 1)(Ws, bs)
    assert [d.shape for d in dWs] == [(784, 128), (128, 64), (64, 10)]
    assert [d.shape for d in dbs] == [(128,), (64,), (10,)]
    assert sum(W_.size for W_ in Ws) + sum(b_.size for b_ in bs) == 109386
    assert 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10 == 109386   # by hand, as on the page


def test_ex7_ex8_with_the_delta_snippet():
    """The site's snippets/delta.py reproduces exercises 7 and 8 (identity output, ½‖z − y‖²)."""
    from delta import backprop

    relu, relu_prime = (lambda z: np.maximum(z, 0)), (lambda z: (z > 0).astype(float))
    dWs, dbs = backprop([W1, W2], [b1, b2], np.array([1.0, 2.0]), np.array([1.0]), relu, relu_prime)
    np.testing.assert_allclose(dWs[0], [[1.0, 2.0], [0.0, 0.0], [-1.0, -2.0]])
    np.testing.assert_allclose(dbs[0], [1.0, 0.0, -1.0])
    np.testing.assert_allclose(dWs[1], [[3.0, 0.0, 1.0]])
    np.testing.assert_allclose(dbs[1], [1.0])
    X8, Y8 = np.array([[1.0, 2.0], [2.0, 0.0]]), np.array([[1.0, 4.0]])
    dWs, dbs = backprop([W1, W2], [b1[:, None], b2[:, None]], X8, Y8, relu, relu_prime)
    np.testing.assert_allclose(dWs[0], [[5.0, 2.0], [8.0, 0.0], [-1.0, -2.0]])
    np.testing.assert_allclose(dbs[0], [[3.0], [4.0], [-1.0]])
    np.testing.assert_allclose(dWs[1], [[7.0, 4.0, 1.0]])
    np.testing.assert_allclose(dbs[1], [[3.0]])
