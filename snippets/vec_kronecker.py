"""vec and Kronecker: vec(XW) = (I_M ⊗ X) vec(W) = (Wᵀ ⊗ I_N) vec(X); numpy's row order swaps the factors.

Used in: docs/differentials.md
order="F" stacks the columns (the vec of textbooks, Fortran order); order="C" stacks the
rows (numpy's default, A.reshape(-1)). The same Jacobian in C order is X ⊗ I_M and I_N ⊗ Wᵀ.
"""
import numpy as np

MAX_ENTRIES = 10**7        # 80 MB in float64: for looking at, not for training


def _float_array(name, a):
    """Return `a` as a float ndarray; reject integer dtypes and NaN/inf."""
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype} with shape {a.shape}; "
                        f"convert it with {name}.astype(np.float64)")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} of shape {a.shape} contains NaN or inf")
    return a


def _order(order):
    if order not in ("F", "C"):
        raise ValueError(f"order must be 'F' (columns stacked, the textbook vec) or 'C' "
                         f"(rows stacked, numpy's reshape(-1)), got {order!r}")
    return order


def vec(A, order="F"):
    """vec(A) of a (p, q) matrix: its q columns one after another (F), or its p rows (C)."""
    A = _float_array("A", A)
    if A.ndim != 2:
        raise ValueError(f"vec takes a matrix, got A of shape {A.shape}")
    return A.reshape(-1, order=_order(order))             # (p*q,)


def unvec(v, shape, order="F"):
    """The inverse of vec: the matrix of the given (p, q) shape whose vec is v."""
    v = _float_array("v", v)
    if len(shape) != 2 or v.shape != (shape[0] * shape[1],):
        raise ValueError(f"v of shape {v.shape} is not the vec of a matrix of shape {tuple(shape)}")
    return v.reshape(shape, order=_order(order))          # (p, q)


def matmul_jacobian(X, W, wrt="W", order="F"):
    """d vec(XW) / d vec(wrt) as a Kronecker matrix, one row per entry of Y = XW (numerator layout)."""
    X, W = _float_array("X", X), _float_array("W", W)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0]:
        raise ValueError(f"expected X of shape (N, D) and W of shape (D, M), got X {X.shape} and W {W.shape}")
    if wrt not in ("W", "X"):
        raise ValueError(f"wrt must be 'W' or 'X', got {wrt!r}")
    order = _order(order)
    (N, D), M = X.shape, W.shape[1]
    entries = N * M * (D * M if wrt == "W" else N * D)
    if entries > MAX_ENTRIES:
        raise ValueError(f"d vec(XW) / d vec({wrt}) for X {X.shape} and W {W.shape} has {entries:,} entries "
                         f"({8 * entries / 1e9:.2f} GB in float64); backprop never builds it: "
                         f"it computes X.T @ G and G @ W.T instead")
    I_N, I_M = np.eye(N, dtype=X.dtype), np.eye(M, dtype=W.dtype)   # (N, N), (M, M)
    if wrt == "W":                                        # vec(XW) = vec(X W I_M)
        pair = (I_M, X) if order == "F" else (X, I_M)
    else:                                                 # vec(XW) = vec(I_N X W)
        pair = (W.T, I_N) if order == "F" else (I_N, W.T)
    return np.kron(*pair)                                 # (N*M, D*M) or (N*M, N*D)


if __name__ == "__main__":
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])     # (2, 3): N = 2, D = 3
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])  # (3, 2): M = 2
    for order in ("F", "C"):
        J = matmul_jacobian(X, W, "W", order)             # (4, 6)
        assert np.array_equal(J @ vec(W, order), vec(X @ W, order))
        print(f"order={order}: d vec(XW)/d vec(W) =\n{J}")
