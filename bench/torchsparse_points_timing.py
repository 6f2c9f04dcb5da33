"""Native vs reference timings of the torchsparse point ops on their real cases (best / median of
7 runs, ms). Usage: PYTHONPATH=$PWD python bench/torchsparse_points_timing.py THREADS [OP ...]"""
import sys, time, torch
import ascend_ops
from ascend_ops import opcases
from ascend_ops.opcases import _harness as h
torch.set_num_threads(int(sys.argv[1]))
ops = sys.argv[2:] or ["sphash", "sphash_kernel", "sphashquery", "spcount", "spvoxelize", "spdevoxelize"]
def best(fn, n=7):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts) * 1e3, sorted(ts)[len(ts) // 2] * 1e3
for op in ops:
    oc = opcases.load(op)
    args = oc.cases()["real"]("cpu")
    for impl in ("native", "reference"):
        with h.backend(impl):
            fn = oc.native
            fwd = best(lambda: fn(*args))
            fb = best(lambda: h.forward_backward(oc.spec, fn, args)) if oc.differentiable else None
        print(f"{op:14s} {impl:9s} threads={torch.get_num_threads()} fwd min/med {fwd[0]:8.2f}/{fwd[1]:8.2f} ms"
              + (f"  fwd+bwd min/med {fb[0]:8.2f}/{fb[1]:8.2f} ms" if fb else ""), flush=True)
