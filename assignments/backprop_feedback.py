"""Checks for the graded assignments: every failure says, in words a student can act on, what is wrong.

Used by the tests of every notebook in assignments/ (public and hidden alike), and shipped next
to the student notebook and inside each autograder zip. It never holds a reference solution:
the tests pass the expected values in (numbers worked out on the site's pages, or the site's
snippets in the hidden tests). What it knows are the *wrong* answers students really write,
from the bias-broadcast gallery and the planted bugs of the gradient-checking page, so that a
wrong array can be named ("db is 1/N of the expected gradient: ...") instead of reported as
"assertion failed".
"""
import math
import warnings

import numpy as np


class Feedback(AssertionError):
    """A failed check; its message is what the student reads."""


def fail(message):
    raise Feedback(message)


def _arrays_in(value, label):
    """(label, array) for every ndarray inside value (tuples, lists and dicts are searched)."""
    if isinstance(value, np.ndarray):
        yield label, value
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _arrays_in(item, f"{label}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arrays_in(item, f"{label}[{key!r}]")


def _describe(value):
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return f"{value.tolist()} ({value.dtype})"
        return f"an array of shape {value.shape} ({value.dtype})"
    if isinstance(value, tuple):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    return repr(value)


def snapshot(**named):
    """(label, array, copy) for every array inside the named values: see check_unchanged."""
    return [(label, a, a.copy()) for key, value in named.items() for label, a in _arrays_in(value, key)]


def check_unchanged(before, name, hint=""):
    """Every array of a snapshot still holds what it held: a layer never writes into its inputs."""
    for label, array, copy in before:
        if array.shape != copy.shape or array.dtype != copy.dtype or \
                array.tobytes() != copy.tobytes():
            fail(hint or f"{name} changed its input {label}: a layer must never modify the arrays it "
                 f"is given (the caller, and a gradient checker, still need them). Work on a copy, "
                 f"e.g. x.reshape(...) or dout.copy(), instead of writing into {label}.")


def call(fn, name, *args, float_error_hint="", error_hint="", unchanged=True, expect=(), **named):
    """Call the student's `name` with the arrays in `named` (positionally, in order).

    A function that is missing or not written yet, that raises, that makes numpy overflow or
    divide by zero, or that changes one of its inputs fails with a message saying so;
    error_hint is added when it raises. unchanged=False skips the check that the inputs are
    left as they were (for a gradient checker, whose job is to perturb x and put it back).
    expect: exception types the function is meant to raise here; then call returns None.
    """
    if not callable(fn):
        fail(f"{name} is not defined: run the cell that defines it (and every cell above it).")
    inputs = list(named.items())
    before = snapshot(**named) if unchanged else []
    shown = ", ".join(f"{key} = {_describe(value)}" for key, value in inputs)
    try:
        with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise",
                                                    under="ignore"):
            warnings.simplefilter("error", RuntimeWarning)
            result = fn(*args, *(value for _, value in inputs))
    except Feedback:
        raise
    except (FloatingPointError, RuntimeWarning) as err:
        fail(f"{name} produced a floating-point error ({err}) for {shown}. {float_error_hint}".strip())
    except NotImplementedError:
        fail(f"{name} is not written yet (it raises NotImplementedError).")
    except NameError as err:
        fail(f"{name} is not finished: {err} (called with {shown}).")
    except expect:
        return None
    except Exception as err:  # the student's own bug: report it, do not crash the grader
        fail(f"{name} raised {type(err).__name__}: {err} (called with {shown}). {error_hint}".strip())
    if result is None or result is Ellipsis:
        fail(f"{name} returned {result!r}: it is not written yet, or a return statement is missing.")
    check_unchanged(before, name)
    return result


def all_of(*checks):
    """Run every check (functions of no argument) and report all the failures together."""
    failures = []
    for run_check in checks:
        try:
            run_check()
        except Feedback as err:
            failures.extend(getattr(err, "parts", None) or [str(err)])   # nested all_of: flat
    if len(failures) == 1:
        fail(failures[0])
    if failures:
        err = Feedback("\n".join(f"({i}) {message}" for i, message in enumerate(failures, start=1)))
        err.parts = failures
        raise err


class replaced:
    """Temporarily give the notebook's globals `env` other values (restored afterwards).

    A hidden test grades one question on its own by running the student's function with the
    site's versions of the functions it calls, so that one mistake costs points only once.
    """

    def __init__(self, env, **values):
        self.env, self.values = env, values

    def __enter__(self):
        self.saved = {k: self.env[k] for k in self.values if k in self.env}
        self.env.update(self.values)

    def __exit__(self, *exc):
        for key in self.values:
            self.env.pop(key, None)
        self.env.update(self.saved)


def unpack(result, name, names):
    """Split a returned tuple into its parts, with a message if the count is wrong."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a {type(result).__name__} of length {len(result)}" \
            if isinstance(result, (tuple, list)) else f"a {type(result).__name__}"
        fail(f"{name} must return a tuple ({', '.join(names)}), got {got}.")
    return result


def as_array(what, value):
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return np.asarray(value)
    if not isinstance(value, np.ndarray):
        fail(f"{what} must be a numpy array, got {type(value).__name__}.")
    if not np.issubdtype(value.dtype, np.floating):
        fail(f"{what} must be a float array, got dtype {value.dtype}.")
    return value


def expect_shape(what, got, shape, *, of=None, shapes=None):
    """Only the shape of `got` is checked (when the numbers are checked elsewhere)."""
    got = as_array(what, got)
    shape = tuple(shape)
    if got.shape != shape:
        _shape_failure(what, got.shape, shape, of, shapes)
    return got


def _shape_failure(what, got, want, of, shapes):
    if shapes and got in shapes:
        fail(shapes[got])
    like = f"the shape of {of}, {want}" if of else f"shape {want}"
    if len(got) == 2 and got == want[::-1]:
        fail(f"{what} has shape {got} but must have {like}: a transpose is missing (or the "
             f"product is in the wrong order).")
    fail(f"{what} has shape {got} but must have {like}.")


def rel_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), entry by entry (cs231n's measure)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def close(a, b, tol, atol=0.0):
    """Relative error below tol, entry by entry; an entry within atol of its target passes too
    (for targets worked out by hand with epsilon neglected, where some entries are near 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    if not atol:
        return rel_error(a, b) < tol
    far = ~(np.abs(a - b) <= atol)              # NaN is far from everything
    return not far.any() or rel_error(a[far], b[far]) < tol


def _scale(got, want):
    """c if got == c * want for one number c (to 1e-6), else None."""
    g, w = np.asarray(got, np.float64).ravel(), np.asarray(want, np.float64).ravel()
    if g.shape != w.shape or not np.any(w):
        return None
    c = float(g @ w / (w @ w))
    return c if close(g, c * w, 1e-6) else None


def _worst(got, want):
    g, w = np.asarray(got, np.float64), np.asarray(want, np.float64)
    err = np.abs(g - w) / np.maximum(1e-8, np.abs(g) + np.abs(w))
    ix = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    where = f" at index {tuple(int(i) for i in ix)}" if ix else ""
    return f"relative error {float(err.max()):.2g}; worst entry{where}: expected {w[ix]:.6g}, got {g[ix]:.6g}"


def check(what, got, want, *, of=None, tol=1e-6, atol=0.0, mistakes=(), shapes=None, batch=None,
          mean_loss=False, hint=""):
    """`got` must equal `want` to relative error `tol`; otherwise name the mistake.

    what: the name of the result ("dw"); of: the variable whose shape it must have ("w").
    mistakes: (message, wrong_value) pairs, tried in order on a wrong result of the right shape.
    shapes: {wrong_shape: message} for results of a telltale wrong shape.
    batch: N, to recognise a stray or missing factor 1/N; mean_loss: whether the loss averages
    over the batch (then a factor 1/N in a layer means dividing by N twice). atol: see close().
    """
    got = as_array(what, got)
    want = np.asarray(want)
    if got.dtype != want.dtype and np.issubdtype(want.dtype, np.floating):
        fail(f"{what} has dtype {got.dtype}, but the inputs were {want.dtype}: keep the dtype of the "
             f"inputs (float32 in, float32 out); do not create arrays with a fixed dtype.")
    if got.shape != want.shape:
        _shape_failure(what, got.shape, want.shape, of, shapes)
    if close(got, want, tol, atol):
        return
    if not np.isfinite(got).all():
        fail(f"{what} contains NaN or inf; {_worst(np.nan_to_num(got), want)}.")
    for message, wrong in mistakes:
        wrong = np.asarray(wrong)
        if wrong.shape == got.shape and close(got, wrong, 1e-6, atol) and \
                not close(wrong, want, tol, atol):
            fail(f"{what} is wrong: {message}")
    c = _scale(got, want)
    if c is not None and batch and batch > 1 and math.isclose(c, 1 / batch, rel_tol=1e-6):
        if mean_loss:
            fail(f"{what} is 1/N of the expected gradient (N = {batch}): you divided by N twice. "
                 f"The mean loss already put the factor 1/N into dY; every layer below the loss "
                 f"sums over the batch.")
        fail(f"{what} is 1/N of the expected gradient (N = {batch}): you averaged over the batch "
             f"instead of summing. The parameter is shared by all N samples, and the chain rule "
             f"adds their contributions (divide by N only in the loss, if it is a mean).")
    if c is not None and batch and batch > 1 and math.isclose(c, batch, rel_tol=1e-6):
        fail(f"{what} is N times the expected value (N = {batch}): the loss is a mean over the "
             f"N samples, so its gradient carries a factor 1/N.")
    if c is not None and math.isclose(c, -1.0, rel_tol=1e-6):
        fail(f"{what} has the wrong sign: it is minus the expected value.")
    if c is not None and abs(c) > 1e-12:
        fail(f"{what} is {c:.4g} times the expected value: a constant factor is wrong.")
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got, want.T, tol):
        fail(f"{what} is the transpose of the expected value: the factors of the product are in "
             f"the wrong order, or a transpose is missing (the shapes cannot tell when they are "
             f"square).")
    fail(f"{what} is wrong: {_worst(got, want)}. {hint}".strip())


# ---------------------------------------------------------------------------------------------
# What is known about the gradients of an affine layer Y = XW + b (rows) or Z = WA + b (columns)
# ---------------------------------------------------------------------------------------------

def bias_shapes(dout, b_shape, *, batch_axis=0, name="db", upstream="dout"):
    """{wrong shape: message} for a bias gradient: the shapes of the bias-broadcast gallery."""
    N, M = dout.shape[batch_axis], dout.shape[1 - batch_axis]
    b_shape = tuple(b_shape)
    batch, other = f"axis {batch_axis}", f"axis {1 - batch_axis}"
    shapes = {dout.shape: (
        f"{name} has shape {dout.shape}, the shape of {upstream}: you returned {upstream} "
        f"without summing it. That is the gradient of a separate bias for every sample; b is shared by all "
        f"N = {N} samples, so sum over the batch index n ({batch}).")}
    if N != M:
        for shape in ((N,), (N, 1), (1, N)):
            shapes[shape] = (f"{name} has shape {shape}, one number per sample: "
                             + wrong_axis_words(M, batch, other))
    for shape in ((M,), (1, M), (M, 1)):
        if shape != b_shape:
            broadcast = ""
            if {shape, b_shape} == {(M,), (M, 1)}:
                broadcast = (f" An update b - lr * {name} would silently broadcast ({M}, 1) "
                             f"against ({M},) into an ({M}, {M}) matrix.")
            shapes[shape] = (f"{name} has shape {shape}, but b has shape {b_shape}: the numbers "
                             f"may be right, but {name} must have b's shape {b_shape}.{broadcast} "
                             f"Sum with keepdims=True on the batch axis, or reshape: "
                             f"{name}.reshape(b.shape).")
    return shapes


def wrong_axis_words(M, batch, other):
    return (f"you summed over {other}, the {M} outputs of each sample, instead of over the "
            f"batch index n ({batch}): one number per sample, not one per bias.")


def check_bias_gradient(db, want, dout, b_shape, *, batch_axis=0, mean_loss=False, name="db",
                        upstream="dout"):
    """The five mistakes of the bias-broadcast gallery, for dout with the batch on `batch_axis`."""
    N, M = dout.shape[batch_axis], dout.shape[1 - batch_axis]
    mistakes = []
    if N == M:
        mistakes.append((wrong_axis_words(M, f"axis {batch_axis}", f"axis {1 - batch_axis}")
                         + f" (With N = M = {N} the shapes cannot reveal it.)",
                         dout.sum(axis=1 - batch_axis).reshape(np.shape(want))))
    shapes = bias_shapes(dout, b_shape, batch_axis=batch_axis, name=name, upstream=upstream)
    check(name, db, want, of="b", shapes=shapes,
          mistakes=mistakes, batch=N, mean_loss=mean_loss)


def weight_shapes(w_shape, name="dw", of="w"):
    w_shape = tuple(w_shape)
    return {w_shape[::-1]: (f"{name} has shape {w_shape[::-1]} but {of} has shape {w_shape}: you "
                            f"computed the transpose of the gradient (for example dout.T @ x "
                            f"instead of x.T @ dout); {name} must have the shape of {of}.")}


def input_shapes(x_shape, name="dx"):
    x_shape = tuple(x_shape)
    N, D = x_shape[0], math.prod(x_shape[1:])
    if len(x_shape) <= 2:
        return {}
    return {(N, D): (f"{name} must have x's shape {x_shape}, got ({N}, {D}): reshape the "
                     f"({N}, {D}) product back to x.shape.")}


def check_weight_gradient(dw, want, N, *, mean_loss=False, name="dw", of="w"):
    """A missing transpose (dw = dout.T @ x) and a stray mean (dw = x.T @ dout / N)."""
    transposed = (f"you computed the transpose of the gradient (for example dout.T @ x instead "
                  f"of x.T @ dout); {name} must have the shape of {of}.")
    shapes = weight_shapes(np.shape(want), name, of) if np.ndim(want) == 2 else None
    mistakes = [(transposed, np.asarray(want).T)] if np.ndim(want) == 2 else []
    check(name, dw, want, of=of, shapes=shapes, mistakes=mistakes, batch=N, mean_loss=mean_loss)


def check_input_gradient(dx, want, x_shape, *, w=None, dout=None, name="dx", of="x"):
    """dx must come back in x's own shape; dx = dout @ w forgets the transpose of w."""
    shapes = input_shapes(x_shape, name)
    mistakes = []
    if w is not None and dout is not None and w.shape[0] == w.shape[1]:
        mistakes.append(("the transpose of w is missing (dout @ w instead of dout @ w.T); with a "
                         "square w the shapes cannot reveal it.",
                         (dout @ w).reshape(np.shape(want))))
    check(name, dx, want, of=of, shapes=shapes, mistakes=mistakes)


# ---------------------------------------------------------------------------------------------
# Activations and losses
# ---------------------------------------------------------------------------------------------

OVERFLOW_SIGMOID = ("The formula 1 / (1 + e^(-x)) overflows for large negative x: e^1000 is inf "
                    "in floating point. Exponentiate only numbers that are <= 0 (-|x| never "
                    "overflows), and write sigma(x) for x >= 0 and for x < 0 each in a form that "
                    "uses that exponential (the activations page shows both).")
OVERFLOW_SOFTMAX = ("The exponential of a large score overflows (e^710 is already inf). Subtract "
                    "each row's maximum before exponentiating: softmax does not change when one "
                    "number is subtracted from a whole row, and every exponent is then <= 0.")


def check_sigmoid_backward(dx, want, s, dout):
    again = 1 / (1 + np.exp(-s))             # s is in [0, 1]: this cannot overflow
    check("dx", dx, want, of="dout", mistakes=[
        ("you applied the sigmoid again to the cached output: the cache holds s = sigma(x), and "
         "sigma'(x) = s (1 - s) needs no further sigmoid.", dout * again * (1 - again)),
        ("dx does not depend on dout: multiply the local derivative s (1 - s) by dout "
         "(chain rule).", s * (1 - s)),
    ])


def check_relu_backward(dx, want, x, dout):
    check("dx", dx, want, of="x", mistakes=[
        ("at x = 0 the derivative of max(0, x) is taken to be 0 here (as in cs231n and on the "
         "site): use x > 0, not x >= 0.", dout * (x >= 0)),
        ("dx does not depend on dout: multiply the mask [x > 0] by dout (chain rule).",
         (x > 0).astype(x.dtype)),
    ])


def check_softmax_loss(loss, dx, want_loss, want_dx, x, y, column_shifted=(None, None)):
    """loss and dx of the mean softmax cross-entropy, with its usual mistakes named.

    column_shifted: (loss, dx) of the correct formula applied to x - x.max(axis=0), which is
    what a max taken over the wrong axis computes (the hidden tests pass it in).
    """
    N = x.shape[0]
    column_max = ("you subtracted the maximum over axis 0 (of each class, over the samples) "
                  "instead of each row's maximum (axis 1). Softmax is unchanged when one number "
                  "is subtracted from a whole row, not when each class gets its own shift.")
    wrong_loss, wrong_dx = column_shifted

    def check_loss():
        got = as_array("the loss", loss)
        if got.size != 1:
            fail(f"the loss must be one number, got an array of shape {got.shape}.")
        got = float(got)
        if math.isclose(got, want_loss, rel_tol=1e-6, abs_tol=1e-9):
            return
        if wrong_loss is not None and math.isclose(got, wrong_loss, rel_tol=1e-6) and \
                not math.isclose(wrong_loss, want_loss, rel_tol=1e-6):
            fail(f"the loss is wrong: {column_max}")
        if N > 1 and math.isclose(got, N * want_loss, rel_tol=1e-6):
            fail(f"the loss is N times too large (N = {N}): it is the mean over the N samples, "
                 f"not the sum.")
        fail(f"the loss is wrong: expected {want_loss:.6g}, got {got:.6g}.")

    onehot = np.zeros_like(want_dx)
    onehot[np.arange(N), y] = 1
    mistakes = [("you did not subtract the one-hot labels: dx = (softmax(x) - onehot(y)) / N.",
                 want_dx + onehot / N)]
    if wrong_dx is not None:
        mistakes.append((column_max, wrong_dx))
    all_of(check_loss, lambda: check("dx", dx, want_dx, of="x", batch=N, mistakes=mistakes))


def check_numerical_gradient(grad, want, *, x, h, one_sided, name="the numerical gradient"):
    """A hand-written centered-difference checker: its usual mistakes, by their signatures."""
    check(name, grad, want, of="x", tol=1e-9, mistakes=[
        (f"it is the one-sided difference (f(x + h) - f(x)) / h, whose error is O(h); use the "
         f"centered (f(x + h) - f(x - h)) / (2h), whose error is O(h^2).", one_sided),
        ("it is twice the centered difference: divide f(x + h) - f(x - h) by 2h, not by h.",
         2 * np.asarray(want)),
    ], hint=f"(for x = {_describe(x)}, h = {h})")


def check_restored(x, before, name):
    """After a gradient check, x must hold exactly the bits it held before."""
    if x.tobytes() == before.tobytes():
        return
    ix = next(i for i in np.ndindex(x.shape) if x[i].tobytes() != before[i].tobytes())
    fail(f"{name} did not put x back bit for bit: x{list(ix)} is {x[ix]!r}, it was {before[ix]!r}. "
         f"Save the old value and assign it back (x[i] = old); undoing the step with arithmetic "
         f"(x[i] -= 2 * h, then x[i] += h) does not round-trip in floating point.")


# ---------------------------------------------------------------------------------------------
# Networks: the delta recursion
# ---------------------------------------------------------------------------------------------

def check_output_delta(delta, want, a, y, name="delta3"):
    """delta = (a - y) * a * (1 - a) for a sigmoid output and the squared error."""
    check(name, delta, want, mistakes=[
        (f"the factor sigma'(z) = a (1 - a) of the sigmoid output is missing: {name} = dL/dz, "
         f"not dL/da = a - y.", a - y),
    ])


def check_hidden_delta(delta, want, z, name="delta2"):
    """A delta that is right where z > 0 and wrong elsewhere forgot relu'(z)."""
    delta = as_array(name, delta)
    if delta.shape == np.shape(want) and not close(delta, want, 1e-6):
        live = np.asarray(z) > 0
        if close(delta[live], np.asarray(want)[live], 1e-6):
            fail(f"{name} is right for the units with z > 0 and wrong for the dead ones (z <= 0): "
                 f"multiply by relu'(z) = [z > 0], so that no gradient flows through a unit that "
                 f"output 0.")
    check(name, delta, want)
