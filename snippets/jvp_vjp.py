"""Forward vs reverse mode on L = ½‖tanh(X W1) W2 − T‖²: dL along one direction per JVP, all of ∇L per VJP.

Used in: docs/differentials.md
Shapes: X (N, D), W1 (D, H), W2 (H, C), T (N, C). The comments count multiplications.
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


def mlp_forward(X, W1, W2, T):
    """L = ½ Σ (tanh(X W1) W2 − T)², summed over all N·C entries; returns (L, cache)."""
    X, W1, W2, T = (_float_array(n, a) for n, a in (("X", X), ("W1", W1), ("W2", W2), ("T", T)))
    if (X.ndim, W1.ndim, W2.ndim, T.ndim) != (2, 2, 2, 2) or W1.shape[0] != X.shape[1] \
            or W2.shape[0] != W1.shape[1] or T.shape != (X.shape[0], W2.shape[1]):
        raise ValueError(f"expected X (N, D), W1 (D, H), W2 (H, C) and T (N, C), "
                         f"got X {X.shape}, W1 {W1.shape}, W2 {W2.shape}, T {T.shape}")
    A = np.tanh(X @ W1)                   # (N, H)  N·D·H
    R = A @ W2 - T                        # (N, C)  N·H·C: the residual S − T
    return float(0.5 * np.sum(R * R)), (X, W1, W2, A, R)   # N·C + 1


def mlp_jvp(W1_dot, W2_dot, cache):
    """Forward mode: push the tangents (W1_dot, W2_dot) through the network; return dL."""
    X, W1, W2, A, R = cache
    W1_dot, W2_dot = _float_array("W1_dot", W1_dot), _float_array("W2_dot", W2_dot)
    if W1_dot.shape != W1.shape or W2_dot.shape != W2.shape:
        raise ValueError(f"tangents W1_dot {W1_dot.shape} and W2_dot {W2_dot.shape} must have "
                         f"the shapes of W1 {W1.shape} and W2 {W2.shape}")
    Z_dot = X @ W1_dot                    # (N, H)  N·D·H: dZ = X dW1
    A_dot = (1 - A * A) * Z_dot           # (N, H)  2·N·H: dA = (1 − A²) ⊙ dZ
    S_dot = A_dot @ W2 + A @ W2_dot       # (N, C)  2·N·H·C: dS = dA W2 + A dW2
    return float(np.sum(R * S_dot))       #         N·C: dL = <R, dS>


def mlp_vjp(L_bar, cache):
    """Reverse mode: pull L_bar (1.0 for the loss itself) back through the network once; return (dW1, dW2)."""
    X, W1, W2, A, R = cache
    kind = np.asarray(L_bar).dtype                 # a Python or numpy number, or a 0-d array
    real = kind != bool and (np.issubdtype(kind, np.integer) or np.issubdtype(kind, np.floating))
    if np.ndim(L_bar) != 0 or not real:
        raise TypeError(f"L_bar must be one real number (the gradient of the output by L), got {L_bar!r}")
    if not np.isfinite(L_bar):
        raise ValueError(f"L_bar must be finite, got {L_bar!r}")
    dS = float(L_bar) * R                 # (N, C)  N·C: dL = <R, dS>
    dW2 = A.T @ dS                        # (H, C)  N·H·C: <dS, A dW2> = <Aᵀ dS, dW2>
    dZ = (dS @ W2.T) * (1 - A * A)        # (N, H)  N·C·H + 2·N·H
    dW1 = X.T @ dZ                        # (D, H)  N·D·H: <dZ, X dW1> = <Xᵀ dZ, dW1>
    return dW1, dW2


def gradient_by_jvps(cache):
    """Forward mode's only way to the whole gradient: one JVP per entry of W1 and of W2."""
    X, W1, W2, A, R = cache
    grads = (np.zeros_like(W1), np.zeros_like(W2))              # (D, H), (H, C)
    for which, grad in enumerate(grads):
        for idx in np.ndindex(grad.shape):
            tangents = [np.zeros_like(W1), np.zeros_like(W2)]   # (D, H), (H, C)
            tangents[which][idx] = 1.0                          # the direction of one entry
            grad[idx] = mlp_jvp(*tangents, cache)
    return grads


def multiply_counts(cache):
    """The multiplications the functions above do, read off the comments on their lines."""
    X, W1, W2, A, R = cache
    (N, D), H, C = X.shape, W1.shape[1], W2.shape[1]
    forward = N * D * H + N * H * C + N * C + 1
    jvp = N * D * H + 2 * N * H + 2 * N * H * C + N * C
    vjp = N * C + N * H * C + N * C * H + 2 * N * H + N * D * H
    jvps = D * H + H * C                                        # one per parameter entry
    return {"forward": forward, "jvp": jvp, "vjp": vjp, "jvps": jvps,
            "forward_mode": forward + jvps * jvp, "reverse_mode": forward + vjp}


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))     # (N, D), (N, C)
    W1, W2 = rng.standard_normal((3, 5)), rng.standard_normal((5, 2))   # (D, H), (H, C)
    L, cache = mlp_forward(X, W1, W2, T)
    reverse, forward = mlp_vjp(1.0, cache), gradient_by_jvps(cache)
    assert all(np.allclose(r, f) for r, f in zip(reverse, forward))
    print(f"L = {L:.6f}; one VJP and {multiply_counts(cache)['jvps']} JVPs give the same gradient")
    print("multiplications:", multiply_counts(cache))
