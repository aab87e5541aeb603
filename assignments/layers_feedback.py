"""Checks for the layer assignments (normalization, attention, convolution, dropout and residuals).

The same rule as backprop_feedback.py, on whose machinery this module builds: it holds no
reference solution. The tests pass the expected values in (numbers worked out on the site's
pages, or the site's snippets in the hidden tests); what this module knows are the wrong answers
students really write, recognised by a property of the answer (the columns of dx do not add up
to zero; (out - beta) / gamma has variance 3/4) or by a wrong value the test passes in, so that
each is named the way the pages' mistake galleries name it.
"""
import numpy as np

from backprop_feedback import all_of, as_array, check, close, fail

# ---------------------------------------------------------------------------------------------
# Normalization: batch norm (each feature over the batch, axis 0), layer norm (each sample over
# its features, axis 1)
# ---------------------------------------------------------------------------------------------

_LAYER = {0: ("batch", "feature", "each feature (column)", "over the batch index n (axis 0)"),
          1: ("layer", "sample", "each sample (row)", "over its D features (axis 1)")}


def _has_unit_spread(z, axis, variance):
    """Mean 0 and the given variance over `axis`, to within what epsilon allows."""
    return (np.abs(z.mean(axis=axis)).max() < 1e-6
            and np.abs(z.var(axis=axis) - variance).max() < 1e-3 * variance)


def unbiased_words(K, over):
    return (f"you divided by {K} - 1 (np.var(..., ddof=1), the unbiased variance). The layer "
            f"normalizes with the spread of these {K} numbers themselves, the variance divided by "
            f"{K} {over} (the normalization page's mistake 3).")


def check_normalized(out, want, gamma, beta, *, axis, tol=1e-5, atol=0.0):
    """out is gamma x-hat + beta, where x-hat has mean 0 and variance 1 over `axis`.

    A wrong out is recognised by the spread of the student's own xhat = (out - beta) / gamma:
    variance (K - 1)/K over the right axis is the unbiased variance; mean 0 and variance 1 over
    the other axis is the other normalization.
    """
    got = as_array("out", out)
    want = np.asarray(want)
    gamma = np.asarray(gamma, dtype=np.float64).reshape(-1)
    if got.shape == want.shape and got.ndim == 2 and not close(got, want, tol, atol) \
            and np.isfinite(got).all() and np.all(gamma != 0):
        z = (got - np.asarray(beta, dtype=np.float64).reshape(-1)) / gamma   # your xhat, (N, D)
        name, noun, unit, over = _LAYER[axis]
        other_name, other_noun, other_unit, other_over = _LAYER[1 - axis]
        K, K_other = z.shape[axis], z.shape[1 - axis]
        if K > 1 and _has_unit_spread(z, axis, (K - 1) / K):
            fail(f"out is wrong: {unit} of (out - beta) / gamma has variance (K - 1)/K = "
                 f"{(K - 1) / K:.4g} instead of 1 (K = {K}): " + unbiased_words(K, over))
        if K_other > 1 and (_has_unit_spread(z, 1 - axis, 1.0)
                            or _has_unit_spread(z, 1 - axis, (K_other - 1) / K_other)):
            fail(f"out is wrong: {other_unit} of (out - beta) / gamma has mean 0 and variance 1, "
                 f"but {unit} must: you normalized each {other_noun} {other_over}, which is "
                 f"{other_name} normalization. {name.capitalize()} normalization normalizes each "
                 f"{noun} {over}{', with keepdims=True' if axis == 1 else ''}.")
    check("out", got, want, tol=tol, atol=atol)


def check_statistics(mu, var, want_mu, want_var, *, K, axis, tol=1e-6):
    """The mean and variance the cache holds, over K numbers each: one per feature, (D,), for
    batch norm (axis 0, K = N); one per sample, (N, 1), for layer norm (axis 1, K = D)."""
    name, noun, unit, over = _LAYER[axis]
    want_mu, want_var = np.asarray(want_mu), np.asarray(want_var)
    other_noun, other_over = _LAYER[1 - axis][1], _LAYER[1 - axis][3]
    axis_words = (f"one per {other_noun}: you took it {other_over.split(' (')[0]} (axis "
                  f"{1 - axis}), but {name} normalization takes one for {unit}, {over}")
    if axis == 0:
        wrong = {(K, 1): axis_words, (K,): axis_words} if (K,) != want_mu.shape else {}
    else:
        D, N = K, want_mu.shape[0]
        wrong = {(D,): axis_words, (1, D): axis_words}
        wrong.setdefault((N,), f"one per sample but no keepdims=True, so x - mu lines the {N} "
                               f"means up with the features instead of the samples")

    def shapes(what):
        return {s: f"{what} has shape {s}, {text} (shape {want_mu.shape})." for s, text in wrong.items()}

    mistakes = [(unbiased_words(K, over), want_var * K / (K - 1))] if K > 1 else []
    all_of(lambda: check("the cached mean", mu, want_mu, tol=tol, shapes=shapes("the cached mean")),
           lambda: check("the cached variance", var, want_var, tol=tol, mistakes=mistakes,
                         shapes=shapes("the cached variance")))


def check_running(name, got, want, *, old, batch, momentum, N=None, tol=1e-6):
    """running = momentum * running + (1 - momentum) * batch statistic: the usual wrong ones.

    N: the batch size, for a running variance that averages the unbiased variance."""
    old, batch = np.asarray(old, dtype=np.float64), np.asarray(batch, dtype=np.float64)
    m = momentum
    unbiased = [] if not N or N < 2 else [
        ("it averages the unbiased variance (divided by N - 1): cs231n keeps the same biased "
         "variance, divided by N, that the layer normalizes with (PyTorch stores the unbiased "
         "one, on purpose).", m * old + (1 - m) * batch * N / (N - 1))]
    got = as_array(f"bn_param['{name}']", got)
    shapes = {got.shape: (
        f"bn_param['{name}'] has shape {got.shape} but must have shape {np.shape(want)}, one "
        f"number per feature: the batch statistic it averages is taken over the batch index n "
        f"(axis 0), one per feature.")} if got.ndim == 2 else None
    check(f"bn_param['{name}']", got, want, tol=tol, shapes=shapes, mistakes=[
        (f"you swapped momentum and 1 - momentum. In cs231n the momentum ({m}) is the weight of "
         f"the old running value: running = momentum * running + (1 - momentum) * batch "
         f"statistic (PyTorch's momentum is the weight of the new statistic, the other way round).",
         (1 - m) * old + m * batch),
        ("it still holds the old value: update the running statistics in training mode.", old),
        ("it holds this batch's statistic itself: keep a running average of the batch "
         "statistics, weighted by the momentum.", batch),
    ] + unbiased)


def check_arrays_kept(before, name):
    """The arrays of a snapshot (fb.snapshot(bn_param=...)) were not written into."""
    for label, array, copy in before:
        if array.tobytes() != copy.tobytes():
            fail(f"{name} changed the array {label} it was given, in place (it held "
                 f"{copy.tolist()} and now holds {np.round(array, 6).tolist()}). Compute the new "
                 f"running statistic as a new array and store that in bn_param: *= and += write "
                 f"into the caller's array, which a gradient checker, or a model saved a step "
                 f"earlier, may still hold.")


def check_test_mode(out, want, train_out, before, bn_param, *, tol=1e-5, atol=0.0):
    """Test mode uses the running statistics and changes nothing."""
    def unchanged():
        for key, old in before.items():
            new = np.asarray(bn_param.get(key))
            if new.shape != old.shape or not np.array_equal(new, old):
                fail(f"test mode must not update the running statistics: bn_param['{key}'] was "
                     f"{old.tolist()} before the call and is {np.round(new, 6).tolist()} after it. "
                     f"Update them in training mode only (the normalization page's mistake 4).")

    def output():
        check("out", out, want, tol=tol, atol=atol, mistakes=[
            ("in test mode you normalized with the batch's own statistics. Use bn_param's "
             "running_mean and running_var: a prediction must not depend on the other samples of "
             "its batch (the normalization page's mistake 4).", train_out)])

    all_of(unchanged, output)


def param_shapes(name, dout_shape, want_shape, *, axis=0):
    """{wrong shape: message} for dgamma or dbeta (D,), summed over the batch index n."""
    N, D = dout_shape
    shapes = {tuple(dout_shape): (
        f"{name} has shape {tuple(dout_shape)}, the shape of dout: you did not sum over the "
        f"batch. gamma and beta are shared by the N = {N} samples, so sum over the batch index n "
        f"(axis 0).")}
    if N != D:
        for shape in ((N,), (N, 1), (1, N)):
            shapes[shape] = (f"{name} has shape {shape}, one number per sample: you summed over "
                             f"axis 1, the {D} features of each sample, instead of over the batch "
                             f"index n (axis 0). {name} has one entry per feature, like gamma.")
    for shape in ((D,), (1, D), (D, 1)):
        if shape != tuple(want_shape):
            shapes[shape] = (f"{name} has shape {shape}: the numbers may be right, but {name} must "
                             f"have the shape of gamma, {tuple(want_shape)}.")
    return shapes


def check_param_gradient(name, got, want, dout, *, tol=1e-6, atol=0.0):
    """dgamma or dbeta: a sum over the batch (a mean is 1/N of it)."""
    dout = np.asarray(dout)
    check(name, got, want, tol=tol, atol=atol, batch=dout.shape[0],
          shapes=param_shapes(name, dout.shape, np.shape(want)))


def _along(diff, xhat, atol):
    """diff = xhat * c, one number c per column, and not zero: a multiple of xhat feature by feature."""
    diff, xhat = np.asarray(diff, np.float64), np.asarray(xhat, np.float64)
    norms = (xhat * xhat).sum(axis=0)                     # (D,)
    if not np.all(norms > 0) or np.abs(diff).max() <= 10 * atol + 1e-12:
        return False
    c = (diff * xhat).sum(axis=0) / norms                 # (D,)
    rest = diff - xhat * c                                # (N, D)
    return np.abs(rest).max() <= 1e-6 * np.abs(diff).max() + atol


def check_batchnorm_dx(dx, want, xhat, *, tol=1e-6, atol=0.0):
    """dx of batch norm in training mode; the paths through the mean and the variance named.

    Without the mean's path, dx is the right one plus a constant per column (its columns no longer
    add up to 0); without the variance's path, it differs from the right one by a multiple of
    x-hat in each column. Both properties are tested on the student's dx, not on a formula.
    """
    got = as_array("dx", dx)
    want = np.asarray(want)
    mean_path = ("the columns of dx must add up to 0 (shifting a whole feature does not change "
                 "x-hat), and yours do not: dx minus its column means is right, so the path "
                 "through the mean mu is missing. x reaches the output through mu as well as "
                 "directly (node 1 of the graph): add dmu / N to every row.")
    variance_path = ("it differs from the right dx, feature by feature, by a multiple of x-hat: "
                     "the path through the variance is missing. xc = x - mu is used twice, in "
                     "x-hat = xc / sigma and in v = sum(xc ** 2) / N (nodes 3 and 4): add the "
                     "gradient that reaches xc through v.")
    if got.shape == want.shape and got.ndim == 2 and np.isfinite(got).all() \
            and not close(got, want, tol, atol):
        centered = got - got.mean(axis=0)
        if close(centered, want, tol, atol):
            fail("dx is wrong: " + mean_path)
        if _along(got - want, xhat, atol):
            fail("dx is wrong: " + variance_path)
        if _along(centered - want, xhat, atol):
            fail("dx is wrong: both other paths are missing. " + mean_path + " And " + variance_path)
    check("dx", got, want, tol=tol, atol=atol, shapes={tuple(np.shape(want))[::-1]: (
        f"dx has shape {got.shape} but x has shape {want.shape}: a transpose is missing.")})


GAMMA_OUTSIDE = ("it is what you get with gamma taken out of the sums over the features, in front "
                 "of the bracket as in batch normalization's closed form. In layer normalization "
                 "gamma_j changes along the summed index j, so it cannot leave the sums: multiply "
                 "dout by gamma first, then take the sums over the features (the normalization "
                 "page's exercise 5).")


def check_layernorm_dx(dx, want, *, gamma_outside=None, tol=1e-6, atol=0.0):
    """dx of layer norm; gamma_outside: the dx of the bracket with gamma in front (wrong)."""
    mistakes = [] if gamma_outside is None else [(GAMMA_OUTSIDE, gamma_outside)]
    check("dx", dx, want, tol=tol, atol=atol, mistakes=mistakes)


# ---------------------------------------------------------------------------------------------
# Softmax and attention
# ---------------------------------------------------------------------------------------------

def check_softmax_forward(p, want, *, tol=1e-6):
    """P sums to 1 over the last axis; a P whose other axis sums to 1 is named."""
    got = as_array("P", p)
    want = np.asarray(want)
    if got.shape == want.shape and got.ndim >= 2 and not close(got, want, tol) \
            and np.isfinite(got).all() and close(got.sum(axis=-2), np.ones(got.shape[:-2] + got.shape[-1:]), 1e-9):
        fail("P is wrong: its columns sum to 1 and its rows do not. softmax normalizes each row "
             "over the last axis (the C classes of the row, axis=-1), not over the rows (axis "
             "-2).")
    check("P", got, want, tol=tol)


def check_softmax_backward(dx, want, p, dout, *, tol=1e-6):
    """dx = P * (dout - one number per row): the element-wise Jacobian and the wrong axis named."""
    got = as_array("dx", dx)
    want = np.asarray(want)
    p, dout = np.asarray(p, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    if got.shape == want.shape and got.ndim >= 2 and np.all(p > 0) and np.isfinite(got).all() \
            and not close(got, want, tol):
        r = dout - got / p                                       # what was subtracted from dout
        per_row = np.allclose(r, r.mean(axis=-1, keepdims=True), rtol=1e-9, atol=1e-12)
        per_column = np.allclose(r, r.mean(axis=-2, keepdims=True), rtol=1e-9, atol=1e-12)
        if per_column and not per_row:
            fail("dx is wrong: the number you subtract from dout is one per column, a sum over the "
                 "rows (axis -2, or axis=0 without keepdims=True). It must be one per row: the "
                 "sum over the last axis, the classes of that row, with keepdims=True.")
    check("dx", got, want, tol=tol, mistakes=[
        ("you used only the diagonal of the Jacobian, p * (1 - p), as if softmax were applied "
         "entry by entry. Every output of a row depends on every input of the row: the Jacobian "
         "is diag(p) - p p^T, and dx = P * (dout - the row's sum of dout * P).",
         dout * p * (1 - p)),
    ])


NO_KEY_NAN = ("A query whose mask row is all False has every score -inf, and its softmax is "
              "0/0 = NaN. There is nothing for it to attend to: find such rows before the softmax "
              "and raise a ValueError that names them.")


def check_query_without_key(result, v, row, mask):
    """attention_forward with a mask row of all False must raise ValueError (result is None)."""
    if result is None:
        return
    out = np.asarray(result[0] if isinstance(result, (tuple, list)) else result, dtype=np.float64)
    if not np.isfinite(out).all():
        fail("attention_forward returned NaN for a query whose mask row is all False. " + NO_KEY_NAN)
    uniform = np.asarray(v, dtype=np.float64).mean(axis=-2)     # (..., dv): every key weighed alike
    if out.shape[-2] > row and close(out[..., row, :], uniform, 1e-6):
        fail(f"query {row} may attend to no key (its mask row is all False), yet attention_forward "
             f"returned the plain average of all the values: with a finite fill such as -1e9 "
             f"every score of the row is the same number, so the query attends uniformly to every "
             f"key, the masked ones included. Mask with -inf, and raise a ValueError for such a "
             f"query instead of returning a made-up output.")
    fail(f"attention_forward must raise a ValueError when a query may attend to no key (query "
         f"{row} of mask {np.asarray(mask).astype(int).tolist()}), not return an output.")


def check_attention_gradients(grads, want, *, d, q_shape, k_shape, v_shape, wrong=None, tol=1e-6,
                              atol=0.0):
    """dq, dk, dv: the missing 1/sqrt(d) and the missing transposes named.

    wrong: {"dk": dS Q / sqrt(d), "dv": P dO} where those have the right shape (self-attention).
    """
    wrong = wrong or {}
    dq, dk, dv = grads
    root = float(np.sqrt(d))
    scale = (f"it is sqrt(d) = {root:.4g} times the expected value: the forward pass divides the "
             f"scores by sqrt(d), so the backward pass multiplies dS by the same 1/sqrt(d): "
             f"dQ = dS K / sqrt(d) and dK = dS^T Q / sqrt(d).")
    no_t_dk = ("it is dS Q / sqrt(d): the transpose of dS is missing. Key j collects from every "
               "query i that looked at it, the sum over i of dS[i, j] q_i, which is dS^T Q "
               "(transpose the last two axes); with as many queries as keys the shapes cannot "
               "reveal it.")
    no_t_dv = ("it is P dO: the transpose of P is missing. Value j collects P[i, j] dO[i] from "
               "every query i, the sum over i, which is P^T dO (transpose the last two axes).")
    shape_dk = (f"dk has shape {tuple(q_shape[:-1]) + tuple(k_shape[-1:])} but k has shape "
                f"{tuple(k_shape)}: " + no_t_dk.split(": ", 1)[1])
    shape_dv = (f"dv has shape {tuple(q_shape[:-1]) + tuple(v_shape[-1:])} but v has shape "
                f"{tuple(v_shape)}: " + no_t_dv.split(": ", 1)[1])
    want_q, want_k, want_v = (np.asarray(a) for a in want)
    mistakes_k = [(scale, want_k * root)] + ([(no_t_dk, wrong["dk"])] if "dk" in wrong else [])
    mistakes_v = [(no_t_dv, wrong["dv"])] if "dv" in wrong else []
    all_of(
        lambda: check("dq", dq, want_q, of="q", tol=tol, atol=atol, mistakes=[(scale, want_q * root)]),
        lambda: check("dk", dk, want_k, of="k", tol=tol, atol=atol, mistakes=mistakes_k,
                      shapes={tuple(q_shape[:-1]) + tuple(k_shape[-1:]): shape_dk}
                      if tuple(q_shape) != tuple(k_shape) else None),
        lambda: check("dv", dv, want_v, of="v", tol=tol, atol=atol, mistakes=mistakes_v,
                      shapes={tuple(q_shape[:-1]) + tuple(v_shape[-1:]): shape_dv}
                      if q_shape[-2] != k_shape[-2] else None),
    )


BATCH_TRANSPOSE = ("For a batch of sequences an array has shape (N, T, d), and .T reverses every "
                   "axis, (d, T, N): transpose only the last two axes, np.swapaxes(a, -1, -2) (or "
                   "a.transpose(0, 2, 1)), so that each product is taken sequence by sequence.")


def check_masked_weights(p, mask):
    """Where mask is False the weight must be exactly 0: e^(-inf)."""
    p = as_array("P", p)
    try:
        hidden = ~np.broadcast_to(np.asarray(mask, dtype=bool), p.shape)
    except ValueError:
        fail(f"P has shape {p.shape}, which the mask of shape {np.shape(mask)} does not fit: P must "
             f"be the (..., Tq, Tk) weights of the scores.")
    if np.any(p[hidden] != 0):
        ix = tuple(int(i) for i in np.argwhere(hidden & (p != 0))[0])
        fail(f"the masked keys still receive weight: P{list(ix)} = {float(p[ix]):.6g} although the "
             f"mask is False there. Replace the masked scores by -inf before the softmax "
             f"(e^(-inf) = 0 exactly); multiplying the scores by the mask, or adding a moderate "
             f"negative number, leaves them a weight.")


# ---------------------------------------------------------------------------------------------
# Convolution and max-pooling
# ---------------------------------------------------------------------------------------------

def conv_out_shapes(out_shape, *, pad):
    """{wrong shape: message} for the output of a convolution: the size formula off by one."""
    N, F, Ho, Wo = out_shape
    formula = ("H' = 1 + (H + 2 * pad - HH) // stride: the filter starts at offset 0 and moves "
               "(H + 2 * pad - HH) // stride times, so there are that many positions plus the first")
    shapes = {(N, F, Ho - 1, Wo - 1): (
        f"out has shape {(N, F, Ho - 1, Wo - 1)} but must have {(N, F, Ho, Wo)}: one row and one "
        f"column too few, the output size is off by one. {formula}."),
        (N, F, Ho + 1, Wo + 1): (
        f"out has shape {(N, F, Ho + 1, Wo + 1)} but must have {(N, F, Ho, Wo)}: one row and one "
        f"column too many, the output size is off by one. {formula}.")}
    if pad:
        shapes.setdefault((N, F, Ho - 2 * pad, Wo - 2 * pad), (
            f"out has shape {(N, F, Ho - 2 * pad, Wo - 2 * pad)} but must have {(N, F, Ho, Wo)}: "
            f"the padding is missing. Pad x with {pad} zeros on each side of H and W first "
            f"(np.pad), and count it in the size, {formula}."))
    return shapes


FLIPPED = ("it is the convolution with each filter rotated by 180 degrees (a flipped filter). A "
           "convolutional layer, in cs231n and in every deep learning library, computes a "
           "correlation: out[n, f, i, j] sums x's window times w[f] as it is, with no flip.")


def window_counts(x_shape, F, HH, WW, stride, pad):
    """How many (filter, window) pairs each pixel of x is read by: geometry only, no values."""
    N, C, H, W = x_shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    counts = np.zeros((H + 2 * pad, W + 2 * pad))                # (H + 2 pad, W + 2 pad)
    for i in range(Ho):
        for j in range(Wo):
            counts[i * stride:i * stride + HH, j * stride:j * stride + WW] += F
    return counts[pad:pad + H, pad:pad + W]                      # (H, W)


def check_conv_dx(dx, want, *, counts, pad, x_shape, tol=1e-6, atol=0.0):
    """dx of the convolution: the overwritten windows and the wrong crop named.

    counts: window_counts for the layer. A dx that is right for every pixel read by one window
    of one filter and wrong where several overlap kept only the last contribution (= for +=).
    """
    got = as_array("dx", dx)
    want = np.asarray(want)
    N, C, H, W = x_shape
    crop = ("crop the pad rows and columns on each side of the padded gradient with a slice that "
            "also works for pad = 0.")
    shapes = {(N, C, 0, 0): (f"dx has shape {(N, C, 0, 0)}: the crop is empty. With pad = {pad}, "
                             f"a slice such as dxp[:, :, pad:-pad] is dxp[:, :, 0:0], because -0 "
                             f"is 0. So " + crop),
              (N, C, H + 2 * pad, W + 2 * pad): (
                  f"dx has shape {(N, C, H + 2 * pad, W + 2 * pad)}, the shape of the padded input: "
                  f"the zeros added around x are not inputs of the layer, and their gradient is "
                  f"dropped. So " + crop)}
    if pad:
        shapes[(N, C, H - 2 * pad, W - 2 * pad)] = (
            f"dx has shape {(N, C, H - 2 * pad, W - 2 * pad)}: {2 * pad} rows and columns too few, "
            f"you cropped the border twice. So " + crop)
    if got.shape == want.shape and np.isfinite(got).all() and not close(got, want, tol, atol):
        once = np.broadcast_to(counts == 1, want.shape)
        if once.any() and (~once).any() and close(got[once], want[once], tol, atol) \
                and not close(got[~once], want[~once], tol, atol):
            fail("dx is wrong: it is right for the pixels that only one window (of one filter) "
                 "reads and wrong where windows overlap or several filters read a pixel. Each "
                 "window adds its contribution dout[n, f, i, j] * w[f] to the pixels it covers "
                 "(eq. 6 sums over every window that contains the pixel); with = instead of += "
                 "only the last one stays.")
    check("dx", got, want, of="x", tol=tol, atol=atol, shapes=shapes)


def check_conv_db(db, want, *, positions, tol=1e-6):
    """db sums dout over n, i and j: one number per filter."""
    check("db", db, want, of="b", tol=tol, mistakes=[(
        f"it is 1/(N H' W') = 1/{positions} of the expected gradient: you averaged dout over the "
        f"batch and the positions instead of summing. b[f] is added at every position of every "
        f"image, so its gradient adds dout up over n, i and j.", np.asarray(want) / positions)])


POOL_SPREAD = ("every entry of a window received the window's upstream gradient. Only the largest "
               "entry gets it: the max moves with its arg-max at rate 1 and does not move with the "
               "others, so their derivative is 0.")
POOL_LAST = ("on a tie you sent the gradient to the last maximum of the window. This assignment, "
             "like np.argmax and the site's snippet, sends all of it to the first maximum in "
             "row-major order (the top-most, then the left-most). Either is a valid subgradient, "
             "but answers must agree.")
POOL_ALL_TIES = ("every tied maximum received all of the window's gradient, so that window passes "
                 "back twice its upstream gradient. Send it to one of them: the first maximum in "
                 "row-major order, as np.argmax picks it.")


def check_pool_dx(dx, want, *, spread=None, last=None, all_ties=None, tol=1e-6):
    """dx of max-pooling: wrong values of the same shape, passed in by the test, are named."""
    mistakes = [(text, value) for text, value in
                ((POOL_SPREAD, spread), (POOL_LAST, last), (POOL_ALL_TIES, all_ties))
                if value is not None]
    check("dx", dx, want, of="x", tol=tol, mistakes=mistakes)


# ---------------------------------------------------------------------------------------------
# Dropout and the residual block
# ---------------------------------------------------------------------------------------------

def check_dropout_out(out, want, *, p, kept_above=None, tol=1e-6):
    """The training-mode output of inverted dropout: the missing 1/p and the inverted keep test."""
    want = np.asarray(want)
    mistakes = [] if p == 1 else [
        (f"it is p = {p} times the expected value: the kept entries must be scaled by 1/p "
         f"(inverted dropout), so that the training output equals x on average and test mode "
         f"needs no change.", want * p)]
    if kept_above is not None:
        mistakes.append((
            f"it keeps the entries where u > p, a fraction 1 - p of them: in cs231n p is the "
            f"probability of keeping a unit, and an entry is kept where u < p.", kept_above))
    check("out", out, want, tol=tol, mistakes=mistakes)


def check_dropout_test_mode(out, x, *, p):
    """Test mode is the identity."""
    x = np.asarray(x)
    mistakes = [] if p == 1 else [
        (f"test mode must return x unchanged; yours is {p} x. With inverted dropout the 1/p is "
         f"applied in training, so the training output already equals x on average; scaling by p "
         f"at test time (vanilla dropout) shrinks every activation.", x * p),
        (f"test mode must return x unchanged; yours is x / {p}. The 1/p belongs to the training "
         f"mask only.", x / p)]
    check("out in test mode", out, x, mistakes=mistakes)


def check_dropout_dx(dx, want, mask, dout):
    """dx = dout * the cached mask; a dx built from a new draw is named."""
    got = as_array("dx", dx)
    mask, dout = np.asarray(mask), np.asarray(dout)
    if got.shape == mask.shape and np.isfinite(got).all() and not close(got, want, 1e-6) \
            and np.all(dout != 0):
        ratio = got / dout
        scale = mask.max() if mask.size else 0
        if np.all(np.isclose(ratio, 0) | np.isclose(ratio, scale)) and \
                not np.array_equal(ratio != 0, mask != 0):
            fail("dx is wrong: it is dout times a mask, but not the mask in the cache: a different "
                 "set of units is dropped. The backward pass must use the very mask the forward "
                 "pass drew (that is what the cache is for); a new draw differentiates a "
                 "different function.")
    check("dx", got, want, of="dout", mistakes=[
        ("it is dout times [mask > 0], without the 1/p: a kept unit passes 1/p times the "
         "upstream gradient, because the forward pass scaled it by 1/p.", dout * (mask != 0))])


def check_residual_gradients(grads, want, dout, *, no_relu=None, tol=1e-6):
    """(dx, dw1, db1, dw2, db2) of the residual block; the missing skip and relu' named.

    no_relu: (dx, dw1, db1) with relu' left out, the dead units' gradient let through."""
    names = ("dx", "dw1", "db1", "dw2", "db2")
    dout = np.asarray(dout, dtype=np.float64)
    want = [np.asarray(w) for w in want]
    skip = ("it is the branch's gradient alone: the skip path's gradient dout is missing. X feeds "
            "two paths, X itself and the branch F(X), and receives the sum of both gradients: "
            "dX = dY + (the branch's dX), so dY reaches X even where every unit is dead.")
    dead = ("the dead units (a <= 0) passed gradient back: multiply by relu'(a) = [a > 0] after "
            "the product with W2^T, so that a unit that output 0 passes nothing back.")
    mistakes = {"dx": [(skip, want[0] - dout)]}
    if no_relu is not None:
        for name, value in zip(names, no_relu):
            mistakes[name] = mistakes.get(name, []) + [(dead, value)]
    shapes = {"dw1": "w1", "dw2": "w2", "db1": "b1", "db2": "b2", "dx": "x"}
    all_of(*(lambda n=n, g=g, w=w: check(n, g, w, of=shapes[n], tol=tol, mistakes=mistakes.get(n, ()),
                                        batch=dout.shape[0])
             for n, g, w in zip(names, grads, want)))
