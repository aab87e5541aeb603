"""docs/cheatsheet.md: every numpy one-liner printed on the sheet is executed and compared with
an independent oracle (autograd, plain-Python loops, or a different numpy routine).

The sheet's one-liners are the inline code spans of the form `name = expression` (several
statements may be joined by `;`, the last one names the result). They are read from the
page itself, so a typo on the sheet fails here; and a span the registry below does not know
fails `test_every_one_liner_is_registered`, so nothing new goes on the sheet unchecked.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from losses import mse_loss, softmax_loss

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cheatsheet.md"
ROWS, COLS = '=== "Rows: Y = XW + b"', '=== "Columns: y = Wx + b"'


def one_liners(text: str) -> list[str]:
    """Inline code spans in table rows that assign (`x = ...`, `x /= ...`)."""
    rows = "\n".join(line for line in text.splitlines() if line.strip().startswith("|"))
    spans = re.findall(r"`([^`\n]+)`", rows)
    return sorted({s for s in spans if re.match(r"^[A-Za-z_]\w*\s*(=|/=)\s", s)})


def result_name(code: str) -> str:
    return re.match(r"^\s*([A-Za-z_]\w*)", code.split(";")[-1]).group(1)


def stable_sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def asigmoid(Z):
    return 1 / (1 + anp.exp(-Z))


rng = np.random.default_rng(7)
N, D, M, C = 3, 4, 2, 5


def away_from_zero(shape):
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# ---------------------------------------------------------------------------------------
# Setups: each returns (namespace for the one-liner, oracle for its result)

def affine_rows(b_shape=(M,)):
    X, W, b, dY = rng.standard_normal((N, D)), rng.standard_normal((D, M)), \
        rng.standard_normal(b_shape), rng.standard_normal((N, M))
    L = lambda X, W, b: anp.sum(dY * (anp.dot(X, W) + b))
    ns = dict(X=X, W=W, b=b, dY=dY)
    oracle = {
        "Y": [[sum(X[i, k] * W[k, j] for k in range(D)) + b.ravel()[j] for j in range(M)]
              for i in range(N)],
        "dX": grad(L, 0)(X, W, b), "dW": grad(L, 1)(X, W, b), "db": grad(L, 2)(X, W, b),
    }
    return ns, oracle


def affine_cols(b_shape=(M, 1)):
    X, W, b, dY = rng.standard_normal((D, N)), rng.standard_normal((M, D)), \
        rng.standard_normal(b_shape), rng.standard_normal((M, N))
    bb = (lambda b: b) if b_shape == (M, 1) else (lambda b: b[:, None])
    L = lambda X, W, b: anp.sum(dY * (anp.dot(W, X) + bb(b)))
    ns = dict(X=X, W=W, b=b, dY=dY)
    oracle = {
        "Y": [[sum(W[j, k] * X[k, i] for k in range(D)) + b.ravel()[j] for i in range(N)]
              for j in range(M)],
        "dX": grad(L, 0)(X, W, b), "dW": grad(L, 1)(X, W, b), "db": grad(L, 2)(X, W, b),
    }
    return ns, oracle


def activation(kind):
    Z, dA, alpha = away_from_zero((3, 4)), rng.standard_normal((3, 4)), 0.1
    if kind == "sigmoid":
        Z[0, 0], Z[0, 1] = 1e4, -1e4                    # the forward line must not overflow
    g = {"sigmoid": asigmoid, "tanh": anp.tanh, "relu": lambda Z: anp.maximum(Z, 0.0),
         "leaky": lambda Z: anp.where(Z > 0, Z, alpha * Z), "square": lambda Z: Z * Z}[kind]
    safe = np.clip(Z, -30, 30) if kind == "sigmoid" else Z   # autograd's σ without overflow
    dZ = grad(lambda Z: anp.sum(dA * g(Z)))(safe)
    if kind == "sigmoid":
        A = np.vectorize(stable_sigmoid)(Z)
        dZ = dA * np.vectorize(lambda z: stable_sigmoid(z) * (1 - stable_sigmoid(z)))(Z)
        np.testing.assert_allclose(dZ[1:], grad(lambda Z: anp.sum(dA[1:] * asigmoid(Z)))(Z[1:]))
    else:
        A = np.asarray(g(Z))
    return dict(Z=Z, A=A, dA=dA, alpha=alpha), {"A": A, "dZ": dZ}


def losses_setup():
    Yhat, T = rng.standard_normal((N, M)), rng.standard_normal((N, M))   # prediction, target
    Zb, Tb = rng.standard_normal((N, M)), rng.integers(0, 2, (N, M)).astype(float)
    F = rng.standard_normal((N, M))
    bce = lambda Z: -anp.sum(Tb * anp.log(asigmoid(Z)) + (1 - Tb) * anp.log(1 - asigmoid(Z))) / N
    half_sse_sigmoid = lambda Z: 0.5 * anp.sum((asigmoid(Z) - Tb) ** 2)
    return {
        "dF = np.ones_like(F)": (dict(F=F), grad(anp.sum)(F)),
        "dYhat = Yhat - T": (dict(Yhat=Yhat, T=T), grad(lambda P: 0.5 * anp.sum((P - T) ** 2))(Yhat)),
        "dYhat = 2 * (Yhat - T) / Yhat.size":
            (dict(Yhat=Yhat, T=T), grad(lambda P: anp.mean((P - T) ** 2))(Yhat)),
        "dZ = (A - T) / N": (dict(A=np.asarray(asigmoid(Zb)), T=Tb, N=N), grad(bce)(Zb)),
        "dZ = (A - T) * A * (1 - A)": (dict(A=np.asarray(asigmoid(Zb)), T=Tb), grad(half_sse_sigmoid)(Zb)),
    }


def softmax_setup(axis):
    Z = rng.standard_normal((N, C)) * 3
    Z[0, 0] = 800.0                                     # exp(800) overflows: the shift must work
    y = rng.integers(0, C, N)
    m = Z.max(axis=1)                                   # a constant shift: log-sum-exp is invariant
    ce = lambda Z: -anp.sum(Z[np.arange(N), y] - m - anp.log(anp.sum(anp.exp(Z - m[:, None]), axis=1))) / N
    P = np.array([[math.exp(z - max(row)) / sum(math.exp(v - max(row)) for v in row) for z in row]
                  for row in Z.tolist()])
    dZ = grad(ce)(Z)
    np.testing.assert_allclose(softmax_loss(Z, y)[1], dZ, rtol=1e-10, atol=1e-15)   # the site's snippet
    if axis == 0:                                       # columns: classes down the rows
        Z, P, dZ = Z.T.copy(), P.T, dZ.T
    return dict(Z=Z, y=y, C=C, N=N, P=P), {"P": P, "dZ": dZ}


def delta_rows():
    d_prev, d, d_next = 4, 3, 2
    A_prev, W, b = rng.standard_normal((N, d_prev)), rng.standard_normal((d_prev, d)), rng.standard_normal(d)
    W_next, b_next, G = rng.standard_normal((d, d_next)), rng.standard_normal(d_next), rng.standard_normal((N, d_next))
    Z = A_prev @ W + b
    L_Z = lambda Z: anp.sum(G * (anp.dot(anp.tanh(Z), W_next) + b_next))
    L = lambda A_prev, W, b: L_Z(anp.dot(A_prev, W) + b)
    ns = dict(A_prev=A_prev, W=W, b=b, Z=Z, W_next=W_next, dZ_next=G, dZ=grad(L_Z)(Z),
              gprime=lambda Z: 1 - np.tanh(Z) ** 2)
    return ns, {"dZ": grad(L_Z)(Z), "dW": grad(L, 1)(A_prev, W, b), "db": grad(L, 2)(A_prev, W, b),
                "dA_prev": grad(L, 0)(A_prev, W, b)}


def delta_cols():
    d_prev, d, d_next = 4, 3, 2
    A_prev, W, b = rng.standard_normal((d_prev, N)), rng.standard_normal((d, d_prev)), rng.standard_normal((d, 1))
    W_next, b_next, G = rng.standard_normal((d_next, d)), rng.standard_normal((d_next, 1)), rng.standard_normal((d_next, N))
    Z = W @ A_prev + b
    L_Z = lambda Z: anp.sum(G * (anp.dot(W_next, anp.tanh(Z)) + b_next))
    L = lambda A_prev, W, b: L_Z(anp.dot(W, A_prev) + b)
    ns = dict(A_prev=A_prev, W=W, b=b, Z=Z, W_next=W_next, dZ_next=G, dZ=grad(L_Z)(Z),
              gprime=lambda Z: 1 - np.tanh(Z) ** 2)
    return ns, {"dZ": grad(L_Z)(Z), "dW": grad(L, 1)(A_prev, W, b), "db": grad(L, 2)(A_prev, W, b),
                "dA_prev": grad(L, 0)(A_prev, W, b)}


def one_sample(rows):
    x, dy = rng.standard_normal(D), rng.standard_normal(M)
    W = rng.standard_normal((D, M) if rows else (M, D))
    f = (lambda W: anp.sum(dy * anp.dot(x, W))) if rows else (lambda W: anp.sum(dy * anp.dot(W, x)))
    return dict(x=x, dy=dy), {"dW": grad(f)(W)}


def misc(code):
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    dY, X = rng.standard_normal((N, M)), rng.standard_normal((N, D))
    u, v = rng.standard_normal(3), rng.standard_normal(4)
    x = rng.standard_normal((2, 3, 4, 5))
    dX = rng.standard_normal((2, 60))
    y = rng.integers(0, C, 6)
    Z = rng.standard_normal((N, C)) * 3
    Z[1, 2] = 1000.0
    ns = dict(A=A, B=B, dY=dY, X=X, u=u, v=v, x=x, dX=dX, y=y, C=C, Z=Z)
    flat = np.zeros((2, 60))
    for n, c, h, w in np.ndindex(x.shape):
        flat[n, 20 * c + 5 * h + w] = x[n, c, h, w]     # row by row, channel after channel
    oracle = {
        "totals": [sum(row) for row in dY.tolist()],
        "X": flat,
        "dx": grad(lambda x: anp.sum(dX * anp.reshape(x, (2, -1))))(x),
        "G": [[a * b for b in v] for a in u],
        "s": np.trace(A.T @ B),
        "Yoh": [[1.0 if k == label else 0.0 for k in range(C)] for label in y],
        "dW": grad(lambda W: anp.sum(dY * anp.dot(X, W)))(rng.standard_normal((D, M))),
        "lse": np.logaddexp.reduce(Z, axis=1)[:, None],
        "X1": np.concatenate([X, np.ones((N, 1))], axis=1),
    }
    return ns, oracle


def make_registry():
    """code on the sheet -> list of setups, each returning (namespace, {name: expected})."""
    reg = {
        # affine, rows and columns
        "Y = X @ W + b": [affine_rows], "dX = dY @ W.T": [affine_rows], "dW = X.T @ dY": [affine_rows],
        "db = dY.sum(axis=0)": [affine_rows],
        "db = dY.sum(axis=0, keepdims=True)": [lambda: affine_rows((1, M))],
        "db = dY.sum(axis=0).reshape(b.shape)": [affine_rows, lambda: affine_rows((1, M))],
        "Y = W @ X + b": [affine_cols], "dX = W.T @ dY": [affine_cols], "dW = dY @ X.T": [affine_cols],
        "db = dY.sum(axis=1, keepdims=True)": [affine_cols],
        "db = dY.sum(axis=1)": [lambda: affine_cols((M,))],
        "db = dY.sum(axis=1).reshape(b.shape)": [affine_cols, lambda: affine_cols((M,))],
        # activations
        "A = np.exp(-np.logaddexp(0, -Z))": [lambda: activation("sigmoid")],
        "dZ = dA * A * (1 - A)": [lambda: activation("sigmoid")],
        "A = np.tanh(Z)": [lambda: activation("tanh")],
        "dZ = dA * (1 - A**2)": [lambda: activation("tanh")],
        "A = np.maximum(Z, 0)": [lambda: activation("relu")],
        "dZ = dA * (Z > 0)": [lambda: activation("relu")],
        "A = np.where(Z > 0, Z, alpha * Z)": [lambda: activation("leaky")],
        "dZ = np.where(Z > 0, dA, alpha * dA)": [lambda: activation("leaky")],
        "A = Z**2": [lambda: activation("square")],
        "dZ = dA * 2 * Z": [lambda: activation("square")],
        # softmax cross-entropy
        "P = np.exp(Z - Z.max(axis=1, keepdims=True)); P /= P.sum(axis=1, keepdims=True)":
            [lambda: softmax_setup(1)],
        "dZ = (P - np.eye(C)[y]) / N": [lambda: softmax_setup(1)],
        "P = np.exp(Z - Z.max(axis=0, keepdims=True)); P /= P.sum(axis=0, keepdims=True)":
            [lambda: softmax_setup(0)],
        "dZ = (P - np.eye(C)[:, y]) / N": [lambda: softmax_setup(0)],
        # delta recursion
        "dZ = (dZ_next @ W_next.T) * gprime(Z)": [delta_rows], "dW = A_prev.T @ dZ": [delta_rows],
        "db = dZ.sum(axis=0)": [delta_rows], "dA_prev = dZ @ W.T": [delta_rows],
        "dZ = (W_next.T @ dZ_next) * gprime(Z)": [delta_cols], "dW = dZ @ A_prev.T": [delta_cols],
        "db = dZ.sum(axis=1, keepdims=True)": [delta_cols], "dA_prev = W.T @ dZ": [delta_cols],
        # batched forms
        "dW = np.outer(x, dy)": [lambda: one_sample(True)],
        "dW = np.outer(dy, x)": [lambda: one_sample(False)],
    }
    for code in ["totals = dY.sum(axis=1)", "X = x.reshape(x.shape[0], -1)", "dx = dX.reshape(x.shape)",
                 "G = np.outer(u, v)", "s = np.sum(A * B)", "Yoh = np.eye(C)[y]",
                 'dW = np.einsum("nd,nm->dm", X, dY)',
                 "m = Z.max(axis=1, keepdims=True); lse = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))",
                 "X1 = np.hstack([X, np.ones((X.shape[0], 1))])"]:
        reg[code] = [lambda code=code: misc(code)]
    return reg


REGISTRY = make_registry()
LOSSES = losses_setup()
SHEET = one_liners(PAGE.read_text(encoding="utf-8"))


def run_one_liner(code: str, ns: dict, expected) -> None:
    ns = {"np": np, **ns}
    exec(code, ns)
    got = ns[result_name(code)]
    expected = np.asarray(expected, dtype=float)
    assert np.shape(got) == expected.shape, f"{code}: shape {np.shape(got)} != {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=code)


def check(code: str) -> None:
    if code in LOSSES:
        ns, expected = LOSSES[code]
        run_one_liner(code, ns, expected)
        return
    for setup in REGISTRY[code]:
        ns, oracle = setup()
        run_one_liner(code, ns, oracle[result_name(code)])


def test_every_one_liner_is_registered():
    known = set(REGISTRY) | set(LOSSES)
    assert len(SHEET) >= 40, SHEET
    assert not set(SHEET) - known, f"one-liners on the sheet without a check: {set(SHEET) - known}"
    assert not known - set(SHEET), f"checks for one-liners no longer on the sheet: {known - set(SHEET)}"


@pytest.mark.parametrize("code", SHEET)
def test_one_liner(code):
    check(code)


@pytest.mark.parametrize("code, typo", [
    ("dW = X.T @ dY", "dW = dY.T @ X"),                       # transposed result
    ("dX = dY @ W.T", "dX = dY @ W"),                         # (N, M) @ (D, M): shape error
    ("db = dY.sum(axis=1, keepdims=True)", "db = dY.sum(axis=1)"),   # keepdims dropped
    ("dZ = dA * A * (1 - A)", "dZ = dA * A"),                 # sigmoid' wrong
    ("dZ = (P - np.eye(C)[y]) / N", "dZ = P - np.eye(C)[y]"),  # mean forgotten
    ("dZ = (W_next.T @ dZ_next) * gprime(Z)", "dZ = (W_next.T @ dZ_next)"),   # g' forgotten
])
def test_a_typo_on_the_sheet_is_caught(code, typo):
    assert code in SHEET
    check(code)
    with pytest.raises((AssertionError, ValueError)):
        if code in LOSSES:
            run_one_liner(typo, *LOSSES[code])
        else:
            ns, oracle = REGISTRY[code][0]()
            run_one_liner(typo, ns, oracle[result_name(code)])


def test_mse_line_matches_the_site_snippet():
    ns, expected = LOSSES["dYhat = Yhat - T"]
    np.testing.assert_allclose(mse_loss(ns["Yhat"], ns["T"])[1], expected)


def test_tabs_come_in_linked_pairs():
    text = PAGE.read_text(encoding="utf-8")
    labels = re.findall(r'^\s*=== "([^"]*)"', text, flags=re.MULTILINE)
    assert set(labels) == {ROWS[5:-1], COLS[5:-1]}
    assert labels.count(ROWS[5:-1]) == labels.count(COLS[5:-1]) >= 6


def test_derivative_bounds_on_the_sheet():
    z = np.linspace(-10, 10, 2001)                            # includes z = 0
    s_prime = np.array([grad(lambda t: asigmoid(t))(float(t)) for t in z])
    t_prime = np.array([grad(anp.tanh)(float(t)) for t in z])
    assert s_prime.max() == pytest.approx(0.25) and z[s_prime.argmax()] == pytest.approx(0.0)
    assert t_prime.max() == pytest.approx(1.0) and z[t_prime.argmax()] == pytest.approx(0.0)


def test_sheet_exercise_1():
    dY = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])      # (M, N): samples in columns
    Wc, Xc = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    db = grad(lambda b: anp.sum(dY * (anp.dot(Wc, Xc) + b)))(np.zeros((3, 1)))
    np.testing.assert_allclose(db, [[3.0], [7.0], [11.0]])   # by hand: 1+2, 3+4, 5+6
    assert dY.sum(axis=0).shape == (2,)                       # the wrong line: per sample


def test_sheet_exercise_2():
    assert grad(asigmoid)(0.0) == 0.25
    assert 0.25 ** 5 == 1 / 1024
    assert grad(anp.tanh)(0.0) == 1.0


def test_float32_advice_quotes_the_measurement():
    """Issue 16: the sheet said a float32 check at h = 1e-5 keeps "2 or 3 correct digits"; the
    measured worst-entry relative error there is 0.18 (gradient-checking.md, and an independent
    recomputation in tests/numerics.py), and the best over all steps is 2e-4."""
    from numerics import float32_check_errors

    section = PAGE.read_text(encoding="utf-8").split("## Gradient checking")[1].split("## numpy")[0]
    claim = re.search(r"scores a relative error of \$([\d.]+)\$.*?better than \$([\d.]+) \\times 10\^\{(-\d+)\}\$",
                      section, re.DOTALL)
    assert claim, "the float32 item should quote the measured relative errors"
    at_1e5, best = float(claim.group(1)), float(claim.group(2)) * 10.0 ** int(claim.group(3))
    measured = float32_check_errors((1e-2, 1e-3, 1e-4, 1e-5))
    assert at_1e5 == pytest.approx(measured[1e-5], rel=0.4)                # 0.18
    assert best == pytest.approx(min(measured.values()), rel=0.4)          # 2e-4, at h = 1e-2
    assert -math.log10(at_1e5) < 1                                         # "not one correct digit"
    assert "correct digits" not in section
