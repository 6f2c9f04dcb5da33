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


def as_tuple(out):
    """An op's result as a tuple of tensors (single-output ops return a bare tensor)."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def row_order(spec, outs):
    """For an unordered op (spec.ordered False): the permutation that sorts the output rows
    (dim 0, shared by every output) lexicographically by their values, integer outputs first.
    None for ordered ops."""
    if spec.ordered or not outs or outs[0].dim() == 0:
        return None
    ints = [o for o, d in zip(outs, spec.outputs) if d.kind == "int"]
    floats = [o for o, d in zip(outs, spec.outputs) if d.kind != "int"]
    keys = [k.detach().reshape(k.shape[0], -1).double().cpu() for k in ints + floats]
    table = torch.cat(keys, 1) if keys else torch.zeros(outs[0].shape[0], 0, dtype=torch.float64)
    order = torch.arange(table.shape[0])
    for col in reversed(range(table.shape[1])):   # stable sorts from the last key to the first
        order = order[torch.sort(table[order, col], stable=True).indices]
    return order.to(outs[0].device)


def forward_backward(spec, fn, args, seed=1):
    """(outputs, gradients of spec.differentiable args) of fn(*args): seeded random gradients for
    the float outputs; an unordered op's outputs come back in canonical row order, and its
    gradients are drawn per canonical row, so two implementations can be compared."""
    diff = spec.differentiable
    args = leaves(args, diff)
    outs = as_tuple(fn(*args))
    order = row_order(spec, outs)
    float_outs = [outs[i] for i in spec.float_outputs if outs[i].requires_grad]
    if float_outs:
        grads = []
        for k, o in enumerate(float_outs):
            g = grad_output_like(o, seed + k)
            if order is not None:
                g = torch.empty_like(g).index_copy_(0, order, g)
            grads.append(g)
        torch.autograd.backward(float_outs, grads)
    outs = tuple(o.detach() if order is None else o.detach().index_select(0, order) for o in outs)
    return outs, [args[i].grad if args[i].grad is not None else torch.zeros_like(args[i]) for i in diff]


def compare(spec, tolerance, outs, ref_outs, grads=(), ref_grads=()):
    """Problems (strings) of native vs reference: integer outputs exactly, float outputs and
    gradients with tolerance = (atol, rtol), where atol scales with the tensor's largest
    magnitude (at least 1): a gradient summed over thousands of terms carries float32 rounding
    in proportion to its size. [] when they agree."""
    atol, rtol = tolerance
    problems = []
    pairs = [(f"output {d.name}", o, r, d.kind == "int") for d, o, r in zip(spec.outputs, outs, ref_outs)]
    pairs += [(f"grad {spec.inputs[i].name}", g, r, False) for i, g, r in zip(spec.differentiable, grads, ref_grads)]
    for name, got, want, exact in pairs:
        if got.shape != want.shape:
            problems.append(f"{name}: shape {tuple(got.shape)} != reference {tuple(want.shape)}")
        elif exact:
            if got.dtype != want.dtype or not torch.equal(got, want):
                bad = int((got != want).sum()) if got.dtype == want.dtype else "dtype"
                problems.append(f"{name}: {got.dtype} differs from the reference's {want.dtype} ({bad} elements)")
        else:
            scale = max(1.0, want.abs().max().item()) if want.numel() else 1.0
            try:
                torch.testing.assert_close(got.double(), want.double(), atol=atol * scale, rtol=rtol)
            except AssertionError as e:
                lines = str(e).splitlines()
                problems.append(f"{name}: {lines[0]} {lines[-1] if len(lines) > 1 else ''}".strip())
    return problems


def float_indices(args):
    return tuple(i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.is_floating_point())


def fwd_step(fn, args):
    """A closure running fn(*args) without autograd."""
    def step():
        with torch.no_grad():
            fn(*args)
    return step


def fwd_bwd_step(fn, args, differentiable):
    """A closure running fn(*args) and its backward through every float output that requires grad
    (gradients w.r.t. `differentiable`)."""
    args = leaves(args, differentiable)
    with torch.no_grad():
        grads = [grad_output_like(o) if o.is_floating_point() else None for o in as_tuple(fn(*args))]

    def step():
        for i in differentiable:
            args[i].grad = None
        outs = as_tuple(fn(*args))
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
        if pairs:
            torch.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
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
    """Largest |a - b| (0 for empty or shape-mismatched tensors, which compare() reports)."""
    if a.numel() == 0 or a.shape != b.shape:
        return 0.0
    return (a.double() - b.double()).abs().max().item()
