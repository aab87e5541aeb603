"""No public function of any snippet writes into an array it was given.

Gradient checkers perturb an input in place and put it back; a layer that edits its
input or its cache corrupts every later step without an error. One generic test,
parametrized over every public function and method the snippet modules define
(found by walking the modules, so a new function without a recipe below fails):
it calls the function on fresh arrays and asserts that every array it was handed,
at any depth of lists, tuples and dicts (the caches of backward functions included),
is bit for bit what it was: same shape, same dtype, equal values and equal bytes
(bytes also catch -0.0 turning into 0.0, which == cannot see). The module-level
arrays of the snippets (the 2-3-2 network's parameters) are watched as well.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest

SNIPPETS = Path(__file__).resolve().parent.parent / "snippets"
MODULES = [importlib.import_module(path.stem) for path in sorted(SNIPPETS.glob("*.py"))]


def public_functions() -> dict:
    """{"module.function": f, "module.Class.method": f} for everything public a snippet defines."""
    found = {}
    for module in MODULES:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj):
                for attr in vars(obj):
                    if not attr.startswith("_") and callable(getattr(obj, attr)):
                        found[f"{module.__name__}.{name}.{attr}"] = getattr(obj, attr)
            elif callable(obj):
                found[f"{module.__name__}.{name}"] = obj
    return found


def fresh(*shape, seed=0):
    """Random float64 values with a -0.0 in the first entry (it must stay -0.0)."""
    a = np.random.default_rng(seed + sum(shape)).standard_normal(shape)   # shape
    a.flat[0] = -0.0
    return a


def mod(name):
    return importlib.import_module(name)


relu = lambda z: np.maximum(z, 0)
relu_prime = lambda z: (z > 0).astype(z.dtype)


def layers():
    """W^(1) (3, 2), W^(2) (2, 3), biases as columns, a batch x (2, 4), targets y (2, 4)."""
    return [fresh(3, 2), fresh(2, 3, seed=1)], [fresh(3, 1), fresh(2, 1, seed=1)], fresh(2, 4), fresh(2, 4, seed=2)


def forward_then(forward, backward, *shapes, dout_shape):
    """A backward call: a forward pass on fresh arrays of these shapes makes the cache;
    the forward's inputs are watched too."""
    def recipe():
        inputs = tuple(fresh(*shape, seed=i) for i, shape in enumerate(shapes))
        _, cache = forward(*inputs)
        return backward, (fresh(*dout_shape, seed=5), cache), {}, inputs
    return recipe


def activation_recipes():
    act = mod("activations")
    pairs = {"sigmoid": act.Sigmoid, "tanh": act.Tanh, "relu": act.Relu, "leaky_relu": None, "square": None}
    recipes = {}
    for name, cls in pairs.items():
        fwd, bwd = getattr(act, f"{name}_forward"), getattr(act, f"{name}_backward")
        recipes[f"activations.{name}_forward"] = lambda fwd=fwd: (fwd, (fresh(2, 3),), {}, ())
        recipes[f"activations.{name}_backward"] = forward_then(fwd, bwd, (2, 3), dout_shape=(2, 3))
        if cls is not None:
            recipes[f"activations.{cls.__name__}.forward"] = lambda cls=cls: (cls().forward, (fresh(2, 3),), {}, ())
            recipes[f"activations.{cls.__name__}.backward"] = forward_then(
                cls().forward, cls().backward, (2, 3), dout_shape=(2, 3))
    recipes["activations.LeakyRelu.forward"] = lambda: (act.LeakyRelu(0.1).forward, (fresh(2, 3),), {}, ())
    recipes["activations.LeakyRelu.backward"] = forward_then(
        act.LeakyRelu(0.1).forward, act.LeakyRelu.backward, (2, 3), dout_shape=(2, 3))
    return recipes


def network_backward_recipe():
    net = mod("two_three_two")
    x, y = fresh(2, 5), fresh(2, 5, seed=1)
    params = (fresh(3, 2), fresh(3), fresh(2, 3, seed=2), fresh(2, seed=3))
    _, cache = net.network_forward(x, y, *params)
    return net.network_backward, (cache,), {}, (x, y, params)


def normalization_recipes():
    """Batch, layer, spatial and group normalization.

    bn_param is the one documented exception to "no input is changed": in training mode
    batchnorm_forward replaces its 'running_mean' and 'running_var' entries with new arrays,
    as cs231n's starter code does. The arrays it held are inputs like any other and must come
    back bit for bit, so the recipes hand over running statistics and watch them.
    """
    bn, ln = mod("batchnorm"), mod("layernorm")

    def bn_param(D, mode="train"):
        return {"mode": mode, "running_mean": fresh(D, seed=7), "running_var": np.abs(fresh(D, seed=8))}

    def bn_train(x, g, b):
        return bn.batchnorm_forward(x, g, b, bn_param(x.shape[1]))

    def bn_test(x, g, b):
        return bn.batchnorm_forward(x, g, b, bn_param(x.shape[1], "test"))

    def sbn(x, g, b):
        return bn.spatial_batchnorm_forward(x, g, b, bn_param(x.shape[1]))

    def gn(x, g, b):
        return ln.spatial_groupnorm_forward(x, g, b, 2, {"eps": 1e-5})

    def ln_forward(x, g, b):
        return ln.layernorm_forward(x, g, b, {"eps": 1e-5})

    return {
        "batchnorm.batchnorm_forward": lambda: (bn.batchnorm_forward, (fresh(4, 3), fresh(3), fresh(1, 3), bn_param(3)),
                                                {}, ()),
        "batchnorm.batchnorm_backward": forward_then(bn_train, bn.batchnorm_backward, (4, 3), (3,), (3,),
                                                     dout_shape=(4, 3)),
        "batchnorm.batchnorm_backward_alt": forward_then(bn_test, bn.batchnorm_backward_alt, (4, 3), (1, 3), (3,),
                                                         dout_shape=(4, 3)),
        "batchnorm.spatial_batchnorm_forward": lambda: (bn.spatial_batchnorm_forward,
                                                        (fresh(2, 3, 2, 2), fresh(3), fresh(3), bn_param(3)), {}, ()),
        "batchnorm.spatial_batchnorm_backward": forward_then(sbn, bn.spatial_batchnorm_backward, (2, 3, 2, 2), (3,),
                                                             (1, 3, 1, 1), dout_shape=(2, 3, 2, 2)),
        "layernorm.layernorm_forward": lambda: (ln.layernorm_forward, (fresh(4, 3), fresh(3), fresh(3), {"eps": 1e-5}),
                                                {}, ()),
        "layernorm.layernorm_backward": forward_then(ln_forward, ln.layernorm_backward, (4, 3), (3,), (1, 3),
                                                     dout_shape=(4, 3)),
        "layernorm.spatial_groupnorm_forward": lambda: (ln.spatial_groupnorm_forward,
                                                        (fresh(2, 4, 2, 3), fresh(1, 4, 1, 1), fresh(4), 2, {}), {}, ()),
        "layernorm.spatial_groupnorm_backward": forward_then(gn, ln.spatial_groupnorm_backward, (2, 4, 2, 3),
                                                             (1, 4, 1, 1), (1, 4, 1, 1), dout_shape=(2, 4, 2, 3)),
    }


def softmax_recipes():
    sm = mod("softmax")
    recipes = {}
    for name in ("softmax", "log_softmax"):
        fwd, bwd = getattr(sm, f"{name}_forward"), getattr(sm, f"{name}_backward")
        recipes[f"softmax.{name}_forward"] = lambda fwd=fwd: (fwd, (fresh(2, 3, 4),), {}, ())
        recipes[f"softmax.{name}_backward"] = forward_then(fwd, bwd, (2, 3, 4), dout_shape=(2, 3, 4))
    return recipes


def attention_recipes():
    at = mod("attention")
    causal = np.tril(np.ones((3, 3), dtype=bool))                       # (T, T)
    mask = np.ones((2, 3, 5), dtype=bool)                               # (N, Tq, Tk)
    mask[:, :, 1] = False
    mh_args = lambda: (fresh(2, 3, 4), fresh(4, 4, seed=1), fresh(4, 4, seed=2), fresh(4, 6, seed=3),
                       fresh(6, 5, seed=4), 2, causal.copy())           # x, wq, wk, wv, wo, heads, mask

    def multihead_backward():
        args = mh_args()
        _, cache = at.multihead_attention_forward(*args)
        return at.multihead_attention_backward, (fresh(2, 3, 5, seed=5), cache), {}, args

    return {
        "attention.attention_forward": lambda: (at.attention_forward, (fresh(2, 3, 4), fresh(2, 5, 4, seed=1),
                                                                        fresh(2, 5, 2, seed=2), mask.copy()), {}, ()),
        "attention.attention_backward": forward_then(at.attention_forward, at.attention_backward,
                                                     (2, 3, 4), (2, 5, 4), (2, 5, 2), dout_shape=(2, 3, 2)),
        "attention.multihead_attention_forward": lambda: (at.multihead_attention_forward, mh_args(), {}, ()),
        "attention.multihead_attention_backward": multihead_backward,
    }


def sum_of_sines(x):
    return float(np.sum(np.sin(x)))


def mlp_recipe(name):
    """A call of jvp_vjp.<name> on the cache of a forward pass; the forward's inputs are watched too."""
    def recipe():
        m = mod("jvp_vjp")
        inputs = (fresh(4, 3), fresh(3, 5, seed=1), fresh(5, 2, seed=2), fresh(4, 2, seed=3))  # X, W1, W2, T
        _, cache = m.mlp_forward(*inputs)
        args = {"mlp_jvp": (fresh(3, 5, seed=4), fresh(5, 2, seed=5), cache),
                "mlp_vjp": (0.5, cache)}.get(name, (cache,))   # 0.5: an in-place scaling would show
        return getattr(m, name), args, {}, inputs
    return recipe


def conv_recipes():
    """Both convolutions (x (2, 3, 5, 7), 3 x 3 filters, stride 2, pad 1), im2col/col2im, max-pooling."""
    conv, i2c, pool = mod("convolution"), mod("im2col"), mod("pooling")
    inputs = lambda: (fresh(2, 3, 5, 7), fresh(4, 3, 3, 3, seed=1), fresh(4, seed=2), {"stride": 2, "pad": 1})
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

    def backward_recipe(forward, backward, make_inputs):
        def recipe():
            args = make_inputs()
            out, cache = forward(*args)
            return backward, (fresh(*out.shape, seed=5), cache), {}, args
        return recipe

    return {
        "convolution.conv_forward_naive": lambda: (conv.conv_forward_naive, inputs(), {}, ()),
        "convolution.conv_backward_naive": backward_recipe(conv.conv_forward_naive, conv.conv_backward_naive, inputs),
        "im2col.conv_forward_im2col": lambda: (i2c.conv_forward_im2col, inputs(), {}, ()),
        "im2col.conv_backward_im2col": backward_recipe(i2c.conv_forward_im2col, i2c.conv_backward_im2col, inputs),
        "im2col.im2col": lambda: (i2c.im2col, (fresh(2, 3, 5, 7), 3, 3, 2, 1), {}, ()),
        "im2col.col2im": lambda: (i2c.col2im, (fresh(24, 27), (2, 3, 5, 7), 3, 3, 2, 1), {}, ()),
        "pooling.max_pool_forward_naive": lambda: (pool.max_pool_forward_naive, (fresh(2, 3, 4, 6), pool_param), {}, ()),
        "pooling.max_pool_backward_naive": backward_recipe(pool.max_pool_forward_naive, pool.max_pool_backward_naive,
                                                           lambda: (fresh(2, 3, 4, 6), dict(pool_param))),
    }


RECIPES = {
    # name: () -> (function, args, kwargs, other arrays to watch)
    "affine.affine_forward": lambda: (mod("affine").affine_forward, (fresh(4, 2, 3), fresh(6, 5), fresh(5)), {}, ()),
    "affine.affine_backward": forward_then(mod("affine").affine_forward, mod("affine").affine_backward,
                                           (4, 2, 3), (6, 5), (5,), dout_shape=(4, 5)),
    **activation_recipes(),
    "bias_gradient.bias_forward": lambda: (mod("bias_gradient").bias_forward, (fresh(4, 3), fresh(1, 3)), {}, ()),
    "bias_gradient.bias_backward": forward_then(mod("bias_gradient").bias_forward, mod("bias_gradient").bias_backward,
                                                (4, 3), (3,), dout_shape=(4, 3)),
    "losses.sum_loss": lambda: (mod("losses").sum_loss, (fresh(3, 4),), {}, ()),
    "losses.mse_loss": lambda: (mod("losses").mse_loss, (fresh(3, 4), fresh(3, 4, seed=1)), {}, ()),
    "losses.softmax_loss": lambda: (mod("losses").softmax_loss, (fresh(3, 4), np.array([3, 0, 1])), {}, ()),
    "delta.forward": lambda: (mod("delta").forward, (*layers()[:3], relu), {}, ()),
    "delta.backprop": lambda: (mod("delta").backprop, (*layers(), relu, relu_prime), {}, ()),
    "two_three_two.sigmoid": lambda: (mod("two_three_two").sigmoid, (fresh(3, 4) * 50,), {}, ()),
    "two_three_two.network_forward": lambda: (mod("two_three_two").network_forward,
                                              (fresh(2, 5), fresh(2, 5, seed=1), fresh(3, 2), fresh(3),
                                               fresh(2, 3, seed=2), fresh(2, seed=3)), {}, ()),
    "two_three_two.network_backward": network_backward_recipe,
    "gradient_check.eval_numerical_gradient": lambda: (mod("gradient_check").eval_numerical_gradient,
                                                       (sum_of_sines, fresh(3, 4)), {"verbose": False}, ()),
    "gradient_check.eval_numerical_gradient_array": lambda: (mod("gradient_check").eval_numerical_gradient_array,
                                                             (np.sin, fresh(3, 4), fresh(3, 4, seed=1)), {}, ()),
    "gradient_check.rel_error": lambda: (mod("gradient_check").rel_error, (fresh(3, 4), fresh(3, 4, seed=1)), {}, ()),
    "jacobians.numerical_jacobian": lambda: (mod("jacobians").numerical_jacobian, (np.sin, fresh(2, 3)), {}, ()),
    "jacobians.numerical_gradient": lambda: (mod("jacobians").numerical_gradient, (sum_of_sines, fresh(2, 3)), {}, ()),
    "layouts.numerical_derivative": lambda: (mod("layouts").numerical_derivative,
                                             (lambda v: np.sin(v) * v[0], fresh(3)), {"layout": "denominator"}, ()),
    **normalization_recipes(),
    **softmax_recipes(),
    **attention_recipes(),
    "vec_kronecker.vec": lambda: (mod("vec_kronecker").vec, (fresh(3, 4),), {"order": "F"}, ()),
    "vec_kronecker.unvec": lambda: (mod("vec_kronecker").unvec, (fresh(12), (3, 4)), {"order": "F"}, ()),
    "vec_kronecker.matmul_jacobian": lambda: (mod("vec_kronecker").matmul_jacobian, (fresh(2, 3), fresh(3, 4)),
                                              {"wrt": "W", "order": "C"}, ()),
    "jvp_vjp.mlp_forward": lambda: (mod("jvp_vjp").mlp_forward,
                                    (fresh(4, 3), fresh(3, 5, seed=1), fresh(5, 2, seed=2), fresh(4, 2, seed=3)), {}, ()),
    "jvp_vjp.mlp_jvp": mlp_recipe("mlp_jvp"),
    "jvp_vjp.mlp_vjp": mlp_recipe("mlp_vjp"),
    "jvp_vjp.gradient_by_jvps": mlp_recipe("gradient_by_jvps"),
    "jvp_vjp.multiply_counts": mlp_recipe("multiply_counts"),
    # dropout, the residual block and the SVM loss (docs/dropout-and-residuals.md, docs/losses.md)
    "losses.svm_loss": lambda: (mod("losses").svm_loss, (fresh(3, 4), np.array([3, 0, 1])), {}, ()),
    "dropout.dropout_forward": lambda: (mod("dropout").dropout_forward,
                                        (fresh(3, 4), {"mode": "train", "p": 0.5, "seed": 1}), {}, ()),
    "dropout.dropout_backward": forward_then(lambda x: mod("dropout").dropout_forward(
        x, {"mode": "train", "p": 0.5, "seed": 1}), mod("dropout").dropout_backward, (3, 4), dout_shape=(3, 4)),
    "residual.residual_forward": lambda: (mod("residual").residual_forward,
                                          (fresh(4, 3), fresh(3, 5), fresh(5), fresh(5, 3), fresh(3)), {}, ()),
    "residual.residual_backward": forward_then(mod("residual").residual_forward, mod("residual").residual_backward,
                                               (4, 3), (3, 5), (5,), (5, 3), (3,), dout_shape=(4, 3)),
    **conv_recipes(),
}


def arrays_in(obj, path):
    """Every ndarray inside obj, with a path saying where: args[1][0], cache['x'] ..."""
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from arrays_in(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from arrays_in(item, f"{path}[{key!r}]")


def snapshot(**groups):
    """(where, the array, a copy, dtype, shape, bytes) for every array in the named groups."""
    return [(path, a, a.copy(), a.dtype, a.shape, a.tobytes())
            for group, obj in groups.items() for path, a in arrays_in(obj, group)]


def changed(snap):
    """The paths of the arrays that are no longer bit-identical to their snapshot."""
    return [path for path, a, copy, dtype, shape, raw in snap
            if not (a.shape == shape and a.dtype == dtype and np.array_equal(a, copy) and a.tobytes() == raw)]


MODULE_ARRAYS = {f"{m.__name__}.{name}": value for m in MODULES for name, value in vars(m).items()
                 if isinstance(value, np.ndarray)}


def test_every_public_function_has_a_recipe():
    discovered = set(public_functions())
    assert discovered == set(RECIPES), (
        f"public functions without a recipe: {sorted(discovered - set(RECIPES))}; "
        f"recipes for functions that no longer exist: {sorted(set(RECIPES) - discovered)}")


@pytest.mark.parametrize("name", sorted(set(public_functions()) | set(RECIPES)))
def test_call_does_not_mutate_its_inputs(name):
    assert name in RECIPES, f"{name} is public but has no call recipe in tests/test_no_mutation.py"
    function, args, kwargs, also = RECIPES[name]()
    snap = snapshot(args=args, kwargs=kwargs, forward_inputs=also, snippet_modules=MODULE_ARRAYS)
    assert len(snap) > len(MODULE_ARRAYS), f"{name}: the recipe hands over no array"
    function(*args, **kwargs)
    assert not changed(snap), f"{name} modified {changed(snap)}"


# ---- the check itself can fail -----------------------------------------------------

def test_a_one_ulp_change_is_caught():
    x = fresh(2, 3)
    snap = snapshot(x=x)
    x[1, 1] = np.nextafter(x[1, 1], np.inf)
    assert changed(snap) == ["x"]


def test_a_sign_flip_of_zero_is_caught_by_the_bytes_only():
    x = fresh(2, 3)                                   # x[0, 0] is -0.0
    snap = snapshot(x=x)
    x[0, 0] = x[0, 0] + 0.0                           # -0.0 + 0.0 is +0.0
    assert np.array_equal(x, snap[0][2])              # == cannot tell -0.0 from 0.0
    assert changed(snap) == ["x"]


def test_a_layer_that_edits_its_cache_is_caught():
    """The planted bug: a ReLU backward that zeroes dout in place and clips its cache."""
    act = mod("activations")
    x = fresh(2, 3)
    _, cache = act.relu_forward(x)

    def bad_relu_backward(dout, cache):
        np.maximum(cache, 0, out=cache)
        dout[cache <= 0] = 0
        return dout

    dout = fresh(2, 3, seed=4)
    snap = snapshot(args=(dout, cache))
    bad_relu_backward(dout, cache)
    assert changed(snap) == ["args[0]", "args[1]"]
