"""`ascend-kit compare NPU_RESULT GPU_RESULT`: verdict on a paired NPU/GPU run.

Exit status: 0 pass, 1 fail, 2 unusable input (unreadable/truncated/invalid result, a run
that did not finish, different models, bad thresholds file, an --out that cannot be written),
with one line naming the argument. Two runs without a finite loss at any shared step FAIL."""
import os
import sys

from ._common import CommandError


def _load(argument, path):
    from ascend_ops.results import ResultError, load_result
    try:
        return load_result(path)
    except ResultError as e:
        raise CommandError(argument, e) from None


def run(args):
    from ascend_ops._io import JSONFileError, atomic_write, read_json
    from ascend_ops.results import ResultError
    from ascend_ops.results.compare import check_thresholds, compare_results, render_markdown
    npu, gpu = _load("NPU_RESULT", args.npu_result), _load("GPU_RESULT", args.gpu_result)
    thresholds = {}
    if args.thresholds:
        try:
            thresholds = check_thresholds(read_json(args.thresholds, "thresholds file"))
        except (JSONFileError, ResultError) as e:
            raise CommandError("--thresholds", e) from None
    try:
        verdict = compare_results(npu, gpu, thresholds)
    except ResultError as e:
        raise CommandError("NPU_RESULT GPU_RESULT", e) from None
    plots, plot_error = None, None
    if args.out:
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise CommandError("--out", f"{args.out} exists and is not a folder")
        os.makedirs(args.out, exist_ok=True)
        from ascend_ops.results.plots import write_plots
        try:
            plots = write_plots(verdict, args.out)
        except ImportError as e:
            plot_error = str(e)
            print(f"warning: plots not written: {e}", file=sys.stderr)
    report = render_markdown(verdict, plots, plot_error)
    if args.out:
        path = os.path.join(args.out, "report.md")
        with atomic_write(path, "w") as f:
            f.write(report)
    for c in verdict.checks:
        print(f"{'PASS' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    for w in verdict.warnings:
        print(f"warning: {w}")
    if args.out:
        print(f"report: {os.path.join(args.out, 'report.md')}")
    print(f"verdict: {'PASS' if verdict.passed else 'FAIL'}")
    return 0 if verdict.passed else 1


def register(sub):
    p = sub.add_parser("compare", help="compare an NPU and a GPU run result (exit 0 pass, 1 fail, 2 unusable)",
                       description=__doc__)
    p.add_argument("npu_result", metavar="NPU_RESULT", help="result JSON of the NPU run")
    p.add_argument("gpu_result", metavar="GPU_RESULT", help="result JSON of the GPU run (the reference)")
    p.add_argument("--thresholds", metavar="FILE", help="JSON thresholds (see docs/results-schema.md)")
    p.add_argument("--out", metavar="DIR", help="write report.md and PNG plots here")
    p.set_defaults(func=run)
