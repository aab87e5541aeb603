"""docs/dropout-and-residuals.md, snippets/dropout.py and snippets/residual.py.

Dropout: the masks against cs231n's own way of drawing them (np.random.seed, np.random.rand) bit
for bit; the fractions of zeros the course notebook printed; the expectation and variance by
enumerating every mask; dx against autograd and finite differences; the notebook's gradient
checks (one layer, and a fully connected network built from the site's snippets) through the
site's cs231n-compatible gradient_check.py; dtype, copies, the cache's copy of dropout_param,
the global generator left alone. Fan-out, the residual block and weight decay against autograd
and finite differences. The worked answers, the mistakes' predicted scores and the exercises by
hand.
"""

import itertools
import math
import re
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from activations import relu_backward, relu_forward
from affine import affine_backward, affine_forward
from dropout import dropout_backward, dropout_forward
from gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from losses import softmax_loss
from numerics import centered_gradient
from residual import residual_backward, residual_forward

PAGE = Path(__file__).resolve().parent.parent / "docs" / "dropout-and-residuals.md"
TEXT = PAGE.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def keep_the_global_generator():
    """Tests below seed numpy's global generator the way cs231n does; put its state back after."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def cs231n_style_mask(shape, p, seed):
    """How the course's starter code draws it: reset the global generator, then rand < p, then / p."""
    np.random.seed(seed)
    return (np.random.rand(*shape) < p) / p


# ---------------------------------------------------------------- dropout: forward

@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 5), (4, 1, 2, 2)], ids=str)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9, 1.0])
def test_mask_is_cs231n_mask_bit_for_bit(shape, p):
    x = np.random.RandomState(1).randn(*shape)
    out, (param, mask) = dropout_forward(x, {"mode": "train", "p": p, "seed": 17})
    expected_mask = cs231n_style_mask(shape, p, 17)
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_array_equal(out, x * expected_mask)
    assert param == {"mode": "train", "p": p, "seed": 17}


def test_without_a_seed_the_global_generator_is_used_like_cs231n():
    x = np.random.RandomState(2).randn(6, 7)
    np.random.seed(231)
    _, (_, mask) = dropout_forward(x, {"mode": "train", "p": 0.4})
    np.random.seed(231)
    np.testing.assert_array_equal(mask, (np.random.rand(6, 7) < 0.4) / 0.4)


def test_a_seed_leaves_the_global_generator_alone():
    np.random.seed(5)
    before = np.random.get_state()
    dropout_forward(np.ones((3, 3)), {"mode": "train", "p": 0.5, "seed": 1})
    after = np.random.get_state()
    assert np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def test_the_course_notebook_fractions_of_zeros():
    """Dropout.ipynb, first cell: the fractions the course notebook printed (published outputs)."""
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    printed = {0.25: 0.749784, 0.4: 0.600796, 0.7: 0.30074}
    for p, fraction in printed.items():
        out, _ = dropout_forward(x, {"mode": "train", "p": p})
        out_test, _ = dropout_forward(x, {"mode": "test", "p": p})
        assert (out == 0).mean() == fraction
        assert (out_test == 0).mean() == 0.0
        se = math.sqrt(np.mean(x ** 2) * (1 - p) / (p * x.size))   # equation (3) of the page
        assert abs(out.mean() - x.mean()) < 4 * se
        np.testing.assert_array_equal(out_test, x)


def test_page_table_numbers():
    """The printed table on the page: recomputed, with the standard error from the variance formula."""
    x = 10 + np.random.RandomState(231).randn(500, 500)
    rows = {0.25: (1, 10.0604, 0.0348, 1.73, 0.748376), 0.5: (2, 10.0184, 0.0201, 0.90, 0.499060),
            0.8: (3, 9.9845, 0.0101, -1.57, 0.201268)}
    for p, (seed, mean, se, z, zeros) in rows.items():
        out, _ = dropout_forward(x, {"mode": "train", "p": p, "seed": seed})
        se_formula = math.sqrt(math.fsum((x * x).ravel()) / x.size * (1 - p) / p / x.size)
        assert round(out.mean(), 4) == mean and round(se_formula, 4) == se
        assert round((out.mean() - x.mean()) / se_formula, 2) == z
        assert (out == 0).mean() == zeros
    for line in ["0.25   10.0002   10.0604     0.0348  +1.73  0.748376  0.75",
                 " 0.8   10.0002    9.9845     0.0101  -1.57  0.201268  0.20"]:
        assert line in TEXT


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.8, 1.0])
def test_expectation_and_variance_by_enumerating_every_mask(p):
    """E[out] = x and Var[out] = x^2 (1 - p) / p, summed exactly over the 2^4 masks."""
    x = np.array([2.0, -1.0, 4.0, 0.5])
    mean, second = np.zeros(4), np.zeros(4)
    for keep in itertools.product([0, 1], repeat=4):
        k = np.array(keep, dtype=float)
        probability = math.prod(p if kk else 1 - p for kk in keep)
        mean += probability * x * k / p
        second += probability * (x * k / p) ** 2
    np.testing.assert_allclose(mean, x, rtol=1e-12)
    np.testing.assert_allclose(second - mean ** 2, x ** 2 * (1 - p) / p, rtol=1e-9, atol=1e-12)


def test_the_snippet_averages_to_x_over_many_seeds():
    x = np.array([[2.0, -1.0], [4.0, 0.5]])
    outs = np.array([dropout_forward(x, {"mode": "train", "p": 0.3, "seed": s})[0] for s in range(1500)])
    se = np.sqrt(x ** 2 * (1 - 0.3) / 0.3 / 1500)
    assert (np.abs(outs.mean(axis=0) - x) < 4 * se).all()
    assert set(np.unique(outs[:, 0, 0])) == {0.0, 2.0 / 0.3}


def test_keep_probability_one_is_the_identity():
    x = np.random.RandomState(3).randn(4, 5)
    out, (_, mask) = dropout_forward(x, {"mode": "train", "p": 1, "seed": 0})
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(mask, np.ones((4, 5)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["train", "test"])
def test_dtype_is_kept(dtype, mode):
    x = np.random.RandomState(4).randn(3, 4).astype(dtype)
    out, cache = dropout_forward(x, {"mode": mode, "p": 0.6, "seed": 2})
    dx = dropout_backward(np.ones_like(x), cache)
    assert out.dtype == dx.dtype == dtype
    if mode == "train":
        assert cache[1].dtype == dtype
        np.testing.assert_allclose(out, x.astype(np.float64) * cs231n_style_mask((3, 4), 0.6, 2), rtol=1e-6)


def test_test_mode_returns_copies_not_the_inputs():
    x, dout = np.ones((2, 3)), np.full((2, 3), 2.0)
    out, cache = dropout_forward(x, {"mode": "test", "p": 0.5})
    dx = dropout_backward(dout, cache)
    assert not np.shares_memory(out, x) and not np.shares_memory(dx, dout)
    dx += 1.0                                           # adding into dx must not change dout
    np.testing.assert_array_equal(dout, np.full((2, 3), 2.0))


def test_the_cache_keeps_its_own_copy_of_dropout_param():
    """A network switches dropout_param['mode'] before its next call; an earlier cache must not change."""
    param = {"mode": "train", "p": 0.5, "seed": 30}
    x = np.array([[2.0, -1.0, 4.0], [0.5, 3.0, -2.0]])
    _, cache = dropout_forward(x, param)
    param["mode"] = "test"
    np.testing.assert_array_equal(dropout_backward(np.ones((2, 3)), cache), [[0, 2, 0], [2, 0, 2]])


# ---------------------------------------------------------------- dropout: backward

@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_backward_against_autograd_and_finite_differences(shape, p):
    rng = np.random.RandomState(5)
    x, dout = rng.randn(*shape), rng.randn(*shape)
    param = {"mode": "train", "p": p, "seed": 11}
    _, cache = dropout_forward(x, param)
    dx = dropout_backward(dout, cache)
    mask = cs231n_style_mask(shape, p, 11)
    np.testing.assert_allclose(dx, grad(lambda z: anp.sum(dout * z * mask))(x), rtol=1e-14)
    numeric = centered_gradient(lambda z: float(np.sum(dout * dropout_forward(z, param)[0])), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-7, atol=1e-9)


def test_the_course_notebook_gradient_check_of_dx():
    """Dropout.ipynb, second cell, through the site's gradient_check.py: 'around e-10 or less'."""
    np.random.seed(231)
    x = np.random.randn(10, 10) + 10
    dout = np.random.randn(*x.shape)
    dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
    out, cache = dropout_forward(x, dropout_param)
    dx = dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda xx: dropout_forward(xx, dropout_param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-10
    assert (out == 0).mean() > 0.5                      # p = 0.2 keeps about a fifth


def test_without_the_seed_the_gradient_check_fails():
    x = np.random.RandomState(6).randn(5, 5) + 10
    dout = np.random.RandomState(7).randn(5, 5)
    param = {"mode": "train", "p": 0.5}                 # no seed: a new mask on every call
    _, cache = dropout_forward(x, param)
    dx_num = eval_numerical_gradient_array(lambda xx: dropout_forward(xx, param)[0], x, dout)
    assert rel_error(dropout_backward(dout, cache), dx_num) > 0.5


class TinyNet:
    """cs231n's FullyConnectedNet layout from the site's snippets: {affine - relu - dropout} x 2 - affine - softmax."""

    def __init__(self, dims, keep, seed, reg=0.0):
        rng = np.random.RandomState(231)
        self.params = {}
        for i, (d_in, d_out) in enumerate(zip(dims, dims[1:]), start=1):
            self.params[f"W{i}"] = 5e-2 * rng.randn(d_in, d_out)
            self.params[f"b{i}"] = np.zeros(d_out)
        self.layers, self.reg = len(dims) - 1, reg
        self.dropout_param = {"mode": "train", "p": keep, "seed": seed}

    def loss(self, X, y):
        out, caches = X, []
        for i in range(1, self.layers):
            a, fc = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            h, rc = relu_forward(a)
            out, dc = dropout_forward(h, self.dropout_param)
            caches.append((fc, rc, dc))
        scores, last = affine_forward(out, self.params[f"W{self.layers}"], self.params[f"b{self.layers}"])
        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{self.layers}"], grads[f"b{self.layers}"] = affine_backward(dout, last)
        for i in range(self.layers - 1, 0, -1):
            fc, rc, dc = caches[i - 1]
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(relu_backward(dropout_backward(dout, dc), rc), fc)
        for i in range(1, self.layers + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)          # cs231n's convention: the gradient is reg * W
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * W
        return loss, grads


@pytest.mark.parametrize("keep, reg", [(1.0, 0.0), (0.75, 0.0), (0.5, 0.0), (0.5, 3.14)])
def test_the_course_notebook_network_check(keep, reg):
    """Dropout.ipynb, third cell: every parameter of a 2-hidden-layer net, 'around e-6 or less'
    (the notebook's layout and keep probabilities, with smaller widths to keep the test fast)."""
    rng = np.random.RandomState(231)
    X, y = rng.randn(2, 8), rng.randint(5, size=2)
    net = TinyNet([8, 12, 10, 5], keep, seed=123, reg=reg)
    loss, grads = net.loss(X, y)
    assert 1.3 < loss < 1.9 + 0.5 * reg * sum(np.sum(net.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    for name in sorted(grads):
        numeric = eval_numerical_gradient(lambda _: net.loss(X, y)[0], net.params[name], verbose=False)
        assert rel_error(numeric, grads[name]) < 1e-5, name


# ---------------------------------------------------------------- the page's worked answers

def test_dropout_worked_answer_by_hand():
    np.random.seed(30)
    u = np.random.rand(2, 3)                            # cs231n's way of drawing
    keep = [[u[i, j] < 0.5 for j in range(3)] for i in range(2)]
    assert keep == [[False, True, False], [True, False, True]]
    x = np.array([[2.0, -1.0, 4.0], [0.5, 3.0, -2.0]])
    out, cache = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 30})
    by_hand = [[x[i][j] * 2 if keep[i][j] else 0.0 for j in range(3)] for i in range(2)]
    assert by_hand == [[0.0, -2.0, 0.0], [1.0, 0.0, -4.0]]
    np.testing.assert_array_equal(out, by_hand)
    np.testing.assert_array_equal(dropout_backward(np.ones((2, 3)), cache), [[0, 2, 0], [2, 0, 2]])


def test_reseeding_repeats_the_minibatches():
    """The page's claim: a dropout that calls np.random.seed makes every later minibatch draw repeat."""
    def reseeding(x, param):
        np.random.seed(param["seed"])
        return x * ((np.random.rand(*x.shape) < param["p"]) / param["p"])

    for forward, repeats in [(reseeding, True), (lambda x, param: dropout_forward(x, param)[0], False)]:
        np.random.seed(0)
        batches = []
        for _ in range(4):
            batches.append(tuple(np.random.choice(1000, size=5)))
            forward(np.ones((5, 3)), {"mode": "train", "p": 0.5, "seed": 123})
        assert (len(set(batches[1:])) == 1) == repeats


def test_fan_out_worked_answer():
    L = lambda x: (2 * x) * (x ** 2)
    assert grad(L)(1.5) == 13.5 == 6 * 1.5 ** 2
    assert 2.25 * 2 == 4.5 and 3 * 2 * 1.5 == 9.0        # the two paths, by hand
    assert L(1.5) == 6.75


def residual_autograd(x, w1, b1, w2, b2):
    return x + anp.dot(anp.maximum(anp.dot(x, w1) + b1, 0.0), w2) + b2


HAND = dict(x=np.array([[1.0, -1.0]]), w1=np.array([[1.0, 2.0], [0.0, 1.0]]), b1=np.array([0.0, -2.0]),
            w2=np.array([[2.0, 1.0], [3.0, -1.0]]), b2=np.array([0.5, 0.0]))


def test_residual_worked_answer_by_hand():
    # by hand: a = (1*1 + -1*0, 1*2 + -1*1) + (0, -2) = (1, -1); h = (1, 0); f = (2, 1) + (0.5, 0); y = x + f
    y, cache = residual_forward(**HAND)
    assert y.tolist() == [[1.0 + 2.5, -1.0 + 1.0]]
    dx, dw1, db1, dw2, db2 = residual_backward(np.array([[1.0, 2.0]]), cache)
    # dh = dy W2^T = (1*2 + 2*1, 1*3 + 2*-1) = (4, 1); da = (4, 0); branch dx = (4*1 + 0*2, 4*0 + 0*1)
    assert dx.tolist() == [[1.0 + 4.0, 2.0 + 0.0]]
    assert dw1.tolist() == [[4.0, 0.0], [-4.0, 0.0]] and db1.tolist() == [4.0, 0.0]
    assert dw2.tolist() == [[1.0, 2.0], [0.0, 0.0]] and db2.tolist() == [1.0, 2.0]


def test_residual_worked_answer_autograd():
    dy = np.array([[1.0, 2.0]])
    _, cache = residual_forward(**HAND)
    ours = residual_backward(dy, cache)
    names = ["x", "w1", "b1", "w2", "b2"]
    for i, name in enumerate(names):
        g = grad(lambda *args: anp.sum(dy * residual_autograd(*args)), i)(*[HAND[n] for n in names])
        np.testing.assert_allclose(ours[i], g, rtol=1e-14, err_msg=name)


@pytest.mark.parametrize("N, D, H", [(1, 1, 1), (1, 3, 2), (4, 3, 5), (6, 2, 7), (3, 5, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_residual_against_autograd_and_finite_differences(N, D, H, dtype):
    rng = np.random.RandomState(N * 100 + D * 10 + H)
    args = dict(x=rng.randn(N, D), w1=rng.randn(D, H), b1=rng.randn(H), w2=rng.randn(H, D), b2=rng.randn(D))
    a = args["x"] @ args["w1"] + args["b1"]
    args["b1"] = args["b1"] + np.where(np.abs(a).min(axis=0) < 0.05, 0.1, 0.0)   # keep away from the kink
    assume_far = np.abs(args["x"] @ args["w1"] + args["b1"]).min() > 1e-3
    assert assume_far
    dy = rng.randn(N, D)
    typed = {k: v.astype(dtype) for k, v in args.items()}
    y, cache = residual_forward(**typed)
    assert y.dtype == dtype
    grads = residual_backward(dy.astype(dtype), cache)
    names = list(args)
    for i, name in enumerate(names):
        assert grads[i].dtype == dtype and grads[i].shape == args[name].shape
        g = grad(lambda *v: anp.sum(dy * residual_autograd(*v)), i)(*[args[n] for n in names])
        np.testing.assert_allclose(grads[i], g, rtol=1e-4 if dtype == np.float32 else 1e-12,
                                   atol=1e-4 if dtype == np.float32 else 1e-12, err_msg=name)
        numeric = centered_gradient(
            lambda v, name=name: float(np.sum(dy * residual_forward(**{**args, name: v})[0])), args[name])
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_residual_jacobian_is_identity_plus_branch():
    """Columns: dx = (I + J_F)^T dy with J_F = W2c diag(r) W1c, per sample, against autograd's Jacobian."""
    from autograd import jacobian
    rng = np.random.RandomState(9)
    x, w1, b1, w2, b2 = rng.randn(3), rng.randn(3, 4), rng.randn(4), rng.randn(4, 3), rng.randn(3)
    r = (x @ w1 + b1 > 0).astype(float)
    J = jacobian(lambda v: residual_autograd(v[None, :], w1, b1, w2, b2)[0])(x)    # (D, D)
    np.testing.assert_allclose(J, np.eye(3) + w2.T @ np.diag(r) @ w1.T, rtol=1e-12, atol=1e-14)


def test_weight_decay_worked_answer():
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert math.fsum([1.0, 4.0, 0.25, 0.0]) == 5.25
    assert 0.05 * 5.25 == 0.2625
    half = grad(lambda W: 0.5 * 0.1 * anp.sum(W * W))(W)
    full = grad(lambda W: 0.1 * anp.sum(W * W))(W)
    np.testing.assert_allclose(half, [[0.1, -0.2], [0.05, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(full, [[0.2, -0.4], [0.1, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(W - 0.5 * half, 0.95 * W, rtol=1e-15)


# ---------------------------------------------------------------- the mistakes' predicted scores

@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_unscaled_mask_in_backward_scores_one_minus_p_over_one_plus_p(p):
    x, dout = np.random.RandomState(1).randn(8, 8) + 10, np.random.RandomState(2).randn(8, 8)
    param = {"mode": "train", "p": p, "seed": 4}
    _, (_, mask) = dropout_forward(x, param)
    truth = grad(lambda z: anp.sum(dout * z * mask))(x)
    np.testing.assert_allclose(rel_error(dout * (mask > 0), truth), (1 - p) / (1 + p), rtol=1e-12)


def test_wrong_p_in_the_forward_pass_triples_the_mean():
    # keep with probability 1 - p = 0.75, divide by p = 0.25: E[out] = 0.75 / 0.25 * x
    assert 0.75 / 0.25 == 3.0
    x = 10 + np.random.RandomState(0).randn(200, 200)
    k = np.random.RandomState(1).rand(200, 200) < 0.75
    assert abs((x * k / 0.25).mean() / x.mean() - 3.0) < 0.02


def test_forgotten_skip_gradient_scores_one_on_the_dead_unit():
    _, cache = residual_forward(**HAND)
    dx, *_ = residual_backward(np.array([[1.0, 2.0]]), cache)
    branch_only = dx - np.array([[1.0, 2.0]])
    assert branch_only.tolist() == [[4.0, 0.0]]
    assert rel_error(branch_only, dx) == 1.0                 # |0 - 2| / (0 + 2)


def test_weight_decay_counted_twice_scores_a_third():
    W = 0.05 * np.random.RandomState(2).randn(3, 4)
    truth = grad(lambda W: 0.5 * 1e-3 * anp.sum(W * W))(W)
    np.testing.assert_allclose(rel_error(2 * truth, truth), 1 / 3, rtol=1e-12)
    data = np.random.RandomState(3).randn(3, 4)
    hidden = rel_error(data + 2 * truth, data + truth)
    assert 1e-4 < hidden < 1e-3 and f"{hidden:.1e}" == "6.0e-04"
    assert "6.0 \\times 10^{-4}" in TEXT


# ---------------------------------------------------------------- exercises

def test_exercise_1():
    # output 0 or 6 with probability 1/2 each: mean 3, variance 9
    assert 0.5 * 0 + 0.5 * 6 == 3 and 0.5 * (0 - 3) ** 2 + 0.5 * (6 - 3) ** 2 == 9
    assert 3 ** 2 * (1 - 0.5) / 0.5 == 9


def test_exercise_2():
    stack = lambda x: x
    for _ in range(10):
        stack = (lambda f: lambda x: f(x) + 0.1 * f(x))(stack)
    assert grad(stack)(1.0) == pytest.approx(1.1 ** 10, rel=1e-12)
    assert round(1.1 ** 10, 3) == 2.594
    assert 0.1 ** 10 == pytest.approx(1e-10)


def test_exercise_3():
    x = np.random.RandomState(0).randn(50, 50)
    _, (_, mask) = dropout_forward(x, {"mode": "train", "p": 1 - 0.3, "seed": 8})
    np.testing.assert_allclose(np.unique(mask), [0.0, 1 / 0.7])
    assert round(1 / 0.7, 4) == 1.4286
    assert abs((mask > 0).mean() - 0.7) < 0.03


def test_exercise_4():
    assert 1 - 0.05 * 1e-3 == pytest.approx(0.99995, rel=1e-15)
    assert round(0.99995 ** 1000, 5) == round(math.exp(-0.05), 5) == 0.95123


def test_exercise_5():
    x, dy = np.random.RandomState(1).randn(3, 4), np.random.RandomState(2).randn(3, 4)
    np.testing.assert_allclose(grad(lambda z: anp.sum(dy * z * z))(x), 2 * x * dy, rtol=1e-14)


# ---------------------------------------------------------------- the page itself

def test_page_references_existing_tests():
    named = set(re.findall(r"tests/test_dropout_and_residuals\.py::(\w+)", TEXT))
    named |= set(re.findall(r"by `(test_\w+)`", TEXT))
    assert len(named) >= 10, named
    missing = {name for name in named if name not in globals()}
    assert not missing, missing


def test_page_includes_the_snippets_by_path():
    for name in ("dropout", "residual", "gradient_check"):
        assert f'title="snippets/{name}.py"' in TEXT and f'--8<-- "snippets/{name}.py"' in TEXT


def test_page_uses_the_house_tab_labels_only_for_the_conventions():
    labels = re.findall(r'^\s*=== "([^"]*)"', TEXT, flags=re.MULTILINE)
    assert labels == ["Rows: Y = XW + b", "Columns: y = Wx + b"]
