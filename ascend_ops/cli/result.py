"""`ascend-kit result`: check result files and try the log parsers on a log.

  ascend-kit result validate FILE...                 exit 0 valid, 2 otherwise
  ascend-kit result parse-log --train-format F LOG   steps, step time, loss range as JSON
  ascend-kit result parse-log --eval-format F LOG    metrics as JSON
"""
import json
import sys

from ._common import CommandError


def _validate(args):
    from ascend_ops.results import ResultError, load_result
    bad = []
    for path in args.files:
        try:
            r = load_result(path)
            print(f"{path}: valid (schema {r['schema_version']}, {r['model']} {r['kind']}, status {r['status']})")
        except ResultError as e:
            bad.append(str(e))
    if len(bad) > 1:   # one line per file that is not valid; the last goes through CommandError
        for line in bad[:-1]:
            print(f"{args._parser.prog}: error: FILE: {line}", file=sys.stderr)
    if bad:
        raise CommandError("FILE", bad[-1])
    return 0


def _parse_log(args):
    from ascend_ops.results import LogParseError, parse_eval_log, parse_train_log, step_time_stats
    if bool(args.train_format) == bool(args.eval_format):
        raise CommandError("--train-format/--eval-format", "give exactly one of them")
    try:
        if args.train_format:
            t = parse_train_log(args.train_format, args.log)
            losses = [s.loss for s in t.steps if s.loss is not None]
            out = {"format": t.format, "unit": t.step_unit, "logged_steps": len(t.steps),
                   "first_step": t.steps[0].step, "last_step": t.steps[-1].step, "total_steps": t.total_steps,
                   "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
                   "step_time_s": step_time_stats(t.steps, args.warmup_steps), "metrics": t.metrics}
        else:
            out = parse_eval_log(args.eval_format, args.log)
    except (LogParseError, ValueError) as e:
        raise CommandError("LOG", e) from None
    from ascend_ops._io import json_safe
    print(json.dumps(json_safe(out), indent=2, allow_nan=False))
    return 0



def register(sub):
    p = sub.add_parser("result", help="validate result files, try the log parsers on a log", description=__doc__,
                       formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    s = p.add_subparsers(dest="result_command", metavar="ACTION", required=True)
    v = s.add_parser("validate", help="check result JSON files against the schema")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.set_defaults(func=_validate)
    from ascend_ops.results.parsers import EVAL_FORMATS, TRAIN_FORMATS
    from ._common import nonnegative_int
    q = s.add_parser("parse-log", help="parse a training or evaluation log")
    q.add_argument("log", metavar="LOG")
    q.add_argument("--train-format", choices=sorted(TRAIN_FORMATS))
    q.add_argument("--eval-format", choices=sorted(EVAL_FORMATS))
    q.add_argument("--warmup-steps", type=nonnegative_int, default=5, help="logged steps left out of step time (default 5)")
    q.set_defaults(func=_parse_log)
