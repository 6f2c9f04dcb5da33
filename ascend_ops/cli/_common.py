"""How every `ascend-kit` command reports unusable input: one line, exit status 2.

A command raises `CommandError(argument, why)`; `ascend_ops.cli.main` prints
`ascend-kit <command>: error: <argument>: <why>` and exits 2. argparse's own usage errors use
the same one-line form (`Parser.error`), and so do OS errors on the files a command reads or
writes (a folder where a file belongs, an unwritable path, a full disk): main names the argument
that gave the path. Nothing here imports torch.
"""
import argparse
import math
import os

__all__ = ["CommandError", "Parser", "finite_float", "positive_int", "nonnegative_int", "argument_for_path",
           "argument_name"]


class CommandError(Exception):
    """Unusable input for a command: `argument` (as the user typed it, e.g. '--thresholds' or
    'NPU_RESULT') and `why` (one line)."""

    def __init__(self, argument, why):
        why = " ".join(str(why).split()) if "\n" in str(why) else str(why)
        super().__init__(f"{argument}: {why}" if argument else why)
        self.argument, self.why = argument, why


class Parser(argparse.ArgumentParser):
    """argparse parser whose usage errors are one line (`prog: error: message`), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def finite_float(minimum=None, maximum=None, strict_minimum=False):
    """argparse type: a finite float (NaN and +-inf refused), optionally bounded."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict_minimum else '>='} {minimum:g}, got {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum:g}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text!r}")
        return value
    parse.__name__ = "integer"
    return parse


positive_int = _int_at_least(1)
nonnegative_int = _int_at_least(0)


def argument_name(parser, dest):
    """How the user spells the argument stored in `dest` ('--thresholds', 'NPU_RESULT')."""
    for action in getattr(parser, "_actions", ()):
        if action.dest == dest:
            if action.option_strings:
                return next((s for s in action.option_strings if s.startswith("--")), action.option_strings[0])
            return action.metavar if isinstance(action.metavar, str) else action.dest
    return dest


def _paths_of(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def argument_for_path(parser, args, filename):
    """The argument whose value is `filename` or a folder above it, or None."""
    if not filename:
        return None
    target = os.path.abspath(os.fspath(filename))
    best = None
    for dest, value in vars(args).items():
        if dest.startswith("_"):
            continue
        for text in _paths_of(value):
            if not text:
                continue
            p = os.path.abspath(text)
            if target == p or target.startswith(p.rstrip(os.sep) + os.sep) or \
                    os.path.dirname(target) == os.path.dirname(p) and os.path.basename(target).startswith(
                        "." + os.path.basename(p)):
                if best is None or len(p) > len(best[1]):
                    best = (dest, p)
    return argument_name(parser, best[0]) if best else None
