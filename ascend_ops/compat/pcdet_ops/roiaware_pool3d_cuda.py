"""Served as `pcdet.ops.roiaware_pool3d.roiaware_pool3d_cuda` (OpenPCDet commit 8cacccec,
pcdet/ops/roiaware_pool3d/src/roiaware_pool3d.cpp:172-177), on any device, on the kit's ops:

    points_in_boxes_cpu(boxes [M,7], pts [N,3], pts_indices int32 [M,N]) -> 1
        pts_indices[m, n] = 1 if point n is in box m else 0 (roiaware_pool3d.cpp:121-168: MARGIN
        1e-2 in x/y, |z - cz| <= dz / 2), every entry written: ascend_ops.ops.points_in_boxes_3d.
    points_in_boxes_gpu(boxes [B,T,7], pts [B,N,3], box_idx_of_points int32 [B,N]) -> 1
        box_idx_of_points[b, n] = index of the first box containing the point (MARGIN 1e-5,
        roiaware_pool3d_kernel.cu:23-36, 313-336); entries of points in no box are left as they
        were (the Python caller fills -1): ascend_ops.ops.points_in_boxes_first.
    forward / backward: RoI-aware pooling (see _roiaware.py), in place, as the CUDA kernels.

Boxes are float32 (x, y, z, dx, dy, dz, heading) with (x, y, z) the box centre (z the gravity
centre); points float32 (x, y, z). Note the argument order (boxes, points, out) of the C++.
"""
import torch

from ...ops import points_in_boxes_3d, points_in_boxes_first
from . import _args, _roiaware


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


def forward(rois, pts, pts_feature, argmax, pts_idx_of_voxels, pooled_features, pool_method, /):
    """RoI-aware pooling, in place (roiaware_pool3d.cpp:29-66, roiaware_pool3d_kernel.cu:193-233).

    rois float32 [N, 7], pts float32 [P, 3], pts_feature float32 [P, C]; outputs argmax int32
    [N, X, Y, Z, C], pts_idx_of_voxels int32 [N, X, Y, Z, max_pts] (slot 0 the count; the caller
    passes zeros), pooled_features float32 [N, X, Y, Z, C]; pool_method 0 (max) or 1 (avg). -> 1"""
    fn = "forward"
    _args.boxes(fn, "rois", rois)
    _args.tensor(fn, "pts", pts, torch.float32, rank=2, last=3)
    _args.tensor(fn, "pts_feature", pts_feature, torch.float32, rank=2)
    _args.tensor(fn, "pts_idx_of_voxels", pts_idx_of_voxels, torch.int32, rank=5)
    N, X, Y, Z, max_pts = pts_idx_of_voxels.shape
    C = pts_feature.shape[1]
    if pts_feature.shape[0] != pts.shape[0]:
        raise ValueError(f"{fn}: pts_feature must have one row per point ({pts.shape[0]}), got {tuple(pts_feature.shape)}")
    if N != rois.shape[0] or max(X, Y, Z) >= 256 or max_pts < 1:
        raise ValueError(f"{fn}: pts_idx_of_voxels must be [N={rois.shape[0]}, X, Y, Z, max_pts] with X, Y, Z < 256 "
                         f"(8-bit voxel codes) and max_pts >= 1, got {tuple(pts_idx_of_voxels.shape)}")
    for name, t, dtype in (("argmax", argmax, torch.int32), ("pooled_features", pooled_features, torch.float32)):
        _args.tensor(fn, name, t, dtype, rank=5)
        if tuple(t.shape) != (N, X, Y, Z, C):
            raise ValueError(f"{fn}: {name} must have shape {(N, X, Y, Z, C)}, got {tuple(t.shape)}")
    if pool_method not in (0, 1):
        raise ValueError(f"{fn}: pool_method must be 0 (max) or 1 (avg), got {pool_method!r}")
    _args.same_device(fn, rois=rois, pts=pts, pts_feature=pts_feature, argmax=argmax,
                      pts_idx_of_voxels=pts_idx_of_voxels, pooled_features=pooled_features)
    table = pts_idx_of_voxels.view(N * X * Y * Z, max_pts)
    _roiaware.collect(rois, pts, table, (X, Y, Z))
    _roiaware.pool(fn, table, pts_feature, pooled_features.view(-1, C), argmax.view(-1, C), pool_method)
    return 1


def backward(pts_idx_of_voxels, argmax, grad_out, grad_in, pool_method, /):
    """Gradient of forward, accumulated into grad_in float32 [P, C] (roiaware_pool3d.cpp:68-96). -> 1"""
    fn = "backward"
    _args.tensor(fn, "pts_idx_of_voxels", pts_idx_of_voxels, torch.int32, rank=5)
    _args.tensor(fn, "argmax", argmax, torch.int32, rank=5)
    _args.tensor(fn, "grad_out", grad_out, torch.float32, rank=5)
    _args.tensor(fn, "grad_in", grad_in, torch.float32, rank=2)
    N, X, Y, Z, max_pts = pts_idx_of_voxels.shape
    C = grad_out.shape[4]
    for name, t in (("argmax", argmax), ("grad_out", grad_out)):
        if tuple(t.shape) != (N, X, Y, Z, C):
            raise ValueError(f"{fn}: {name} must have shape {(N, X, Y, Z, C)}, got {tuple(t.shape)}")
    if grad_in.shape[1] != C:
        raise ValueError(f"{fn}: grad_in must have {C} columns, got {tuple(grad_in.shape)}")
    if pool_method not in (0, 1):
        raise ValueError(f"{fn}: pool_method must be 0 (max) or 1 (avg), got {pool_method!r}")
    _args.same_device(fn, pts_idx_of_voxels=pts_idx_of_voxels, argmax=argmax, grad_out=grad_out, grad_in=grad_in)
    _roiaware.pool_backward(fn, pts_idx_of_voxels.view(-1, max_pts), argmax.view(-1, C), grad_out.view(-1, C),
                            grad_in, pool_method)
    return 1
