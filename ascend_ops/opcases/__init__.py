"""Op cases: how to build, run and compare each op, so that `ascend-kit check`, `ascend-kit
bench` and the generic test battery (test/test_op_contract.py) are generic over ops.

An op is its contract (`ascend_ops.ops._contract.OpSpec`: inputs, outputs, differentiable
inputs, ordered or not, the public function, the reference) plus a case module
`ascend_ops/opcases/<op>.py`, found automatically, which defines:

    OP: str
        The op name (the OpSpec's name).

    cases() -> dict[str, builder]
        Named input builders, in display order. Required names:
          "small" - a tiny case (well under a second on one CPU core, forward + backward);
          "real"  - the shapes of the real model the op comes from (e.g. Sparse4D v3).
        Optional: "empty" - zero-size inputs (the battery runs it when present); others are
        allowed. A builder is called as
            builder(device, dtype=torch.float32, seed=0, quick=False) -> tuple args
        and returns the positional arguments of the op, on `device`, with the floating-point
        inputs in `dtype` (index tensors keep their integer dtype). The same (device, dtype,
        seed, quick) give the same values (a seeded torch.Generator on the CPU, then move).
        Inputs are plain tensors without requires_grad. With quick=True a builder may shrink
        its case so a check fits in seconds on 2 CPU cores; the "real" case then keeps the real
        per-element structure and shrinks only the count of independent elements (queries,
        anchors, voxels, batch). Builders state their shapes in their docstrings.

    tolerance(dtype) -> (atol, rtol)
        For the float outputs and gradients of native vs reference with inputs in `dtype`
        (`torch.testing.assert_close` semantics). Integer outputs are compared exactly.

    bad_inputs(device) -> list of (args, exception type, regex)   (optional)
        Invalid calls and the error the public function must raise (message matching regex).

    baseline_inputs(*args) -> bargs; baseline(*bargs) -> outputs   (optional; for bench)
        The upstream project's own PyTorch formulation (what users run without the CUDA op),
        in the upstream's layout, returning the op's outputs (same structure and meaning).
        Every floating-point tensor in bargs is treated as differentiable.

Backward in check, bench and the battery uses seeded random gradients for the float outputs.
`load_all()` / `load(op)` return `OpCase` objects joining the case module with the contract.
"""
import importlib
import pkgutil

REQUIRED = ("OP", "cases", "tolerance")


class OpCase:
    """One op's case module joined with its OpSpec: everything check / bench / tests need."""

    def __init__(self, module, spec):
        self.module, self.spec = module, spec
        self.OP = module.OP
        self.cases, self.tolerance = module.cases, module.tolerance
        self.native, self.reference = spec.public, spec.reference
        self.differentiable = spec.differentiable
        self.baseline_inputs = getattr(module, "baseline_inputs", None)
        self.baseline = getattr(module, "baseline", None)
        self.bad_inputs = getattr(module, "bad_inputs", None)

    def __repr__(self):
        return f"OpCase({self.OP})"


def validate(module):
    """The OpCase of `module`; TypeError when it misses part of the protocol above."""
    from ..ops import _contract
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise TypeError(f"opcase {module.__name__} lacks {', '.join(missing)} (see ascend_ops.opcases)")
    names = list(module.cases())
    for needed in ("small", "real"):
        if needed not in names:
            raise TypeError(f"opcase {module.__name__}: cases() must include {needed!r}, got {names}")
    if hasattr(module, "baseline") != hasattr(module, "baseline_inputs"):
        raise TypeError(f"opcase {module.__name__}: define both baseline and baseline_inputs, or neither")
    return OpCase(module, _contract.get(module.OP))


def load_all():
    """The OpCase of every case module in this package, sorted by op name."""
    import ascend_ops  # noqa: F401  (registers every op and loads the kernels)
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            found.append(validate(importlib.import_module(f"{__name__}.{info.name}")))
    return found


def load(op):
    """The OpCase of one op, by name."""
    for opcase in load_all():
        if opcase.OP == op:
            return opcase
    raise KeyError(f"no opcase for op {op!r}; known: {[c.OP for c in load_all()]}")
