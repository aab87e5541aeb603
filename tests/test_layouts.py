"""Tests for docs/layouts.md and snippets/layouts.py.

The table of standard derivatives on the page is defined HERE, row by row: its LaTeX
cells together with the function, the numerator-layout formula and the
denominator-layout formula in numpy. Every row is checked against centered
differences (snippets/layouts.py) and against autograd in both layouts, and
`test_page_table_matches_tested_rows` fails if the page's table and ROWS differ in
any cell, order or count. Run `python tests/test_layouts.py` to print the table.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":          # run as a script (to print the table): conftest.py is not loaded
    sys.path.insert(0, str(ROOT / "snippets"))

from layouts import numerical_derivative  # noqa: E402

PAGE = ROOT / "docs" / "layouts.md"
HEADER = "| Expression | Where | Numerator layout | Denominator layout |"
# One size per symbol used in the table; sizes that share a row are all different,
# so a shape cell with two symbols swapped fails the shape check.
DIMS = {"1": 1, "m": 2, "n": 3, "p": 4, "q": 3, "N": 5, "D": 3, "M": 2}


@dataclass(frozen=True)
class Row:
    expr: str                   # LaTeX of the expression (first column)
    where: str                  # the "Where" cell, verbatim
    num: str                    # numerator-layout formula, LaTeX
    num_shape: tuple[str, str]
    den: str                    # denominator-layout formula, LaTeX
    den_shape: tuple[str, str]
    wrt: str                    # which input the derivative is taken by
    make: Callable[[np.random.Generator], dict]
    f: Callable[..., object]    # f(v, P): the function of the wrt variable v (autograd-able)
    num_fn: Callable[[dict], np.ndarray]
    den_fn: Callable[[dict], np.ndarray]

    def cells(self) -> list[str]:
        def shaped(tex, shape):         # one unbreakable formula: the result, then [its shape]
            return f"${{{tex} \\quad [{shape[0]} \\times {shape[1]}]}}$"
        return [f"${self.expr}$", self.where, shaped(self.num, self.num_shape),
                shaped(self.den, self.den_shape)]


def _r(rng, *shape):
    return rng.standard_normal(tuple(DIMS[s] for s in shape))


def _col(v):
    return v.reshape(-1, 1)


def _row(v):
    return v.reshape(1, -1)


ROWS = [
    Row(r"\partial (Ax) / \partial x", r"$A \in \mathbb{R}^{m \times n}$, $x \in \mathbb{R}^{n}$",
        "A", ("m", "n"), r"A^\top", ("n", "m"), "x",
        lambda g: {"A": _r(g, "m", "n"), "x": _r(g, "n")},
        lambda v, P: anp.dot(P["A"], v),
        lambda P: P["A"], lambda P: P["A"].T),
    Row(r"\partial (a^\top x) / \partial x", r"$a, x \in \mathbb{R}^{n}$",
        r"a^\top", ("1", "n"), "a", ("n", "1"), "x",
        lambda g: {"a": _r(g, "n"), "x": _r(g, "n")},
        lambda v, P: anp.dot(P["a"], v),
        lambda P: _row(P["a"]), lambda P: _col(P["a"])),
    Row(r"\partial (x^\top a) / \partial x", r"$a, x \in \mathbb{R}^{n}$",
        r"a^\top", ("1", "n"), "a", ("n", "1"), "x",
        lambda g: {"a": _r(g, "n"), "x": _r(g, "n")},
        lambda v, P: anp.dot(v, P["a"]),
        lambda P: _row(P["a"]), lambda P: _col(P["a"])),
    Row(r"\partial \lVert x \rVert^2 / \partial x", r"$x \in \mathbb{R}^{n}$",
        r"2 x^\top", ("1", "n"), "2 x", ("n", "1"), "x",
        lambda g: {"x": _r(g, "n")},
        lambda v, P: anp.sum(v ** 2),
        lambda P: 2 * _row(P["x"]), lambda P: 2 * _col(P["x"])),
    Row(r"\partial (x^\top A x) / \partial x",
        r"$A \in \mathbb{R}^{n \times n}$ (any, not only symmetric), $x \in \mathbb{R}^{n}$",
        r"x^\top (A + A^\top)", ("1", "n"), r"(A + A^\top) x", ("n", "1"), "x",
        lambda g: {"A": _r(g, "n", "n"), "x": _r(g, "n")},
        lambda v, P: anp.dot(v, anp.dot(P["A"], v)),
        lambda P: _row(P["x"] @ (P["A"] + P["A"].T)), lambda P: _col((P["A"] + P["A"].T) @ P["x"])),
    Row(r"\partial \lVert Ax - b \rVert^2 / \partial x",
        r"$A \in \mathbb{R}^{m \times n}$, $x \in \mathbb{R}^{n}$, $b \in \mathbb{R}^{m}$",
        r"2 (Ax - b)^\top A", ("1", "n"), r"2 A^\top (Ax - b)", ("n", "1"), "x",
        lambda g: {"A": _r(g, "m", "n"), "x": _r(g, "n"), "b": _r(g, "m")},
        lambda v, P: anp.sum((anp.dot(P["A"], v) - P["b"]) ** 2),
        lambda P: 2 * _row((P["A"] @ P["x"] - P["b"]) @ P["A"]),
        lambda P: 2 * _col(P["A"].T @ (P["A"] @ P["x"] - P["b"]))),
    Row(r"\partial (Xw) / \partial w", r"$X \in \mathbb{R}^{N \times D}$, $w \in \mathbb{R}^{D}$",
        "X", ("N", "D"), r"X^\top", ("D", "N"), "w",
        lambda g: {"X": _r(g, "N", "D"), "w": _r(g, "D")},
        lambda v, P: anp.dot(P["X"], v),
        lambda P: P["X"], lambda P: P["X"].T),
    Row(r"\partial g(x) / \partial x",
        r"$x \in \mathbb{R}^{n}$, $g$ applied element-wise (tested with $\tanh$)",
        r"\operatorname{diag}(g'(x))", ("n", "n"), r"\operatorname{diag}(g'(x))", ("n", "n"), "x",
        lambda g: {"x": _r(g, "n")},
        lambda v, P: anp.tanh(v),
        lambda P: np.diag(1 - np.tanh(P["x"]) ** 2), lambda P: np.diag(1 - np.tanh(P["x"]) ** 2)),
    Row(r"\partial (u \odot x) / \partial x", r"$u, x \in \mathbb{R}^{n}$",
        r"\operatorname{diag}(u)", ("n", "n"), r"\operatorname{diag}(u)", ("n", "n"), "x",
        lambda g: {"u": _r(g, "n"), "x": _r(g, "n")},
        lambda v, P: P["u"] * v,
        lambda P: np.diag(P["u"]), lambda P: np.diag(P["u"])),
    Row(r"\partial (a^\top X b) / \partial X",
        r"$X \in \mathbb{R}^{p \times q}$, $a \in \mathbb{R}^{p}$, $b \in \mathbb{R}^{q}$",
        r"b a^\top", ("q", "p"), r"a b^\top", ("p", "q"), "X",
        lambda g: {"X": _r(g, "p", "q"), "a": _r(g, "p"), "b": _r(g, "q")},
        lambda v, P: anp.dot(P["a"], anp.dot(v, P["b"])),
        lambda P: np.outer(P["b"], P["a"]), lambda P: np.outer(P["a"], P["b"])),
    Row(r"\partial \operatorname{tr}(AX) / \partial X",
        r"$A \in \mathbb{R}^{q \times p}$, $X \in \mathbb{R}^{p \times q}$",
        "A", ("q", "p"), r"A^\top", ("p", "q"), "X",
        lambda g: {"A": _r(g, "q", "p"), "X": _r(g, "p", "q")},
        lambda v, P: anp.trace(anp.dot(P["A"], v)),
        lambda P: P["A"], lambda P: P["A"].T),
    Row(r"\partial \operatorname{tr}(X^\top A X) / \partial X",
        r"$A \in \mathbb{R}^{p \times p}$, $X \in \mathbb{R}^{p \times q}$",
        r"X^\top (A + A^\top)", ("q", "p"), r"(A + A^\top) X", ("p", "q"), "X",
        lambda g: {"A": _r(g, "p", "p"), "X": _r(g, "p", "q")},
        lambda v, P: anp.trace(anp.dot(v.T, anp.dot(P["A"], v))),
        lambda P: P["X"].T @ (P["A"] + P["A"].T), lambda P: (P["A"] + P["A"].T) @ P["X"]),
    Row(r"\partial \tfrac12 \lVert Wx - y \rVert^2 / \partial W",
        r"$W \in \mathbb{R}^{m \times n}$, $x \in \mathbb{R}^{n}$, $y \in \mathbb{R}^{m}$",
        r"x (Wx - y)^\top", ("n", "m"), r"(Wx - y) x^\top", ("m", "n"), "W",
        lambda g: {"W": _r(g, "m", "n"), "x": _r(g, "n"), "y": _r(g, "m")},
        lambda v, P: 0.5 * anp.sum((anp.dot(v, P["x"]) - P["y"]) ** 2),
        lambda P: np.outer(P["x"], P["W"] @ P["x"] - P["y"]),
        lambda P: np.outer(P["W"] @ P["x"] - P["y"], P["x"])),
    Row(r"\partial \operatorname{tr}(G^\top X W) / \partial W",
        r"$X \in \mathbb{R}^{N \times D}$, $W \in \mathbb{R}^{D \times M}$, $G \in \mathbb{R}^{N \times M}$",
        r"G^\top X", ("M", "D"), r"X^\top G", ("D", "M"), "W",
        lambda g: {"X": _r(g, "N", "D"), "W": _r(g, "D", "M"), "G": _r(g, "N", "M")},
        lambda v, P: anp.sum(P["G"] * anp.dot(P["X"], v)),
        lambda P: P["G"].T @ P["X"], lambda P: P["X"].T @ P["G"]),
    Row(r"\partial \operatorname{tr}(G^\top X W) / \partial X",
        r"$X \in \mathbb{R}^{N \times D}$, $W \in \mathbb{R}^{D \times M}$, $G \in \mathbb{R}^{N \times M}$",
        r"W G^\top", ("D", "N"), r"G W^\top", ("N", "D"), "X",
        lambda g: {"X": _r(g, "N", "D"), "W": _r(g, "D", "M"), "G": _r(g, "N", "M")},
        lambda v, P: anp.sum(P["G"] * anp.dot(v, P["W"])),
        lambda P: P["W"] @ P["G"].T, lambda P: P["G"] @ P["W"].T),
]
IDS = [f"row{i + 1}" for i in range(len(ROWS))]


def markdown_table() -> str:
    lines = [HEADER, "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in ROWS]
    return "\n".join(lines)


def page_table(text: str) -> list[list[str]]:
    """The body rows (cells stripped) of the table whose header is HEADER."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == HEADER]
    if len(starts) != 1:
        raise AssertionError(f"expected exactly one derivative table on the page, found {len(starts)}")
    rows = []
    for line in lines[starts[0] + 2:]:
        if not line.strip().startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def table_mismatches(text: str) -> list[str]:
    """Every difference between the page's table and ROWS (empty when in sync)."""
    on_page, tested = page_table(text), [row.cells() for row in ROWS]
    problems = [f"page row {i + 1} has no tested counterpart: {cells[0]}"
                for i, cells in enumerate(on_page) if cells not in tested]
    problems += [f"tested row {i + 1} is missing from the page: {cells[0]}"
                 for i, cells in enumerate(tested) if cells not in on_page]
    if not problems and on_page != tested:
        problems.append("the page's rows are in a different order from ROWS")
    return problems


# ---- the page and the test agree ---------------------------------------------------------

def test_page_table_matches_tested_rows():
    assert table_mismatches(PAGE.read_text(encoding="utf-8")) == []
    assert len(ROWS) >= 8


def test_table_check_catches_an_untested_or_altered_row():
    text = PAGE.read_text(encoding="utf-8")
    last = "| " + " | ".join(ROWS[-1].cells()) + " |"
    assert last in text
    extra = r"| $\partial (x + a) / \partial x$ | $x \in \mathbb{R}^{n}$ | ${I \quad [n \times n]}$ | ${I \quad [n \times n]}$ |"
    assert table_mismatches(text.replace(last, last + "\n" + extra))          # row added to the page only
    assert table_mismatches(text.replace(last, ""))                           # tested row deleted from the page
    first = "| " + " | ".join(ROWS[0].cells()) + " |"
    assert table_mismatches(text.replace(first, first.replace(r"{A^\top", "{A")))  # a formula changed
    second = "| " + " | ".join(ROWS[1].cells()) + " |"
    assert table_mismatches(text.replace(first + "\n" + second, second + "\n" + first))  # reordered


# ---- every row, numerically, in both layouts -----------------------------------------------

def _inputs(index):
    return ROWS[index].make(np.random.default_rng(100 + index))


@pytest.mark.parametrize("layout", ["numerator", "denominator"])
@pytest.mark.parametrize("index", range(len(ROWS)), ids=IDS)
def test_row_against_centered_differences(index, layout):
    row, P = ROWS[index], _inputs(index)
    numeric = numerical_derivative(lambda v: row.f(v, P), P[row.wrt], layout)
    formula = row.num_fn(P) if layout == "numerator" else row.den_fn(P)
    shape = row.num_shape if layout == "numerator" else row.den_shape
    assert formula.shape == numeric.shape == (DIMS[shape[0]], DIMS[shape[1]])
    np.testing.assert_allclose(numeric, formula, rtol=1e-6, atol=1e-7, strict=True)


def _autograd_layout(J, y_ndim, x_ndim, layout):
    """Independent of the snippet: autograd's jacobian has axes (*f, *x)."""
    if y_ndim == 0 and x_ndim == 2:
        numerator = J.T                       # scalar by matrix: (q, p)
    elif y_ndim == 0:
        numerator = J[np.newaxis, :]          # scalar by vector: a row
    else:
        numerator = J                         # vector by vector: the Jacobian
    return numerator if layout == "numerator" else numerator.T


@pytest.mark.parametrize("index", range(len(ROWS)), ids=IDS)
def test_row_against_autograd(index):
    row, P = ROWS[index], _inputs(index)
    x = P[row.wrt]
    J = np.asarray(jacobian(lambda v: row.f(v, P))(x))
    y_ndim = np.ndim(row.f(x, P))
    np.testing.assert_allclose(_autograd_layout(J, y_ndim, x.ndim, "numerator"), row.num_fn(P), atol=1e-12)
    np.testing.assert_allclose(_autograd_layout(J, y_ndim, x.ndim, "denominator"), row.den_fn(P), atol=1e-12)


@pytest.mark.parametrize("index", range(len(ROWS)), ids=IDS)
def test_denominator_is_numerator_transposed(index):
    row, P = ROWS[index], _inputs(index)
    np.testing.assert_array_equal(row.num_fn(P).T, row.den_fn(P))
    assert row.num_shape == row.den_shape[::-1]


def test_symmetric_shortcut_for_quadratic_form_is_caught():
    # Planted bug: 2Ax is the gradient of x^T A x only for symmetric A.
    P = _inputs(4)
    numeric = numerical_derivative(lambda v: ROWS[4].f(v, P), P["x"], "denominator")
    assert not np.allclose(numeric, _col(2 * P["A"] @ P["x"]), atol=1e-3)


def test_swapped_layout_is_caught_by_shape():
    # Planted bug: the numerator formula put in the denominator column of a non-square row.
    row, P = ROWS[0], _inputs(0)
    numeric = numerical_derivative(lambda v: row.f(v, P), P["x"], "denominator")
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(numeric, row.num_fn(P), strict=True)


# ---- the snippet, on hand-derived values ---------------------------------------------------

def test_vector_by_vector_hand_values():
    # f(v) = (v0 v1, v1^2 + v2) at (1, 2, 3); by hand: rows (v1, v0, 0) and (0, 2 v1, 1).
    f = lambda v: np.array([v[0] * v[1], v[1] ** 2 + v[2]])
    x = np.array([1.0, 2.0, 3.0])
    expected = [[2.0, 1.0, 0.0], [0.0, 4.0, 1.0]]
    np.testing.assert_allclose(numerical_derivative(f, x), expected, atol=1e-8)
    np.testing.assert_allclose(numerical_derivative(f, x, "denominator"), np.transpose(expected), atol=1e-8)


def test_scalar_by_matrix_hand_values():
    # f(X) = 3 X[0,1] + X[1,0]^2 at X = [[1,2,3],[4,5,6]]: gradient 3 at (0,1), 2*4 = 8 at (1,0).
    f = lambda X: 3 * X[0, 1] + X[1, 0] ** 2
    X = np.arange(1.0, 7.0).reshape(2, 3)
    expected_den = [[0.0, 3.0, 0.0], [8.0, 0.0, 0.0]]                 # (2, 3), X's shape
    np.testing.assert_allclose(numerical_derivative(f, X, "denominator"), expected_den, atol=1e-7)
    np.testing.assert_allclose(numerical_derivative(f, X), np.transpose(expected_den), atol=1e-7)


def test_vector_by_scalar_and_scalar_by_scalar():
    # f(t) = (t, t^2) at t = 3: derivative (1, 6); a column in numerator layout.
    f = lambda t: np.array([t, t ** 2])
    np.testing.assert_allclose(numerical_derivative(f, np.float64(3.0)), [[1.0], [6.0]], atol=1e-7)
    np.testing.assert_allclose(numerical_derivative(f, np.float64(3.0), "denominator"), [[1.0, 6.0]], atol=1e-7)
    np.testing.assert_allclose(numerical_derivative(lambda t: t ** 3, np.float64(2.0)), [[12.0]], atol=1e-6)


@pytest.mark.parametrize("shape", [(1,), (1, 3), (3, 1), (4,)])
def test_size_one_inputs(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    g = grad(lambda v: anp.sum(anp.sin(v) * v))(x)
    out = numerical_derivative(lambda v: np.sum(np.sin(v) * v), x, "denominator")
    np.testing.assert_allclose(out.reshape(x.shape), g, rtol=1e-6, atol=1e-8)
    expected_shape = (x.size, 1) if x.ndim == 1 else x.shape
    assert out.shape == expected_shape


def test_input_is_not_mutated_and_read_only_is_fine():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    x.setflags(write=False)
    before = x.copy()
    numerical_derivative(lambda v: np.sum(v ** 2), x, "denominator")
    np.testing.assert_array_equal(x, before)


def test_float32_in_float32_out():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    out = numerical_derivative(lambda v: np.tanh(v), x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.diag(1 - np.tanh(x.astype(np.float64)) ** 2), rtol=1e-5)


def test_large_inputs_stay_finite():
    x = np.array([1e4, -1e4, 3.0])
    out = numerical_derivative(lambda v: np.tanh(v), x)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(np.diag(out), [0.0, 0.0, 1 - np.tanh(3.0) ** 2], atol=1e-6)


def test_bad_inputs_fail_clearly():
    with pytest.raises(TypeError, match="astype"):
        numerical_derivative(np.sum, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="NaN"):
        numerical_derivative(np.sum, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="layout"):
        numerical_derivative(np.sum, np.ones(3), "gradient")
    with pytest.raises(ValueError, match=r"\(2,\).*\(2, 3\)"):
        numerical_derivative(lambda X: X[:, 0], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        numerical_derivative(np.sum, np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="not finite"):
        numerical_derivative(lambda v: np.inf * v[0], np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="positive"):
        numerical_derivative(np.sum, np.ones(3), h=0.0)
    with pytest.raises(ValueError, match=r"output shape from \(\) to \(2,\)"):
        numerical_derivative(lambda v: np.sum(v) if v[0] == 1.0 else np.ones(2), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="not finite within"):
        numerical_derivative(lambda v: np.sum(v) if v[0] < 1.0 else np.inf, np.array([1.0 - 1e-7, 2.0]))


# ---- source 001: the 2-3-2 network ---------------------------------------------------------
# Column convention, the question's numbering: a1 = x (2,), W2 (3, 2), W3 (2, 3).

def _net(seed, signs=None):
    g = np.random.default_rng(seed)
    P = {"x": g.standard_normal(2), "W2": g.standard_normal((3, 2)), "b2": g.standard_normal(3),
         "W3": g.standard_normal((2, 3)), "b3": g.standard_normal(2), "y": g.standard_normal(2)}
    if signs is not None:      # choose b2 so that z2 has the given signs, well away from the kink at 0
        P["b2"] = np.asarray(signs) * 0.7 - P["W2"] @ P["x"]
    return P


def _loss(P, **over):
    Q = {**P, **over}
    z2 = anp.dot(Q["W2"], Q["x"]) + Q["b2"]
    a2 = anp.maximum(z2, 0.0)
    z3 = anp.dot(Q["W3"], a2) + Q["b3"]
    a3 = 1 / (1 + anp.exp(-z3))
    return 0.5 * anp.sum((a3 - Q["y"]) ** 2)


def _deltas(P):
    z2 = P["W2"] @ P["x"] + P["b2"]
    a2 = np.maximum(z2, 0.0)
    a3 = 1 / (1 + np.exp(-(P["W3"] @ a2 + P["b3"])))
    delta3 = (a3 - P["y"]) * a3 * (1 - a3)                      # (2,)
    delta2 = (P["W3"].T @ delta3) * (z2 > 0)                   # (3,)
    return z2, delta3, delta2


@pytest.mark.parametrize("signs", [(1, 1, 1), (1, -1, 1), (-1, 1, -1)])
def test_fixed_formulas_both_layouts(signs):
    P = _net(7, signs)
    _, delta3, delta2 = _deltas(P)
    a1 = P["x"]
    dW2_den = np.outer(delta2, a1)                             # delta2 a1^T, (3, 2)
    dW2_num = np.outer(a1, delta2)                             # a1 delta2^T, (2, 3)
    L_of_W2 = lambda W: _loss(P, W2=W)
    np.testing.assert_allclose(numerical_derivative(L_of_W2, P["W2"], "denominator"), dW2_den, atol=1e-7)
    np.testing.assert_allclose(numerical_derivative(L_of_W2, P["W2"], "numerator"), dW2_num, atol=1e-7)
    np.testing.assert_allclose(grad(L_of_W2)(P["W2"]), dW2_den, atol=1e-12)
    # dL/dz2 itself: a row in numerator layout, a column (delta2) in denominator layout.
    def L_of_z2(z2):
        a3 = 1 / (1 + np.exp(-(P["W3"] @ np.maximum(z2, 0.0) + P["b3"])))
        return 0.5 * np.sum((a3 - P["y"]) ** 2)
    z2 = P["W2"] @ P["x"] + P["b2"]
    np.testing.assert_allclose(numerical_derivative(L_of_z2, z2, "numerator"), delta2[None, :], atol=1e-8)
    np.testing.assert_allclose(numerical_derivative(L_of_z2, z2, "denominator"), delta2[:, None], atol=1e-8)


def test_askers_product_clashes():
    P = _net(3, (1, 1, 1))
    _, delta3, _ = _deltas(P)
    with pytest.raises(ValueError):
        delta3[:, None] @ P["W3"] @ np.ones((3, 1)) @ P["x"][None, :]   # 2x1, 2x3, 3x1, 1x2


def test_ones_vector_for_relu_prime_is_wrong_when_a_unit_is_off():
    # Planted bug: the asker's (1,1,1)^T is relu'(z2) only when every z2 > 0.
    P = _net(11, (1, -1, 1))
    _, delta3, _ = _deltas(P)
    wrong = np.outer((P["W3"].T @ delta3) * np.ones(3), P["x"])
    true = grad(lambda W: _loss(P, W2=W))(P["W2"])
    assert not np.allclose(wrong, true, atol=1e-6)
    P_on = _net(11, (1, 1, 1))
    _, delta3_on, _ = _deltas(P_on)
    np.testing.assert_allclose(np.outer((P_on["W3"].T @ delta3_on) * np.ones(3), P_on["x"]),
                               grad(lambda W: _loss(P_on, W2=W))(P_on["W2"]), atol=1e-12)


def test_untransposed_weight_is_caught_when_shapes_hide_it():
    # Planted bug: W3 delta3 instead of W3^T delta3 runs silently when W3 is square.
    g = np.random.default_rng(5)
    x, W2, W3, y = g.standard_normal(3), g.standard_normal((3, 3)), g.standard_normal((3, 3)), g.standard_normal(3)
    def loss(W):
        a3 = 1 / (1 + anp.exp(-anp.dot(W3, anp.tanh(anp.dot(W, x)))))
        return 0.5 * anp.sum((a3 - y) ** 2)
    z2 = W2 @ x
    a3 = 1 / (1 + np.exp(-(W3 @ np.tanh(z2))))
    delta3 = (a3 - y) * a3 * (1 - a3)
    right = np.outer((W3.T @ delta3) * (1 - np.tanh(z2) ** 2), x)
    wrong = np.outer((W3 @ delta3) * (1 - np.tanh(z2) ** 2), x)
    np.testing.assert_allclose(grad(loss)(W2), right, atol=1e-12)
    assert not np.allclose(grad(loss)(W2), wrong, atol=1e-6)


def test_gunes_entrywise_chain():
    # dL/dW2_ij = (dz2/dW2_ij, 1x3)(diag relu', 3x3)(W3^T, 3x2)(delta3, 2x1), denominator layout.
    P = _net(13, (1, -1, 1))
    z2, delta3, _ = _deltas(P)
    dW2 = grad(lambda W: _loss(P, W2=W))(P["W2"])
    for i in range(3):
        for j in range(2):
            dz2_dWij = np.zeros((1, 3))
            dz2_dWij[0, i] = P["x"][j]
            value = dz2_dWij @ np.diag((z2 > 0).astype(float)) @ P["W3"].T @ delta3[:, None]
            np.testing.assert_allclose(value.item(), dW2[i, j], atol=1e-12)


@pytest.mark.parametrize("N", [1, 4])
def test_rows_and_columns_batches_agree(N):
    g = np.random.default_rng(N)
    Xr, Yt = g.standard_normal((N, 2)), g.standard_normal((N, 2))
    W2r, b2, W3r, b3 = g.standard_normal((2, 3)), g.standard_normal(3), g.standard_normal((3, 2)), g.standard_normal(2)
    def loss_rows(W):
        A3 = 1 / (1 + anp.exp(-(anp.dot(anp.maximum(anp.dot(Xr, W) + b2, 0.0), W3r) + b3)))
        return 0.5 * anp.sum((A3 - Yt) ** 2)
    # rows: dZ3 (N,2), dZ2 = (dZ3 W3^T) * relu'(Z2) (N,3), dW2 = X^T dZ2 (2,3)
    Z2 = Xr @ W2r + b2
    A3 = 1 / (1 + np.exp(-(np.maximum(Z2, 0) @ W3r + b3)))
    dZ3 = (A3 - Yt) * A3 * (1 - A3)
    dZ2 = (dZ3 @ W3r.T) * (Z2 > 0)
    dW2_rows = Xr.T @ dZ2
    np.testing.assert_allclose(grad(loss_rows)(W2r), dW2_rows, atol=1e-12)
    # columns: W_cols = W_rows^T, X_cols = X_rows^T; Delta2 = (W3^T Delta3) * relu'(Z2), dW2 = Delta2 X^T
    W2c, W3c, Xc = W2r.T, W3r.T, Xr.T
    Z2c = W2c @ Xc + b2[:, None]
    A3c = 1 / (1 + np.exp(-(W3c @ np.maximum(Z2c, 0) + b3[:, None])))
    Delta3 = (A3c - Yt.T) * A3c * (1 - A3c)
    Delta2 = (W3c.T @ Delta3) * (Z2c > 0)
    dW2_cols = Delta2 @ Xc.T
    assert dW2_cols.shape == (3, 2)
    np.testing.assert_allclose(dW2_cols, dW2_rows.T, atol=1e-12)
    np.testing.assert_allclose(Delta2, dZ2.T, atol=1e-12)


def test_rows_gradient_equals_the_columns_numerator_layout():
    """Layouts page, "Layout and convention": the rows-convention dW2 and the column convention's
    numerator-layout dL/dW2 have the shape of W2_cols^T and both equal (dW2_cols)^T. Neither is a
    weight matrix (the sentence once read "both are W2_cols transposed")."""
    g = np.random.default_rng(21)
    Xr, Tt = g.standard_normal((4, 2)), g.standard_normal((4, 2))
    W2c, b2, W3c, b3 = g.standard_normal((3, 2)), g.standard_normal(3), g.standard_normal((2, 3)), g.standard_normal(2)
    def loss_cols(W):
        A3 = 1 / (1 + anp.exp(-(anp.dot(W3c, anp.maximum(anp.dot(W, Xr.T) + b2[:, None], 0.0)) + b3[:, None])))
        return 0.5 * anp.sum((A3 - Tt.T) ** 2)
    def loss_rows(W):
        A3 = 1 / (1 + anp.exp(-(anp.dot(anp.maximum(anp.dot(Xr, W) + b2, 0.0), W3c.T) + b3)))
        return 0.5 * anp.sum((A3 - Tt) ** 2)
    dW2_cols = grad(loss_cols)(W2c)                                  # (3, 2), denominator layout
    numerator_cols = numerical_derivative(loss_cols, W2c, "numerator")  # (2, 3)
    dW2_rows = grad(loss_rows)(W2c.T)                                # (2, 3)
    assert numerator_cols.shape == dW2_rows.shape == W2c.T.shape
    np.testing.assert_allclose(numerator_cols, dW2_cols.T, atol=1e-8)
    np.testing.assert_allclose(dW2_rows, dW2_cols.T, atol=1e-12)
    assert not np.allclose(dW2_rows, W2c.T)                          # a gradient, not the weights
    text = PAGE.read_text(encoding="utf-8")
    assert "Both are $W^{(2)}_{\\text{cols}}$ transposed" not in text
    assert "both equal\n$(dW^{(2)}_{\\text{cols}})^\\top$" in text


def test_table_preamble_names_every_vector_size():
    """The sentence above the table of standard derivatives must not claim one size for vectors
    that the table gives another (it once said x, a, u in R^n while rows 6 and 10 used R^m, R^p, R^q)."""
    text = PAGE.read_text(encoding="utf-8")
    preamble = text[text.index("## Table of standard derivatives"):text.index("| Expression | Where |")]
    rows = page_table(text)
    assert len(rows) == 15
    for number, row in enumerate(rows, start=1):
        for names, dim in re.findall(r"\$((?:[a-z], )*[a-z]) \\in \\mathbb\{R\}\^\{([A-Za-z])\}\$", row[1]):
            for name in names.split(", "):
                if name in "xau" and dim == "n":
                    continue                                             # the stated default
                stated = f"${name} \\in \\mathbb{{R}}^{{{dim}}}$"
                assert re.search(re.escape(stated) + rf"\s+in\s+row {number}\b", preamble), (number, stated)


# ---- the exercises -------------------------------------------------------------------------

def test_exercise_shapes():
    B = np.random.default_rng(1).standard_normal((4, 7))
    x = np.ones(7)
    assert numerical_derivative(lambda v: B @ v, x).shape == (4, 7)
    assert numerical_derivative(lambda v: B @ v, x, "denominator").shape == (7, 4)
    X = np.ones((5, 2))
    assert numerical_derivative(np.sum, X).shape == (2, 5)
    assert numerical_derivative(np.sum, X, "denominator").shape == (5, 2)


def test_exercise_quadratic_form():
    # By hand: A + A^T = [[2, 2], [2, 6]]; (A + A^T)(1, 1) = (4, 8); the wrong 2Ax = 2(3, 3) = (6, 6).
    A = np.array([[1.0, 2.0], [0.0, 3.0]])
    x = np.array([1.0, 1.0])
    g = grad(lambda v: anp.dot(v, anp.dot(A, v)))(x)
    np.testing.assert_allclose(g, [4.0, 8.0])
    np.testing.assert_allclose(numerical_derivative(lambda v: v @ A @ v, x), [[4.0, 8.0]], atol=1e-8)
    assert not np.allclose(g, [6.0, 6.0])


def test_exercise_delta_recursion():
    # By hand: W3^T delta3 = (1 + 2, -2, 2) = (3, -2, 2); relu'(z2) = (1, 0, 1);
    # delta2 = (3, 0, 2); dW2 = delta2 a1^T = [[3, 9], [0, 0], [2, 6]]; numerator layout: its transpose.
    delta3 = np.array([1.0, -2.0])
    W3 = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.0]])
    a1 = np.array([1.0, 3.0])
    W2 = np.array([[0.5, 0.0], [-1.0, 0.0], [2.0, 0.0]])       # W2 a1 = z2 = (0.5, -1, 2)
    loss = lambda W: anp.dot(delta3, anp.dot(W3, anp.maximum(anp.dot(W, a1), 0.0)))  # dL/dz3 = delta3
    np.testing.assert_allclose(grad(loss)(W2), [[3.0, 9.0], [0.0, 0.0], [2.0, 6.0]])
    np.testing.assert_allclose(numerical_derivative(loss, W2), [[3.0, 0.0, 2.0], [9.0, 0.0, 6.0]], atol=1e-7)
    z2 = W2 @ a1
    delta2 = grad(lambda z: anp.dot(delta3, anp.dot(W3, anp.maximum(z, 0.0))))(z2)
    np.testing.assert_allclose(delta2, [3.0, 0.0, 2.0])
    # The asker's relu' = (1, 1, 1) would give the middle row -2 * (1, 3) = (-2, -6) instead of (0, 0).
    wrong = np.outer(W3.T @ delta3, a1)
    np.testing.assert_allclose(wrong[1], [-2.0, -6.0])
    assert not np.allclose(wrong, grad(loss)(W2))


if __name__ == "__main__":
    print(markdown_table())
