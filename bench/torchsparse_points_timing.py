"""Native vs reference timings of the torchsparse point ops on their `real` cases: best and
median of 7 runs in ms, forward (and forward + backward through the harness, with random
gradients, for the differentiable ops).

    PYTHONPATH=$PWD python bench/torchsparse_points_timing.py THREADS [OP ...]
"""
import sys
import time

import torch

import ascend_ops  # noqa: F401  (loads the kernels)
from ascend_ops import opcases
from ascend_ops.opcases import _harness as h

OPS = ("sphash", "sphash_kernel", "sphashquery", "spcount", "spvoxelize", "spdevoxelize")


def best_and_median_ms(fn, runs=7):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0] * 1e3, times[len(times) // 2] * 1e3


def main(threads, ops):
    torch.set_num_threads(threads)
    for op in ops:
        oc = opcases.load(op)
        args = oc.cases()["real"]("cpu")
        for impl in ("native", "reference"):
            with h.backend(impl):
                fwd = best_and_median_ms(lambda: oc.native(*args))
                both = best_and_median_ms(lambda: h.forward_backward(oc.spec, oc.native, args)) \
                    if oc.differentiable else None
            line = f"{op:14s} {impl:9s} threads={threads} fwd min/med {fwd[0]:8.2f}/{fwd[1]:8.2f} ms"
            if both:
                line += f"  fwd+bwd min/med {both[0]:8.2f}/{both[1]:8.2f} ms"
            print(line, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:] or OPS)
