"""Benchmark: the whole gradient of L = ½‖tanh(X W1) W2 − T‖² by forward mode (one JVP per parameter
entry) versus reverse mode (one VJP), timed with the very functions of snippets/jvp_vjp.py.

Run from the repository root:  python bench/jvp_vs_vjp.py
numpy + standard library only; prints its measurements and asserts nothing.
Used in: docs/differentials.md
"""
import os
import sys
import timeit
from pathlib import Path

# Run as a script: one BLAS thread unless you say otherwise, so both routes use one core.
# (Imported, e.g. by the tests, the module leaves the environment alone.)
if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads at import)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets"))
from jvp_vjp import gradient_by_jvps, mlp_forward, mlp_vjp, multiply_counts  # noqa: E402

PAGE = (32, 64, 32, 10)                    # (N, D, H, C): the network of docs/differentials.md
SIZES = [(16, 8, 6, 3), PAGE, (64, 64, 128, 10)]


def network(N, D, H, C, seed=0):
    """Random data, targets and weights (W1 scaled by 1/sqrt(D), so tanh is not saturated)."""
    rng = np.random.default_rng(seed)
    X, T = rng.standard_normal((N, D)), rng.standard_normal((N, C))          # (N, D), (N, C)
    W1, W2 = rng.standard_normal((D, H)) / np.sqrt(D), rng.standard_normal((H, C))   # (D, H), (H, C)
    return X, W1, W2, T


def reverse_mode(X, W1, W2, T):
    """One forward pass, one VJP."""
    return mlp_vjp(1.0, mlp_forward(X, W1, W2, T)[1])


def forward_mode(X, W1, W2, T):
    """One forward pass (its values are reused), then one JVP per entry of W1 and W2."""
    return gradient_by_jvps(mlp_forward(X, W1, W2, T)[1])


def best_time(fn, args, budget=0.2):
    """Best seconds per call over 3 rounds of about `budget` seconds each."""
    start = timeit.default_timer()
    fn(*args)                                          # also warms up
    number = max(1, int(budget / (timeit.default_timer() - start)))
    return min(timeit.repeat(lambda: fn(*args), number=number, repeat=3)) / number


def main():
    print(f"{'(N, D, H, C)':>17} {'JVPs':>6} | {'multiplications: forward':>24} {'reverse':>10} {'ratio':>7} | "
          f"{'time: forward':>13} {'reverse':>9} {'ratio':>6} | max diff")
    for size in SIZES:
        args = network(*size)
        counts = multiply_counts(mlp_forward(*args)[1])
        diff = max(float(np.max(np.abs(f - r))) for f, r in zip(forward_mode(*args), reverse_mode(*args)))
        t_fwd, t_rev = best_time(forward_mode, args), best_time(reverse_mode, args)
        print(f"{str(size):>17} {counts['jvps']:>6,} | {counts['forward_mode']:>24,} "
              f"{counts['reverse_mode']:>10,} {counts['forward_mode'] / counts['reverse_mode']:>7.1f} | "
              f"{t_fwd * 1e3:>10.2f} ms {t_rev * 1e3:>6.3f} ms {t_fwd / t_rev:>6.0f} | {diff:.0e}")
    print("\nForward mode needs one JVP per parameter entry (D*H + H*C of them); reverse mode one VJP.\n"
          "A JVP and a VJP do the same multiplications here; numpy's per-call overhead on these\n"
          "small arrays makes the time ratio differ from the multiplication ratio.")


if __name__ == "__main__":
    main()
