"""docs/shape-errors.md: the messages it quotes are the messages the snippets raise.

Each message is typed out here by hand, word for word, next to a call of our own
(different values from the page's, same shapes) that must raise it. The page shows each
message in a ``` text title="ValueError" ``` (or "TypeError") block, wrapped at spaces;
the test reads those blocks and requires them to be exactly this table, so a changed message fails here until
the page is updated, and a message quoted on the page that no call produces fails too.
The exercises' answers are derived by hand and checked through a second route.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from affine import affine_backward, affine_forward
from activations import relu_backward, relu_forward, sigmoid_forward
from delta import backprop, forward
from losses import mse_loss, softmax_loss

PAGE = Path(__file__).resolve().parent.parent / "docs" / "shape-errors.md"
rng = np.random.default_rng(2024)


def r(*shape):
    return rng.standard_normal(shape)


tanh_prime = lambda z: 1 - np.tanh(z) ** 2
W_net = [r(3, 2), r(2, 3)]                        # d = (2, 3, 2), column convention
b_net = [r(3, 1), r(2, 1)]

MESSAGES = [
    ("mse (N, 1) against (N,)", lambda: mse_loss(r(3, 1), r(3)), ValueError,
     "y_hat of shape (3, 1) and y of shape (3,) must have the same shape (no broadcasting)"),
    ("28x28 weights for 8x8 digits", lambda: affine_forward(r(2, 1, 8, 8), r(784, 10), r(10)), ValueError,
     "x of shape (2, 1, 8, 8) has D = 64 features per sample, but w of shape (784, 10) expects 784 (its rows)"),
    ("column-convention W in affine_forward", lambda: affine_forward(r(2, 4), r(3, 4), r(3)), ValueError,
     "x of shape (2, 4) has D = 4 features per sample, but w of shape (3, 4) expects 3 (its rows)"),
    ("row-convention W in delta.forward", lambda: forward([r(4, 3)], [r(3)], r(4), np.tanh), ValueError,
     "Ws[0] of shape (4, 3) should be (d_1, 4): its columns must match the 4 rows of x of shape (4,)"),
    ("one sample without a batch axis", lambda: affine_forward(r(4), r(4, 3), r(3)), ValueError,
     "expected x of shape (N, d1, ..., dk) and w of shape (D, M), got x (4,) and w (4, 3)"),
    ("one bias per input", lambda: affine_forward(r(2, 4), r(4, 3), r(4)), ValueError,
     "b of shape (4,) does not match w of shape (4, 3): expected (3,) or (1, 3)"),
    ("column bias", lambda: affine_forward(r(2, 4), r(4, 3), r(3, 1)), ValueError,
     "b of shape (3, 1) does not match w of shape (4, 3): expected (3,) or (1, 3)"),
    ("dout in source 000's M x S layout", lambda: affine_backward(r(3, 2), affine_forward(r(2, 4), r(4, 3), r(3))[1]),
     ValueError, "dout of shape (3, 2) does not match the layer output of shape (2, 3) (x (2, 4), w (4, 3))"),
    ("dout flattened by the loss", lambda: affine_backward(r(3), affine_forward(r(3, 4), r(4, 1), r(1))[1]),
     ValueError, "dout of shape (3,) does not match the layer output of shape (3, 1) (x (3, 4), w (4, 1))"),
    ("relu dout transposed", lambda: relu_backward(r(3, 2), relu_forward(r(2, 3))[1]), ValueError,
     "dout of shape (3, 2) does not match the forward output of shape (2, 3)"),
    ("labels of the whole data set", lambda: softmax_loss(r(2, 3), np.array([2, 1, 0])), ValueError,
     "labels y of shape (3,) do not match x of shape (2, 3): expected one label per row, shape (2,)"),
    ("labels as a column", lambda: softmax_loss(r(2, 3), np.array([[1], [0]])), ValueError,
     "labels y of shape (2, 1) do not match x of shape (2, 3): expected one label per row, shape (2,)"),
    ("one-hot labels", lambda: softmax_loss(r(2, 3), np.array([[0, 1, 0], [1, 0, 0]])), ValueError,
     "labels y of shape (2, 3) do not match x of shape (2, 3): expected one label per row, shape (2,)"),
    ("labels numbered from 1", lambda: softmax_loss(r(2, 3), np.array([2, 3])), ValueError,
     "labels must lie in [0, 3) for x of shape (2, 3); got [3] at rows [1]"),
    ("float labels", lambda: softmax_loss(r(2, 3), np.array([1.0, 1.0])), TypeError,
     "labels y must be integers, got dtype float64 with shape (2,); convert them with y.astype(np.int64)"),
    ("integer x", lambda: affine_forward(np.array([[5, 6], [7, 8]]), r(2, 3), r(3)), TypeError,
     "x must be a float array, got dtype int64 with shape (2, 2); convert it with x.astype(np.float64)"),
    ("NaN into the sigmoid", lambda: sigmoid_forward(np.array([[np.nan, 0.0, -1.0]])), ValueError,
     "x of shape (1, 3) contains NaN or inf"),
    ("batch in rows to backprop", lambda: backprop(W_net, b_net, r(5, 2), r(2, 5), np.tanh, tanh_prime), ValueError,
     "Ws[0] of shape (3, 2) should be (d_1, 5): its columns must match the 5 rows of x of shape (5, 2); "
     "samples go in columns, pass x.T"),
    ("1-D bias with a batch in columns", lambda: backprop(W_net, [r(3), b_net[1]], r(2, 5), r(2, 5), np.tanh, tanh_prime),
     ValueError, "bs[0] of shape (3,) does not match Ws[0] of shape (3, 2) and x of shape (2, 5): expected (3, 1)"),
    ("targets in rows", lambda: backprop(W_net, b_net, r(2, 5), r(5, 2), np.tanh, tanh_prime), ValueError,
     "y of shape (5, 2) does not match the network output z⁽ᴸ⁾ of shape (2, 5) (x (2, 5), Ws[-1] (2, 3))"),
    ("empty batch in the softmax loss", lambda: softmax_loss(np.zeros((0, 3)), np.zeros(0, dtype=np.int64)), ValueError,
     "x must have shape (N, C) with N >= 1 samples and C >= 1 classes, got (0, 3); "
     "the mean over N = 0 samples is undefined"),
]


@pytest.mark.parametrize("call, error, expected", [m[1:] for m in MESSAGES], ids=[m[0] for m in MESSAGES])
def test_the_message_word_for_word(call, error, expected):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert str(info.value) == expected


MESSAGE_BLOCK = re.compile(r'^(?P<indent>[ \t]*)``` ?text title="(?P<type>ValueError|TypeError)"\n(?P<body>.*?)\n(?P=indent)```$',
                           re.MULTILINE | re.DOTALL)


def quoted_messages(text: str) -> list[tuple[str, str]]:
    """(exception, message) of every quoted message; a long message is wrapped at spaces."""
    return [(m["type"], " ".join(line.strip() for line in m["body"].splitlines()))
            for m in MESSAGE_BLOCK.finditer(text)]


def test_the_page_quotes_exactly_these_messages():
    quoted = quoted_messages(PAGE.read_text(encoding="utf-8"))
    table = [(error.__name__, message) for _, _, error, message in MESSAGES]
    assert len(quoted) == len(set(quoted)), "a message is quoted twice"
    assert not set(quoted) - set(table), f"quoted on the page but raised by no call: {set(quoted) - set(table)}"
    assert not set(table) - set(quoted), f"raised but not quoted on the page: {set(table) - set(quoted)}"


def test_the_sync_check_would_catch_a_stale_quote():
    """The planted bug: a page quoting an older wording of a message."""
    stale = '''Text.\n\n    ``` text title="ValueError"\n    b of shape (4,) does not match\n    w of shape (4, 3)\n    ```\n'''
    quoted = quoted_messages(stale)
    assert quoted == [("ValueError", "b of shape (4,) does not match w of shape (4, 3)")]
    assert not set(quoted) <= {(e.__name__, m) for _, _, e, m in MESSAGES}


def test_the_page_has_the_required_parts():
    text = PAGE.read_text(encoding="utf-8")
    assert text.startswith("# When the shapes don't match\n")
    for part in ('!!! abstract "What you\'ll learn"', '!!! info "Prerequisites"', "\n## Summary\n",
                 "\n## Exercises\n", '=== "Rows: Y = XW + b"', '=== "Columns: y = Wx + b"'):
        assert part in text, part
    exercises = text[text.index("\n## Exercises\n"):]
    n = len(re.findall(r"^\d+\. ", exercises, re.MULTILINE))
    assert n == exercises.count('??? success "Solution"') == 5
    for k in range(1, n + 1):                     # every cited test exists in this file
        assert f"tests/test_shape_errors.py::test_exercise_{k}`" in exercises
        assert f"test_exercise_{k}" in globals()


# ---- the exercises, by a second route -------------------------------------------------

def test_exercise_1():
    D = 3 * 32 * 32                                  # by hand: channels x height x width
    assert D == 3072 and 1024 == 32 * 32
    with pytest.raises(ValueError) as info:
        affine_forward(np.zeros((64, 3, 32, 32)), np.zeros((1024, 10)), np.zeros(10))
    assert str(info.value) == ("x of shape (64, 3, 32, 32) has D = 3072 features per sample, "
                               "but w of shape (1024, 10) expects 1024 (its rows)")
    assert affine_forward(np.zeros((64, 3, 32, 32)), np.zeros((3072, 10)), np.zeros(10))[0].shape == (64, 10)


def test_exercise_2():
    y_csv = np.array([1.0, 3.0, 2.0])
    with pytest.raises(TypeError, match=r"labels y must be integers, got dtype float64 with shape \(3,\)"):
        softmax_loss(np.zeros((3, 3)), y_csv)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) for x of shape \(3, 3\); got \[3\] at rows \[1\]"):
        softmax_loss(np.zeros((3, 3)), y_csv.astype(np.int64))
    loss, dx = softmax_loss(np.zeros((3, 3)), (y_csv - 1).astype(np.int64))
    # by hand: p = 1/3 for every class, so each sample contributes -ln(1/3) = ln 3
    assert loss == pytest.approx(1.0986122886681098, abs=1e-15)
    assert loss == pytest.approx(math.log(3), rel=1e-15)
    # and dx = (p - onehot) / N, by hand
    np.testing.assert_allclose(dx * 3, [[-2 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, -2 / 3], [1 / 3, -2 / 3, 1 / 3]])


def test_exercise_3():
    y_hat, y = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([1.0, 2.0, 3.0, 4.0])
    assert (y_hat - y).shape == (4, 4)
    # a second route: the double loop over all (i, j) pairs that broadcasting forms
    by_loop = 0.5 * sum((a - b) ** 2 for a in [1, 2, 3, 4] for b in [1, 2, 3, 4])
    assert by_loop == 20 == 1 + 4 + 9 + 1 + 4 + 1
    assert 0.5 * np.sum((y_hat - y) ** 2) == 20.0
    assert mse_loss(y_hat.ravel(), y)[0] == 0.0


def test_exercise_4():
    X_rows = np.array([[1.0, -2.0], [0.5, 3.0]])     # (N, d_0) = (2, 2): samples in rows
    Y_cols = np.array([[0.3, -0.1], [1.0, 0.2]])     # (d_2, N)
    right = backprop(W_net, b_net, X_rows.T, Y_cols, np.tanh, tanh_prime)
    wrong = backprop(W_net, b_net, X_rows, Y_cols, np.tanh, tanh_prime)   # no error: N = d_0
    assert not np.allclose(right[0][0], wrong[0][0])
    with pytest.raises(ValueError, match="pass x.T"):                      # with N != d_0 it fails
        backprop(W_net, b_net, np.vstack([X_rows, X_rows[:1]]), Y_cols, np.tanh, tanh_prime)


def test_exercise_5():
    x, w = r(0, 5), r(5, 2)
    _, cache = affine_forward(x, w, np.zeros(2))
    dx, dw, db = affine_backward(np.zeros((0, 2)), cache)
    assert dx.shape == (0, 5)
    np.testing.assert_array_equal(dw, np.zeros((5, 2)))      # by hand: sums of zero terms
    np.testing.assert_array_equal(db, np.zeros(2))


def test_column_bias_broadcasts_for_two_batch_sizes():
    """Issue 16: the page said numpy fails "for N != M"; (N, M) + (M, 1) also passes for N = 1."""
    M = 3
    b_col = np.arange(1.0, M + 1).reshape(M, 1)
    for N in range(1, 6):
        try:
            shape = (np.zeros((N, M)) + b_col).shape
        except ValueError:
            shape = None
        assert shape == ((M, M) if N in (1, M) else None), N
    text = (Path(__file__).resolve().parent.parent / "docs" / "shape-errors.md").read_text(encoding="utf-8")
    section = text[text.index("Why refuse a column bias"):text.index("## dout has the wrong shape")]
    assert "For $N \\ne M$ numpy fails" not in section
    assert "when $n = 1$" in section.lower() and "when $n = m$" in section.lower()


def test_distinct_sizes_are_pairwise_distinct():
    """"N != D != M" does not rule out N = M; the pages say "pairwise distinct"."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    for name in ("shape-errors.md", "gradient-checking.md"):
        text = docs.joinpath(name).read_text(encoding="utf-8")
        assert r"N \ne D \ne M" not in text and r"N \neq D \neq M" not in text, name
        assert "pairwise distinct" in text.lower(), name
