"""`ascend-kit port MODEL --upstream DIR [--check]`: apply a model's patches to its pinned checkout.

Exit status 0 (patched, already patched, or --check passed); 2 with one line naming the
argument when the checkout or the manifest is unusable or the series does not apply (nothing
changed); 130 / 143 on SIGINT / SIGTERM during the apply (the checkout is restored)."""
import json
import sys

from ._common import CommandError


def run(args):
    from ascend_ops import ports
    if args.list:
        try:
            for name in ports.available_models():
                m = ports.load_manifest(name)
                print(f"{name}: {m['upstream']} @ {m['commit']} ({', '.join(p.name for p in m['patches'])})")
        except ports.PortError as exc:
            raise CommandError("--list", exc) from None
        return 0
    if not args.model or not args.upstream:
        raise CommandError("MODEL --upstream", "MODEL and --upstream DIR are required (or --list)")
    try:
        report = ports.port(args.model, args.upstream, check_only=args.check)
    except ports.PortError as exc:
        raise CommandError(exc.argument, exc) from None
    except ports.PortInterrupted as exc:
        print(f"{args._parser.prog}: {exc}", file=sys.stderr)
        return 128 + exc.signum
    for warning in report["warnings"]:
        print(f"{args._parser.prog}: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['model']}: {report['upstream_dir']} at {report['commit']}: {report['state']}")
        for row in report["patches"]:
            print(f"  {row['patch']}: {row['status']}")
    return 0


def register(sub):
    p = sub.add_parser("port", help="check/apply a model's patches to its pinned upstream checkout",
                       description=__doc__)
    p.add_argument("model", nargs="?", help="folder name under model_examples/, e.g. Sparse4D")
    p.add_argument("--upstream", metavar="DIR", help="upstream git checkout at the pinned commit")
    p.add_argument("--check", action="store_true", help="only check that every patch applies; change nothing")
    p.add_argument("--list", action="store_true", help="list models that have a port.json")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)
