"""Losses and their gradients: L = ΣF, L = ½Σ(ŷ − y)², and softmax cross-entropy averaged over N.

Used in: docs/losses.md
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


# --8<-- [start:sum]
def sum_loss(y):
    """L = sum of all entries of y (source 002's exercise); dL/dy is all ones."""
    y = _float_array("y", y)
    return float(y.sum()), np.ones_like(y)           # dy: y's shape and dtype
# --8<-- [end:sum]


# --8<-- [start:mse]
def mse_loss(y_hat, y):
    """L = ½ Σ (ŷ − y)², a half sum of squares (source 001's "MSE"), not a mean; dL/dŷ = ŷ − y."""
    y_hat, y = _float_array("y_hat", y_hat), _float_array("y", y)
    if y_hat.shape != y.shape:
        raise ValueError(f"y_hat of shape {y_hat.shape} and y of shape {y.shape} must have "
                         f"the same shape (no broadcasting)")
    diff = y_hat - y                                 # y_hat's shape
    return float(0.5 * np.sum(diff * diff)), diff.astype(y_hat.dtype, copy=False)
# --8<-- [end:mse]


# --8<-- [start:softmax]
def softmax_loss(x, y):
    """L = -(1/N) Σ_i log softmax(x_i)[y_i]; dx = (softmax(x) - onehot(y)) / N.

    x: scores of shape (N, C), float; y: integer labels of shape (N,), each in [0, C).
    """
    x, y = _float_array("x", x), np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, C), one row of C scores per sample, got {x.shape}"
                         + ("; for one sample pass x.reshape(1, -1)" if x.ndim < 2 else ""))
    if 0 in x.shape:
        why = "the mean over N = 0 samples is undefined" if x.shape[0] == 0 else "a label needs a class"
        raise ValueError(f"x must have shape (N, C) with N >= 1 samples and C >= 1 classes, "
                         f"got {x.shape}; {why}")
    N, C = x.shape
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels y must be integers, got dtype {y.dtype} with shape {y.shape}; "
                        f"convert them with y.astype(np.int64)")
    if y.shape != (N,):
        raise ValueError(f"labels y of shape {y.shape} do not match x of shape {x.shape}: "
                         f"expected one label per row, shape ({N},)")
    bad = (y < 0) | (y >= C)                         # (N,)
    if bad.any():
        raise ValueError(f"labels must lie in [0, {C}) for x of shape {x.shape}; "
                         f"got {y[bad].tolist()[:5]} at rows {np.flatnonzero(bad).tolist()[:5]}")
    shifted = x - x.max(axis=1, keepdims=True)       # (N, C), every entry <= 0
    with np.errstate(under="ignore"):                # e^(-1e4) rounding to 0 is the right answer
        log_Z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, 1), log-sum-exp >= 0
        log_p = shifted - log_Z                      # (N, C), log softmax
        dx = np.exp(log_p)                           # (N, C), softmax probabilities
    rows = np.arange(N)                              # (N,)
    loss = -log_p[rows, y].sum() / N
    dx[rows, y] -= 1                                 # softmax - onehot
    return float(loss), dx / N                       # dx: (N, C), x's dtype
# --8<-- [end:softmax]


def _scores_and_labels(x, y):
    """x: float scores (N, C) with N, C >= 1; y: integer labels (N,) in [0, C). The checks of softmax_loss."""
    x, y = _float_array("x", x), np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, C), one row of C scores per sample, got {x.shape}"
                         + ("; for one sample pass x.reshape(1, -1)" if x.ndim < 2 else ""))
    if 0 in x.shape:
        why = "the mean over N = 0 samples is undefined" if x.shape[0] == 0 else "a label needs a class"
        raise ValueError(f"x must have shape (N, C) with N >= 1 samples and C >= 1 classes, "
                         f"got {x.shape}; {why}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels y must be integers, got dtype {y.dtype} with shape {y.shape}; "
                        f"convert them with y.astype(np.int64)")
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels y of shape {y.shape} do not match x of shape {x.shape}: "
                         f"expected one label per row, shape ({x.shape[0]},)")
    bad = (y < 0) | (y >= x.shape[1])                # (N,)
    if bad.any():
        raise ValueError(f"labels must lie in [0, {x.shape[1]}) for x of shape {x.shape}; "
                         f"got {y[bad].tolist()[:5]} at rows {np.flatnonzero(bad).tolist()[:5]}")
    return x, y


# --8<-- [start:svm]
def svm_loss(x, y):
    """L = (1/N) Σ_i Σ_{j≠y_i} max(0, x_ij − x_iy_i + 1), cs231n's multiclass SVM; returns (L, dx).

    dx_ij = [margin_ij > 0] / N for j ≠ y_i, and −(number of positive margins in row i) / N at j = y_i.
    A margin of exactly 0 sits on the kink and gets slope 0 (the subgradient cs231n takes).
    """
    x, y = _scores_and_labels(x, y)
    N, rows = x.shape[0], np.arange(x.shape[0])      # rows: (N,)
    margins = x - x[rows, y][:, None] + 1.0          # (N, C): x_ij − x_iy_i + Δ with Δ = 1
    margins[rows, y] = 0                             # the correct class is not a margin
    positive = margins > 0                           # (N, C): the indicator; strict, so 0 counts as 0
    loss = np.maximum(margins, 0).sum() / N
    dx = positive.astype(x.dtype)                    # (N, C): +1 for every violating class j
    dx[rows, y] = -positive.sum(axis=1)              # (N,): −(count of positive margins) at y_i
    return float(loss), dx / N                       # dx: (N, C), x's dtype
# --8<-- [end:svm]


if __name__ == "__main__":
    F = np.array([[1.0, 1.0], [25.0, 25.0]])                 # (2, 2): Y², source 002
    print("sum_loss:", sum_loss(F)[0])                        # 52.0
    y_hat, y = np.array([[0.5, 1.0]]), np.array([[0.0, 3.0]])  # (1, 2) each
    print("mse_loss:", mse_loss(y_hat, y))                    # ½(0.25 + 4) = 2.125
    x = np.array([[0.0, 0.0], [1e4, 0.0]])                    # (2, 2)
    loss, dx = softmax_loss(x, np.array([0, 1]))
    print("softmax_loss:", loss, "dx =", dx.tolist())        # (ln 2 + 1e4) / 2
    S = np.array([[2.0, 2.5, -1.0], [0.5, 1.0, 1.5], [0.0, 0.0, 0.0]])  # (3, 3)
    loss, dS = svm_loss(S, np.array([0, 2, 1]))
    print("svm_loss:", loss, "dx * 3 =", (3 * dS).tolist())  # 4/3; row 2 has a margin of exactly 0
