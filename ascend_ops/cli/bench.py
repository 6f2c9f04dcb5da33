"""`ascend-kit bench`: per op and backend, median time of the native kernel, the upstream's own
PyTorch fallback (baseline) and the kit's reference, forward and forward+backward, measured in
one run and reported as ratios to native."""
import datetime
import json
import os
import platform
import sys

DTYPES = ("bfloat16", "float16", "float32")


def torch_dtype(name):
    import torch
    return getattr(torch, name)
IMPLS = ("native", "baseline", "reference")


def git_commit():
    """(commit, dirty) of the kit's checkout, or (None, None) outside a git checkout."""
    from ascend_ops.results.writer import git_commit as commit_of
    return commit_of(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def bench_case(opcase, case_name, device_type, dtype, quick, warmup, repeat, budget_s, seed=0):
    """Median ms of each implementation, forward and forward+backward, for one case."""
    from ascend_ops.opcases import _harness as h
    args = opcase.cases()[case_name](device_type, dtype=dtype, seed=seed, quick=quick)
    diff = opcase.differentiable
    runs = {"native": (opcase.native, args, diff, "native")}
    if opcase.baseline is not None:
        bargs = opcase.baseline_inputs(*args)
        runs["baseline"] = (opcase.baseline, bargs, h.float_indices(bargs) if diff else (), "auto")
    runs["reference"] = (opcase.reference, args, diff, "reference")
    row = {"op": opcase.OP, "backend": device_type, "case": case_name, "quick": quick,
           "dtype": str(dtype).replace("torch.", "")}
    for impl in IMPLS:
        for kind in ("fwd", "fwdbwd"):
            row[f"{impl}_{kind}_ms"] = None
    for impl, (fn, a, d, mode) in runs.items():
        with h.backend(mode):
            row[f"{impl}_fwd_ms"] = h.median_ms(h.fwd_step(fn, a), device_type, warmup, repeat, budget_s)
            if diff:   # a non-differentiable op has no backward to time
                row[f"{impl}_fwdbwd_ms"] = h.median_ms(h.fwd_bwd_step(fn, a, d), device_type, warmup, repeat,
                                                       budget_s)
        bwd = row[f"{impl}_fwdbwd_ms"]
        print(f"[bench] {opcase.OP} {device_type} {case_name} {impl}: fwd {row[f'{impl}_fwd_ms']:.2f} ms"
              + (f", fwd+bwd {bwd:.2f} ms" if bwd is not None else ""), file=sys.stderr, flush=True)
    for impl in ("baseline", "reference"):
        for kind in ("fwd", "fwdbwd"):
            mine, native = row[f"{impl}_{kind}_ms"], row[f"native_{kind}_ms"]
            row[f"{impl}_over_native_{kind}"] = mine / native if mine is not None and native else None
    return row


def print_table(rows, file=sys.stdout):
    head = ("op", "backend", "case", "measure", "native ms", "baseline ms", "reference ms", "baseline/native",
            "reference/native")
    cells = [head]

    def ms(v):
        return "-" if v is None else f"{v:.2f}"

    def ratio(v):
        return "-" if v is None else f"{v:.2f}x"
    for r in rows:
        for kind, label in (("fwd", "fwd"), ("fwdbwd", "fwd+bwd")):
            if r[f"native_{kind}_ms"] is None:
                continue
            cells.append((r["op"], r["backend"], r["case"] + (" (quick)" if r["quick"] else ""), label,
                          ms(r[f"native_{kind}_ms"]), ms(r[f"baseline_{kind}_ms"]), ms(r[f"reference_{kind}_ms"]),
                          ratio(r[f"baseline_over_native_{kind}"]), ratio(r[f"reference_over_native_{kind}"])))
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for n, c in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip(), file=file)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=file)


def environment(device_type_list):
    import torch
    import ascend_ops
    from ascend_ops import _ext, device
    commit, dirty = git_commit()
    return {"ascend_kit": ascend_ops.__version__, "git_commit": commit, "git_dirty": dirty,
            "python": platform.python_version(), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "devices": {t: device.device_name(t) for t in device_type_list},
            "kernel_backends": {k: ok for k, (ok, _) in _ext.status().items()}, "cpu_build": _ext.build_info(),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def run(args):
    from ascend_ops import device, opcases
    from ._common import CommandError
    from .check import requested_backends, selected_opcases
    backends = requested_backends(args.backend, device)
    modules = selected_opcases(args.op, opcases)
    for module in modules:
        for case_name in args.case:
            if case_name not in module.cases():
                raise CommandError("--case", f"{module.OP} has no case {case_name!r}; it has {list(module.cases())}")
    from ascend_ops import MissingKernelError
    dtype = torch_dtype(args.dtype)
    rows, missing = [], []
    for module in modules:
        for device_type in backends:
            for case_name in args.case:
                try:
                    rows.append(bench_case(module, case_name, device_type, dtype, args.quick, args.warmup,
                                           args.repeat, args.budget, seed=args.seed))
                except MissingKernelError as e:
                    missing.append(f"{module.OP} on {device_type}: {e}")
    print_table(rows)
    print("x > 1: native is x times faster. baseline = the upstream's own PyTorch fallback; reference = the kit's "
          "pure-PyTorch ground truth.")
    if args.json:
        from ascend_ops._io import atomic_write, json_safe
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with atomic_write(args.json, "w") as f:
            json.dump(json_safe({"env": environment(backends), "dtype": args.dtype, "warmup": args.warmup,
                                 "repeat": args.repeat, "rows": rows, "not_timed": missing}), f, indent=2,
                      allow_nan=False)
        print(f"wrote {args.json}")
    for line in missing:
        print(f"ascend-kit bench: not timed, no native kernel: {line}", file=sys.stderr)
    return 1 if missing else 0


def register(sub):
    from ._common import finite_float, nonnegative_int, positive_int
    p = sub.add_parser("bench", help="time native vs upstream fallback vs reference, fwd and fwd+bwd")
    p.add_argument("--op", action="append", help="only this op (repeatable); default: all")
    p.add_argument("--backend", action="append", choices=["cpu", "cuda", "npu"],
                   help="only this backend (repeatable); default: every available device")
    p.add_argument("--case", action="append", help="op case(s) to time (repeatable); default: real")
    p.add_argument("--quick", action="store_true", help="shrunk real-model cases (fewer queries)")
    p.add_argument("--dtype", choices=DTYPES, default="float32")
    p.add_argument("--warmup", type=nonnegative_int, default=1)
    p.add_argument("--repeat", type=positive_int, default=5, help="timed runs per measurement (median reported)")
    p.add_argument("--budget", type=finite_float(0, strict_minimum=True), default=20.0,
                   help="seconds after which a measurement stops repeating (at least one timed run)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="write rows, versions and git commit as JSON")
    p.set_defaults(func=lambda a: run(_defaults(a)))


def _defaults(args):
    args.case = args.case or ["real"]
    return args
