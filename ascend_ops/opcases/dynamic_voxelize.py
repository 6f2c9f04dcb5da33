"""Op case of dynamic_voxelize (mmcv's dynamic voxelization, as MVX-Net / CenterPoint-DV use it);
protocol in ascend_ops.opcases. Inputs are hard_voxelize's (without the limits)."""
import torch

from . import hard_voxelize as _hard

OP = "dynamic_voxelize"
# torch.compile(fullgraph) of this op needs dynamo >= 2.2: the float32 rounding of voxel_size /
# coors_range (struct.pack, as the kernels' `(float)` casts) is not traceable by dynamo 2.1.
COMPILE_MIN_TORCH = (2, 2)
COMPILE_SKIP_REASON = "dynamo < 2.2 cannot trace struct.pack (float32 rounding of voxel_size / coors_range)"


def _without_limits(builder):
    def build(device, dtype=torch.float32, seed=0, quick=False):
        return builder(device, dtype=dtype, seed=seed, quick=quick)[:3]
    build.__doc__ = builder.__doc__.split(", max_points")[0] + " (no limits)."
    return build


def cases():
    return {name: _without_limits(b) for name, b in _hard.cases().items()}


def tolerance(dtype):
    return (0.0, 0.0)


def baseline_inputs(points, voxel_size, coors_range):
    return points, voxel_size, coors_range


def baseline(points, voxel_size, coors_range):
    """What a user writes in torch: floor((p - min) / size), a range mask, -1 rows outside (the
    grid size as mmcv computes it)."""
    size = torch.tensor(voxel_size, dtype=points.dtype, device=points.device)
    lo = torch.tensor(coors_range[:3], dtype=points.dtype, device=points.device)
    hi = torch.tensor(coors_range[3:], dtype=points.dtype, device=points.device)
    grid = torch.round((hi - lo) / size)
    c = torch.floor((points[:, :3] - lo) / size)
    inside = ((c >= 0) & (c < grid)).all(1, keepdim=True)
    return torch.where(inside, c.flip(1), torch.full_like(c, -1)).to(torch.int32)


def bad_inputs(device):
    """hard_voxelize's grid and points errors, under this op's name."""
    out = []
    for args, exc, match in _hard.bad_inputs(device):
        if "max_" in match:
            continue
        out.append((args[:3], exc, match))
    return out
