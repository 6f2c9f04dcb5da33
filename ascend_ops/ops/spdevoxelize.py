"""spdevoxelize: torchsparse's trilinear devoxelization (voxel features -> point features).

    out[n]           = sum over k with indices[n, k] >= 0 of weights[n, k] * feats[indices[n, k]]
    grad_feats[m]    = sum over (n, k) with indices[n, k] == m of weights[n, k] * grad_out[n]
    grad_weights[n,k]= <grad_out[n], feats[indices[n, k]]>      (0 where indices[n, k] < 0)

torchsparse uses K = 8 (the trilinear corners, from calc_ti_weights); any K >= 0 works here.

Upstream (mit-han-lab/torchsparse@385f5ce, 2.1.0): torchsparse/nn/functional/devoxelize.py:52-101
(no gradient for weights: backward returns None at :95), CUDA
backend/devoxelize/devoxelize_cuda.cu:10-57, CPU backend/devoxelize/devoxelize_cpu.cpp:9-59.
torchsparse's CPU backward (devoxelize_cpu.cpp:35-59) is wrong and unsafe:
  * it reads the incoming gradient at row indices_[k] (a VOXEL index, :51) instead of the point's
    own row i, so the feature gradient is wrong, and it reads past top_grad's N rows whenever a
    voxel index is >= N;
  * the accumulation at :52-53 sits outside the `indices_[k] >= 0` test, so every missing corner
    (index -1) does `bottom_grad[-c + j] += ...`: a read-modify-write before the start of the
    buffer (out of bounds);
  * it is float32 only (data_ptr<float>).
The CUDA backward (devoxelize_cuda.cu:37-57) has the right formula but sums with atomicAdd (not
deterministic). Here the feature gradient is a deterministic scatter (CPU: each voxel row sums
its (n, k) pairs in pair order), and weights get their gradient too. indices >= M is a
ValueError naming indices (Python) / a TORCH_CHECK (dispatcher).

Shapes and dtypes:
    feats    float [M, C]          (float32, float64, float16, bfloat16)
    indices  int32 | int64 [N, K]  (< M; negative = missing corner)
    weights  float [N, K]
    returns  [N, C] in the promoted dtype of feats and weights
float16 / bfloat16 are computed in float32, float64 in float64. The forward is deterministic
everywhere; the feature gradient is deterministic on the CPU (each voxel row sums its pairs in
pair order, any thread count) and summed with atomicAdd by the CUDA kernel.
"""
import torch

from . import _checks, _index_values
from . import _contract as c

OP = "spdevoxelize"


def check_inputs(feats, indices, weights):
    """Shapes only: indices < M is checked where it is read, by the native kernels and by the
    reference, with the same ValueError."""
    if tuple(weights.shape) != tuple(indices.shape):
        raise ValueError(f"{OP}: weights must have indices' shape [N, K] = {tuple(indices.shape)}, "
                         f"got shape {tuple(weights.shape)}")


def spdevoxelize_reference(feats, indices, weights):
    """Pure-PyTorch ground truth (aten ops only, any device, differentiable in feats and
    weights): one gather per corner k, missing corners masked out (never 0 * feats[0]).
    Checks indices < M first."""
    _index_values.below(OP, "indices", indices, feats.shape[0], "feats.shape[0] (M)")
    dtype = torch.promote_types(feats.dtype, weights.dtype)
    ct = torch.promote_types(dtype, torch.float32)
    N, K = indices.shape
    f, w = feats.to(ct), weights.to(ct)
    out = torch.zeros(N, feats.shape[1], dtype=ct, device=feats.device)
    if feats.shape[0] == 0:   # then every index is negative
        return out.to(dtype)
    for k in range(K):
        col = indices[:, k].long()
        valid = (col >= 0)[:, None]
        g = f.index_select(0, col.clamp(min=0))
        out = out + torch.where(valid, w[:, k, None] * g, torch.zeros_like(g))
    return out.to(dtype)


def _fake(feats, indices, weights):
    dtype = torch.promote_types(feats.dtype, weights.dtype)
    return feats.new_empty(indices.shape[0], feats.shape[1], dtype=dtype)


def _fake_backward(grad_out, feats, indices, weights):
    return torch.empty_like(feats), torch.empty_like(weights)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("feats", "float", rank=2, differentiable=True),
            c.TensorArg("indices", "index", rank=2),
            c.TensorArg("weights", "float", rank=2, differentiable=True)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=spdevoxelize_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu",), ordered=True,
)
spdevoxelize = c.register(SPEC)
