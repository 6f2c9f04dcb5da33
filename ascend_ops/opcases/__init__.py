"""Op cases: one module per op describing how to build, run and compare it, so that
`ascend-kit check` and `ascend-kit bench` are generic over ops.

Protocol. A module `ascend_ops/opcases/<op>.py` defines:

    OP: str
        The op name; `torch.ops.ascend_ops.<OP>` is its forward op, and dispatch reports use it.

    cases() -> dict[str, builder]
        Named input builders, in display order. Required names:
          "small" - a tiny case (well under a second on one CPU core, forward + backward);
          "real"  - the shapes of the real model the op comes from (e.g. Sparse4D v3).
        Other names are allowed. A builder is called as
            builder(device, dtype=torch.float32, seed=0, quick=False) -> tuple args
        and returns the positional arguments of `native`/`reference`, on `device`, with the
        floating-point inputs in `dtype` (index tensors keep their integer dtype). The same
        (device, dtype, seed, quick) give the same values (use a seeded torch.Generator on
        the CPU, then move). Inputs are plain tensors without requires_grad. With quick=True a
        builder may shrink its case so a check fits in seconds on 2 CPU cores; the "real" case
        must then keep the real per-element structure (channels, cameras, levels, points,
        map sizes) and shrink only the count of independent elements (queries/anchors,
        batch). Builders state their shapes in their docstrings.

    DIFFERENTIABLE: tuple[int, ...]
        Indices into args of the inputs that receive gradients.

    native(*args) -> Tensor
        The kit's public op (it dispatches to the native kernel of the inputs' device;
        callers that must be sure it is native set ASCEND_OPS_BACKEND=native).

    reference(*args) -> Tensor
        The kit's pure-PyTorch reference: the ground truth for parity.

    baseline_inputs(*args) -> tuple bargs
        Converts args (untimed) into the inputs of the upstream's own PyTorch fallback, in the
        upstream's layout. Every floating-point tensor in bargs is treated as differentiable.

    baseline(*bargs) -> Tensor
        The upstream project's own PyTorch fallback (what users run without the CUDA op),
        returning a tensor with the same shape and meaning as native(*args). It may differ
        from the reference at documented edge cases (e.g. border handling); bench only times
        it.

    tolerance(dtype) -> (atol, rtol)
        Tolerances for native vs reference (forward and gradients) for inputs in `dtype`,
        with `torch.testing.assert_close` semantics.

Backward in check and bench uses a seeded random grad_output shaped like the output.
Use `load_all()` to get every op's module.
"""
import importlib
import pkgutil

REQUIRED = ("OP", "cases", "DIFFERENTIABLE", "native", "reference", "baseline_inputs", "baseline", "tolerance")


def validate(module):
    """Raise TypeError when `module` misses part of the protocol above."""
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise TypeError(f"opcase {module.__name__} lacks {', '.join(missing)} (see ascend_ops.opcases)")
    names = list(module.cases())
    for needed in ("small", "real"):
        if needed not in names:
            raise TypeError(f"opcase {module.__name__}: cases() must include {needed!r}, got {names}")
    return module


def load_all():
    """Every opcase module in this package, sorted by op name."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            modules.append(validate(importlib.import_module(f"{__name__}.{info.name}")))
    return modules


def load(op):
    """The opcase module of one op, by name."""
    for module in load_all():
        if module.OP == op:
            return module
    raise KeyError(f"no opcase for op {op!r}; known: {[m.OP for m in load_all()]}")
