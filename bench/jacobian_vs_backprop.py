"""Benchmark: dW through the full Jacobian dY/dW versus backprop's dW = X^T dY (time, peak memory).

Run from the repository root:  python bench/jacobian_vs_backprop.py
numpy + standard library only; prints its measurements and asserts nothing.
Used in: docs/gradients-and-jacobians.md
"""
import math
import os
import time
import timeit
import tracemalloc

# Run as a script: one BLAS thread unless you say otherwise, so both routes use one core
# and the tiny X.T @ dY is not at the mercy of thread start-up on a busy machine.
# (Imported, e.g. by the tests, the module leaves the environment alone.)
if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads at import)

FULL = (64, 784, 128)                                # (N, D, M): a batch of 64 MNIST images, 128 units
SIZES = [(8, 98, 16), (16, 196, 32), (32, 392, 64)]  # 1/8, 1/4 and 1/2 of FULL along every axis


def dW_by_jacobian(X, dY):
    """Build dY/dW of shape (N, M, D, M), then contract it with dY over the (N, M) axes."""
    M = dY.shape[1]
    J = np.einsum("ik,jl->ijkl", X, np.eye(M))         # (N, M, D, M): dY_ij/dW_kl = X_ik [j = l]
    return np.tensordot(dY, J, axes=([0, 1], [0, 1]))  # (D, M)


def dW_by_backprop(X, dY):
    """What every backward pass does instead: one (D, N) @ (N, M) product."""
    return X.T @ dY                                    # (D, M)


def measure(fn, X, dY, budget=0.05):
    """Best time per call over 3 rounds of ~`budget` seconds, and the peak of numpy's allocations."""
    start = time.perf_counter()
    out = fn(X, dY)                                    # also warms up BLAS threads and pages
    number = max(1, int(budget / (time.perf_counter() - start)))
    seconds = min(timeit.repeat(lambda: fn(X, dY), number=number, repeat=3)) / number
    tracemalloc.start()                                # numpy reports its buffers to tracemalloc
    fn(X, dY)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, seconds, peak


def human(nbytes):
    return f"{nbytes / 1e9:.2f} GB" if nbytes >= 1e9 else f"{nbytes / 1e6:.2f} MB"


def main():
    rng = np.random.default_rng(0)
    print(f"{'(N, D, M)':>14} {'dY/dW entries':>13} | {'Jacobian route':>19} | "
          f"{'X.T @ dY':>18} | max diff")
    for N, D, M in SIZES + [FULL]:
        X = rng.standard_normal((N, D))                # (N, D)
        dY = rng.standard_normal((N, M))               # (N, M)
        dW, t_bp, peak_bp = measure(dW_by_backprop, X, dY)
        if (N, D, M) == FULL:                          # never allocate the 6.6 GB tensor
            jac, diff = f"{'needs ' + human(8 * N * M * D * M):>19}", "-"
        else:
            dW_jac, t_jac, peak_jac = measure(dW_by_jacobian, X, dY)
            jac = f"{t_jac * 1e3:7.1f} ms {human(peak_jac):>9}"
            diff = f"{np.max(np.abs(dW_jac - dW)):.0e}"
        print(f"{str((N, D, M)):>14} {N * M * D * M:>13,} | {jac} | "
              f"{t_bp * 1e3:6.3f} ms {human(peak_bp):>7} | {diff}")
    N, D, M = FULL
    print(f"\nFull size: dY/dW has N*M*D*M = {math.prod((N, M, D, M)):,} float64 entries, "
          f"{8 * math.prod((N, M, D, M)):,} bytes;\n"
          f"           dW has D*M = {D * M:,} entries, {8 * D * M:,} bytes ({N * M:,} times fewer).")


if __name__ == "__main__":
    main()
