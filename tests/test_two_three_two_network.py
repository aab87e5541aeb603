"""Tests for snippets/two_three_two.py and every number of docs/two-three-two-network.md.

Independent routes: autograd differentiates the loss written directly with autograd.numpy;
centered finite differences (a local helper); hand-derived literals (integers from the
linear steps, and the closed forms c = σ(1)σ(−1)², p = σ(−2)²σ(2), q = −σ(1)²σ(−1)).
"""

import math
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

import two_three_two as net
from delta import backprop
from markdown_code import expand, run_page

ROOT = Path(__file__).resolve().parent.parent
sig = lambda t: 1 / (1 + math.exp(-t))
C = sig(1) * sig(-1) ** 2                   # hand-derived: δ⁽³⁾ = C · (−1, 1)
P, Q = sig(-2) ** 2 * sig(2), -sig(1) ** 2 * sig(-1)   # hand-derived: δ⁽³⁾ of x_neg
PARAMS = ("W2", "b2", "W3", "b3")


def params():
    return {k: getattr(net, k).copy() for k in PARAMS}


def loss_ag(W2, b2, W3, b3, x, y, output="sigmoid", loss="mse"):
    """The question's network written from its definition with autograd.numpy (columns)."""
    col = (lambda b: b) if x.ndim == 1 else (lambda b: anp.reshape(b, (-1, 1)))
    a2 = anp.maximum(anp.dot(W2, x) + col(b2), 0.0)
    z3 = anp.dot(W3, a2) + col(b3)
    a3 = 1 / (1 + anp.exp(-z3)) if output == "sigmoid" else z3
    if loss == "mse":
        return 0.5 * anp.sum((a3 - y) ** 2)
    return -anp.sum(y * anp.log(a3) + (1 - y) * anp.log(1 - a3))


def autograd_grads(x, y, p=None, **kw):
    p = p or params()
    f = lambda W2, b2, W3, b3, x: loss_ag(W2, b2, W3, b3, x, y, **kw)
    out = {"d" + k: grad(f, i)(p["W2"], p["b2"], p["W3"], p["b3"], x) for i, k in enumerate(PARAMS)}
    out["dx"] = grad(f, 4)(p["W2"], p["b2"], p["W3"], p["b3"], x)
    return out


def numerical_gradient(f, A, h=1e-6):
    out = np.zeros_like(A)
    for ix in np.ndindex(A.shape):
        old = A[ix]
        A[ix] = old + h
        fp = f()
        A[ix] = old - h
        fm = f()
        A[ix] = old
        out[ix] = (fp - fm) / (2 * h)
    return out


def test_parameters_are_the_pages():
    # The notebook reuses these; the page prints them. Hand-copied from the page's display.
    np.testing.assert_array_equal(net.x, [1, 2])
    np.testing.assert_array_equal(net.y, [1, 0])
    np.testing.assert_array_equal(net.x_neg, [-1, 2])
    np.testing.assert_array_equal(net.y_neg, [0, 1])
    np.testing.assert_array_equal(net.W2, [[1, 1], [2, -1], [-1, 1]])
    np.testing.assert_array_equal(net.b2, [0, 1, 1])
    np.testing.assert_array_equal(net.W3, [[1, -1, -1], [-1, 2, 0]])
    np.testing.assert_array_equal(net.b3, [1, 0])


def test_forward_pass():
    L, cache = net.network_forward(net.x, net.y, *params().values())
    # Hand arithmetic (see the page): z² = (3, 1, 2), z³ = (1, −1).
    np.testing.assert_array_equal(cache["z2"], [3, 1, 2])
    np.testing.assert_array_equal(cache["a2"], [3, 1, 2])
    np.testing.assert_array_equal(cache["z3"], [1, -1])
    np.testing.assert_allclose(cache["a3"], [0.7311, 0.2689], atol=5e-5)
    np.testing.assert_allclose(L, sig(-1) ** 2, rtol=1e-12)
    np.testing.assert_allclose(L, 0.07233, atol=5e-6)
    p = params()
    np.testing.assert_allclose(loss_ag(*p.values(), net.x, net.y), L, rtol=1e-12)


def test_output_layer():
    ref = autograd_grads(net.x, net.y)
    np.testing.assert_allclose(C, 0.052877, atol=5e-7)
    np.testing.assert_allclose(ref["dW3"], C * np.array([[-3, -1, -2], [3, 1, 2]]), rtol=1e-12)
    np.testing.assert_allclose(ref["dW3"], [[-0.1586, -0.0529, -0.1058], [0.1586, 0.0529, 0.1058]], atol=5e-5)
    np.testing.assert_allclose(ref["db3"], C * np.array([-1, 1]), rtol=1e-12)
    np.testing.assert_allclose(ref["db3"], [-0.05288, 0.05288], atol=5e-6)
    # δ⁽³⁾ = ∂L/∂z⁽³⁾ by autograd on L as a function of z⁽³⁾ alone.
    dz3 = grad(lambda z: 0.5 * anp.sum((1 / (1 + anp.exp(-z)) - net.y) ** 2))(np.array([1.0, -1.0]))
    np.testing.assert_allclose(dz3, C * np.array([-1, 1]), rtol=1e-12)
    g = net.network_backward(net.network_forward(net.x, net.y, *params().values())[1])
    for k in ("dW3", "db3"):
        np.testing.assert_allclose(g[k], ref[k], rtol=1e-12)
    np.testing.assert_allclose(g["delta3"], dz3, rtol=1e-12)


def test_hidden_layer():
    ref = autograd_grads(net.x, net.y)
    np.testing.assert_allclose(ref["dW2"], C * np.array([[-2, -4], [3, 6], [1, 2]]), rtol=1e-12)
    np.testing.assert_allclose(ref["dW2"], [[-0.1058, -0.2115], [0.1586, 0.3173], [0.0529, 0.1058]], atol=5e-5)
    np.testing.assert_allclose(ref["db2"], C * np.array([-2, 3, 1]), rtol=1e-12)
    np.testing.assert_allclose(ref["db2"], [-0.1058, 0.1586, 0.0529], atol=5e-5)
    # The Jacobian ∂a⁽²⁾/∂z⁽²⁾ is diag(relu'(z⁽²⁾)) = I₃ at z⁽²⁾ = (3, 1, 2): a diagonal matrix.
    Jrelu = jacobian(lambda z: anp.maximum(z, 0.0))(np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(Jrelu, np.eye(3))
    # gunes' denominator-layout chain: (3×3)(3×2)(2×1) gives δ⁽²⁾.
    delta3 = C * np.array([-1.0, 1.0])
    np.testing.assert_allclose(Jrelu @ net.W3.T @ delta3, ref["db2"], rtol=1e-12)
    # The asker's product δ⁽³⁾ᵀ W⁽³⁾ (1,1,1)ᵀ collapses to one number, 2c, the wrong shape.
    wrong = delta3 @ net.W3 @ np.ones(3)
    assert np.ndim(wrong) == 0 and np.isclose(wrong, 2 * C)
    assert np.outer(wrong, net.x).shape == (1, 2) != net.W2.shape
    g = net.network_backward(net.network_forward(net.x, net.y, *params().values())[1])
    for k in ("dW2", "db2", "dx"):
        np.testing.assert_allclose(g[k], ref[k], rtol=1e-12)


def test_negative_hidden_unit():
    L, cache = net.network_forward(net.x_neg, net.y_neg, *params().values())
    np.testing.assert_array_equal(cache["z2"], [1, -3, 4])     # hand arithmetic
    np.testing.assert_array_equal(cache["z3"], [-2, -1])
    np.testing.assert_allclose(L, 0.2743, atol=5e-5)
    np.testing.assert_allclose([P, Q], [0.012516, -0.143735], atol=5e-7)
    ref = autograd_grads(net.x_neg, net.y_neg)
    np.testing.assert_allclose(ref["dW2"], [[-(P - Q), 2 * (P - Q)], [0, 0], [P, -2 * P]], rtol=1e-12)
    np.testing.assert_allclose(ref["dW2"], [[-0.1563, 0.3125], [0, 0], [0.0125, -0.0250]], atol=5e-5)
    np.testing.assert_allclose(ref["dW3"], [[P, 0, 4 * P], [Q, 0, 4 * Q]], rtol=1e-12)
    np.testing.assert_allclose(ref["dW3"], [[0.0125, 0, 0.0501], [-0.1437, 0, -0.5749]], atol=5e-5)
    np.testing.assert_allclose(ref["db2"], [P - Q, 0, -P], rtol=1e-12)
    np.testing.assert_allclose(net.W3.T @ np.array([P, Q]), [0.1563, -0.3000, -0.0125], atol=5e-5)
    g = net.network_backward(cache)
    for k in ("dW2", "db2", "dW3", "db3", "dx"):
        np.testing.assert_allclose(g[k], ref[k], rtol=1e-12, atol=1e-15)
    # Planted bug: the asker's (1, 1, 1) in place of relu'(z⁽²⁾) gives row 2 ≈ (0.3, −0.6), not 0.
    wrong_dW2 = np.outer(net.W3.T @ g["delta3"], net.x_neg)
    np.testing.assert_allclose(wrong_dW2[1], [0.3000, -0.6000], atol=5e-5)
    assert not np.allclose(wrong_dW2, ref["dW2"])


def test_relu_kink_finite_difference_is_one_half():
    h = 1e-6
    relu = lambda t: max(t, 0.0)
    assert (relu(h) - relu(-h)) / (2 * h) == 0.5
    assert net.network_backward(net.network_forward(
        np.array([0.0, 0.0]), net.y, net.W2, np.array([0.0, 1.0, 1.0]), net.W3, net.b3)[1])["delta2"][0] == 0


def test_batch():
    X = np.stack([net.x, net.x_neg], axis=1)
    Y = np.stack([net.y, net.y_neg], axis=1)
    np.testing.assert_array_equal(Y, np.eye(2))
    ref = autograd_grads(X, Y)
    # Hand: the batch gradient is the sum of the two single-sample closed forms.
    np.testing.assert_allclose(ref["dW3"], C * np.array([[-3, -1, -2], [3, 1, 2]])
                               + np.array([[P, 0, 4 * P], [Q, 0, 4 * Q]]), rtol=1e-12)
    np.testing.assert_allclose(ref["dW2"], C * np.array([[-2, -4], [3, 6], [1, 2]])
                               + np.array([[-(P - Q), 2 * (P - Q)], [0, 0], [P, -2 * P]]), rtol=1e-12)
    np.testing.assert_allclose(ref["db3"], [-C + P, C + Q], rtol=1e-12)
    np.testing.assert_allclose(ref["db2"], [-2 * C + (P - Q), 3 * C, C - P], rtol=1e-12)
    np.testing.assert_allclose(ref["dW3"], [[-0.1461, -0.0529, -0.0557], [0.0149, 0.0529, -0.4692]], atol=5e-5)
    np.testing.assert_allclose(ref["db3"], [-0.0404, -0.0909], atol=5e-5)
    np.testing.assert_allclose(ref["dW2"], [[-0.2620, 0.1010], [0.1586, 0.3173], [0.0654, 0.0807]], atol=5e-5)
    np.testing.assert_allclose(ref["db2"], [0.0505, 0.1586, 0.0404], atol=5e-5)
    L, cache = net.network_forward(X, Y, *params().values())
    np.testing.assert_allclose(L, sig(-1) ** 2 + 0.5 * (sig(-2) ** 2 + sig(1) ** 2), rtol=1e-12)
    np.testing.assert_allclose(L, 0.3467, atol=5e-5)
    g = net.network_backward(cache)
    for k in ("dW2", "db2", "dW3", "db3", "dx"):
        np.testing.assert_allclose(g[k], ref[k], rtol=1e-12, atol=1e-15)
    # Row convention by autograd: the same numbers transposed.
    fr = lambda W2r, W3r: loss_ag(W2r.T, net.b2, W3r.T, net.b3, X, Y)
    np.testing.assert_allclose(grad(fr, 0)(net.W2.T.copy(), net.W3.T.copy()), ref["dW2"].T, rtol=1e-12)
    np.testing.assert_allclose(grad(fr, 1)(net.W2.T.copy(), net.W3.T.copy()), ref["dW3"].T, rtol=1e-12)


@pytest.mark.parametrize("which", ["x", "x_neg", "batch"])
def test_finite_differences(which):
    if which == "batch":
        x, y = np.stack([net.x, net.x_neg], axis=1), np.stack([net.y, net.y_neg], axis=1)
    else:
        x, y = getattr(net, which), getattr(net, "y" + which[1:])
    p = params()
    g = net.network_backward(net.network_forward(x, y, *p.values())[1])
    f = lambda: net.network_forward(x, y, *p.values())[0]
    for k in PARAMS:
        np.testing.assert_allclose(g["d" + k], numerical_gradient(f, p[k]), rtol=1e-6, atol=1e-9)
    xc = x.copy()
    fx = lambda: net.network_forward(xc, y, *p.values())[0]
    np.testing.assert_allclose(g["dx"], numerical_gradient(fx, xc), rtol=1e-6, atol=1e-9)


def test_float32_and_no_mutation():
    arrays = [a.astype(np.float32) for a in (net.x, net.y, net.W2, net.b2, net.W3, net.b3)]
    before = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    L, cache = net.network_forward(*arrays)
    g = net.network_backward(cache)
    assert all(v.dtype == np.float32 for v in g.values()) and cache["a3"].dtype == np.float32
    np.testing.assert_allclose(g["dW2"], C * np.array([[-2, -4], [3, 6], [1, 2]]), rtol=1e-5)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)


def test_large_inputs_are_stable():
    # |z| up to ~1e4 must give finite results and no overflow warning (warnings are errors).
    for s in (1e4, -1e4):
        L, cache = net.network_forward(s * net.x, net.y, net.W2, net.b2, net.W3, net.b3)
        g = net.network_backward(cache)
        assert np.isfinite(L) and all(np.isfinite(v).all() for v in g.values())


@pytest.mark.parametrize("change,words", [
    ({"x": np.ones(3)}, ["x (3,)", "W2 (3, 2)"]),
    ({"W2": np.ones(3)}, ["W2 (3,)"]),
    ({"b3": np.ones((2, 1))}, ["b3 (2, 1)"]),
    ({"y": np.ones((2, 2))}, ["y (2, 2)", "x (2,)"]),
    ({"W3": np.ones((2, 4))}, ["W3 (2, 4)"]),
])
def test_shape_errors_name_the_shapes(change, words):
    args = dict(x=net.x, y=net.y, **params())
    args.update(change)
    with pytest.raises(ValueError) as err:
        net.network_forward(**args)
    for w in words:
        assert w in str(err.value)


def test_integer_input_raises_type_error():
    with pytest.raises(TypeError, match=r"astype\(np\.float64\)"):
        net.network_forward(np.array([1, 2]), net.y, *params().values())
    with pytest.raises(ValueError, match="NaN"):
        net.network_forward(np.array([np.nan, 2.0]), net.y, *params().values())


def test_exercise_1_identity_output():
    ref = autograd_grads(net.x, net.y, output="identity")
    # Hand-derived on the page: δ³ = (0, −1), δ² = (1, −2, 0).
    np.testing.assert_allclose(ref["dW3"], [[0, 0, 0], [-3, -1, -2]])
    np.testing.assert_allclose(ref["db3"], [0, -1])
    np.testing.assert_allclose(ref["dW2"], [[1, 2], [-2, -4], [0, 0]])
    np.testing.assert_allclose(ref["db2"], [1, -2, 0])
    relu, relu_prime = (lambda z: np.maximum(z, 0)), (lambda z: (z > 0).astype(z.dtype))
    dWs, dbs = backprop([net.W2, net.W3], [net.b2, net.b3], net.x, net.y, relu, relu_prime)
    for got, k in zip(dWs + dbs, ("dW2", "dW3", "db2", "db3")):
        np.testing.assert_allclose(got, ref[k])


def test_exercise_2_binary_cross_entropy():
    ref = autograd_grads(net.x, net.y, loss="bce")
    s = sig(-1)
    np.testing.assert_allclose(ref["dW3"], s * np.array([[-3, -1, -2], [3, 1, 2]]), rtol=1e-12)
    np.testing.assert_allclose(ref["dW2"], s * np.array([[-2, -4], [3, 6], [1, 2]]), rtol=1e-12)
    mse = autograd_grads(net.x, net.y)
    np.testing.assert_allclose(ref["dW2"] / mse["dW2"], np.full((3, 2), 5.09), atol=5e-3)


def test_exercise_3_dead_unit():
    p = params()
    p["b2"] = np.array([0.0, -1.0, 1.0])
    ref = autograd_grads(net.x, net.y, p=p)
    assert [tuple(ix) for ix in np.argwhere(ref["dW2"] == 0)] == [(1, 0), (1, 1)]
    assert [tuple(ix) for ix in np.argwhere(ref["db2"] == 0)] == [(1,)]
    assert [tuple(ix) for ix in np.argwhere(ref["dW3"] == 0)] == [(0, 1), (1, 1)]


def test_exercise_4_input_gradient():
    ref = autograd_grads(net.x, net.y)
    np.testing.assert_allclose(ref["dx"], C * np.array([3, -4]), rtol=1e-12)
    np.testing.assert_allclose(ref["dx"], [0.1586, -0.2115], atol=5e-5)


def test_page_numbers_against_autograd():
    ns = run_page(expand((ROOT / "docs" / "two-three-two-network.md").read_text(encoding="utf-8")),
                  "docs/two-three-two-network.md")
    for grads_name, (x, y) in {"grads": (net.x, net.y), "grads_neg": (net.x_neg, net.y_neg),
                               "grads_batch": (ns["X"], ns["T"])}.items():
        ref = autograd_grads(x, y)
        for k in ("dW2", "db2", "dW3", "db3", "dx"):
            np.testing.assert_allclose(ns[grads_name][k], ref[k], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ns["dW2_rows"], autograd_grads(net.x, net.y)["dW2"].T, rtol=1e-12)
