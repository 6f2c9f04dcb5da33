"""scatter_mean: torch_scatter's scatter_mean along dim 0 (mean of the rows sharing an index).

    out[r, c] = (sum of src[i, c] over i with index[i] == r) / max(1, count[r])
    count[r]  = number of i with index[i] == r                (an empty row is 0)
    grad_src[i, c] = grad_out[index[i], c] / max(1, count[index[i]])

Upstream: rusty1s/pytorch_scatter@0cd6dfe, torch_scatter/scatter.py:35-54 (scatter_mean: a
scatter_sum, a scatter_sum of ones as the count, `count[count < 1] = 1`, then `out.div_(count)`),
with dim = 0 and a given dim_size; its gradient is autograd's through those ops, i.e. the formula
above. Differences, all in the kit's favour: the count is an exact integer (torch_scatter sums
ones in src's dtype, so a float16 count stops at 2048), and the sums are deterministic.

Shapes and dtypes:
    src       float [N, C]  float32, float64, float16, bfloat16 (differentiable)
    index     int32 | int64 [N], every value in [0, dim_size)
    dim_size  int >= 0
    returns   out [dim_size, C] in src's dtype
Precision: sums in float32 for float32 / float16 / bfloat16 (float64 in float64), each output
element summed in input order (deterministic on the CPU, independent of the thread count), one
division by the count, one rounding to src's dtype. The gradient: grad_out / count in the same
accumulation type, gathered per row, rounded once.
"""
import torch

from .. import _dispatch
from . import _checks
from . import _contract as c

OP = "scatter_mean"


def check_index_values(index, dim_size):
    """ValueError naming index when a value lies outside [0, dim_size) (reads the tensor)."""
    if index.numel() == 0:
        return
    lo, hi = int(index.min()), int(index.max())
    if lo < 0 or hi >= dim_size:
        bad = lo if lo < 0 else hi
        row = int(((index < 0) | (index >= dim_size)).nonzero()[0, 0])
        raise ValueError(f"{OP}: index[{row}] = {int(index[row])} is outside [0, dim_size = {dim_size}) "
                         f"(values span {lo} .. {hi}; first bad value {bad})")


def check_inputs(src, index, dim_size):
    """After the contract's generic checks (types, ranks, dtype kinds, one device, dim_size >= 0):
    index has one entry per src row and, outside torch.compile, every value in range."""
    _checks.size(OP, "index", index, 0, src.shape[0], "src.shape[0] (N)")
    if index.numel() and _checks.compiled_value_checks(index):
        _checks.assert_in_graph(((index >= 0) & (index < int(dim_size))).all(),
                                f"{OP}: index has an entry outside [0, dim_size = {int(dim_size)})")
    elif index.device.type != "meta" and not _dispatch.is_compiling():
        check_index_values(index, int(dim_size))


def scatter_mean_reference(src, index, dim_size):
    """Pure-PyTorch ground truth (aten only, any device, differentiable w.r.t. src): index_add
    of the rows in the accumulation type (input order on the CPU), divided by the integer count
    (clamped to 1)."""
    acc = torch.promote_types(src.dtype, torch.float32)
    idx = index.long()
    total = src.new_zeros(dim_size, src.shape[1], dtype=acc).index_add(0, idx, src.to(acc))
    ones = torch.ones(idx.shape, dtype=torch.long, device=idx.device)
    count = torch.zeros(dim_size, dtype=torch.long, device=idx.device).index_add(0, idx, ones)
    count = count.clamp(min=1).to(acc)
    return (total / count[:, None]).to(src.dtype)


def _fake(src, index, dim_size):
    return src.new_empty(dim_size, src.shape[1])


def _fake_backward(grad_out, src, index, dim_size):
    return torch.empty_like(src)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("src", "float", rank=2, differentiable=True),
            c.TensorArg("index", "index", rank=1),
            c.IntArg("dim_size", minimum=0)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=scatter_mean_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu",), ordered=True,
)
scatter_mean = c.register(SPEC)
