"""`ascend-kit check`: forward + backward parity of every op's native kernel against its
pure-PyTorch reference, on every available backend, for each op case (ascend_ops.opcases)."""
import json
import sys

DTYPES = ("bfloat16", "float16", "float32")


def torch_dtype(name):
    import torch
    return getattr(torch, name)
COLUMNS = ("op", "backend", "case", "dtype", "fwd_max_abs_err", "grad_max_abs_err", "status", "native_ms")


def check_case(opcase, case_name, builder, device_type, dtype, quick, seed=0):
    """One row: parity of native vs reference (outputs, and gradients where the op is
    differentiable) and the native forward time."""
    from ascend_ops import MissingKernelError
    from ascend_ops.opcases import _harness as h
    spec = opcase.spec
    row = {"op": opcase.OP, "backend": device_type, "case": case_name,
           "dtype": str(dtype).replace("torch.", ""), "fwd_max_abs_err": None, "grad_max_abs_err": None,
           "status": "FAIL", "native_ms": None, "detail": ""}
    args = builder(device_type, dtype=dtype, seed=seed, quick=quick)
    try:
        with h.backend("native"):
            outs, grads = h.forward_backward(spec, opcase.native, args, seed=seed + 1)
            row["native_ms"] = round(h.median_ms(h.fwd_step(opcase.native, args), device_type, repeat=3, budget_s=2), 3)
    except MissingKernelError as e:
        row["detail"] = str(e)
        return row
    with h.backend("reference"):
        ref_outs, ref_grads = h.forward_backward(spec, opcase.reference, args, seed=seed + 1)
    row["fwd_max_abs_err"] = max((h.max_abs(o, r) for o, r in zip(outs, ref_outs)), default=0.0)
    if spec.differentiable:
        row["grad_max_abs_err"] = max((h.max_abs(g, r) for g, r in zip(grads, ref_grads)), default=0.0)
    problems = h.compare(spec, opcase.tolerance(dtype), outs, ref_outs, grads, ref_grads)
    row["status"] = "FAIL" if problems else "pass"
    row["detail"] = "; ".join(problems)
    return row


def _fmt(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def print_table(rows, file=sys.stdout):
    cells = [COLUMNS] + [tuple(_fmt(r[c]) for c in COLUMNS) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    for n, row in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip(), file=file)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=file)
    for r in rows:
        if r["detail"]:
            print(f"{r['op']}/{r['backend']}/{r['case']}: {r['detail']}", file=file)


def requested_backends(requested, device):
    """The --backend values (default: every available device type); CommandError naming
    --backend when a requested device is not present on this machine."""
    from ._common import CommandError
    available = device.available_device_types()
    for name in requested or ():
        if name not in available:
            raise CommandError("--backend", f"no {name} device on this machine (available: {', '.join(available)})")
    return list(dict.fromkeys(requested)) if requested else available


def selected_opcases(ops, opcases):
    """The op cases named by --op (default: all); CommandError naming an unknown op."""
    from ._common import CommandError
    every = opcases.load_all()
    unknown = sorted(set(ops or ()) - {m.OP for m in every})
    if unknown:
        raise CommandError("--op", f"unknown op {', '.join(unknown)}; known: {', '.join(m.OP for m in every)}")
    return [m for m in every if not ops or m.OP in ops]


def run(args):
    import torch
    import ascend_ops
    from ascend_ops import device, opcases
    from ascend_ops.cli.env import collect
    backends = requested_backends(args.backend, device)
    modules = selected_opcases(args.op, opcases)
    torch.manual_seed(args.seed)
    rows = []
    for module in modules:
        for device_type in backends:
            for case_name, builder in module.cases().items():
                if case_name == "empty":
                    continue   # zero-size inputs: covered by the test battery, not a parity row
                for dtype_name in args.dtype:
                    row = check_case(module, case_name, builder, device_type, torch_dtype(dtype_name), quick=not args.full,
                                     seed=args.seed)
                    rows.append(row)
                    print(f"[check] {row['op']} {row['backend']} {row['case']} {row['dtype']}: {row['status']}",
                          file=sys.stderr, flush=True)
    print(f"mode: {'full' if args.full else 'quick (real-model cases with fewer queries; --full for all)'}")
    print_table(rows)
    failed = [r for r in rows if r["status"] != "pass"]
    print(f"{len(rows) - len(failed)} passed, {len(failed)} failed")
    if args.json:
        from ascend_ops._io import atomic_write, json_safe
        with atomic_write(args.json, "w") as f:
            json.dump(json_safe({"env": collect(), "quick": not args.full, "rows": rows, "passed": not failed,
                                 "ascend_kit": ascend_ops.__version__}), f, indent=2, allow_nan=False)
    return 1 if failed else 0


def register(sub):
    p = sub.add_parser("check", help="parity of every op's native kernels vs the reference, fwd + bwd")
    p.add_argument("--op", action="append", help="only this op (repeatable); default: all")
    p.add_argument("--backend", action="append", choices=["cpu", "cuda", "npu"],
                   help="only this backend (repeatable); default: every available device")
    p.add_argument("--dtype", action="append", choices=DTYPES, help="input dtype (repeatable); default float32")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="full", action="store_false", default=False,
                      help="real-model cases with fewer independent elements (default; about a minute on 2 cores)")
    mode.add_argument("--full", dest="full", action="store_true", help="full real-model cases (slow on a CPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the rows and environment as JSON")
    p.set_defaults(func=lambda a: run(_defaults(a)))


def _defaults(args):
    args.dtype = args.dtype or ["float32"]
    return args
