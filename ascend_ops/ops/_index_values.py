"""Value checks of index tensors shared by the torchsparse point ops (sphash ... spdevoxelize).

Each reads the tensor once (min / max, then the first offending entry only on failure) and
raises ValueError naming the argument, the first bad position and its value. Skipped for meta
tensors and while torch.compile traces (the native kernels check again, with TORCH_CHECK)."""
import torch

from .. import _dispatch
from . import _checks


def readable(t):
    """True when `t`'s values may be read here (not meta, not under torch.compile tracing)."""
    return t.numel() > 0 and t.device.type != "meta" and not _dispatch.is_compiling()


def _first(op, name, t, bad, what):
    pos = tuple(int(v) for v in bad.nonzero()[0])
    where = ", ".join(str(p) for p in pos)
    raise ValueError(f"{op}: {name}[{where}] = {int(t[pos])} {what}")


def _traced(op, name, t, ok, what):
    """Under torch.compile: keep the check `ok` in the graph; True when it was handled so."""
    if t.numel() and _checks.compiled_value_checks(t):
        _checks.assert_in_graph(ok.all(), f"{op}: {name} has an entry that {what}")
        return True
    return False


def below(op, name, t, upper, upper_name):
    """Every entry of `t` < upper (negative entries allowed: they mean "no row")."""
    if _traced(op, name, t, t < upper, f"is not < {upper_name} = {upper}"):
        return
    if readable(t) and int(t.max()) >= upper:
        _first(op, name, t, t >= upper, f"must be < {upper_name} = {upper} (negative entries mean none)")


def non_negative(op, name, t):
    if _traced(op, name, t, t >= 0, "is negative"):
        return
    if readable(t) and int(t.min()) < 0:
        _first(op, name, t, t < 0, "must be >= 0")
