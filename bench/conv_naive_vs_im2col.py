"""Benchmark: convolution by loops (snippets/convolution.py) versus im2col (snippets/im2col.py).

Run from the repository root:  python bench/conv_naive_vs_im2col.py [--quick]
numpy + standard library + the site's snippets; prints its measurements and asserts nothing.
The batch is CIFAR-sized: N = 16 images of 3 x 32 x 32, F = 16 filters of 3 x 3, stride 1, pad 1.
--quick runs a 1/4-size batch (N = 4, 16 x 16 images) for a fast look.
Used in: docs/convolution.md
"""
import os
import platform
import sys
import time
from pathlib import Path

# Run as a script: one BLAS thread unless you say otherwise, so both routes use one core.
if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads at import)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets"))
from convolution import conv_backward_naive, conv_forward_naive  # noqa: E402
from im2col import conv_backward_im2col, conv_forward_im2col  # noqa: E402

FULL = dict(N=16, C=3, H=32, W=32, F=16, HH=3, WW=3, stride=1, pad=1)
QUICK = dict(FULL, N=4, H=16, W=16)


def make(N, C, H, W, F, HH, WW, stride, pad, dtype=np.float32, seed=0):
    """x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param, dout (N, F, H', W')."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)         # (N, C, H, W)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)       # (F, C, HH, WW)
    b = rng.standard_normal(F).astype(dtype)                    # (F,)
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    dout = rng.standard_normal((N, F, H_out, W_out)).astype(dtype)  # (N, F, H', W')
    return x, w, b, {"stride": stride, "pad": pad}, dout


def best_of(fn, repeat):
    """(smallest CPU time of this process, in seconds, over `repeat` calls; the last result).

    CPU time, not wall time: on a shared machine the wall time of a 5-second loop includes
    whatever else ran meanwhile, while a 1-millisecond product often runs undisturbed.
    """
    times = []
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return min(times), result


def rel_diff(a, c):
    """Norm-wise relative difference ||a - c|| / (||a|| + ||c||), computed in float64."""
    a, c = np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64)
    return float(np.linalg.norm(a - c) / max(np.linalg.norm(a) + np.linalg.norm(c), 1e-300))


def measure(sizes, repeat_naive=3, repeat_im2col=20):
    """Times of both routes, forward and backward, and the largest difference between them."""
    x, w, b, conv_param, dout = make(**sizes)
    t_fn, (out_n, cache_n) = best_of(lambda: conv_forward_naive(x, w, b, conv_param), repeat_naive)
    t_fi, (out_i, cache_i) = best_of(lambda: conv_forward_im2col(x, w, b, conv_param), repeat_im2col)
    t_bn, grads_n = best_of(lambda: conv_backward_naive(dout, cache_n), repeat_naive)
    t_bi, grads_i = best_of(lambda: conv_backward_im2col(dout, cache_i), repeat_im2col)
    diffs = [rel_diff(a, c) for a, c in zip((out_n, *grads_n), (out_i, *grads_i))]
    return dict(forward=(t_fn, t_fi), backward=(t_bn, t_bi), max_diff=max(diffs),
                X=cache_i[4].shape, dtype=out_i.dtype, loop_steps=out_n.size)


def main(argv):
    sizes = QUICK if "--quick" in argv else FULL
    r = measure(sizes)
    s = sizes
    print(f"x ({s['N']}, {s['C']}, {s['H']}, {s['W']}), w ({s['F']}, {s['C']}, {s['HH']}, {s['WW']}), "
          f"stride {s['stride']}, pad {s['pad']}, {np.dtype(r['dtype']).name}")
    print(f"numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')} BLAS thread(s)")
    print(f"naive loop steps N*F*H'*W' = {r['loop_steps']:,}; im2col matrix X {r['X']}")
    print("CPU time, best of 3 calls (naive) and of 20 (im2col):")
    print(f"{'':9} {'naive':>10} {'im2col':>10} {'speed-up':>9}")
    for step in ("forward", "backward"):
        naive, fast = r[step]
        print(f"{step:9} {naive * 1e3:8.1f} ms {fast * 1e3:7.2f} ms {naive / fast:8.0f}x")
    print(f"largest relative difference between the routes (out, dx, dw, db): {r['max_diff']:.0e}")


if __name__ == "__main__":
    main(sys.argv[1:])
