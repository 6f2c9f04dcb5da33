"""sparse2bev: Ada3D's sparse voxels -> dense BEV map, summing each BEV column over z.

    bev[b, c, y, x] = sum over voxels i with coors[i] = (b, *, y, x) of features[i, c]
    mask[b, y, x]   = 1 where at least one voxel lies in column (b, y, x), else 0

Upstream: SparseBEVTools' Sparse2BEVFunction (A-suozhang/ada3d@9512743,
SparseBEVTools/SparseBEVTools/functional.py lines 7-21; CUDA kernel ops/src/sparse2bev_cuda.cu
lines 3-42). Its backward gathers grad_features[i, c] = grad_bev[b_i, c, y_i, x_i]; the mask
has no gradient.

Shapes and dtypes:
    features      float [M, C]  (float32, float64, float16, bfloat16; float16/bfloat16 summed in float32)
    coors         int32 | int64 [M, 4]  rows (b, z, y, x); 0 <= b < batch_size, 0 <= z < Z, ...
    spatial_shape 3 ints (Z, Y, X)
    batch_size    int >= 1
    returns       bev [batch_size, C, Y, X] in features' dtype, mask int32 [batch_size, Y, X]
Duplicate coordinates are all summed. The CPU kernel is deterministic (each sum in input order,
independent of the thread count), and so is the Ascend C kernel (each core owns an output block
and adds in input order); the CUDA kernel adds with atomics, so its sums may differ in the last
bits from run to run.
"""
import torch

from .. import _dispatch
from . import _checks
from . import _contract as c

OP = "sparse2bev"
_COLUMNS = ("batch index", "z", "y", "x")


def check_coors_values(coors, spatial_shape, batch_size):
    """Raise ValueError naming coors when a coordinate lies outside [0, batch_size) x [0, Z) x
    [0, Y) x [0, X). Reads the tensor (one small device -> host copy)."""
    if coors.shape[0] == 0:
        return
    limits = torch.tensor([batch_size, *spatial_shape], dtype=torch.int64)
    lo, hi = coors.amin(0).cpu().long(), coors.amax(0).cpu().long()
    bad = (lo < 0) | (hi >= limits)
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        bound = "batch_size" if k == 0 else f"spatial_shape[{k - 1}]"
        value = int(lo[k]) if lo[k] < 0 else int(hi[k])
        raise ValueError(f"{OP}: coors[:, {k}] ({_COLUMNS[k]}) must lie in [0, {bound} = {int(limits[k])}), "
                         f"got {value}")


def check_inputs(features, coors, spatial_shape, batch_size):
    """Op-specific validation after the contract's generic checks (tensor types and ranks, one
    device, spatial_shape 3 ints >= 1, batch_size int >= 1): coors [M, 4] with M =
    features.shape[0] and, outside torch.compile, every coordinate in range."""
    if coors.shape[1] != 4:
        raise ValueError(f"{OP}: coors must be [M, 4] (b, z, y, x), got shape {tuple(coors.shape)}")
    _checks.size(OP, "coors", coors, 0, features.shape[0], "features.shape[0] (M)")
    if coors.shape[0] and _checks.compiled_value_checks(coors):
        limits = torch.tensor([int(batch_size), *(int(s) for s in spatial_shape)], device=coors.device)
        _checks.assert_in_graph(((coors >= 0) & (coors < limits)).all(),
                                f"{OP}: coors rows (b, z, y, x) must lie in [0, batch_size) x [0, Z) x [0, Y) x [0, X) "
                                f"= {[int(batch_size), *(int(s) for s in spatial_shape)]}")
    elif coors.device.type != "meta" and not _dispatch.is_compiling():
        check_coors_values(coors, [int(s) for s in spatial_shape], int(batch_size))


def sparse2bev_reference(features, coors, spatial_shape, batch_size):
    """Pure-PyTorch ground truth (aten only, any device, differentiable w.r.t. features): an
    index_add of the voxel rows into a [B*Y*X, C] buffer, summed in at least float32."""
    _, Y, X = (int(s) for s in spatial_shape)
    B, C = int(batch_size), features.shape[1]
    ct = torch.promote_types(features.dtype, torch.float32)
    idx = coors.long()
    cell = (idx[:, 0] * Y + idx[:, 2]) * X + idx[:, 3]
    flat = features.new_zeros(B * Y * X, C, dtype=ct).index_add(0, cell, features.to(ct))
    bev = flat.view(B, Y, X, C).permute(0, 3, 1, 2).contiguous().to(features.dtype)
    mask = torch.zeros(B * Y * X, dtype=torch.int32, device=features.device)
    mask = mask.index_fill(0, cell, 1).view(B, Y, X)
    return bev, mask


def _fake(features, coors, spatial_shape, batch_size):
    _, Y, X = spatial_shape
    bev = features.new_empty(batch_size, features.shape[1], Y, X)
    return bev, features.new_empty(batch_size, Y, X, dtype=torch.int32)


def _fake_backward(grad_bev, features, coors, spatial_shape, batch_size):
    return torch.empty_like(features)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("features", "float", rank=2, differentiable=True),
            c.TensorArg("coors", "index", rank=2),
            c.IntListArg("spatial_shape", length=3, minimum=1),
            c.IntArg("batch_size", minimum=1)),
    outputs=(c.Output("bev", "float"), c.Output("mask", "int")),
    check=check_inputs, reference=sparse2bev_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu", "npu"),   # the CUDA forward adds with float atomics
    ordered=True,
    float_dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
)
sparse2bev = c.register(SPEC)
