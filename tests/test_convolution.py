"""Tests for docs/convolution.md, snippets/convolution.py, snippets/im2col.py, snippets/pooling.py
and bench/conv_naive_vs_im2col.py.

Every number on the page is checked here through a route independent of the snippets: literal
values derived by hand (see the comments), a reference convolution written separately with
autograd.numpy (a sum of shifted einsums, not loops over windows and not im2col), its autograd
gradients, and centered differences. The cs231n notebook's own checks (seed 231) run with the
site's cs231n-compatible gradient_check.py.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from convolution import conv_backward_naive, conv_forward_naive
from gradient_check import eval_numerical_gradient_array, rel_error
from im2col import col2im, conv_backward_im2col, conv_forward_im2col, im2col
from numerics import centered_gradient, conv_reference
from pooling import max_pool_backward_naive, max_pool_forward_naive

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "convolution.md"
ROUTES = {"naive": (conv_forward_naive, conv_backward_naive),
          "im2col": (conv_forward_im2col, conv_backward_im2col)}

# (x shape, w shape, stride, pad): N = 1, non-square images and filters, stride 1, 2 and 3,
# padding 0, 1 and 2, channels and filters > 1, a 1 x 1 filter.
SHAPES = [
    ((1, 1, 3, 3), (1, 1, 2, 2), 1, 0),
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((2, 2, 5, 7), (3, 2, 3, 3), 2, 1),
    ((1, 3, 6, 4), (2, 3, 2, 2), 2, 0),
    ((3, 2, 4, 6), (2, 2, 3, 1), 1, 0),
    ((1, 2, 3, 3), (2, 2, 1, 1), 1, 0),
    ((2, 2, 4, 4), (2, 2, 3, 3), 1, 2),
    ((1, 1, 7, 7), (1, 1, 3, 3), 3, 1),
]
IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in SHAPES]

# The worked example of the page (also the snippets' __main__).
X_W = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 1.0], [0.0, 2.0, 1.0]])[None, None]
W_W = np.array([[1.0, 0.0], [-1.0, 2.0]])[None, None]
B_W = np.array([0.5])
G_W = np.array([[1.0, 0.0], [2.0, -1.0]])[None, None]
# Derived by hand on paper (the page's "Worked answer" shows the arithmetic):
#   out[i,j] = x[i,j] - x[i+1,j] + 2 x[i+1,j+1] + 0.5
#   dw[p,q] = sum_ij g[i,j] x[i+p,j+q];  db = sum g = 2
#   dx = 1*w at (0,0) + 2*w at (1,0) - w at (1,1), added where the windows overlap
OUT_HAND = [[1 - 3 - 2 + 0.5, 2 + 1 + 2 + 0.5], [3 - 0 + 4 + 0.5, -1 - 2 + 2 + 0.5]]
DW_HAND = [[1 + 6 + 1, 2 - 2 - 1], [3 + 0 - 2, -1 + 4 - 1]]
DX_HAND = [[1, 0, 0], [-1 + 2, 2 + 0 - 1, 0], [-2, 4 + 1, -2]]
DB_HAND = [2.0]
X_COLS_HAND = [[1, 2, 3, -1], [2, 0, -1, 1], [3, -1, 0, 2], [-1, 1, 2, 1]]   # windows, row by row

# The pooling worked example: two ties, first maximum in row-major order wins.
X_P = np.array([[1.0, 3.0, 2.0, 0.0], [3.0, 0.0, 1.0, 1.0], [0.0, 2.0, 4.0, 2.0], [1.0, 1.0, 2.0, 4.0]])[None, None]
G_P = np.array([[10.0, 20.0], [30.0, 40.0]])[None, None]
POOL_2 = {"pool_height": 2, "pool_width": 2, "stride": 2}
OUT_P_HAND = [[3, 2], [2, 4]]
DX_P_HAND = [[0, 10, 20, 0], [0, 0, 0, 0], [0, 30, 40, 0], [0, 0, 0, 0]]     # ties to (0,1) and (2,2)
DX_P_NUM_HAND = [[0, 5, 20, 0], [5, 0, 0, 0], [0, 30, 20, 0], [0, 0, 0, 20]]  # centered: halves at ties


# ---- independent references (conv_reference is in tests/numerics.py) ------------------

def reference_grads(x, w, b, stride, pad, g):
    """(dx, dw, db) of L = <g, conv(x, w, b)> by autograd on conv_reference."""
    loss = lambda x, w, b: anp.sum(g * conv_reference(x, w, b, stride, pad))
    return tuple(grad(loss, k)(x, w, b) for k in range(3))


def pool_reference(x, ph, pw, s):
    """Equation (9) with Python's max over each window, entry by entry."""
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    return np.array([[[[max(x[n, c, i * s + p, j * s + q] for p in range(ph) for q in range(pw))
                        for j in range(Wo)] for i in range(Ho)] for c in range(C)] for n in range(N)])


def make(x_shape, w_shape, stride, pad, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    Ho = 1 + (x_shape[2] + 2 * pad - w_shape[2]) // stride
    Wo = 1 + (x_shape[3] + 2 * pad - w_shape[3]) // stride
    g = rng.standard_normal((x_shape[0], w_shape[0], Ho, Wo)).astype(dtype)
    return x, w, b, {"stride": stride, "pad": pad}, g


def norm_error(a, n):
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300)


def strictly(call):
    """Run call() with every floating-point event an error and warnings as errors."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return call()


# ---- the worked answers --------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_worked_conv_by_hand(route):
    forward, backward = ROUTES[route]
    out, cache = forward(X_W, W_W, B_W, {"stride": 1, "pad": 0})
    dx, dw, db = backward(G_W, cache)
    np.testing.assert_allclose(out[0, 0], OUT_HAND)
    np.testing.assert_allclose(dw[0, 0], DW_HAND)
    np.testing.assert_allclose(dx[0, 0], DX_HAND)
    np.testing.assert_allclose(db, DB_HAND)


def test_worked_conv_autograd():
    np.testing.assert_allclose(conv_reference(X_W, W_W, B_W, 1, 0)[0, 0], OUT_HAND)
    dx, dw, db = reference_grads(X_W, W_W, B_W, 1, 0, G_W)
    np.testing.assert_allclose(dx[0, 0], DX_HAND)
    np.testing.assert_allclose(dw[0, 0], DW_HAND)
    np.testing.assert_allclose(db, DB_HAND)


def test_worked_x_cols_by_hand():
    np.testing.assert_array_equal(im2col(X_W, 2, 2, 1, 0), X_COLS_HAND)
    # The affine layer on it: X W + b with W = the flattened filter (1, 0, -1, 2) as a column.
    np.testing.assert_allclose(np.array(X_COLS_HAND) @ [1.0, 0.0, -1.0, 2.0] + 0.5, np.ravel(OUT_HAND))
    # dx is col2im of dY W^T; by hand, row k of dY W^T is g_k * (1, 0, -1, 2).
    dX = np.outer([1.0, 0.0, 2.0, -1.0], [1.0, 0.0, -1.0, 2.0])
    np.testing.assert_allclose(col2im(dX, (1, 1, 3, 3), 2, 2, 1, 0)[0, 0], DX_HAND)


def test_worked_pool_by_hand():
    out, cache = max_pool_forward_naive(X_P, POOL_2)
    dx = max_pool_backward_naive(G_P, cache)
    np.testing.assert_array_equal(out[0, 0], OUT_P_HAND)
    np.testing.assert_array_equal(dx[0, 0], DX_P_HAND)
    # The arg-maxes are np.argmax's: the first maximum of each window flattened row by row.
    windows = X_P[0, 0].reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)   # (i, j, p*2+q)
    assert windows.argmax(axis=2).tolist() == [[1, 0], [1, 0]]            # (0,1), (0,2), (2,1), (2,2)
    # Centered differences split each tie in halves (the kink), by hand in DX_P_NUM_HAND.
    num = centered_gradient(lambda x: float(np.sum(G_P * max_pool_forward_naive(x, POOL_2)[0])), X_P, h=1e-5)
    np.testing.assert_allclose(num[0, 0], DX_P_NUM_HAND, atol=1e-6)


def test_page_asserts_the_same_numbers():
    # Compared without whitespace: the page wraps long asserts over several lines.
    text = "".join(PAGE.read_text(encoding="utf-8").split())
    for line in (
        "np.testing.assert_allclose(out_w[0, 0], [[-3.5, 5.5], [7.5, -0.5]])",
        "np.testing.assert_allclose(db_w, [2.0])",
        "np.testing.assert_allclose(dw_w[0, 0], [[8.0, -1.0], [1.0, 2.0]])",
        "np.testing.assert_allclose(dx_w[0, 0], [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [-2.0, 5.0, -2.0]])",
        "np.testing.assert_allclose(out_p[0, 0], [[3.0, 2.0], [2.0, 4.0]])",
        "np.testing.assert_allclose(dx_p[0, 0], [[0, 10, 20, 0], [0, 0, 0, 0], [0, 30, 40, 0], [0, 0, 0, 0]])",
        "np.testing.assert_allclose(dx_p_num[0, 0], [[0, 5, 20, 0], [5, 0, 0, 0], [0, 30, 20, 0], [0, 0, 0, 20]], atol=1e-6)",
    ):
        assert "".join(line.split()) in text, line
    np.testing.assert_allclose(np.array(OUT_HAND), [[-3.5, 5.5], [7.5, -0.5]])
    np.testing.assert_allclose(np.array(DX_HAND), [[1, 0, 0], [1, 1, 0], [-2, 5, -2]])


# ---- forward and backward against the references, several shapes ------------------------

@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", SHAPES, ids=IDS)
def test_forward_matches_reference(route, x_shape, w_shape, stride, pad):
    x, w, b, param, _ = make(x_shape, w_shape, stride, pad)
    out, _ = ROUTES[route][0](x, w, b, param)
    np.testing.assert_allclose(out, conv_reference(x, w, b, stride, pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", SHAPES, ids=IDS)
def test_backward_matches_autograd(route, x_shape, w_shape, stride, pad):
    x, w, b, param, g = make(x_shape, w_shape, stride, pad, seed=1)
    forward, backward = ROUTES[route]
    grads = backward(g, forward(x, w, b, param)[1])
    for got, want, name in zip(grads, reference_grads(x, w, b, stride, pad, g), ("dx", "dw", "db")):
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", SHAPES, ids=IDS)
def test_backward_matches_centered_differences(x_shape, w_shape, stride, pad):
    # Differences of the reference forward (independent of both routes); both backwards compared.
    x, w, b, param, g = make(x_shape, w_shape, stride, pad, seed=2)
    L = lambda x, w, b: float(np.sum(g * conv_reference(x, w, b, stride, pad)))
    numeric = (centered_gradient(lambda a: L(a, w, b), x), centered_gradient(lambda a: L(x, a, b), w),
               centered_gradient(lambda a: L(x, w, a), b))
    for route, (forward, backward) in ROUTES.items():
        for got, num, name in zip(backward(g, forward(x, w, b, param)[1]), numeric, ("dx", "dw", "db")):
            assert norm_error(got, num) < 1e-8, f"{route} {name}: {norm_error(got, num):.2e}"


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", SHAPES, ids=IDS)
def test_naive_and_im2col_agree(x_shape, w_shape, stride, pad):
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        x, w, b, param, g = make(x_shape, w_shape, stride, pad, seed=3, dtype=dtype)
        (out_n, cache_n), (out_i, cache_i) = conv_forward_naive(x, w, b, param), conv_forward_im2col(x, w, b, param)
        np.testing.assert_allclose(out_n, out_i, rtol=tol, atol=tol)
        for a, c in zip(conv_backward_naive(g, cache_n), conv_backward_im2col(g, cache_i)):
            assert a.dtype == c.dtype == dtype
            np.testing.assert_allclose(a, c, rtol=tol, atol=tol)


# ---- the cs231n notebook's checks, with the site's cs231n-compatible gradient_check -------

def notebook_conv_data():
    """ConvolutionalNetworks.ipynb, 'Convolution: Naive backward pass': seed 231, legacy randn."""
    rs = np.random.RandomState(231)
    return (rs.randn(4, 3, 5, 5), rs.randn(2, 3, 3, 3), rs.randn(2), rs.randn(4, 2, 5, 5),
            {"stride": 1, "pad": 1})


@pytest.mark.parametrize("route", ROUTES)
def test_cs231n_conv_backward_check(route):
    forward, backward = ROUTES[route]
    x, w, b, dout, param = notebook_conv_data()
    # The numerical side uses the fast im2col forward (tested equal to the naive one above).
    f = conv_forward_im2col
    dx_num = eval_numerical_gradient_array(lambda x: f(x, w, b, param)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda w: f(x, w, b, param)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda b: f(x, w, b, param)[0], b, dout)
    dx, dw, db = backward(dout, forward(x, w, b, param)[1])
    # "Your errors should be around e-8 or less."
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-8
    assert rel_error(db, db_num) < 1e-8


def test_cs231n_conv_forward_check_inputs():
    # The notebook's forward check: linspace inputs, stride 2, pad 1; against our reference.
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    for forward, _ in ROUTES.values():
        out, _ = forward(x, w, b, {"stride": 2, "pad": 1})
        assert out.shape == (2, 3, 2, 2)
        np.testing.assert_allclose(out, conv_reference(x, w, b, 2, 1), rtol=1e-12)


def test_cs231n_max_pool_checks():
    # Forward: linspace input, 2 x 2 windows, stride 2: each window's max is its bottom-right entry.
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out, _ = max_pool_forward_naive(x, POOL_2)
    np.testing.assert_array_equal(out, x[:, :, 1::2, 1::2])
    # Backward: seed 231, "Your error should be on the order of e-12".
    rs = np.random.RandomState(231)
    x, dout = rs.randn(3, 2, 8, 8), rs.randn(3, 2, 4, 4)
    dx_num = eval_numerical_gradient_array(lambda x: max_pool_forward_naive(x, POOL_2)[0], x, dout)
    dx = max_pool_backward_naive(dout, max_pool_forward_naive(x, POOL_2)[1])
    assert rel_error(dx, dx_num) < 1e-10


def test_cs231n_fast_layer_comparison_shapes():
    # The notebook's speed comparison: x (100, 3, 31, 31), 3 x 3 filters, stride 2, pad 1 -> 16 x 16.
    out, cache = conv_forward_im2col(np.zeros((100, 3, 31, 31)), np.zeros((25, 3, 3, 3)), np.zeros(25),
                                     {"stride": 2, "pad": 1})
    assert out.shape == (100, 25, 16, 16)
    assert cache[4].shape == (100 * 16 * 16, 27)


# ---- col2im is the transpose of im2col -------------------------------------------------------

@pytest.mark.parametrize("x_shape, w_shape, stride, pad", SHAPES, ids=IDS)
def test_col2im_is_the_transpose_of_im2col(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(4)
    HH, WW = w_shape[2:]
    x = rng.standard_normal(x_shape)
    G = rng.standard_normal(im2col(x, HH, WW, stride, pad).shape)
    np.testing.assert_allclose(np.sum(im2col(x, HH, WW, stride, pad) * G),
                               np.sum(x * col2im(G, x_shape, HH, WW, stride, pad)), rtol=1e-12)
    # ... and explicitly: the matrix of im2col, built from basis images, transposed.
    if np.prod(x_shape) <= 100:
        A = np.stack([im2col(e.reshape(x_shape), HH, WW, stride, pad).ravel()
                      for e in np.eye(int(np.prod(x_shape)))], axis=1)
        assert set(np.unique(A)) <= {0.0, 1.0} and (A.sum(axis=1) <= 1).all()
        np.testing.assert_allclose(col2im(G, x_shape, HH, WW, stride, pad).ravel(), A.T @ G.ravel())


def col2im_overwrites(cols, x_shape, HH, WW, S, P):
    """The planted bug of mistake 3: = instead of +=."""
    N, C, H, W = x_shape
    Ho, Wo = 1 + (H + 2 * P - HH) // S, 1 + (W + 2 * P - WW) // S
    cols = cols.reshape(N, Ho, Wo, C, HH, WW)
    xp = np.zeros((N, C, H + 2 * P, W + 2 * P))
    for i, j in np.ndindex(Ho, Wo):
        xp[:, :, i * S:i * S + HH, j * S:j * S + WW] = cols[:, i, j]
    return xp[:, :, P:P + H, P:P + W]


def test_a_col2im_that_overwrites_fails_when_windows_overlap():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 6))
    G = rng.standard_normal(im2col(x, 3, 3, 1, 1).shape)
    lhs = np.sum(im2col(x, 3, 3, 1, 1) * G)
    assert abs(lhs - np.sum(x * col2im_overwrites(G, x.shape, 3, 3, 1, 1))) > 1e-3 * abs(lhs)
    np.testing.assert_allclose(lhs, np.sum(x * col2im(G, x.shape, 3, 3, 1, 1)))
    G2 = rng.standard_normal(im2col(x, 2, 2, 2, 0).shape)                    # no overlap: invisible
    np.testing.assert_allclose(col2im_overwrites(G2, x.shape, 2, 2, 2, 0), col2im(G2, x.shape, 2, 2, 2, 0))


def test_copies_per_pixel():
    # Hand: with 2 x 2 windows on a 3 x 3 image the centre is in 4 windows, the edges in 2, corners in 1.
    counts = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2, 1, 0)[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# ---- dw is a correlation, dx a full convolution with flipped filters ------------------------

def dilate(g, S):
    N, F, Ho, Wo = g.shape
    out = np.zeros((N, F, (Ho - 1) * S + 1, (Wo - 1) * S + 1))
    out[:, :, ::S, ::S] = g
    return out


@pytest.mark.parametrize("S, P, H, W, K", [(1, 0, 5, 6, 3), (1, 1, 5, 4, 3), (1, 2, 4, 4, 3),
                                            (2, 1, 7, 5, 3), (2, 0, 8, 6, 2), (3, 1, 7, 7, 3)])
def test_dw_correlation_and_dx_full_convolution_with_flipped_filters(S, P, H, W, K):
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 3, H, W)), rng.standard_normal((4, 3, K, K))
    param = {"stride": S, "pad": P}
    out, cache = conv_forward_im2col(x, w, np.zeros(4), param)
    g = rng.standard_normal(out.shape)
    dx, dw, _ = conv_backward_im2col(g, cache)
    # dw: the padded input correlated with the dilated g (samples play the channels), by reference.
    dw_corr = conv_reference(x.transpose(1, 0, 2, 3), dilate(g, S).transpose(1, 0, 2, 3), np.zeros(4), 1, P)
    np.testing.assert_allclose(dw_corr.transpose(1, 0, 2, 3), dw, atol=1e-11)
    # dx: the dilated g, padded by K - 1 - P, correlated with the flipped filters, channels exchanged.
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    np.testing.assert_allclose(conv_reference(dilate(g, S), flipped, np.zeros(3), 1, K - 1 - P), dx, atol=1e-11)
    # Mistake 1, the filters not flipped: same shape, wrong numbers.
    unflipped = conv_reference(dilate(g, S), w.transpose(1, 0, 2, 3), np.zeros(3), 1, K - 1 - P)
    assert unflipped.shape == dx.shape and norm_error(unflipped, dx) > 0.1


# ---- the other mistakes ------------------------------------------------------------------

def test_mistake_2_pad_minus_pad_is_empty_for_pad_zero():
    dxp = np.zeros((2, 3, 6, 6))
    assert dxp[:, :, 0:-0, 0:-0].shape == (2, 3, 0, 0)
    assert dxp[:, :, 1:-1, 1:-1].shape == (2, 3, 4, 4)
    # The snippets crop with pad:pad + H, so pad = 0 works.
    x, w, b, param, g = make((2, 3, 6, 6), (4, 3, 3, 3), 1, 0)
    for forward, backward in ROUTES.values():
        assert backward(g, forward(x, w, b, param)[1])[0].shape == (2, 3, 6, 6)


def test_mistake_2_padding_g_by_pad_hides_in_same_convolutions():
    # Padding g by P instead of K - 1 - P: equal only when P = (K - 1) / 2.
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 2, 6, 6))
    for K, P, same in [(3, 1, True), (5, 1, False), (5, 2, True), (3, 0, False)]:
        w = rng.standard_normal((2, 2, K, K))
        out, cache = conv_forward_naive(x, w, np.zeros(2), {"stride": 1, "pad": P})
        g = rng.standard_normal(out.shape)
        dx = conv_backward_naive(g, cache)[0]
        flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        wrong = conv_reference(g, flipped, np.zeros(2), 1, P)
        assert (wrong.shape == dx.shape and np.allclose(wrong, dx)) == same


def test_mistake_4_reshape_order():
    x, w, b, param, g = make((2, 3, 6, 6), (4, 3, 3, 3), 1, 1, seed=8)
    out, cache = conv_forward_im2col(x, w, b, param)
    dw = conv_backward_im2col(g, cache)[1]
    X = cache[4]
    dw_wrong = (X.T @ g.reshape(-1, 4)).T.reshape(w.shape)               # dout.reshape(-1, F)
    assert dw_wrong.shape == dw.shape and norm_error(dw_wrong, dw) > 0.1
    w_wrong = w.reshape(-1, 4)                                                 # w.reshape(-1, F)
    out_wrong = (X @ w_wrong + b).reshape(2, 6, 6, 4).transpose(0, 3, 1, 2)
    assert out_wrong.shape == out.shape and norm_error(out_wrong, out) > 0.1
    # With F = 1 the first reshape is harmless: the page says "unless F = 1".
    x1, w1, b1, p1, g1 = make((2, 3, 6, 6), (1, 3, 3, 3), 1, 1, seed=9)
    out1, cache1 = conv_forward_im2col(x1, w1, b1, p1)
    np.testing.assert_allclose((cache1[4].T @ g1.reshape(-1, 1)).T.reshape(w1.shape),
                               conv_backward_im2col(g1, cache1)[1])


def test_mistake_3_max_pool_overwriting_loses_overlapping_contributions():
    x = np.array([[1.0, 2.0, 0.0], [4.0, 9.0, 3.0], [0.0, 5.0, 1.0]])[None, None]
    pool = {"pool_height": 2, "pool_width": 2, "stride": 1}
    dx = max_pool_backward_naive(np.array([[1.0, 2.0], [3.0, 4.0]])[None, None], max_pool_forward_naive(x, pool)[1])
    assert dx[0, 0, 1, 1] == 1 + 2 + 3 + 4 and dx.sum() == 10


# ---- max-pooling ----------------------------------------------------------------------------

POOLS = [((2, 3, 4, 4), 2, 2, 2), ((1, 2, 5, 7), 3, 3, 2), ((2, 1, 4, 5), 2, 2, 1), ((1, 2, 6, 4), 3, 2, 1),
         ((3, 1, 3, 3), 3, 3, 1), ((1, 1, 6, 6), 1, 1, 1)]


def distinct(shape, seed, dtype=np.float64):
    """Entries at least 0.01 apart: no ties, and no near-ties a step h could cross."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.01 - n * 0.005).reshape(shape).astype(dtype)


@pytest.mark.parametrize("shape, ph, pw, s", POOLS)
def test_max_pool_forward_and_backward(shape, ph, pw, s):
    x = distinct(shape, seed=10)
    param = {"pool_height": ph, "pool_width": pw, "stride": s}
    out, cache = max_pool_forward_naive(x, param)
    np.testing.assert_array_equal(out, pool_reference(x, ph, pw, s))
    g = np.random.default_rng(11).standard_normal(out.shape)
    dx = max_pool_backward_naive(g, cache)
    num = centered_gradient(lambda a: float(np.sum(g * pool_reference(a, ph, pw, s))), x, h=1e-5)
    np.testing.assert_allclose(dx, num, atol=1e-8)
    # autograd's max agrees where there are no ties
    def loss(a):
        Ho, Wo = out.shape[2:]
        return sum(anp.sum(g[:, :, i, j] * anp.max(a[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3)))
                   for i in range(Ho) for j in range(Wo))
    np.testing.assert_allclose(dx, grad(loss)(x), atol=1e-12)
    # dx adds: every window gives its whole gradient to one entry.
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), g.sum(axis=(2, 3)))


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    # Every entry equal: the whole gradient of each window goes to its top-left corner.
    x = np.ones((1, 1, 4, 4))
    dx = max_pool_backward_naive(np.arange(1.0, 5.0).reshape(1, 1, 2, 2), max_pool_forward_naive(x, POOL_2)[1])
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])
    # A tie in the same row: the left one; in the same column: the top one; diagonal: the top one.
    for window, first in [([[5, 5], [0, 0]], (0, 0)), ([[0, 5], [0, 5]], (0, 1)), ([[0, 5], [5, 0]], (0, 1)),
                          ([[0, 0], [5, 5]], (1, 0))]:
        xw = np.array(window, dtype=np.float64)[None, None]
        dx = max_pool_backward_naive(np.ones((1, 1, 1, 1)), max_pool_forward_naive(xw, POOL_2)[1])
        assert np.argwhere(dx[0, 0] == 1).tolist() == [list(first)]
        assert np.unravel_index(np.argmax(xw[0, 0]), (2, 2)) == first


# ---- the snippets' promises -------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", SHAPES[:4], ids=IDS[:4])
def test_float32_in_float32_out(route, x_shape, w_shape, stride, pad):
    forward, backward = ROUTES[route]
    x, w, b, param, g = make(x_shape, w_shape, stride, pad, dtype=np.float32)
    out, cache = forward(x, w, b, param)
    grads = backward(g, cache)
    assert out.dtype == np.float32 and all(a.dtype == np.float32 for a in grads)
    ref = reference_grads(*(a.astype(np.float64) for a in (x, w, b)), stride, pad, g.astype(np.float64))
    for a, r in zip(grads, ref):
        assert norm_error(a, r) < 1e-6
    x32 = distinct((2, 2, 4, 4), seed=12, dtype=np.float32)
    out, cache = max_pool_forward_naive(x32, POOL_2)
    assert out.dtype == max_pool_backward_naive(np.ones_like(out), cache).dtype == np.float32


def test_im2col_and_col2im_keep_float32():
    x = np.ones((1, 2, 4, 4), dtype=np.float32)
    cols = im2col(x, 3, 3, 1, 1)
    assert cols.dtype == np.float32 and cols.shape == (16, 18)
    assert col2im(cols, x.shape, 3, 3, 1, 1).dtype == np.float32


@pytest.mark.parametrize("route", ROUTES)
def test_inputs_and_cache_are_not_mutated_and_cache_holds_references(route):
    forward, backward = ROUTES[route]
    x, w, b, param, g = make((2, 3, 5, 5), (4, 3, 3, 3), 1, 1)
    copies = [a.copy() for a in (x, w, b, g)]
    param_copy = dict(param)
    out, cache = forward(x, w, b, param)
    assert all(c is a for c, a in zip(cache[:4], (x, w, b, param)))           # cs231n's (x, w, b, conv_param)
    dx, dw, db = backward(g, cache)
    for a in (out, dx, dw, db):
        a += 1.0                                                                # editing outputs reaches nothing
    for a, c in zip((x, w, b, g), copies):
        np.testing.assert_array_equal(a, c)
    assert param == param_copy


def test_max_pool_cache_is_x_and_pool_param():
    x = distinct((1, 1, 4, 4), seed=13)
    out, cache = max_pool_forward_naive(x, POOL_2)
    assert len(cache) == 2 and cache[0] is x and cache[1] is POOL_2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_stay_finite_without_floating_point_events(dtype):
    rng = np.random.default_rng(14)
    for scale in (1e4, 1e-4):
        x = (scale * rng.choice([-1.0, 0.0, 1.0], (2, 3, 5, 5))).astype(dtype)
        w = (scale * rng.choice([-1.0, 1.0], (2, 3, 3, 3))).astype(dtype)
        b = np.full(2, scale, dtype=dtype)
        g = (scale * rng.standard_normal((2, 2, 5, 5))).astype(dtype)
        for forward, backward in ROUTES.values():
            out, cache = strictly(lambda: forward(x, w, b, {"stride": 1, "pad": 1}))
            grads = strictly(lambda: backward(g, cache))
            assert np.isfinite(out).all() and all(np.isfinite(a).all() for a in grads)
        out, cache = strictly(lambda: max_pool_forward_naive(x, POOL_2 | {"stride": 1}))
        g_pool = (scale * rng.standard_normal(out.shape)).astype(dtype)     # (2, 3, 4, 4)
        assert np.isfinite(strictly(lambda: max_pool_backward_naive(g_pool, cache))).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tiny_inputs_underflow_quietly(dtype):
    # Products of two tiny numbers round to 0 (or a subnormal): the right answer, not an error.
    tiny = np.finfo(dtype).tiny
    x = np.full((1, 1, 3, 3), tiny, dtype=dtype)
    w = np.full((1, 1, 2, 2), tiny, dtype=dtype)
    g = np.full((1, 1, 2, 2), tiny, dtype=dtype)
    for forward, backward in ROUTES.values():
        out, cache = strictly(lambda: forward(x, w, np.zeros(1, dtype=dtype), {"stride": 1, "pad": 0}))
        dx, dw, db = strictly(lambda: backward(g, cache))
        assert np.isfinite(out).all() and np.isfinite(dx).all() and np.isfinite(dw).all()


@pytest.mark.parametrize("call, pieces", [
    (lambda: conv_forward_naive(np.zeros((2, 3, 32, 32)), np.zeros((8, 3, 3, 3)), np.zeros(8), {"stride": 2, "pad": 1}),
     ["(2, 3, 32, 32)", "(8, 3, 3, 3)", "H + 2*pad - HH = 31", "stride 2 and pad 1"]),
    (lambda: conv_forward_im2col(np.zeros((2, 3, 32, 32)), np.zeros((8, 3, 3, 3)), np.zeros(8), {"stride": 2, "pad": 1}),
     ["(2, 3, 32, 32)", "3 x 3 filters", "H + 2*pad - HH = 31", "stride 2 and pad 1"]),
    (lambda: conv_forward_naive(np.zeros((1, 1, 5, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), {"stride": 2, "pad": 0}),
     ["(1, 1, 5, 4)", "W + 2*pad - WW = 1"]),
    (lambda: conv_forward_naive(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 5, 5)), np.zeros(1), {"stride": 1, "pad": 1}),
     ["(1, 1, 2, 2)", "(1, 1, 5, 5)", "H + 2*pad - HH = -1"]),
    (lambda: max_pool_forward_naive(np.zeros((1, 1, 5, 5)), POOL_2),
     ["(1, 1, 5, 5)", "2 x 2 windows with stride 2", "H - pool_height = 3"]),
])
def test_a_stride_and_padding_that_do_not_tile_raise_naming_the_shapes(call, pieces):
    with pytest.raises(ValueError) as info:
        call()
    assert all(piece in str(info.value) for piece in pieces), str(info.value)


# ---- the page's other claims ----------------------------------------------------------------

def test_cross_correlation_is_not_numpy_convolve():
    x1, w1 = np.array([1.0, 2.0, 0.0, 3.0]), np.array([1.0, -1.0])
    # Hand: (1 - 2, 2 - 0, 0 - 3) without the flip, its negative with it.
    out, _ = conv_forward_naive(x1[None, None, None], w1[None, None, None], np.zeros(1), {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(out.ravel(), [-1.0, 2.0, -3.0])
    np.testing.assert_array_equal(np.convolve(x1, w1, mode="valid"), [1.0, -2.0, 3.0])


def test_measured_section_counts():
    # Hand: 16 * 16 * 32 * 32 = 262144 loop steps; X is (16 * 32 * 32, 3 * 3 * 3) = (16384, 27).
    out, cache = conv_forward_im2col(np.zeros((16, 3, 32, 32), np.float32), np.zeros((16, 3, 3, 3), np.float32),
                                     np.zeros(16, np.float32), {"stride": 1, "pad": 1})
    assert out.size == 262_144 and cache[4].shape == (16_384, 27)
    assert cache[4].nbytes == 16_384 * 27 * 4 == 1_769_472


def _load_bench():
    path = ROOT / "bench" / "conv_naive_vs_im2col.py"
    spec = importlib.util.spec_from_file_location("conv_naive_vs_im2col", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_measures_the_batch_the_page_describes(capsys):
    bench = _load_bench()
    assert bench.FULL == dict(N=16, C=3, H=32, W=32, F=16, HH=3, WW=3, stride=1, pad=1)
    tiny = dict(bench.FULL, N=2, H=6, W=6, F=2)
    result = bench.measure(tiny, repeat_naive=1, repeat_im2col=1)
    assert result["X"] == (2 * 6 * 6, 27) and result["loop_steps"] == 2 * 2 * 6 * 6
    assert result["max_diff"] < 1e-5 and result["dtype"] == np.float32
    page = PAGE.read_text(encoding="utf-8")
    assert "x (16, 3, 32, 32), w (16, 3, 3, 3), stride 1, pad 1, float32" in page
    assert "naive loop steps N*F*H'*W' = 262,144; im2col matrix X (16384, 27)" in page
    # The quoted run is internally consistent: speed-up = naive / im2col, and the prose agrees.
    rows = re.findall(r"^(forward|backward) +([\d.]+) ms +([\d.]+) ms +(\d+)x$", page, re.MULTILINE)
    assert [r[0] for r in rows] == ["forward", "backward"]
    for _, naive, fast, ratio in rows:
        assert abs(float(naive) / float(fast) - int(ratio)) <= 0.01 * int(ratio)
    forward_ratio, backward_ratio = int(rows[0][3]), int(rows[1][3])
    assert "about 970 times faster forward and 700 times faster backward" in " ".join(page.split())
    assert round(forward_ratio, -1) == 970 and round(backward_ratio, -2) == 700


# ---- exercises -------------------------------------------------------------------------------

def test_exercise_1_cifar_shapes():
    # Hand: 1 + (32 + 2P - 5) = 32 gives P = 2; X is (1024 N, 75); 16 * 75 + 16 = 1216 parameters.
    out, cache = conv_forward_naive(np.zeros((1, 3, 32, 32)), np.zeros((16, 3, 5, 5)), np.zeros(16),
                                    {"stride": 1, "pad": 2})
    assert out.shape == (1, 16, 32, 32)
    assert im2col(np.zeros((2, 3, 32, 32)), 5, 5, 1, 2).shape == (2048, 75)
    assert 16 * 3 * 5 * 5 + 16 == 1216


def test_exercise_2_stride_2():
    for P in range(6):
        with pytest.raises(ValueError, match="must be a multiple of the stride"):
            conv_forward_im2col(np.zeros((1, 1, 32, 32)), np.zeros((1, 1, 3, 3)), np.zeros(1), {"stride": 2, "pad": P})
    assert conv_forward_im2col(np.zeros((1, 1, 31, 31)), np.zeros((1, 1, 3, 3)), np.zeros(1),
                               {"stride": 2, "pad": 1})[0].shape == (1, 1, 16, 16)
    assert conv_forward_im2col(np.zeros((1, 1, 32, 32)), np.zeros((1, 1, 4, 4)), np.zeros(1),
                               {"stride": 2, "pad": 1})[0].shape == (1, 1, 16, 16)


def test_exercise_3_window_counts():
    # By autograd on the reference: ones everywhere counts the windows covering each pixel.
    dx, _, _ = reference_grads(np.zeros((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), np.zeros(1), 1, 0, np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(dx[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_exercise_4_one_by_one():
    x = np.random.default_rng(15).standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(im2col(x, 1, 1, 1, 0), x.transpose(0, 2, 3, 1).reshape(-1, 3))


def test_exercise_5_overlapping_pool():
    # Hand: window maxima 5, 2, 2, 6; the centre 2 collects g[0,1] + g[1,0] = 2 + 3.
    x = np.array([[5.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 6.0]])[None, None]
    np.testing.assert_array_equal(pool_reference(x, 2, 2, 1)[0, 0], [[5, 2], [2, 6]])
    dx = max_pool_backward_naive(np.array([[1.0, 2.0], [3.0, 4.0]])[None, None],
                                 max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 1})[1])
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 0], [0, 5, 0], [0, 0, 4]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_integer_weights_and_bias_are_cast_to_the_dtype_of_x(dtype):
    """cs231n's image aside passes b = np.array([0, 128]): both forwards take it, in x's dtype,
    and give what the same values as floats give; x itself must still be float."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 5)).astype(dtype)                  # (N, C, H, W)
    w_int = rng.integers(-3, 4, size=(2, 3, 3, 3))                       # (F, C, HH, WW)
    b_int = np.array([0, 128])                                           # (F,)
    for forward in (conv_forward_naive, conv_forward_im2col):
        out, _ = forward(x, w_int, b_int, {"stride": 1, "pad": 1})
        ref, _ = forward(x, w_int.astype(dtype), b_int.astype(dtype), {"stride": 1, "pad": 1})
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, ref)
        with pytest.raises(TypeError, match="x must be a float array"):
            forward(x.astype(np.int64), w_int, b_int, {"stride": 1, "pad": 1})
