"""Tests for docs/notation.md: the rows/columns correspondence, the d prefix, the index meaning.

Independent routes: explicit index sums (no matrix products) for the forward pass,
autograd for the gradients, cs231n-style affine_forward/affine_backward from
snippets/affine.py for the rows convention.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from affine import affine_backward, affine_forward


def _layer(N, D, M, seed=0, dtype=np.float64):
    g = np.random.default_rng(seed)
    X = g.standard_normal((N, D)).astype(dtype)
    W = g.standard_normal((D, M)).astype(dtype)
    b = g.standard_normal(M).astype(dtype)
    G = g.standard_normal((N, M)).astype(dtype)     # upstream gradient dY
    return X, W, b, G


@pytest.mark.parametrize("N,D,M", [(1, 1, 1), (1, 3, 2), (4, 3, 2), (5, 2, 4)])
def test_columns_output_is_rows_output_transposed(N, D, M):
    X, W, b, _ = _layer(N, D, M)
    Y_rows, _ = affine_forward(X, W, b)
    X_cols, W_cols = X.T, W.T
    Z_cols = np.zeros((M, N))
    for i in range(M):                                # z_in = sum_j W_ij x_jn + b_i, by hand
        for n in range(N):
            Z_cols[i, n] = sum(W_cols[i, j] * X_cols[j, n] for j in range(D)) + b[i]
    np.testing.assert_allclose(Z_cols, Y_rows.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("N,D,M", [(1, 3, 2), (4, 3, 2), (3, 3, 3)])
def test_gradients_transpose_and_keep_the_variables_shape(N, D, M):
    X, W, b, G = _layer(N, D, M, seed=N)
    loss_rows = lambda X_, W_, b_: anp.sum(G * (anp.dot(X_, W_) + b_))
    loss_cols = lambda Xc, Wc, bc: anp.sum(G.T * (anp.dot(Wc, Xc) + bc[:, None]))
    dX_r, dW_r, db_r = (grad(loss_rows, k)(X, W, b) for k in range(3))
    dX_c, dW_c, db_c = (grad(loss_cols, k)(X.T, W.T, b) for k in range(3))
    np.testing.assert_allclose(dW_c, dW_r.T, atol=1e-12)
    np.testing.assert_allclose(dX_c, dX_r.T, atol=1e-12)
    np.testing.assert_allclose(db_c, db_r, atol=1e-12)
    assert dX_r.shape == X.shape and dW_r.shape == W.shape and db_r.shape == b.shape
    assert dW_c.shape == (M, D)
    # the page's formulas, and the affine snippet, agree with autograd
    _, cache = affine_forward(X, W, b)
    dx, dw, db = affine_backward(G, cache)
    np.testing.assert_allclose(dx, G @ W.T, atol=1e-12)
    np.testing.assert_allclose(dw, dW_r, atol=1e-12)
    np.testing.assert_allclose(db, G.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(W.T.T @ G.T, dX_c, atol=1e-12)          # dX_cols = W_cols^T dZ
    np.testing.assert_allclose(G.T @ X, dW_c, atol=1e-12)              # dW_cols = dZ X_cols^T
    np.testing.assert_allclose(G.T.sum(axis=1), db_c, atol=1e-12)     # db = dZ 1


def test_untransposed_weights_are_caught():
    # Planted bug: reusing W_rows as W_cols. Non-square: a shape error; square: wrong numbers.
    X, W, b, _ = _layer(4, 3, 2)
    with pytest.raises(ValueError):
        W @ X.T
    X, W, b, _ = _layer(4, 3, 3, seed=9)
    assert not np.allclose(W @ X.T + b[:, None], (X @ W + b).T)


@pytest.mark.parametrize("i,j", [(0, 0), (2, 1), (1, 0)])
def test_rows_index_runs_from_input_i_to_output_j(i, j):
    X, W, b, _ = _layer(4, 3, 2, seed=3)
    eps = 0.5
    W2 = W.copy()
    W2[i, j] += eps
    change = (X @ W2 + b) - (X @ W + b)
    expected = np.zeros_like(change)
    expected[:, j] = eps * X[:, i]                   # by hand: y_nj gains eps * x_ni
    np.testing.assert_allclose(change, expected, atol=1e-12)
    # the same weight in the column convention sits at (j, i) and moves row j of Z
    Wc = W.T.copy()
    Wc[j, i] += eps
    np.testing.assert_allclose((Wc @ X.T) - (W.T @ X.T), expected.T, atol=1e-12)


def test_exercise_shapes():
    x = np.zeros((32, 3, 8, 8))
    w, b = np.zeros((192, 10)), np.zeros(10)
    out, cache = affine_forward(x, w, b)
    assert out.shape == (32, 10)
    dx, dw, db = affine_backward(np.ones((32, 10)), cache)
    assert dx.shape == (32, 3, 8, 8) and dw.shape == (192, 10) and db.shape == (10,)
    assert 3 * 8 * 8 == 192                          # D by hand


def test_exercise_index():
    W_cols = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = np.array([0.0, 0.0, 1.0])                    # only input 3 is on
    assert (W_cols @ x)[0] == 3.0                    # output 1 receives weight 3
    assert W_cols.T[2, 0] == 3.0                     # rows convention: row = input 3, column = output 1
    assert (x @ W_cols.T)[0] == 3.0


# ---- letters that change meaning between pages (issue 16, item 23) ----------------------

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def page(name):
    return (DOCS / name).read_text(encoding="utf-8")


def test_targets_are_T_and_Y_is_never_a_target():
    """One letter for the targets of a batch on every page; Y stays a layer's output."""
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"targets?\s+(?:as\s+)?\$Y", text), path.name
        assert not re.search(r"\$Y\$ (?:is )?the target", text), path.name
    for name in ("losses.md", "cheatsheet.md", "multilayer-backprop.md", "two-three-two-network.md",
                 "softmax-layer.md"):
        assert re.search(r"\$T(?: \\in| = |\$)", page(name)), f"{name} should name its targets T"


def test_letters_table_lists_what_the_pages_really_do():
    text = page("notation.md")
    section = text[text.index("{ #letters }"):text.index("## Notation in other courses")]
    for letter in ("T", "y", "S", "J", "L", "D", "P", "n"):
        assert f"| ${letter}$ |" in section, letter
    # the three meanings of S, each where the table says
    assert r"$S \in \mathbb{R}^{N \times C}$" in page("losses.md")
    assert r"$S = \sigma(Y)$" in page("activations.md")
    assert "$S = 2$ samples" in page("bias-broadcast.md")
    # J is a Jacobian on the activations page, which therefore writes the CS229 loss as L there
    assert r"J = \frac{\partial out}{\partial x}" in page("activations.md")
    assert r"\delta^{(l)} = \frac{\partial J}{\partial z^{(l)}}" not in page("activations.md")
