"""docs/activations.md and snippets/activations.py: every backward against centered finite
differences and autograd, on 0-D to 4-D inputs; dtypes; extreme inputs; input validation;
the page's worked numbers against hand arithmetic."""

import math
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian

from activations import (LeakyRelu, Relu, Sigmoid, Tanh, leaky_relu_backward, leaky_relu_forward,
                         relu_backward, relu_forward, sigmoid_backward, sigmoid_forward,
                         square_backward, square_forward, tanh_backward, tanh_forward)

SHAPES = [(), (1,), (5,), (1, 3), (4, 3), (2, 3, 4), (1, 2, 3, 3), (2, 1, 3, 2)]

# name -> (forward, backward, independent autograd version of the forward)
PAIRS = {
    "sigmoid": (sigmoid_forward, sigmoid_backward, lambda x: 1 / (1 + anp.exp(-x))),
    "tanh": (tanh_forward, tanh_backward, lambda x: (anp.exp(x) - anp.exp(-x)) / (anp.exp(x) + anp.exp(-x))),
    "relu": (relu_forward, relu_backward, lambda x: anp.where(x > 0, x, 0.0)),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward, lambda x: anp.where(x > 0, x, 0.01 * x)),
    "square": (square_forward, square_backward, lambda x: x * x),
}


from numerics import centered_gradient as centered_difference


def away_from_kink(rng, shape):
    """Inputs in [-3, 3] but at least 0.1 away from 0, where ReLU has its kink."""
    x = rng.uniform(0.1, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", PAIRS)
def test_backward_matches_finite_differences_and_autograd(name, shape):
    forward, backward, g_auto = PAIRS[name]
    rng = np.random.default_rng(sum(map(ord, name)) + len(shape))
    x = away_from_kink(rng, shape)
    dout = np.asarray(rng.normal(size=shape))
    out, cache = forward(x)
    dx = backward(dout, cache)
    assert out.shape == dx.shape == np.shape(x)
    # Route 1: the scalar L = sum(out * dout) has gradient dx; differentiate it numerically.
    numeric = centered_difference(lambda z: float(np.sum(forward(z)[0] * dout)), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)
    # Route 2: autograd on an independent formula of the forward.
    auto = grad(lambda z: anp.sum(g_auto(z) * dout))(x)
    np.testing.assert_allclose(dx, auto, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out, g_auto(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "square"])
def test_jacobian_is_diagonal_and_backward_is_jacobian_transpose_times_dout(name):
    """The element-wise backward IS J^T dout with J = diag(g'(x)); J is symmetric, so the
    numerator-layout and denominator-layout versions agree."""
    forward, backward, g_auto = PAIRS[name]
    x = np.array([-2.0, -0.5, 0.3, 1.7])                  # no entry at the ReLU kink
    dout = np.array([1.0, -2.0, 0.5, 3.0])
    J = jacobian(g_auto)(x)                               # (4, 4)
    np.testing.assert_allclose(J, np.diag(np.diag(J)), atol=0)
    np.testing.assert_allclose(J, J.T, atol=0)
    np.testing.assert_allclose(backward(dout, forward(x)[1]), J.T @ dout, rtol=1e-12)


def test_a_planted_bug_is_caught_by_the_finite_difference_check():
    """sigma' written as s * (1 + s) (a sign slip) must fail the same comparison the tests use."""
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    dout = np.ones_like(x)
    s, _ = sigmoid_forward(x)
    numeric = centered_difference(lambda z: float(np.sum(sigmoid_forward(z)[0])), x)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(dout * s * (1 + s), numeric, rtol=1e-6)


# ---- the page's worked numbers, derived by hand -------------------------------------

def test_sigmoid_and_tanh_at_ln3_by_hand():
    # By hand: sigma(ln 3) = 1/(1 + 1/3) = 3/4, sigma' = 3/4 * 1/4 = 3/16;
    # sigma(-ln 3) = 1/4; tanh(ln 3) = (3 - 1/3)/(3 + 1/3) = 4/5, tanh' = 1 - 16/25 = 9/25.
    x = np.array([math.log(3), -math.log(3), 0.0])
    s, cache = sigmoid_forward(x)
    np.testing.assert_allclose(s, [3 / 4, 1 / 4, 1 / 2], rtol=1e-15)
    np.testing.assert_allclose(sigmoid_backward(np.ones(3), cache), [3 / 16, 3 / 16, 1 / 4], rtol=1e-15)
    t, cache = tanh_forward(x[:1])
    np.testing.assert_allclose(t, [4 / 5], rtol=1e-15)
    np.testing.assert_allclose(tanh_backward(np.array([2.0]), cache), [18 / 25], rtol=1e-14)


def test_relu_and_leaky_relu_at_zero_use_the_documented_subgradient():
    # By hand: relu'(0) is taken as 0 (cs231n's choice); leaky'(0) as the slope.
    x = np.array([-1.0, 0.0, 2.0])
    dout = np.array([5.0, 7.0, 11.0])
    np.testing.assert_array_equal(relu_backward(dout, relu_forward(x)[1]), [0.0, 0.0, 11.0])
    np.testing.assert_array_equal(relu_forward(x)[0], [0.0, 0.0, 2.0])
    out, cache = leaky_relu_forward(x, slope=0.1)
    np.testing.assert_allclose(out, [-0.1, 0.0, 2.0])
    np.testing.assert_allclose(leaky_relu_backward(dout, cache), [0.5, 0.7, 11.0])
    # Any value in [0, 1] is a valid subgradient of relu at 0: the one-sided differences
    # are 0 and 1, and the centered difference (0.5) matches neither choice exactly.
    one_sided = [(max(h, 0) - 0) / h for h in (1e-6, -1e-6)]
    assert one_sided == [1.0, 0.0]
    centered = (max(1e-6, 0) - max(-1e-6, 0)) / 2e-6
    assert centered == pytest.approx(0.5)


def test_source_002_exercise_2_square_then_sum():
    """Y = XW, F = Y^2, L = sum F with X = [[0,1],[2,3]], W = ones (source 002, exercise 2).
    By hand: Y = [[1,1],[5,5]], F = [[1,1],[25,25]], L = 52, dF = ones, dY = 2Y * dF =
    [[2,2],[10,10]], dX = dY W^T = [[4,4],[20,20]], dW = X^T dY = [[0*2+2*10, ...]] = [[20,20],[32,32]]."""
    X = np.array([[0.0, 1.0], [2.0, 3.0]])
    W = np.ones((2, 2))
    Y = X @ W
    F, cache = square_forward(Y)
    assert F.sum() == 52.0
    dY = square_backward(np.ones((2, 2)), cache)
    np.testing.assert_array_equal(dY, [[2, 2], [10, 10]])
    np.testing.assert_array_equal(dY @ W.T, [[4, 4], [20, 20]])
    np.testing.assert_array_equal(X.T @ dY, [[20, 20], [32, 32]])
    # and autograd through the whole chain, with no snippet involved
    np.testing.assert_allclose(grad(lambda w: anp.sum((anp.dot(X, w)) ** 2))(W), [[20, 20], [32, 32]])
    np.testing.assert_allclose(grad(lambda x: anp.sum((anp.dot(x, W)) ** 2))(X), [[4, 4], [20, 20]])


# ---- numerics ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", PAIRS)
def test_extreme_inputs_are_finite_and_warning_free(name, dtype):
    forward, backward, _ = PAIRS[name]
    x = np.array([[-1e4, -800.0, -40.0, 0.0], [40.0, 800.0, 1e4, 1.0]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out, cache = forward(x)
        dx = backward(np.ones_like(x), cache)
    assert np.isfinite(out).all() and np.isfinite(dx).all()
    assert out.dtype == dx.dtype == dtype


def test_sigmoid_extremes_by_hand():
    # sigma(1e4) = 1 and sigma(-1e4) = 0 to machine precision (e^-1e4 underflows to 0);
    # sigma(-40) = e^-40 / (1 + e^-40), whose relative accuracy the stable form keeps.
    s, cache = sigmoid_forward(np.array([1e4, -1e4, -40.0]))
    assert s[0] == 1.0 and s[1] == 0.0
    assert s[2] == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-14)
    np.testing.assert_array_equal(sigmoid_backward(np.ones(3), cache)[:2], [0.0, 0.0])


def test_the_naive_sigmoid_would_fail_the_extreme_input_test():
    """The planted bug: 1 / (1 + exp(-x)) overflows in exp at x = -1e4."""
    x = np.array([-1e4])
    with pytest.raises(FloatingPointError), np.errstate(over="raise"):
        _ = 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("shape", [(3,), (2, 4), (1, 2, 3, 3)], ids=str)
def test_float32_in_float32_out(name, shape):
    forward, backward, _ = PAIRS[name]
    x = np.linspace(-2, 2, math.prod(shape)).reshape(shape).astype(np.float32)
    out, cache = forward(x)
    dx = backward(np.ones(shape, dtype=np.float32), cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32


@pytest.mark.parametrize("name", PAIRS)
def test_inputs_are_never_mutated(name):
    forward, backward, _ = PAIRS[name]
    x = np.array([[-1.5, 0.0, 2.0], [0.25, -3.0, 1.0]])
    dout = np.array([[1.0, -1.0, 2.0], [0.5, 0.0, -2.0]])
    x_copy, dout_copy = x.copy(), dout.copy()
    x.flags.writeable = False                     # any in-place write would raise
    dout.flags.writeable = False
    out, cache = forward(x)
    backward(dout, cache)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)


# ---- validation --------------------------------------------------------------------

@pytest.mark.parametrize("name", PAIRS)
def test_bad_inputs_raise_clear_errors(name):
    forward, backward, _ = PAIRS[name]
    with pytest.raises(TypeError, match=r"dtype int64 with shape \(2, 2\).*astype\(np.float64\)"):
        forward(np.array([[1, 2], [3, 4]], dtype=np.int64))
    with pytest.raises(TypeError, match=r"dtype bool with shape \(3,\)"):
        forward(np.array([True, False, True]))
    with pytest.raises(ValueError, match=r"x of shape \(2,\) contains NaN or inf"):
        forward(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"x of shape \(1, 2\) contains NaN or inf"):
        forward(np.array([[np.inf, 0.0]]))
    _, cache = forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dout of shape \(3, 2\).*output of shape \(2, 3\)"):
        backward(np.ones((3, 2)), cache)
    with pytest.raises(ValueError, match=r"dout of shape \(1, 3\).*output of shape \(2, 3\)"):
        backward(np.ones((1, 3)), cache)          # would broadcast silently without the check
    with pytest.raises(TypeError, match=r"dout must be a float array"):
        backward(np.ones((2, 3), dtype=int), cache)
    with pytest.raises(ValueError, match=r"dout of shape \(2, 3\) contains NaN or inf"):
        backward(np.full((2, 3), np.nan), cache)


def test_leaky_relu_slope_validation_and_float32():
    with pytest.raises(ValueError, match="slope must be finite"):
        leaky_relu_forward(np.ones(2), slope=float("inf"))
    out, cache = leaky_relu_forward(np.array([-2.0], dtype=np.float32), slope=np.float64(0.5))
    assert out.dtype == np.float32 and out[0] == -1.0


# ---- the I2DL-style classes ----------------------------------------------------------

@pytest.mark.parametrize("layer, name", [(Sigmoid(), "sigmoid"), (Tanh(), "tanh"),
                                         (Relu(), "relu"), (LeakyRelu(), "leaky_relu")])
def test_classes_match_the_functions(layer, name):
    forward, backward, g_auto = PAIRS[name]
    x = np.array([[-1.3, 0.4, 2.2], [0.7, -0.2, -2.5]])
    dout = np.array([[0.5, -1.0, 2.0], [1.0, 3.0, -0.5]])
    out, cache = layer.forward(x)
    np.testing.assert_array_equal(out, forward(x)[0])
    np.testing.assert_allclose(layer.backward(dout, cache), grad(lambda z: anp.sum(g_auto(z) * dout))(x),
                               rtol=1e-10)


def test_leaky_relu_class_keeps_its_slope():
    layer = LeakyRelu(slope=0.2)
    out, cache = layer.forward(np.array([-5.0, 5.0]))
    np.testing.assert_allclose(out, [-1.0, 5.0])                        # by hand: 0.2 * -5
    np.testing.assert_allclose(layer.backward(np.array([10.0, 10.0]), cache), [2.0, 10.0])
    assert LeakyRelu().slope == 0.01


# ---- the page's exercises, by hand and by autograd ------------------------------------

def test_exercise_1_softplus():
    # By hand: softplus'(x) = sigma(x), and sigma(ln 3) = 1 / (1 + 1/3) = 3/4.
    x = np.array([math.log(3.0), -0.7, 2.5])
    auto = grad(lambda z: anp.sum(anp.log(1 + anp.exp(z))))(x)
    np.testing.assert_allclose(auto, sigmoid_forward(x)[0], rtol=1e-12)
    assert auto[0] == pytest.approx(0.75, rel=1e-14)


def test_exercise_2_tanh_from_sigmoid():
    # By hand: x = ln(3)/2 gives sigma(2x) = 3/4, tanh x = 2 * 3/4 - 1 = 1/2, tanh' = 3/4.
    x = np.array([0.5 * math.log(3.0)])
    t, cache = tanh_forward(x)
    assert t[0] == pytest.approx(0.5, rel=1e-14)
    assert tanh_backward(np.ones(1), cache)[0] == pytest.approx(0.75, rel=1e-14)
    assert grad(lambda z: anp.sum(2 / (1 + anp.exp(-2 * z)) - 1))(x)[0] == pytest.approx(0.75, rel=1e-12)


def test_exercise_3_sigmoid_by_hand():
    # By hand: s = (1/2, 3/4, 1/4), s(1 - s) = (1/4, 3/16, 3/16), dx = (4/4, 16*3/16, 8*3/16) = (1, 3, 1.5).
    x = np.array([0.0, math.log(3.0), -math.log(3.0)])
    dout = np.array([4.0, 16.0, 8.0])
    np.testing.assert_allclose(sigmoid_backward(dout, sigmoid_forward(x)[1]), [1.0, 3.0, 1.5], rtol=1e-14)
    np.testing.assert_allclose(grad(lambda z: anp.sum(dout / (1 + anp.exp(-z))))(x), [1.0, 3.0, 1.5], rtol=1e-12)


def test_exercise_4_jacobian_size():
    # By hand: 64 * 4096 = 2^6 * 2^12 = 2^18 = 262144; J has 2^36 entries, 2^39 bytes; the vector 2^21 bytes.
    n = 64 * 4096
    assert n == 2**18 == 262_144
    assert n * n * 8 == 2**39 == 549_755_813_888          # 512 GiB, about 550 GB
    assert n * 8 == 2**21 == 2_097_152                    # 2 MiB
    # and a small sigmoid Jacobian really is diagonal with s(1 - s) on it (autograd route)
    x = np.array([-1.0, 0.0, 2.0])
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(jacobian(lambda z: 1 / (1 + anp.exp(-z)))(x), np.diag(s * (1 - s)), rtol=1e-14)


def test_exercise_5_relu_mask_and_kink():
    # By hand: x + h = 1.3e-5 > 0, x - h = -7e-6 < 0, so (1.3e-5 - 0) / 2e-5 = 0.65.
    h, x0 = 1e-5, 3e-6
    numeric = centered_difference(lambda z: float(np.sum(relu_forward(z)[0])), np.array([x0]), h=h)
    assert numeric[0] == pytest.approx(0.65, rel=1e-9)
    assert relu_backward(np.ones(1), relu_forward(np.array([x0]))[1])[0] == 1.0   # the true slope
    x = np.array([-2.0, 0.0, 1e-300, 4.0, -0.0])
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out > 0, x > 0)
    np.testing.assert_array_equal(relu_backward(np.ones(5), cache), [0.0, 0.0, 1.0, 1.0, 0.0])


def test_why_no_jacobian_states_layouts_without_convention_tabs():
    """Issue 16: the section once put numerator and denominator layout into the site-wide
    rows/columns tabs, which switch the data convention, not the layout."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "activations.md").read_text(encoding="utf-8")
    section = text[text.index("### Why there is no Jacobian"):text.index("## Sigmoid")]
    assert '=== "' not in section
    assert "numerator layout" in section and "denominator layout" in section
    x = np.array([-1.5, 0.2, 2.0])
    dout = np.array([1.0, -2.0, 0.5])
    s = 1 / (1 + np.exp(-x))
    J = np.diag(s * (1 - s))
    np.testing.assert_allclose(dout[None, :] @ J, (dout * s * (1 - s))[None, :])   # 1 x n row
    np.testing.assert_allclose(J.T @ dout[:, None], (dout * s * (1 - s))[:, None])  # n x 1 column


def test_source_002_part_1_operation_count():
    """"six entry-wise products ... (twelve multiplications and six subtractions)": dS * S * (1 - S)
    on a 2 x 3 array."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "activations.md").read_text(encoding="utf-8")
    assert "six\nmultiplications instead" not in text and "six multiplications instead" not in text
    entries = 2 * 3
    assert "twelve multiplications and six\nsubtractions" in text or "twelve multiplications and six subtractions" in text
    assert (2 * entries, entries) == (12, 6)                  # two products and one subtraction per entry
