"""`ascend-kit` command line. Each module in this package that defines
`register(subparsers)` adds one subcommand; its parser's `func(args) -> int` runs it."""
import argparse
import importlib
import pkgutil
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="ascend-kit",
        description="Port 3D perception models from NVIDIA GPUs to Ascend NPUs and prove accuracy parity.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
