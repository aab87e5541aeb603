"""The delta recursion of backprop: δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀδ⁽ˡ⁺¹⁾) ⊙ g'(z⁽ˡ⁾), dW⁽ˡ⁾ = δ⁽ˡ⁾a⁽ˡ⁻¹⁾ᵀ, db⁽ˡ⁾ = δ⁽ˡ⁾.

Used in: docs/multilayer-backprop.md, docs/two-three-two-network.md
Column convention (CS229): Ws[l - 1] is W⁽ˡ⁾ of shape (d_l, d_{l-1}); x is (d_0,) or (d_0, N).
Hidden layers apply g element-wise; the output layer is the identity and J = ½ Σ ‖z⁽ᴸ⁾ − y‖²,
so the recursion starts from δ⁽ᴸ⁾ = z⁽ᴸ⁾ − y.
"""
import numpy as np


def _float_array(name, a):
    """Return `a` as a float ndarray; reject integer dtypes and NaN/inf."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype} with shape {a.shape}; "
                        f"convert it with {name}.astype(np.float64)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} contains NaN or inf")
    return a


def _checked(Ws, bs, x):
    """Validate that x -> Ws[0] -> ... -> Ws[-1] chains; return float arrays."""
    if len(Ws) != len(bs) or len(Ws) == 0:
        raise ValueError(f"need one bias per weight matrix, got {len(Ws)} Ws and {len(bs)} bs")
    Ws = [_float_array(f"Ws[{i}]", W) for i, W in enumerate(Ws)]
    bs = [_float_array(f"bs[{i}]", b) for i, b in enumerate(bs)]
    x = _float_array("x", x)
    if x.ndim not in (1, 2):
        raise ValueError(f"x must be (d_0,) for one sample or (d_0, N) for a batch, "
                         f"got {x.shape}")
    width, source = x.shape[0], f"x of shape {x.shape}"
    for i, (W, b) in enumerate(zip(Ws, bs)):
        if W.ndim != 2 or W.shape[1] != width:
            rows = i == 0 and x.shape[1:] == W.shape[1:]    # x looks like a batch in rows
            hint = "; samples go in columns, pass x.T" if rows else ""
            raise ValueError(f"Ws[{i}] of shape {W.shape} should be (d_{i + 1}, {width}): "
                             f"its columns must match the {width} rows of {source}{hint}")
        want = (W.shape[0],) + (1,) * (x.ndim - 1)          # (d,) for one sample, (d, 1) for a batch
        if b.shape != want:
            raise ValueError(f"bs[{i}] of shape {b.shape} does not match Ws[{i}] of shape "
                             f"{W.shape} and x of shape {x.shape}: expected {want}")
        width, source = W.shape[0], f"Ws[{i}] of shape {W.shape}"
    return Ws, bs, x


def forward(Ws, bs, x, g):
    """Return zs = [z⁽¹⁾, ..., z⁽ᴸ⁾] and acts = [a⁽⁰⁾ = x, ..., a⁽ᴸ⁾ = z⁽ᴸ⁾]."""
    return _forward(*_checked(Ws, bs, x), g)


def _forward(Ws, bs, x, g):
    zs, acts = [], [x]
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = W @ acts[-1] + b                            # (d_l,) or (d_l, N): z⁽ˡ⁾
        zs.append(z)
        acts.append(g(z) if l < len(Ws) else z)         # (d_l,) or (d_l, N)
    return zs, acts


def backprop(Ws, bs, x, y, g, g_prime):
    """Return (dWs, dbs): ∇J for every W⁽ˡ⁾ and b⁽ˡ⁾, each with its parameter's shape."""
    Ws, bs, x = _checked(Ws, bs, x)
    y = _float_array("y", y)
    out = (Ws[-1].shape[0],) + x.shape[1:]              # the shape of z⁽ᴸ⁾
    if y.shape != out:
        raise ValueError(f"y of shape {y.shape} does not match the network output z⁽ᴸ⁾ of "
                         f"shape {out} (x {x.shape}, Ws[-1] {Ws[-1].shape})")
    zs, acts = _forward(Ws, bs, x, g)
    cols = lambda v: v.reshape(v.shape[0], -1)          # (d,) -> (d, 1); (d, N) unchanged
    delta = zs[-1] - y                                  # (d_L,) or (d_L, N): δ⁽ᴸ⁾
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in range(len(Ws), 0, -1):                     # l = L, ..., 1; Ws[l - 1] is W⁽ˡ⁾
        dWs[l - 1] = cols(delta) @ cols(acts[l - 1]).T  # (d_l, d_{l-1}): (1a-m), summed over N
        dbs[l - 1] = cols(delta).sum(axis=1).reshape(bs[l - 1].shape)  # (1b-m), summed over N
        if l > 1:                                       # (2-m): δ⁽ˡ⁻¹⁾ from δ⁽ˡ⁾
            delta = (Ws[l - 1].T @ delta) * g_prime(zs[l - 2])  # (d_{l-1},) or (d_{l-1}, N)
    return dWs, dbs


if __name__ == "__main__":
    relu, relu_prime = lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)
    Ws = [np.array([[1.0, 1.0], [2.0, -1.0], [-1.0, 1.0]]),   # (3, 2) = W⁽¹⁾
          np.array([[1.0, -1.0, -1.0], [-1.0, 2.0, 0.0]])]    # (2, 3) = W⁽²⁾
    bs = [np.array([0.0, 1.0, 1.0]), np.array([1.0, 0.0])]    # (3,), (2,)
    x, y = np.array([1.0, 2.0]), np.array([1.0, 0.0])         # (2,), (2,)
    dWs, dbs = backprop(Ws, bs, x, y, relu, relu_prime)
    for l, (dW, db) in enumerate(zip(dWs, dbs), start=1):
        print(f"dW{l} =", dW.tolist(), f" db{l} =", db.tolist())
