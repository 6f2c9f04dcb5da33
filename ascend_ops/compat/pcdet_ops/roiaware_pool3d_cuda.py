"""Served as `pcdet.ops.roiaware_pool3d.roiaware_pool3d_cuda` (OpenPCDet commit 8cacccec,
pcdet/ops/roiaware_pool3d/src/roiaware_pool3d.cpp:172-177), on any device, on the kit's ops:

    points_in_boxes_cpu(boxes [M,7], pts [N,3], pts_indices int32 [M,N]) -> 1
        pts_indices[m, n] = 1 if point n is in box m else 0 (roiaware_pool3d.cpp:121-168: MARGIN
        1e-2 in x/y, |z - cz| <= dz / 2), every entry written: ascend_ops.ops.points_in_boxes_3d.
    points_in_boxes_gpu(boxes [B,T,7], pts [B,N,3], box_idx_of_points int32 [B,N]) -> 1
        box_idx_of_points[b, n] = index of the first box containing the point (MARGIN 1e-5,
        roiaware_pool3d_kernel.cu:23-36, 313-336); entries of points in no box are left as they
        were (the Python caller fills -1): ascend_ops.ops.points_in_boxes_first.
    forward / backward (RoI-aware pooling): importable, raise NotImplementedError on call.

Boxes are float32 (x, y, z, dx, dy, dz, heading) with (x, y, z) the box centre (z the gravity
centre); points float32 (x, y, z). Note the argument order (boxes, points, out) of the C++.
"""
import torch

from ...ops import points_in_boxes_3d, points_in_boxes_first
from . import _args

_MODULE = "pcdet.ops.roiaware_pool3d.roiaware_pool3d_cuda"


def points_in_boxes_cpu(boxes_tensor, pts_tensor, pts_indices_tensor, /):
    """pts_indices[m, n] = point n in box m (1 / 0), in place; any device (roiaware_pool3d.cpp:143-168)."""
    fn = "points_in_boxes_cpu"
    _args.boxes(fn, "boxes_tensor", boxes_tensor)
    _args.tensor(fn, "pts_tensor", pts_tensor, torch.float32, rank=2, last=3)
    _args.same_device(fn, boxes_tensor=boxes_tensor, pts_tensor=pts_tensor)
    _args.output(fn, "pts_indices_tensor", pts_indices_tensor, torch.int32,
                 boxes_tensor.shape[0] * pts_tensor.shape[0])
    _args.write(pts_indices_tensor, points_in_boxes_3d(pts_tensor, boxes_tensor))
    return 1


def points_in_boxes_gpu(boxes_tensor, pts_tensor, box_idx_of_points_tensor, /):
    """box_idx_of_points[b, n] = first box holding the point, untouched if none (roiaware_pool3d.cpp:98-118)."""
    fn = "points_in_boxes_gpu"
    _args.boxes(fn, "boxes_tensor", boxes_tensor, rank=3)
    _args.tensor(fn, "pts_tensor", pts_tensor, torch.float32, rank=3, last=3)
    _args.same_device(fn, boxes_tensor=boxes_tensor, pts_tensor=pts_tensor)
    if boxes_tensor.shape[0] != pts_tensor.shape[0]:
        raise ValueError(f"{fn}: boxes_tensor and pts_tensor must have the same batch size, got "
                         f"{boxes_tensor.shape[0]} and {pts_tensor.shape[0]}")
    out = _args.output(fn, "box_idx_of_points_tensor", box_idx_of_points_tensor, torch.int32,
                       pts_tensor.shape[0] * pts_tensor.shape[1])
    first = points_in_boxes_first(pts_tensor, boxes_tensor).to(out.device)
    flat = out.view(-1)
    flat.copy_(torch.where(first.reshape(-1) >= 0, first.reshape(-1), flat))
    return 1


_WHY = "RoI-aware pooling is not ported yet; the ports that load this module call only points_in_boxes_*"
forward = _args.not_served(_MODULE, "forward", _WHY)
backward = _args.not_served(_MODULE, "backward", _WHY)
