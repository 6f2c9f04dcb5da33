"""spcount: torchsparse's point count per voxel.

    out[m] = number of i with idx[i] == m, for 0 <= m < num; negative idx entries are skipped

Upstream (mit-han-lab/torchsparse@385f5ce, 2.1.0): torchsparse/nn/functional/count.py:8-16, CPU
backend/others/count_cpu.cpp:7-23 (negative entries skipped at :16; int32 result), CUDA
backend/others/count_cuda.cu:10-31. torchsparse writes out of bounds for idx >= num; here that
is a ValueError naming idx (Python) / a TORCH_CHECK (dispatcher).

Shapes and dtypes:
    idx      int32 | int64 [N]   (entries < num; negative = no voxel)
    num      int >= 0
    returns  int32 [num]
Not differentiable. Deterministic (integer counts).
"""
import torch

from . import _index_values
from . import _contract as c

OP = "spcount"


def check_inputs(idx, num):
    """Sizes only: the values (idx < num) are checked where they are read, by the native kernels
    and by the reference, with the same ValueError."""
    if idx.shape[0] >= 2**31:
        raise ValueError(f"{OP}: idx has {idx.shape[0]} entries; int32 counts hold fewer than 2**31")


def spcount_reference(idx, num):
    """Pure-PyTorch ground truth (aten ops only, any device): an index_add of ones (zeros for
    negative entries), static shapes. Checks idx < num first (ValueError naming idx)."""
    _index_values.below(OP, "idx", idx, num, "num")
    if num == 0:
        return torch.zeros(0, dtype=torch.int32, device=idx.device)
    valid = idx >= 0
    out = torch.zeros(num, dtype=torch.int64, device=idx.device)
    out = out.index_add(0, idx.long().clamp(min=0), valid.long())
    return out.to(torch.int32)


def _fake(idx, num):
    return idx.new_empty(num, dtype=torch.int32)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("idx", "index", rank=1), c.IntArg("num", minimum=0)),
    outputs=(c.Output("counts", "int"),),
    check=check_inputs, reference=spcount_reference, fake=_fake,
    deterministic=True, ordered=True,
)
spcount = c.register(SPEC)
