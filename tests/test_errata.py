"""docs/errata.md: one test per erratum. Each shows the corrected statement holding numerically
(against autograd, centered finite differences or values worked by hand) and, where the
source's version is a formula, that the source's version fails: a shape error or a wrong
number. Test names follow the page's anchors (e000-four-columns -> test_e000_four_columns).
"""

import math
import re
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian


from numerics import centered_gradient


def sigmoid(z):
    return 1 / (1 + anp.exp(-z))


RNG = np.random.default_rng(2024)

# Source 000's example: S = 2 samples, D = 3 features, M = 3 classes.
S, D, M = 2, 3, 3
X0 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])                     # (S, D)
W0 = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -1.0, 1.0]])  # (D, M)
b0 = np.array([0.5, -1.0, 2.0])                                       # (M,)
dZ0 = np.array([[1.0, -2.0, 3.0], [4.0, 0.0, -1.0]])                  # (S, M), an upstream gradient


def linear_in_Z(b):
    """L = Σ dZ0 ⊙ Z with Z = XW + 1b: its gradient in Z is dZ0, so its gradient in b is db."""
    return anp.sum(dZ0 * (anp.dot(X0, W0) + b))


# ------------------------------------------------------------------------------ source 000

def test_e000_four_columns():
    assert (X0 @ W0).shape == (S, M)                  # D = 3: three columns meet three rows
    with pytest.raises(ValueError):
        np.ones((S, 4)) @ W0                          # the source's four columns vs D = 3
    assert (np.ones((S, 4)) @ np.ones((4, M))).shape == (S, M)   # consistent only with D = 4


def test_e000_z_equals_w_x():
    Z = X0 @ W0
    # by hand: z_11 = 1·1 + 2·2 + 3·0 = 5, z_23 = 4·(-1) + 5·0 + 6·1 = 2
    assert Z[0, 0] == 5 and Z[1, 2] == 2
    with pytest.raises(ValueError):
        W0 @ X0                                       # (3, 3) @ (2, 3)
    Xs, Ws = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    assert not np.allclose(Xs @ Ws, Ws @ Xs)          # square: exists, but a different matrix


def test_e000_bias_shape():
    db = grad(linear_in_Z)(b0)
    assert db.shape == (M,)
    np.testing.assert_allclose(db, [5.0, -2.0, 2.0])  # by hand: column sums of dZ0
    np.testing.assert_allclose(db, dZ0.sum(axis=0))
    # a (2, 1) "bias" adds one number per sample across all classes: a different model
    per_sample = np.array([[0.5], [-1.0]])
    Z_wrong = X0 @ W0 + per_sample
    assert np.array_equal(Z_wrong[:, 0] - (X0 @ W0)[:, 0], [0.5, -1.0])
    assert not np.allclose(Z_wrong, X0 @ W0 + b0)
    assert grad(lambda c: anp.sum(dZ0 * (anp.dot(X0, W0) + c)))(per_sample).shape == (2, 1)


def test_e000_bias_stacking():
    b_col = b0.reshape(M, 1)
    assert np.vstack([b_col, b_col]).shape == (2 * M, 1)          # the source's stack
    broadcast = np.ones((S, 1)) @ b_col.T                         # 1 b⃗ᵀ
    assert broadcast.shape == (S, M)
    np.testing.assert_array_equal(broadcast, X0 @ W0 + b0 - X0 @ W0)


def test_e000_dz_db():
    J = jacobian(lambda b: anp.dot(X0, W0) + b)(b0)
    assert J.shape == (S, M, M)                                   # not (S, 1)
    for s in range(S):
        np.testing.assert_array_equal(J[s], np.eye(M))            # ∂z_sj/∂b_k = [j = k]
    db = np.tensordot(dZ0, J, axes=2)                             # Σ_sj dZ_sj ∂z_sj/∂b_k
    np.testing.assert_allclose(db, dZ0.T @ np.ones(S))            # the ones column, used right
    np.testing.assert_allclose(db, centered_gradient(linear_in_Z, b0), rtol=1e-7)


def test_e000_question_ones():
    db = grad(linear_in_Z)(b0)
    wrong = dZ0 @ np.ones(M)                                      # the question's product
    np.testing.assert_array_equal(wrong, [2.0, 3.0])              # by hand: per-sample totals
    assert wrong.shape != db.shape
    np.testing.assert_allclose(np.ones(S) @ dZ0, db)              # 1ᵀ dZ, layout S x M
    np.testing.assert_allclose(dZ0.T @ np.ones(S), db)            # (dZ)_{M x S} 1, the answer's fix


def test_e000_axis_wording():
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(A.sum(axis=0), [5.0, 7.0, 9.0])    # by hand: column totals
    np.testing.assert_array_equal(A.sum(axis=1), [6.0, 15.0])        # by hand: row totals
    np.testing.assert_allclose(grad(linear_in_Z)(b0), dZ0.sum(axis=0))
    assert not np.allclose(dZ0.sum(axis=1)[:2], grad(linear_in_Z)(b0)[:2])


# ------------------------------------------------------------------------------ source 001
# The question's 2-3-2 network in columns: a1 = x, z2 = W2 a1 + b2, a2 = g(z2),
# z3 = W3 a2 + b3, a3 = σ(z3), L = ½ Σ (a3 − y)².

x1 = np.array([1.0, -1.0])
y1 = np.array([1.0, 0.0])
W2 = np.array([[1.0, 1.0], [2.0, -1.0], [-1.0, 1.0]])       # z2 = (0.5, 3, -2): unit 3 is off
b2 = np.array([0.5, 0.0, 0.0])
W3 = np.array([[1.0, -1.0, -1.0], [-1.0, 2.0, 0.5]])
b3 = np.array([0.5, 0.0])


def relu(z):
    return z * (z > 0)


def net_232(W2, b2, W3, b3, g=relu):
    a2 = g(anp.dot(W2, x1) + b2)
    a3 = sigmoid(anp.dot(W3, a2) + b3)
    return 0.5 * anp.sum((a3 - y1) ** 2)


def forward_232(g=relu):
    z2 = W2 @ x1 + b2
    a2 = np.asarray(g(z2))
    a3 = 1 / (1 + np.exp(-(W3 @ a2 + b3)))
    return z2, a2, a3


def test_e001_question_label():
    z2, a2, a3 = forward_232()
    assert z2[2] < 0                                              # one hidden unit is off
    dW2, dW3 = grad(net_232, 0)(W2, b2, W3, b3), grad(net_232, 2)(W2, b2, W3, b3)
    assert dW2.shape == W2.shape == (3, 2) and dW3.shape == W3.shape == (2, 3)
    delta3 = (a3 - y1) * a3 * (1 - a3)
    delta2 = (W3.T @ delta3) * (z2 > 0)
    np.testing.assert_allclose(dW2, np.outer(delta2, x1), rtol=1e-12)
    np.testing.assert_allclose(dW3, np.outer(delta3, a2), rtol=1e-12)


def test_e001_repeated_factor():
    sig = lambda z: 1 / (1 + anp.exp(-z))
    z2, a2, a3 = forward_232(sig)
    delta3 = (a3 - y1) * a3 * (1 - a3)
    s_prime = a2 * (1 - a2)
    once = np.outer((W3.T @ delta3) * s_prime, x1)
    twice = np.outer((W3.T @ delta3) * s_prime * s_prime, x1)
    truth = grad(net_232, 0)(W2, b2, W3, b3, sig)
    np.testing.assert_allclose(once, truth, rtol=1e-12)
    assert not np.allclose(twice, truth)
    # with ReLU the repeated factor is invisible: relu' ∈ {0, 1} squares to itself
    z2, a2, a3 = forward_232()
    r = (z2 > 0).astype(float)
    np.testing.assert_array_equal(r * r, r)


def test_e001_question_order():
    z2, a2, a3 = forward_232()
    delta3 = ((a3 - y1) * a3 * (1 - a3))[:, None]                  # (2, 1)
    truth = grad(net_232, 0)(W2, b2, W3, b3)
    corrected = ((W3.T @ delta3) * (z2 > 0)[:, None]) @ x1[None, :]   # (3, 2)
    np.testing.assert_allclose(corrected, truth, rtol=1e-12)
    np.testing.assert_allclose(corrected, centered_gradient(lambda W: net_232(W, b2, W3, b3), W2),
                               rtol=1e-6, atol=1e-10)
    with pytest.raises(ValueError):                                # 2x1 · 2x3 · 3x1 · 1x2
        delta3 @ W3 @ np.ones((3, 1)) @ x1[None, :]
    ones_for_relu = ((W3.T @ delta3) * np.ones((3, 1))) @ x1[None, :]
    assert not np.allclose(ones_for_relu, truth)                   # (1,1,1) is wrong when z2_3 < 0


def test_e001_gunes_subscript():
    z2, a2, a3 = forward_232()
    delta3 = (a3 - y1) * a3 * (1 - a3)
    dW3 = grad(net_232, 2)(W2, b2, W3, b3)
    np.testing.assert_allclose(dW3, np.outer(delta3, a2), rtol=1e-12)   # δ a⁽²⁾ᵀ, 2 x 3
    for i in range(2):
        for j in range(3):
            assert math.isclose(dW3[i, j], delta3[i] * a2[j], rel_tol=1e-12, abs_tol=1e-15)
    assert not np.allclose(dW3, np.outer(delta3, np.full(3, a2[1])))    # one entry a_2 only


def test_e001_grad_equals_z():
    z, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, -1.0])
    J = lambda z: 0.5 * anp.sum((z - y) ** 2)
    np.testing.assert_allclose(grad(J)(z), z - y)
    np.testing.assert_allclose(centered_gradient(J, z), z - y, rtol=1e-7)
    assert not np.allclose(grad(J)(z), z)


def test_e001_output_convention():
    z = np.array([0.0, math.log(3.0)])
    y = np.array([1.0, 0.0])
    a = 1 / (1 + np.exp(-z))                                       # (1/2, 3/4)
    # identity output, squared error: z − y
    np.testing.assert_allclose(grad(lambda z: 0.5 * anp.sum((z - y) ** 2))(z), z - y)
    # sigmoid + binary cross-entropy: a − y
    bce = lambda z: -anp.sum(y * anp.log(sigmoid(z)) + (1 - y) * anp.log(1 - sigmoid(z)))
    np.testing.assert_allclose(grad(bce)(z), a - y, rtol=1e-12)
    # softmax + cross-entropy (one-hot y): a − y with a = softmax(z)
    ce = lambda z: -anp.sum(y * (z - anp.log(anp.sum(anp.exp(z)))))
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(grad(ce)(z), p - y, rtol=1e-12)
    # the question's pair, sigmoid + squared error: (a − y) ⊙ a ⊙ (1 − a) = (-1/8, 9/64) by hand
    sse = lambda z: 0.5 * anp.sum((sigmoid(z) - y) ** 2)
    np.testing.assert_allclose(grad(sse)(z), [-1 / 8, 9 / 64], rtol=1e-12)
    assert not np.allclose(grad(sse)(z), z - y) and not np.allclose(grad(sse)(z), a - y)


def test_e001_bias_omitted():
    W, a = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    for b in (np.zeros(3), RNG.standard_normal(3)):
        J = jacobian(lambda W: anp.dot(W, a) + b)(W)             # (3, 3, 4): ∂z_k/∂W_ij
        expected = np.einsum("ki,j->kij", np.eye(3), a)          # [k = i] a_j
        np.testing.assert_allclose(J, expected)
    assert np.count_nonzero(expected[0, 1:]) == 0                # k ≠ i: each term is zero


def three_layer():
    """A 2-4-3-2 network with tanh hidden layers and J = ½‖z3 − y‖² (identity output)."""
    sizes = [2, 4, 3, 2]
    Ws = [RNG.standard_normal((m, n)) for n, m in zip(sizes[:-1], sizes[1:])]
    bs = [RNG.standard_normal(m) for m in sizes[1:]]
    x, y = RNG.standard_normal(2), RNG.standard_normal(2)

    def J(Ws, bs):
        a = x
        for l, (W, b) in enumerate(zip(Ws, bs)):
            z = anp.dot(W, a) + b
            a = anp.tanh(z) if l < 2 else z
        return 0.5 * anp.sum((a - y) ** 2)

    return Ws, bs, x, y, J


def backprop_le4m(Ws, bs, x, y):
    """Equations (1a-m), (1b-m) and (2-m) of the answer by le4m, with ∇_{z(L)} J = z(L) − y."""
    a, zs, acts = x, [], [x]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = W @ a + b
        a = np.tanh(z) if l < 2 else z
        zs.append(z)
        acts.append(a)
    delta = zs[-1] - y
    dWs, dbs = [None] * 3, [None] * 3
    for l in range(2, -1, -1):
        dWs[l] = np.outer(delta, acts[l])                          # (1a-m)
        dbs[l] = delta                                             # (1b-m)
        if l > 0:
            delta = (Ws[l].T @ delta) * (1 - np.tanh(zs[l - 1]) ** 2)   # (2-m)
    return dWs, dbs


def test_e001_label_1b_m():
    Ws, bs, x, y, J = three_layer()
    dWs, dbs = backprop_le4m(Ws, bs, x, y)
    for got, want in zip(dWs, grad(J, 0)(Ws, bs)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for got, want in zip(dbs, grad(J, 1)(Ws, bs)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_e001_superscript_l():
    Ws, bs, x, y, J = three_layer()
    grads = grad(J, 0)(Ws, bs)
    assert [g.shape for g in grads] == [W.shape for W in Ws] == [(4, 2), (3, 4), (2, 3)]
    # entry (i, j) of the layer-1 gradient is ∂J/∂W⁽¹⁾_ij (finite differences), not a W⁽ᴸ⁾ entry
    fd = centered_gradient(lambda W1: J([W1, Ws[1], Ws[2]], bs), Ws[0])
    np.testing.assert_allclose(grads[0], fd, rtol=1e-6, atol=1e-9)


def test_e001_mse_name():
    """½Σ(ŷ - y)² is a half sum; the mean of squares is (2/n) times it, equal only for n = 2."""
    half_sum = lambda p, t: 0.5 * anp.sum((p - t) ** 2)
    mean_sq = lambda p, t: anp.mean((p - t) ** 2)
    for shape in [(2,), (1, 2), (3, 2), (5,)]:                     # the question's n = 2, and others
        p, t = RNG.standard_normal(shape), RNG.standard_normal(shape)
        n = p.size
        assert mean_sq(p, t) == pytest.approx(2 / n * half_sum(p, t), rel=1e-12)
        np.testing.assert_allclose(grad(half_sum)(p, t), p - t, rtol=1e-12)
        np.testing.assert_allclose(grad(mean_sq)(p, t), 2 / n * (p - t), rtol=1e-12)
        if n == 2:
            assert mean_sq(p, t) == pytest.approx(half_sum(p, t), rel=1e-12)   # the coincidence
        else:
            assert mean_sq(p, t) != pytest.approx(half_sum(p, t), rel=1e-3)


# ------------------------------------------------------------------------------ source 002

def test_e002_mnist():
    from sklearn.datasets import load_digits

    digits = load_digits()                                         # bundled: no download
    assert digits.images.shape[1:] == (8, 8) and digits.data.shape[1] == 64
    assert digits.images.max() == 16 and digits.images.min() == 0
    assert 28 * 28 == 784 != 64                                    # MNIST's D
    batch = digits.images[:2].reshape(2, 1, 8, 8)                  # (N, C, H, W)
    X = batch.reshape(2, -1)                                       # eq. (2): row by row
    assert X.shape == (2, 64)
    assert X[1, 8] == batch[1, 0, 1, 0]                            # x_{2,2,1} follows x_{2,1,8}
    np.testing.assert_array_equal(X, digits.data[:2])


def test_e002_not_linear():
    W, b = RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    f = lambda x: anp.dot(x, W) + b
    u, v, alpha = RNG.standard_normal(3), RNG.standard_normal(3), 2.5
    np.testing.assert_allclose(f(u + v), f(u) + f(v) - b)          # additivity fails by b
    np.testing.assert_allclose(f(alpha * u), alpha * f(u) + (1 - alpha) * b)
    assert not np.allclose(f(u + v), f(u) + f(v))
    assert not np.allclose(f(alpha * u), alpha * f(u))
    np.testing.assert_allclose(np.append(u, 1.0) @ np.vstack([W, b]), f(u))   # exact, augmented
    for bias in (b, np.zeros(2), 100 * b):                         # the Jacobian ignores b
        np.testing.assert_allclose(jacobian(lambda x: anp.dot(x, W) + bias)(u), W.T)


def test_e002_eq3_transposes():
    N = 4
    W_rows = RNG.standard_normal((D, 2))                           # eq. (1): (D, M)
    W_cols = W_rows.T                                              # eq. (3): (M, D)
    b = RNG.standard_normal(2)
    x = RNG.standard_normal(D)
    np.testing.assert_allclose((W_cols @ x + b), (x @ W_cols.T + b).T)
    np.testing.assert_allclose(W_cols @ x + b, x @ W_rows + b)
    X = RNG.standard_normal((N, D))                                # a batch in rows
    XT, WT = X.T, W_rows.T                                         # X^T W^T with eq. (1)'s W
    assert XT.shape == (D, N) and WT.shape == (2, D)               # (D, N) and (M, D)
    with pytest.raises(ValueError):
        XT @ WT                                                    # (D x N)(M x D): N = 4 != M = 2
    Yc = W_cols @ X.T + np.outer(b, np.ones(N))                    # W_c X_c + b 1ᵀ
    np.testing.assert_allclose(Yc, (X @ W_rows + b).T)
    with pytest.raises(ValueError):
        W_rows @ x                                                 # eq. (1)'s W in eq. (3)'s place


def test_e002_eq8_index():
    n, m = 2, 3
    v = RNG.standard_normal(m)
    W = RNG.standard_normal((n, m))
    J = jacobian(lambda W: anp.dot(W, v))(W)
    assert J.shape == (n, n, m)
    assert W[n - 1, m - 1] == W[-1, -1]                            # w_nm is the last entry
    with pytest.raises(IndexError):
        W[m - 1, n - 1]                                            # w_mn: row 3 of a 2-row matrix


def test_e002_oplus():
    N, Din, Mout = 4, 3, 2
    X = RNG.standard_normal((N, Din))
    W = RNG.standard_normal((Din, Mout))
    T = RNG.standard_normal((N, Mout))
    L = lambda W: 0.5 * anp.sum((sigmoid(anp.dot(X, W)) - T) ** 2)
    Y = X @ W
    s = 1 / (1 + np.exp(-Y))
    dS = s - T                                                     # ∂L/∂σ(Y)
    dY = dS * s * (1 - s)                                          # first ⊕: Hadamard
    dW = X.T @ dY                                                  # second ⊕: Xᵀ on the left
    np.testing.assert_allclose(dW, grad(L)(W), rtol=1e-10)
    np.testing.assert_allclose(dW, centered_gradient(L, W), rtol=1e-6, atol=1e-10)
    with pytest.raises(ValueError):
        dS @ (s * (1 - s)) @ X                                     # read as matrix products
    # square case: the matrix reading exists but is wrong
    Xq, Wq, Tq = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    sq = 1 / (1 + np.exp(-(Xq @ Wq)))
    Lq = lambda W: 0.5 * anp.sum((sigmoid(anp.dot(Xq, W)) - Tq) ** 2)
    assert not np.allclose((sq - Tq) @ (sq * (1 - sq)) @ Xq, grad(Lq)(Wq))
    np.testing.assert_allclose(Xq.T @ ((sq - Tq) * sq * (1 - sq)), grad(Lq)(Wq), rtol=1e-10)


def test_e002_dot_product():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = RNG.standard_normal((2, 3))
    dY = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    E = jacobian(lambda W: anp.dot(X, W))(W)[:, :, 0, 0]          # ∂Y/∂w11, (2, 3)
    np.testing.assert_array_equal(E, [[1.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    dw11 = grad(lambda W: anp.sum(dY * anp.dot(X, W)))(W)[0, 0]
    assert dw11 == -2                                              # by hand: 1·1 + 3·(−1)
    assert np.sum(dY * E) == np.vdot(dY, E) == np.trace(dY.T @ E) == dw11
    with pytest.raises(ValueError):
        np.dot(dY, E)                                              # np.dot is the matrix product


def test_e002_eq16_reference():
    X = RNG.standard_normal((2, 2))
    W = RNG.standard_normal((2, 3))
    J = jacobian(lambda W: anp.dot(X, W))(W)                       # eq. (12), differentiated
    expected = np.array([[X[0, 0], 0.0, 0.0], [X[1, 0], 0.0, 0.0]])   # eq. (17)
    np.testing.assert_array_equal(J[:, :, 0, 0], expected)


def test_e002_x_n_by_m():
    N, Din, Mout = 4, 3, 2
    with pytest.raises(ValueError):
        np.ones((N, Mout)) @ np.ones((Din, Mout))                 # X_{NxM} W_{DxM}
    assert (np.ones((N, Din)) @ np.ones((Din, Mout))).shape == (N, Mout)


def test_e002_exercise_garble():
    X = np.array([[0.0, 1.0], [2.0, 3.0]])
    W = np.ones((2, 2))
    literal = lambda X: anp.sum(X)                                 # "y = X", "Loss = Σ x_i"
    assert literal(X) == 6
    np.testing.assert_array_equal(grad(literal)(X), np.ones((2, 2)))
    assert not np.allclose(grad(literal)(X), [[4.0, 4.0], [20.0, 20.0]])
    intended = lambda X, W: anp.sum(anp.dot(X, W) ** 2)           # Y = XW, F = Y², L = Σ F
    assert intended(X, W) == 52
    np.testing.assert_allclose(grad(intended, 0)(X, W), [[4.0, 4.0], [20.0, 20.0]])
    np.testing.assert_allclose(grad(intended, 1)(X, W), [[20.0, 20.0], [32.0, 32.0]])
    Y = X @ W
    np.testing.assert_allclose(grad(lambda F: anp.sum(F))(Y ** 2), np.ones((2, 2)))
    np.testing.assert_allclose(grad(lambda Y: anp.sum(Y ** 2))(Y), [[2.0, 2.0], [10.0, 10.0]])


def test_e002_part_1_wording():
    Y = RNG.standard_normal((3, 4))
    dS = RNG.standard_normal((3, 4))
    s = 1 / (1 + np.exp(-Y))
    dY = grad(lambda Y: anp.sum(dS * sigmoid(Y)))(Y)               # with respect to the input
    np.testing.assert_allclose(dY, dS * s * (1 - s), rtol=1e-12)
    # with respect to dS instead: the diagonal σ'(Y), independent of dS and not the answer
    J = jacobian(lambda d: d * s * (1 - s))(dS).reshape(12, 12)
    np.testing.assert_allclose(J, np.diag((s * (1 - s)).ravel()))
    assert not np.allclose(np.diag(J).reshape(3, 4), dY)


# ------------------------------------------------------------------------------ the page's text

DOCS = Path(__file__).resolve().parent.parent / "docs"


def glance_rows():
    """{id: (kind, slip)} from the at-a-glance table of errata.md."""
    rows = {}
    for line in (DOCS / "errata.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("[0"):
            rows[cells[0][1:cells[0].index("]")]] = (cells[2], cells[3])
    return rows


def test_summary_counts_the_kinds_in_the_table():
    """The summary once said "most slips are shape slips"; the table files more under notation."""
    from collections import Counter

    kinds = Counter(kind for kind, _ in glance_rows().values())
    summary = (DOCS / "errata.md").read_text(encoding="utf-8").split("## Summary")[1]
    claim = re.search(r"common slips are in (\w+) \((\d+) of the (\d+)\).*?the (\d+) (\w+)\s+slips", summary, re.DOTALL)
    assert claim, "the summary should say which kind is most common, with the counts"
    common, n_common, total, n_shape, shape = claim.groups()
    assert kinds.most_common(1)[0] == (common, int(n_common))
    assert int(total) == sum(kinds.values()) and kinds[shape] == int(n_shape)


def test_000_5_is_filed_the_same_way_on_both_pages():
    """Errata 000-5 and the bias page agree: the column of ones standing for dZ/db is a notation
    slip (the result is right), not a formula slip and not mere shorthand."""
    assert glance_rows()["000-5"][0] == "notation"
    bias = (DOCS / "bias-broadcast.md").read_text(encoding="utf-8")
    assert "That is shorthand" not in bias
    assert "notation slip" in bias and "errata.md#e000-dz-db" in bias


def test_one_list_for_the_second_formula_of_source_001():
    """The five slips of source 001's second formula are listed once, on this page; the pages that
    discuss the formula link to the list instead of keeping their own count."""
    text = (DOCS / "errata.md").read_text(encoding="utf-8")
    start = text.index("{ #e001-second-formula }")
    section = text[start:text.index("\n### ", start)]
    titles = re.findall(r"^\d\. \*\*(.+?)\*\*", section, re.MULTILINE)
    assert titles == ["The label", "A repeated factor", "Order and transpose", "ReLU′ as a column",
                      "Missing brackets"]
    nb = (DOCS / "notebooks" / "two-three-two-network.ipynb").read_text(encoding="utf-8")
    others = {"layouts.md": (DOCS / "layouts.md").read_text(encoding="utf-8"),
              "two-three-two-network.md": (DOCS / "two-three-two-network.md").read_text(encoding="utf-8"),
              "the 2-3-2 notebook": nb}
    for name, other in others.items():
        assert "errata.md#e001-second-formula" in other or "errata/#e001-second-formula" in other, name
        count = re.search(r"\b(Two|Three|Four|Six) things are wrong", other)
        assert count is None, f"{name} keeps its own count: {count.group(0)!r}"


# ------------------------------------------------------------------------------ the page's exercises

def test_errata_exercise_1():
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    W = np.diag([1.0, 2.0, 3.0])
    dZ = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.zeros(3)
    L = lambda X, W, b: anp.sum(dZ * (anp.dot(X, W) + b))
    np.testing.assert_allclose(grad(L, 0)(X, W, b), [[1.0, 4.0, 9.0], [4.0, 10.0, 18.0]])
    np.testing.assert_allclose(grad(L, 1)(X, W, b), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [6.0, 9.0, 12.0]])
    np.testing.assert_allclose(grad(L, 2)(X, W, b), [5.0, 7.0, 9.0])
    with pytest.raises(ValueError):
        W.T @ dZ                                                   # the column formula, here


def test_errata_exercise_2():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = np.array([1.0, -1.0])
    x = np.array([1.0, 0.0, -1.0])
    # by hand: (1 - 5 + 1, 2 - 6 - 1) = (-3, -5), in a plain-Python loop
    row = [sum(x[k] * W[k, j] for k in range(3)) + b[j] for j in range(2)]
    assert row == [-3.0, -5.0]
    np.testing.assert_array_equal(W.T @ x[:, None] + b[:, None], [[-3.0], [-5.0]])
