"""spvoxelize: torchsparse's mean voxelization of point features.

    out[m] = sum over i with idx[i] == m of feats[i] / counts[m]     (0 where counts[m] == 0)
    grad_feats[i] = grad_out[idx[i]] / counts[idx[i]]                (0 for idx[i] < 0 or count 0)

Each point's share is divided first and the shares summed, as torchsparse does. With counts =
spcount(idx, M) this is the per-voxel mean.

Upstream (mit-han-lab/torchsparse@385f5ce, 2.1.0): torchsparse/nn/functional/voxelize.py:11-59;
CUDA backend/voxelize/voxelize_cuda.cu:39-76 (entries with idx < 0, idx >= M or counts[idx] == 0
skipped); CPU backend/voxelize/voxelize_cpu.cpp:7-43 (float32 only; reads counts[idx] without a
bounds check, so idx = -1 reads before the buffer). Here negative idx entries are skipped (the
CUDA kernel's rule), idx >= M is a ValueError naming idx, and negative counts a ValueError naming
counts; float64 is computed in float64, float16 / bfloat16 in float32.

Shapes and dtypes:
    feats    float [N, C]         (float32, float64, float16, bfloat16)
    idx      int32 | int64 [N]    (< M; negative = point in no voxel)
    counts   int32 | int64 [M]    (>= 0; usually spcount(idx, M))
    returns  [M, C] in feats' dtype
The CPU kernel is deterministic: each voxel sums its points in point order, independent of the
thread count. The CUDA kernel sums with atomicAdd (float32 / float64 accumulator): its last bits
may vary run to run.
"""
import torch

from . import _checks, _index_values
from . import _contract as c

OP = "spvoxelize"


def check_inputs(feats, idx, counts):
    """Shapes only: the values (idx < M, counts >= 0) are checked where they are read, by the
    native kernels and by the reference, with the same ValueError."""
    _checks.size(OP, "idx", idx, 0, feats.shape[0], "feats.shape[0] (N)")


def check_values(idx, counts):
    _index_values.below(OP, "idx", idx, counts.shape[0], "counts.shape[0] (M)")
    _index_values.non_negative(OP, "counts", counts)


def _shares(feats, idx, counts):
    """Per point: (voxel row clamped to >= 0, feats[i] / counts[idx[i]] in at least float32, or 0)."""
    ct = torch.promote_types(feats.dtype, torch.float32)
    row = idx.long().clamp(min=0)
    cnt = counts.long().index_select(0, row)
    valid = (idx >= 0) & (cnt > 0)
    share = feats.to(ct) / cnt.clamp(min=1).to(ct)[:, None]
    return row, torch.where(valid[:, None], share, torch.zeros_like(share))


def spvoxelize_reference(feats, idx, counts):
    """Pure-PyTorch ground truth (aten ops only, any device, differentiable in feats); checks
    the index values first."""
    check_values(idx, counts)
    M, C = counts.shape[0], feats.shape[1]
    ct = torch.promote_types(feats.dtype, torch.float32)
    if M == 0:
        return feats.new_zeros(0, C)
    row, share = _shares(feats, idx, counts)
    out = torch.zeros(M, C, dtype=ct, device=feats.device).index_add(0, row, share)
    return out.to(feats.dtype)


def _fake(feats, idx, counts):
    return feats.new_empty(counts.shape[0], feats.shape[1])


def _fake_backward(grad_out, feats, idx, counts):
    return torch.empty_like(feats)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("feats", "float", rank=2, differentiable=True),
            c.TensorArg("idx", "index", rank=1),
            c.TensorArg("counts", "index", rank=1)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=spvoxelize_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu",), ordered=True,
)
spvoxelize = c.register(SPEC)
