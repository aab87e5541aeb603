"""docs/gradient-checking.md and snippets/gradient_check.py: the helpers against autograd and
closed-form gradients on 0-D to 4-D inputs; x restored bit for bit (also when f raises or
mutates x); rel_error on hand-computed cases; planted bugs caught; error messages; and the
page's worked numbers and printed tables recomputed by independent routes."""

import math
import re
from fractions import Fraction
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from affine import affine_backward, affine_forward
from gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error

PAGE = Path(__file__).resolve().parent.parent / "docs" / "gradient-checking.md"
SHAPES = [(), (1,), (5,), (1, 4), (3, 4), (2, 3, 4), (1, 2, 3, 2)]

# Scalar functions, written once with autograd.numpy: called on a plain ndarray they return
# plain numpy values (what the snippet sees); autograd differentiates the same expression.
SCALAR_FUNCTIONS = {
    "sum_cubes": lambda x: anp.sum(x * x * x),
    "sin_times_x": lambda x: anp.sum(anp.sin(x) * x),
    "logsumexp": lambda x: anp.log(anp.sum(anp.exp(x))),
    "softplus_of_mean": lambda x: anp.log(1.0 + anp.exp(anp.mean(x) * 3.0)),
    "tanh_mse": lambda x: 0.5 * anp.sum((anp.tanh(x) - 0.3) ** 2),
}
ARRAY_FUNCTIONS = {
    "tanh": anp.tanh,
    "square": lambda x: x * x,
    "exp_times_sum": lambda x: anp.exp(x) * anp.sum(x),
    "flatten_matmul": lambda x: anp.dot(anp.reshape(x, (x.shape[0], -1)) if x.ndim else anp.reshape(x, (1, 1)),
                                        anp.ones((max(1, math.prod(x.shape[1:])), 2)) * 0.5),
}


def random_x(shape, seed):
    rng = np.random.default_rng(seed)
    return np.asarray(rng.uniform(-1.5, 1.5, size=shape), dtype=np.float64)


def centered_difference(f, x, h=1e-6):
    """Independent local checker: works on a copy, never on x itself."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        g[i] = (f(plus) - f(minus)) / (2 * h)
    return g


# ---------------------------------------------------------------- helpers vs autograd / analytic

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
def test_eval_numerical_gradient_matches_autograd(name, shape):
    f = SCALAR_FUNCTIONS[name]
    x = random_x(shape, seed=len(shape) + len(name))
    num = eval_numerical_gradient(f, x, verbose=False)
    auto = grad(f)(x)
    assert num.shape == x.shape and num.dtype == x.dtype
    np.testing.assert_allclose(num, auto, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("shape", [s for s in SHAPES if s], ids=str)
@pytest.mark.parametrize("name", ARRAY_FUNCTIONS)
def test_eval_numerical_gradient_array_is_autograd_vjp(name, shape):
    f = ARRAY_FUNCTIONS[name]
    x = random_x(shape, seed=7 + len(shape))
    df = np.asarray(np.random.default_rng(len(name)).standard_normal(np.shape(f(x))))
    num = eval_numerical_gradient_array(f, x, df)
    vjp = grad(lambda x: anp.sum(f(x) * df))(x)  # d/dx <f(x), df>, the vector-Jacobian product
    assert num.shape == x.shape
    np.testing.assert_allclose(num, vjp, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("shape", [(1,), (1, 3), (4, 3), (2, 3, 4)], ids=str)
def test_helpers_match_closed_form_gradients(shape):
    x = random_x(shape, seed=3)
    # d/dx sum(x^3) = 3 x^2 (hand-derived)
    num = eval_numerical_gradient(lambda x: np.sum(x ** 3), x, verbose=False)
    assert rel_error(num, 3 * x ** 2) < 1e-8
    # VJP of tanh is df * (1 - tanh^2) (hand-derived)
    df = np.asarray(np.random.default_rng(4).standard_normal(shape))
    num = eval_numerical_gradient_array(np.tanh, x, df)
    assert rel_error(num, df * (1 - np.tanh(x) ** 2)) < 1e-8


@pytest.mark.parametrize("x_shape, w_shape", [((1, 3), (3, 2)), ((4, 5), (5, 3)), ((2, 3, 4), (12, 5)),
                                              ((1, 2, 2, 2), (8, 1))], ids=str)
def test_affine_layer_checks_pass_against_hand_formulas(x_shape, w_shape):
    rng = np.random.default_rng(sum(x_shape))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1])
    dout = rng.standard_normal((x_shape[0], w_shape[1]))
    X = x.reshape(x_shape[0], -1)
    # hand formulas: dX = dY W^T, dW = X^T dY, db = 1^T dY
    dx_num = eval_numerical_gradient_array(lambda x: affine_forward(x, w, b)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda w: affine_forward(x, w, b)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda b: affine_forward(x, w, b)[0], b, dout)
    assert rel_error(dx_num, (dout @ w.T).reshape(x_shape)) < 1e-7
    assert rel_error(dw_num, X.T @ dout) < 1e-7
    assert rel_error(db_num, dout.sum(axis=0)) < 1e-7


def test_f_sees_the_perturbed_array_itself():
    """cs231n's contract: f may ignore its argument and read the array being checked."""
    rng = np.random.default_rng(5)
    params = {"W": rng.standard_normal((3, 2))}
    seen = []

    def loss(arg):
        seen.append(arg is params["W"])
        return float(np.sum(np.sin(params["W"])))  # reads params, not arg

    num = eval_numerical_gradient(loss, params["W"], verbose=False)
    assert all(seen)
    np.testing.assert_allclose(num, np.cos(params["W"]), rtol=1e-8)


def test_float32_input_gives_float32_gradient():
    x = random_x((2, 3), seed=1).astype(np.float32)
    assert eval_numerical_gradient(lambda x: np.sum(x), x, verbose=False).dtype == np.float32
    assert eval_numerical_gradient_array(np.tanh, x, np.ones((2, 3))).dtype == np.float32


def test_evaluation_count_is_2n_plus_1():
    for shape in [(1,), (3,), (2, 3, 4)]:
        calls = []
        eval_numerical_gradient(lambda x: calls.append(1) or float(np.sum(x)), random_x(shape, 0), verbose=False)
        assert len(calls) == 2 * math.prod(shape) + 1


def test_verbose_prints_each_index_and_value(capsys):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    eval_numerical_gradient(lambda x: np.sum(x * x), x)  # verbose=True is the default, as in cs231n
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("(0, 0)") and lines[3].startswith("(1, 1)")
    assert abs(float(lines[3].split()[-1]) - 8.0) < 1e-6  # d/dx x^2 = 2x = 8 at x = 4
    eval_numerical_gradient(lambda x: np.sum(x * x), x, verbose=False)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------- x restored bit for bit

def awkward_array(dtype):
    """Values that arithmetic undo would damage: -0.0, tiny, non-round decimals."""
    values = [0.1, -0.0, 0.7, 1e-300, 5e-324, -2.5] if dtype == np.float64 else [0.1, -0.0, 0.7, 1e-30, -2.5, 3.3]
    return np.array(values, dtype=dtype).reshape(2, 3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
def test_x_is_bit_identical_after_a_normal_call(dtype):
    x = awkward_array(dtype)
    before = x.copy()
    eval_numerical_gradient(lambda x: float(np.sum(x * x)), x, verbose=False)
    eval_numerical_gradient_array(lambda x: x * 2, x, np.ones((2, 3), dtype=np.float64))
    assert np.array_equal(x, before) and x.dtype == before.dtype
    assert x.tobytes() == before.tobytes()


def test_arithmetic_undo_would_not_be_bit_identical():
    """Why the snippet restores saved values instead of adding and subtracting h."""
    assert 0.1 + 1e-5 - 2e-5 + 1e-5 != 0.1
    assert 1e-300 + 1e-5 - 2e-5 + 1e-5 == 0.0
    assert not math.copysign(1.0, -0.0 + 1e-5 - 2e-5 + 1e-5) < 0


@pytest.mark.parametrize("fail_at", [1, 2, 3, 6, 12])
@pytest.mark.parametrize("which", ["scalar", "array"])
def test_x_is_bit_identical_when_f_raises(which, fail_at):
    x = awkward_array(np.float64)
    before = x.copy()
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == fail_at:  # call 2 sees x + h e_0, call 3 sees x - h e_0, ...
            raise RuntimeError("boom")
        return float(np.sum(x)) if which == "scalar" else x * 3

    with pytest.raises(RuntimeError, match="boom"):
        if which == "scalar":
            eval_numerical_gradient(f, x, verbose=False)
        else:
            eval_numerical_gradient_array(f, x, np.ones((2, 3)))
    assert np.array_equal(x, before) and x.dtype == before.dtype
    assert x.tobytes() == before.tobytes()


def test_x_is_restored_even_if_f_mutates_it():
    x = awkward_array(np.float64)
    before = x.copy()

    def rude(x):
        x *= 2.0  # a forward pass that scales its input in place
        return float(np.sum(x))

    eval_numerical_gradient(rude, x, verbose=False)
    assert x.tobytes() == before.tobytes()


def test_non_contiguous_view_is_restored_and_base_untouched():
    base = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    before = base.copy()
    view = base[:, ::2]  # (3, 2), a strided view into base
    num = eval_numerical_gradient(lambda v: float(np.sum(v ** 2)), view, verbose=False)
    np.testing.assert_allclose(num, 2 * before[:, ::2], rtol=1e-8)
    assert base.tobytes() == before.tobytes()


# ---------------------------------------------------------------- rel_error

def test_rel_error_hand_computed():
    # all values below are worked out by hand from max(|x-y| / max(1e-8, |x|+|y|))
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error(1e-9, 0.0) == pytest.approx(0.1, rel=1e-12)       # floor: 1e-9 / 1e-8
    assert rel_error(3.0, 6.0) == pytest.approx(1 / 3, rel=1e-12)      # factor 2: |2-1|/(2+1)
    assert rel_error(3.0, 3.0003) == pytest.approx(0.0003 / 6.0003, rel=1e-9)
    assert rel_error([1.0, 2.0], [1.0, -2.0]) == 1.0                    # sign flip: 4/4
    assert rel_error([[1.0, 5.0]], [[1.0, 3.0]]) == pytest.approx(0.25)  # max of 0 and 2/8
    assert rel_error(np.float32(1.0), np.float32(1.5)) == pytest.approx(0.2)
    assert isinstance(rel_error(1.0, 2.0), float)


@pytest.mark.parametrize("c", [0.5, 2.0, 1 / 3, 10.0])
def test_rel_error_of_a_factor_c_is_scale_free(c):
    g = random_x((4, 3), seed=9) + 3.0  # positive entries, so every entry scores the same
    for scale in (1e-6, 1.0, 1e6):
        assert rel_error(scale * g, c * scale * g) == pytest.approx(abs(c - 1) / (c + 1), rel=1e-9)


def test_rel_error_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        rel_error(np.ones(3), np.ones((3, 1)))  # numpy would broadcast this to (3, 3)
    with pytest.raises(ValueError, match="finite"):
        rel_error([1.0, np.nan], [1.0, 1.0])
    with pytest.raises(ValueError, match="non-empty"):
        rel_error(np.ones(0), np.ones(0))


# ---------------------------------------------------------------- error messages

def test_integer_x_is_rejected_and_why():
    # the bug: in-place perturbation of an int array truncates, every slope is 0
    x = np.array([1, 2, 3])
    naive = np.zeros(3)
    for i in range(3):
        old = x[i]
        x[i] = old + 1e-5
        plus = np.sum(x ** 2)
        x[i] = old - 1e-5
        minus = np.sum(x ** 2)
        x[i] = old
        naive[i] = (plus - minus) / 2e-5
    # x + h truncates to x, x - h to x - 1: (x^2 - (x-1)^2) / 2e-5 = (2x - 1) / 2e-5, by hand;
    # the true gradient is 2x = (2, 4, 6)
    np.testing.assert_allclose(naive, [50000, 150000, 250000])
    for bad in (np.array([1, 2, 3]), np.array([True, False]), np.array([1, 2], dtype=np.uint8)):
        with pytest.raises(TypeError, match=r"astype\(np.float64\)") as err:
            eval_numerical_gradient(lambda x: 0.0, bad, verbose=False)
        assert str(bad.dtype) in str(err.value)
        with pytest.raises(TypeError, match="float array"):
            eval_numerical_gradient_array(lambda x: x, bad, np.ones(bad.shape))


def test_other_bad_inputs_have_clear_messages():
    with pytest.raises(TypeError, match="numpy array.*list"):
        eval_numerical_gradient(lambda x: 0.0, [1.0, 2.0], verbose=False)
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        eval_numerical_gradient(lambda x: 0.0, frozen, verbose=False)
    with pytest.raises(ValueError, match="NaN or inf"):
        eval_numerical_gradient(lambda x: 0.0, np.array([1.0, np.inf]), verbose=False)
    with pytest.raises(ValueError, match="positive"):
        eval_numerical_gradient(lambda x: 0.0, np.ones(2), verbose=False, h=0.0)
    with pytest.raises(ValueError, match=r"scalar.*\(2,\).*eval_numerical_gradient_array"):
        eval_numerical_gradient(lambda x: x * 2, np.ones(2), verbose=False)
    with pytest.raises(TypeError, match=r"df must be a float array.*astype"):
        eval_numerical_gradient_array(lambda x: x, np.ones(2), np.ones(2, dtype=int))


@pytest.mark.parametrize("df_shape", [(4, 2), (8,), (2, 4, 1), ()], ids=str)
def test_df_shape_mismatch_names_both_shapes(df_shape):
    x = np.ones((2, 4))
    called = []
    with pytest.raises(ValueError) as err:
        eval_numerical_gradient_array(lambda x: called.append(1) or x * 1.0, x, np.ones(df_shape))
    assert str(df_shape) in str(err.value) and "(2, 4)" in str(err.value)
    assert len(called) == 1  # stopped before perturbing anything


def test_non_finite_f_is_reported_and_x_restored():
    x = np.array([0.5, 1.0, 1.5])
    before = x.copy()
    with pytest.raises(ValueError, match="not finite.*index"):
        # finite at x, but inf once x[2] = 1.5 is nudged above 1.5
        eval_numerical_gradient(lambda x: float(np.sum(np.where(x > 1.5, np.inf, x))), x, verbose=False)
    assert x.tobytes() == before.tobytes()


# ---------------------------------------------------------------- the page's claims

def test_cubic_worked_answer():
    # exact rational arithmetic, independent of floating point
    h = Fraction(1, 10)
    one_sided = ((1 + h) ** 3 - 1) / h
    centered = ((1 + h) ** 3 - (1 - h) ** 3) / (2 * h)
    assert one_sided == Fraction(331, 100) and one_sided - 3 == 3 * h + h ** 2
    assert centered == Fraction(301, 100) and centered - 3 == h ** 2
    assert grad(lambda x: x * x * x)(1.0) == 3.0


def test_centered_error_is_order_h_squared():
    """exp at 0.3: errors follow (h/2) f'' and (h^2/6) f''' (f = f' = f'' = f''' = exp)."""
    x0 = 0.3
    for h in (1e-2, 1e-3):
        x = np.array([x0])
        centered = eval_numerical_gradient(lambda x: float(np.exp(x[0])), x, verbose=False, h=h)[0]
        one_sided = (math.exp(x0 + h) - math.exp(x0)) / h
        assert centered - math.exp(x0) == pytest.approx(h ** 2 / 6 * math.exp(x0), rel=0.01)
        assert one_sided - math.exp(x0) == pytest.approx(h / 2 * math.exp(x0), rel=0.01)


def printed_table(header):
    """The rows of the ```text block whose first line is `header`, as lists of floats."""
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"``` text\n" + re.escape(header) + r"\n(.*?)```", text, re.DOTALL)
    assert block, f"no text block starting with {header!r} on the page"
    return block.group(1).rstrip("\n").splitlines()


def test_printed_cubic_sweep():
    """The page's table, recomputed in plain Python floats (IEEE 754: identical everywhere)."""
    lines = printed_table("      h   one-sided    centered")
    expected = []
    for k in range(1, 13):
        h = 10.0 ** -k
        a, b = 1.0 + h, 1.0 - h
        one_sided = (a * a * a - 1.0) / h
        centered = (a * a * a - b * b * b) / (2 * h)
        expected.append(f"{h:7.0e} {abs(one_sided - 3.0):11.1e} {abs(centered - 3.0):11.1e}")
    assert lines == expected
    # and the claims made about it, from the exact truncation errors 3h + h^2 and h^2
    for line in lines[:4]:
        h, one, cen = map(float, line.split())
        assert one == pytest.approx(3 * h + h * h, rel=0.05) and cen == pytest.approx(h * h, rel=0.05)
    best = min(lines, key=lambda line: float(line.split()[2]))
    assert float(best.split()[0]) in (1e-5, 1e-6, 1e-7)


def test_printed_tanh_sweep():
    """The page's float64/float32 table, recomputed against an autograd gradient."""
    rng = np.random.default_rng(0)  # the page's running example: same seed, same draws
    X, T, W = rng.standard_normal((5, 4)), rng.standard_normal((5, 3)), rng.standard_normal((4, 3))

    def loss(W):
        return 0.5 * anp.sum((anp.tanh(anp.dot(X.astype(W.dtype), W)) - T.astype(W.dtype)) ** 2)

    auto = grad(loss)(W)
    for line in printed_table("      h     float64     float32"):
        h, shown64, shown32 = map(float, line.split())
        got64 = rel_error(eval_numerical_gradient(loss, W.copy(), verbose=False, h=h), auto)
        got32 = rel_error(eval_numerical_gradient(loss, W.astype(np.float32), verbose=False, h=h), auto)
        if h >= 1e-4:  # truncation-dominated: reproducible to the printed digits
            assert got64 == pytest.approx(shown64, rel=0.05)
        else:          # round-off: same order of magnitude
            assert shown64 / 10 < got64 < shown64 * 10
        if h >= 1e-5:
            assert shown32 / 10 < got32 < shown32 * 10
        else:
            assert got32 > 0.1
    # the U: float64 best near 1e-5..1e-6, float32 never good
    assert got32 > 0.1


def test_float32_makes_a_correct_gradient_look_wrong():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((6, 6))
    x = rng.standard_normal((6, 2))

    def f(x):
        return float(np.sum(np.cos(A.astype(x.dtype) @ x)))

    true = -A.T @ np.sin(A @ x)  # hand-derived: d/dx sum cos(Ax) = -A^T sin(Ax)
    assert rel_error(eval_numerical_gradient(f, x, verbose=False), true) < 1e-8
    errors32 = [rel_error(eval_numerical_gradient(f, x.astype(np.float32), verbose=False, h=h), true)
                for h in (1e-2, 1e-3, 1e-4, 1e-5)]
    assert errors32[-1] > 1e-3 and min(errors32) > 1e-6


def test_relu_kink_false_alarm():
    x = np.array([-1e-6, 2e-6, 0.0, 0.5, -0.3])
    # hand: (relu(x+h) - relu(x-h)) / 2h with h = 1e-5
    hand = [9e-6 / 2e-5, 1.2e-5 / 2e-5, 1e-5 / 2e-5, 1.0, 0.0]  # 0.45, 0.6, 0.5, 1, 0
    num = eval_numerical_gradient_array(lambda x: np.maximum(x, 0.0), x, np.ones(5))
    np.testing.assert_allclose(num, hand, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(num, centered_difference(lambda x: np.sum(np.maximum(x, 0.0)), x, h=1e-5),
                               rtol=1e-6, atol=1e-12)
    analytic = (x > 0).astype(np.float64)
    assert rel_error(num, analytic) == 1.0
    assert rel_error(num[1], analytic[1]) == pytest.approx(0.4 / 1.6)
    # the same entries are fine with a smaller step: a false alarm, not a bug
    assert rel_error(eval_numerical_gradient_array(lambda x: np.maximum(x, 0.0), x, np.ones(5), h=1e-7)[:2],
                     analytic[:2]) < 1e-8


def affine_backward_with(bug, dout, cache):
    """Independent re-implementation of the page's four planted bugs (x is 2-D)."""
    x, w, b = cache
    dx, dw, db = dout @ w.T, x.T @ dout, dout.sum(axis=0)
    if bug == "dw transposed":
        dw = dout.T @ x
    elif bug == "dx without transpose":
        dx = dout @ w
    elif bug == "db wrong axis":
        db = dout.sum(axis=1)
    elif bug == "dw stray mean":
        dw = x.T @ dout / x.shape[0]
    return dx, dw, db


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_bugs_are_caught(seed):
    rng = np.random.default_rng(seed)
    x, w, b, dout = (rng.standard_normal(s) for s in [(3, 3), (3, 3), (3,), (3, 3)])  # N = D = M = 3
    _, cache = affine_forward(x, w, b)
    num = (eval_numerical_gradient_array(lambda x: affine_forward(x, w, b)[0], x, dout),
           eval_numerical_gradient_array(lambda w: affine_forward(x, w, b)[0], w, dout),
           eval_numerical_gradient_array(lambda b: affine_forward(x, w, b)[0], b, dout))
    # route 2 for the correct gradients: autograd of <XW + b, dout>
    for i, auto in enumerate(grad(lambda x, w, b: anp.sum((anp.dot(x, w) + b) * dout), argnum=k)(x, w, b)
                             for k in range(3)):
        assert rel_error(num[i], auto) < 1e-7
    assert max(rel_error(n, a) for n, a in zip(num, affine_backward(dout, cache))) < 1e-7
    for bug, broken in [("dw transposed", 1), ("dx without transpose", 0), ("db wrong axis", 2),
                        ("dw stray mean", 1)]:
        grads = affine_backward_with(bug, dout, cache)
        assert rel_error(num[broken], grads[broken]) > 1e-2, bug
        others = [i for i in range(3) if i != broken]
        assert max(rel_error(num[i], grads[i]) for i in others) < 1e-7  # the bug points at its output
    # the stray mean: factor c = 1/3 on every entry, |c - 1| / (c + 1) = 0.5 (hand-derived)
    assert rel_error(num[1], affine_backward_with("dw stray mean", dout, cache)[1]) == pytest.approx(0.5, rel=1e-6)


def test_printed_planted_bug_table():
    """The page's table of relative errors per planted bug, recomputed with autograd gradients."""
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"``` text\n(none .*?)```", text, re.DOTALL)
    assert block, "no planted-bug table on the page"
    rng = np.random.default_rng(2)  # the page's draws, in the page's order
    x, w, b, dout = (rng.standard_normal(s) for s in [(3, 3), (3, 3), (3,), (3, 3)])
    auto = [grad(lambda x, w, b: anp.sum((anp.dot(x, w) + b) * dout), argnum=k)(x, w, b) for k in range(3)]
    names = {"none": None, "dw = dout.T @ x": "dw transposed", "dx = dout @ w": "dx without transpose",
             "db = dout.sum(axis=1)": "db wrong axis", "dw = x.T @ dout / N": "dw stray mean"}
    _, cache = affine_forward(x, w, b)
    rows = block.group(1).rstrip("\n").splitlines()
    assert [re.split(r"\s{2,}", r)[0] for r in rows] == list(names)
    for row in rows:
        label, *cells = re.split(r"\s{2,}", row)
        grads = affine_backward_with(names[label], dout, cache)
        for cell, g, a in zip(cells, grads, auto):
            shown, got = float(cell.split()[1]), rel_error(g, a)
            if shown > 1e-2:
                assert got == pytest.approx(shown, rel=0.05), (label, cell)
            else:
                assert got < 1e-7, (label, cell)


def test_source_002_exercise():
    X = np.array([[0.0, 1.0], [2.0, 3.0]])
    W = np.ones((2, 2))
    loss = lambda X, W: anp.sum(anp.dot(X, W) ** 2)  # Y = XW, F = Y^2, L = sum F
    assert loss(X, W) == 52
    np.testing.assert_allclose(grad(loss, 0)(X, W), [[4, 4], [20, 20]])  # source 002's answer (d)
    np.testing.assert_allclose(grad(loss, 1)(X, W), [[20, 20], [32, 32]])  # answer (e)
    Y, cache = affine_forward(X, W, np.zeros(2))
    dX, dW, _ = affine_backward(2 * Y, cache)
    np.testing.assert_allclose(dX, [[4, 4], [20, 20]])
    np.testing.assert_allclose(dW, [[20, 20], [32, 32]])


def test_page_estimates():
    u64, u32 = 2.0 ** -53, 2.0 ** -24
    assert 6e-6 < (3 * u64) ** (1 / 3) < 8e-6          # h* ~ 7e-6 for |f| ~ |f'''| ~ 1
    assert 1e-11 < u64 ** (2 / 3) < 1e-10              # E(h*) ~ 2.3e-11
    assert 1e-3 < (3 * u32) ** (1 / 3) < 1e-2 and 1e-5 < u32 ** (2 / 3) < 2e-5
    assert 5e-3 < u32 / 1e-5 < 7e-3                    # float32 round-off at h = 1e-5
    p0 = 1 / math.sqrt(2 * math.pi)
    assert 1 - math.exp(-2 * 1e-5 * 1e5 * p0) == pytest.approx(0.55, abs=0.005)
    assert 1 - math.exp(-2 * 1e-5 * 20 * p0) == pytest.approx(0.00016, abs=0.000005)
    assert 0.9 ** 10 == pytest.approx(0.3486784401)    # 10 spot checks miss 1 row of 10
    assert (3072 / 3073) ** 10 > 0.99


# ---------------------------------------------------------------- exercises

def test_exercise_1():
    h, x = Fraction(1, 10), 2
    one_sided = ((x + h) ** 3 - x ** 3) / h
    centered = ((x + h) ** 3 - (x - h) ** 3) / (2 * h)
    assert one_sided == Fraction(1261, 100) and one_sided - 12 == Fraction(61, 100)
    assert centered == Fraction(1201, 100) and centered - 12 == Fraction(1, 100)


def test_exercise_2():
    assert rel_error([1.0, -2.0, 0.0], [1.0, -2.0002, 1e-9]) == pytest.approx(0.1, rel=1e-12)
    assert rel_error(-2.0, -2.0002) == pytest.approx(0.0002 / 4.0002, rel=1e-9)


def test_exercise_3():
    x = np.array([1.0, 1.0 + 4e-6, 0.3])
    num = eval_numerical_gradient(lambda x: float(np.max(x)), x, verbose=False)
    np.testing.assert_allclose(num, [0.3, 0.7, 0.0], atol=1e-9)  # hand: 6e-6/2e-5, 1.4e-5/2e-5, 0
    assert rel_error(num, [0.0, 1.0, 0.0]) == pytest.approx(1.0)


def test_exercise_4():
    h_star = (3 * 2.0 ** -53 / 6) ** (1 / 3)
    assert h_star == pytest.approx(2.0 ** -18, rel=1e-12) and 2.0 ** -18 == pytest.approx(3.81e-6, rel=2e-3)
    assert 1e-6 < h_star < 1e-5


def test_exercise_5():
    assert float(np.float32(1.0) + np.float32(1e-5)) - 1.0 == 84 * 2.0 ** -23 == 1.0013580322265625e-05
    assert 1.0 - float(np.float32(1.0) - np.float32(1e-5)) == 168 * 2.0 ** -24
    # the bias shows up in a float32 check of f(x) = x, whose slope is exactly 1
    num = eval_numerical_gradient(lambda x: float(x[0]), np.array([1.0], dtype=np.float32), verbose=False)
    assert num[0] == pytest.approx(1.0013580322265625, rel=1e-6)
    assert rel_error(num, [1.0]) == pytest.approx(0.0013580322265625 / 2.0013580322265625, rel=1e-5)


def test_exercise_6():
    n = 3072 * 100 + 100 + 100 * 10 + 10
    assert n == 308_310 and 2 * n == 616_620 and 2 * n + 4 == 616_624


# ---------------------------------------------------------------- prose numbers against their sources
# Each sentence below once disagreed with the computation next to it (issue 16); these tests read
# the number out of the prose and recompute it, so the prose cannot drift again.

def page_section(start, end):
    text = PAGE.read_text(encoding="utf-8")
    return text[text.index(start):text.index(end)]


def tex_number(mantissa, exponent):
    """$2.4 \\times 10^{-11}$ -> 2.4e-11; $10^{-6}$ -> 1e-06."""
    return float(mantissa or 1) * 10.0 ** int(exponent)


TEX_NUMBER = r"(?:([\d.]+) \\times )?10\^\{(-?\d+)\}"


def test_prose_spot_check_miss_probability():
    """"about 35% for D = 9": ten random rows all miss one row of D + 1 = 10."""
    text = PAGE.read_text(encoding="utf-8")
    claimed = re.search(r"about \$(\d+)\\%\$ for \$D = 9\$", text)
    assert claimed, "the spot-check sentence is gone"
    assert int(claimed.group(1)) == round(100 * (1 - 1 / 10) ** 10)        # 34.87 -> 35


def test_prose_error_at_the_optimal_step():
    """The text and the summary quote E(h*) for |f| = |f'''| = 1 in float64; both must be the formula's."""
    u = 2.0 ** -53
    h_star = (3 * u) ** (1 / 3)
    E_star = h_star ** 2 / 6 + u / h_star                                   # 2.40e-11
    text = PAGE.read_text(encoding="utf-8")
    claims = re.findall(r"(?:an error(?: near)?|errors near)\s+\$?(?:E\(h\^\\ast\) \\approx )?" + TEX_NUMBER, text)
    assert len(claims) >= 2, "the text and the summary should both quote E(h*)"
    for mantissa, exponent in claims:
        assert tex_number(mantissa, exponent) == pytest.approx(E_star, rel=0.05), (mantissa, exponent)


def test_exercise_4_solution_names_the_two_best_rows():
    solution = page_section("4. Using $E(h)", "5. In float32")
    claim = re.search(r"best\s+rows?\s+of\s+the\s+sweep(.*?)\.\s", solution, re.DOTALL)
    assert claim, "the solution should say which rows of the sweep are best"
    named = [tex_number(m, e) for m, e in re.findall(TEX_NUMBER, claim.group(1))]
    named_steps = [h for h in named if h > 1e-9]                            # steps, not errors
    rows = [tuple(map(float, line.split())) for line in printed_table("      h   one-sided    centered")]
    best_two = [h for h, _, _ in sorted(rows, key=lambda row: row[2])[:2]]
    assert named_steps == best_two                                          # [1e-6, 1e-7]
    errors = {h: cen for h, _, cen in rows}
    named_errors = [h for h in named if h <= 1e-9]
    assert named_errors == pytest.approx([errors[h] for h in best_two], rel=1e-9)  # 2.5e-11, 8.6e-11
    h_star = 2.0 ** -18
    assert best_two[0] < h_star < 10 * best_two[0]                          # "in the right decade"


def test_prose_float32_numbers_are_the_printed_ones():
    """"a relative error of 0.18" and "no h does better than 2e-4" quote the float32 column."""
    column = {float(h): float(e32) for h, _, e32 in
              (line.split() for line in printed_table("      h     float64     float32"))}
    why = page_section("## Why float64", "## Relative error")
    assert f"error of ${column[1e-5]:.2f}$" in why                          # 0.18
    summary = page_section("## Summary", "## Exercises")
    assert f"scores ${column[1e-5]:.2f}$ there" in summary
    best = min(column.values())
    claimed = re.search(r"better than \$" + TEX_NUMBER + r"\$", summary)
    assert claimed and tex_number(*claimed.groups()) == float(f"{best:.0e}")  # 2e-4


def test_prose_unit_round_off_and_machine_epsilon():
    """The page uses u = 2^-53 and says why numpy's eps is twice that."""
    text = PAGE.read_text(encoding="utf-8")
    assert "$u = 2^{-53}" in text and "`np.finfo(np.float64).eps` $= 2^{-52}$" in text
    assert np.finfo(np.float64).eps == 2.0 ** -52 == 2 * 2.0 ** -53
    assert np.finfo(np.float32).eps == 2.0 ** -23 == 2 * 2.0 ** -24


def test_prose_cost_of_a_full_check_of_the_two_layer_net():
    """"2 * 308,310 + 4 forward passes": 2n centered evaluations plus one f(x) per parameter array,
    as the snippet counts them (exercise 6), not 2n + 1."""
    text = PAGE.read_text(encoding="utf-8")
    claimed = re.search(r"\$2 \\cdot 308\{,\}310 \+ (\d+)\$ forward passes", text)
    arrays = [(3072, 100), (100,), (100, 10), (10,)]                       # W1, b1, W2, b2
    calls = []
    for shape in arrays[1::2]:                                            # count the small ones for real
        eval_numerical_gradient(lambda x: calls.append(1) or 0.0, np.zeros(shape), verbose=False)
    assert len(calls) == 2 * (100 + 10) + 2                               # 2n + 1 per array
    assert claimed and int(claimed.group(1)) == len(arrays)
