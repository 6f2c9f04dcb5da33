"""`ascend-kit` command line. Each module in this package that defines
`register(subparsers)` adds one subcommand; its parser's `func(args) -> int` runs it.

Start-up stays light: building the parser imports no torch and none of the kit's ops (a
command imports what it needs inside its `func`), so `--help` is fast.

Errors: unusable input ends a command with exit status 2 and one line on stderr,
`ascend-kit <command>: error: <argument>: <why>` (ascend_ops.cli._common.CommandError, argparse
usage errors, OS errors on the files named by arguments). A signal or Ctrl-C ends it with
128 + the signal number and one line.
"""
import errno
import importlib
import pkgutil
import signal
import sys

from ._common import CommandError, Parser, argument_for_path


def _tag_parsers(parser):
    """Every (sub)parser records itself, so main knows which command's arguments to name."""
    parser.set_defaults(_parser=parser)
    for action in parser._actions:
        for sub in (getattr(action, "choices", None) or {}).values() if hasattr(action, "add_parser") else ():
            _tag_parsers(sub)


def build_parser():
    parser = Parser(
        prog="ascend-kit",
        description="Port 3D perception models from NVIDIA GPUs to Ascend NPUs and prove accuracy parity.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    _tag_parsers(parser)
    return parser


def _report(prog, message, status):
    print(f"{prog}: {message}", file=sys.stderr)
    return status


def _os_error(parser, args, exc):
    filename = exc.filename
    argument = argument_for_path(parser, args, filename) if filename else None
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        why = "no space left on the device (nothing was written or the old file was kept)"
    where = f"{argument}: {filename}" if argument else (f"{filename}" if filename else "")
    return f"error: {where}: {why}" if where else f"error: {why}"


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_command(args)


def run_command(args):
    """Run `args.func(args)`; unusable input, OS errors and signals become one line and an exit
    status (see the module docstring). `args._parser` is the command's parser."""
    command_parser = args._parser
    prog = command_parser.prog
    try:
        return int(args.func(args) or 0)
    except CommandError as e:
        return _report(prog, f"error: {e}", 2)
    except OSError as e:   # a path named by an argument cannot be read or written
        return _report(prog, _os_error(command_parser, args, e), 2)
    except KeyboardInterrupt as e:
        signum = getattr(e, "signum", signal.SIGINT)
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        return _report(prog, f"interrupted ({name}); files being written were left as they were", 128 + signum)


if __name__ == "__main__":
    sys.exit(main())
