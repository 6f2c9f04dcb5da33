"""`ascend-kit dump-compare A B`: per-module cosine / max abs / max rel error of two LayerDump
folders (A = the run under test, e.g. NPU; B = the reference, e.g. GPU) and the first module
that exceeds the tolerance. Exit 0 all within tolerance, 1 some exceed, 2 unusable input."""
import json

from ._common import CommandError, finite_float, nonnegative_int


def _fmt(v, spec):
    return "-" if v is None else format(v, spec)


def run(args):
    from ascend_ops.precision import DumpError, compare_dumps, first_bad
    from ascend_ops._io import json_safe
    try:
        rows = compare_dumps(args.a, args.b, rank=args.rank, cos_min=args.cos_min, abs_max=args.abs_max)
    except DumpError as e:
        raise CommandError(e.argument, e) from None
    bad = first_bad(rows)
    if args.json:
        print(json.dumps(json_safe({"tolerance": {"cos_min": args.cos_min, "abs_max": args.abs_max},
                                    "first_bad": bad.__dict__ if bad else None,
                                    "rows": [r.__dict__ for r in rows]}), indent=2, default=list, allow_nan=False))
        return 1 if bad else 0
    shown = rows if args.all else [r for r in rows if not r.ok]
    print(f"{'step':>4}  {'tensor':<48} {'cosine':>10} {'max_abs':>10} {'max_rel':>10}  result")
    for r in shown:
        print(f"{r.step:>4}  {r.key:<48} {_fmt(r.cosine, '.6f'):>10} {_fmt(r.max_abs, '.3e'):>10} "
              f"{_fmt(r.max_rel, '.3e'):>10}  {'ok' if r.ok else 'EXCEEDS' + (' (' + r.problem + ')' if r.problem else '')}")
    n_bad = sum(not r.ok for r in rows)
    print(f"{len(rows)} tensors compared, {n_bad} exceed tolerance (cosine > {args.cos_min}, max abs < {args.abs_max})")
    if bad:
        print(f"first module exceeding tolerance: {bad.module} ({bad.kind}, step {bad.step}, tensor {bad.key})")
    return 1 if bad else 0


def register(sub):
    p = sub.add_parser("dump-compare", help="compare two layer dumps module by module (exit 0 ok, 1 exceeds, 2 unusable)",
                       description=__doc__)
    p.add_argument("a", metavar="A", help="dump folder of the run under test (e.g. NPU)")
    p.add_argument("b", metavar="B", help="dump folder of the reference run (e.g. GPU)")
    p.add_argument("--rank", type=nonnegative_int, default=0, help="which rank's dumps to compare (default 0)")
    p.add_argument("--cos-min", type=finite_float(-1.0, 1.0), default=0.99,
                   help="cosine must be above this (default 0.99)")
    p.add_argument("--abs-max", type=finite_float(0.0), default=1e-3,
                   help="max abs error must be below this (default 1e-3, fp32)")
    p.add_argument("--all", action="store_true", help="list every tensor, not only those exceeding")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)
