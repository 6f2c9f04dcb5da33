"""Index checks shared by the sparse gather / scatter / max-pool ops (issue 12)."""
import torch

from .. import _dispatch
from . import _checks


def check_index_values(op, name, index, bound, what):
    """ValueError naming `name` when an entry of the integer tensor `index` lies outside
    [0, bound) (`what` names the bound). Reads the tensor (one small device -> host copy); under
    torch.compile the check is kept in the graph (RuntimeError); skipped on meta tensors."""
    if index.numel() == 0 or index.device.type == "meta":
        return
    if _checks.compiled_value_checks(index):
        _checks.assert_in_graph(((index >= 0) & (index < bound)).all(),
                                f"{op}: {name} has an entry outside [0, {what} = {bound})")
        return
    if _dispatch.is_compiling():
        return
    lo, hi = int(index.min()), int(index.max())   # (min / max: every backend has them)
    if lo < 0 or hi >= bound:
        value = lo if lo < 0 else hi
        pos = int((index == value).nonzero()[0, 0])
        raise ValueError(f"{op}: {name}[{pos}] = {value} is outside [0, {what} = {bound})")


def sum_dtype(dtype):
    """The dtype sums are accumulated in: float32 for float16 / bfloat16, else `dtype`."""
    return torch.promote_types(dtype, torch.float32)
