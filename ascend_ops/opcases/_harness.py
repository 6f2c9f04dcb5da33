"""Running and timing op cases: shared by `ascend-kit check` and `ascend-kit bench`."""
import contextlib
import os
import statistics
import time

import torch

from .. import device as _device


@contextlib.contextmanager
def backend(mode):
    """Set ASCEND_OPS_BACKEND (auto | native | reference) for the block, then restore it."""
    saved = os.environ.get("ASCEND_OPS_BACKEND")
    os.environ["ASCEND_OPS_BACKEND"] = mode
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("ASCEND_OPS_BACKEND", None)
        else:
            os.environ["ASCEND_OPS_BACKEND"] = saved


def grad_output_like(out, seed=1):
    """A seeded random gradient shaped like `out` (drawn on the CPU, then moved)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(out.shape, generator=g).to(out.device, out.dtype)


def leaves(args, differentiable):
    """Fresh copies of args; those at the `differentiable` indices require grad."""
    return [a.detach().clone().requires_grad_(i in differentiable) if isinstance(a, torch.Tensor) else a
            for i, a in enumerate(args)]


def forward_backward(fn, args, differentiable, seed=1):
    """(output, [gradients of the differentiable args]) of fn(*args) for a seeded grad_output."""
    args = leaves(args, differentiable)
    out = fn(*args)
    out.backward(grad_output_like(out, seed))
    return out.detach(), [args[i].grad for i in differentiable]


def float_indices(args):
    return tuple(i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.is_floating_point())


def fwd_step(fn, args):
    """A closure running fn(*args) without autograd."""
    def step():
        with torch.no_grad():
            fn(*args)
    return step


def fwd_bwd_step(fn, args, differentiable):
    """A closure running fn(*args) and its backward (gradients w.r.t. `differentiable`)."""
    args = leaves(args, differentiable)
    with torch.no_grad():
        grad = grad_output_like(fn(*args))

    def step():
        for i in differentiable:
            args[i].grad = None
        fn(*args).backward(grad)
    return step


def median_ms(step, device_type, warmup=1, repeat=5, budget_s=10.0):
    """Median wall time in ms of `step()` (device-synchronised), after `warmup` runs; stops
    early once `budget_s` seconds were spent (at least one timed run)."""
    for _ in range(warmup):
        step()
    _device.synchronize(device_type)
    times, spent = [], time.perf_counter()
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        step()
        _device.synchronize(device_type)
        times.append((time.perf_counter() - t0) * 1e3)
        if time.perf_counter() - spent > budget_s:
            break
    return statistics.median(times)


def max_abs(a, b):
    if a.numel() == 0:
        return 0.0
    return (a.float() - b.float()).abs().max().item()
