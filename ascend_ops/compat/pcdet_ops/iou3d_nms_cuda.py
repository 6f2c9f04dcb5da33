"""Served as `pcdet.ops.iou3d_nms.iou3d_nms_cuda` (OpenPCDet's compiled extension, commit 8cacccec,
pcdet/ops/iou3d_nms/src/iou3d_nms_api.cpp:11-20), on any device, in pure torch.

Same names, positional arguments, in-place outputs and int return values as the pybind module:

    boxes_overlap_bev_gpu(boxes_a [N,7], boxes_b [M,7], ans_overlap [N,M]) -> 1
    boxes_iou_bev_gpu(boxes_a [N,7], boxes_b [M,7], ans_iou [N,M]) -> 1
    boxes_iou_bev_cpu(boxes_a [N,7], boxes_b [M,7], ans_iou [N,M]) -> 1
    boxes_aligned_overlap_bev_gpu(boxes_a [N,7], boxes_b [N,7], ans_overlap [N,1]) -> 1
    paired_boxes_overlap_bev_gpu(boxes_a [N,7], boxes_b [N,7], ans_overlap [N,1]) -> 1
    boxes_aligned_iou_bev_cpu(boxes_a [N,7], boxes_b [N,7], ans_iou [N,1]) -> 1
    nms_gpu(boxes [N,7], keep int64 [>=N], thresh: float) -> num_to_keep
    nms_normal_gpu(boxes [N,7], keep int64 [>=N], thresh: float) -> num_to_keep

Boxes are float32 (x, y, z, dx, dy, dz, heading), z the gravity centre (z, dz are not read here).
The `_gpu` and `_cpu` variants are the same computation (upstream's two builds share the code,
iou3d_cpu.cpp:30-229 = iou3d_nms_kernel.cu:35-234) and run on the boxes' device; outputs may be on
any device and are written in place, row-major.

NMS (iou3d_nms.cpp:137-183 with nms_kernel, iou3d_nms_kernel.cu:295-339): the boxes are taken in
the given order (the Python caller sorts them by score); box i suppresses a later box j when
iou_bev(box_i, box_j) > thresh, with thresh rounded to float32 (pybind's `float`), and only kept
boxes suppress: keep[:num_to_keep] receives the kept indices in increasing order. A NaN IoU never
suppresses. nms_normal_gpu uses the axis-aligned iou_normal (iou3d_nms_kernel.cu:342-353).
"""
import numpy as np
import torch

from . import _args, _bev_iou

_MODULE = "iou3d_nms_cuda"


def _pair_inputs(fn, boxes_a, boxes_b, aligned):
    _args.boxes(fn, "boxes_a", boxes_a)
    _args.boxes(fn, "boxes_b", boxes_b)
    _args.same_device(fn, boxes_a=boxes_a, boxes_b=boxes_b)
    if aligned and boxes_a.shape[0] != boxes_b.shape[0]:
        raise ValueError(f"{fn}: boxes_a and boxes_b must have the same number of boxes "
                         f"(upstream asserts it), got {boxes_a.shape[0]} and {boxes_b.shape[0]}")


def _matrix(fn, index_fn, boxes_a, boxes_b, ans, ans_name):
    _pair_inputs(fn, boxes_a, boxes_b, aligned=False)
    _args.output(fn, ans_name, ans, torch.float32, boxes_a.shape[0] * boxes_b.shape[0])
    _args.write(ans, _bev_iou.pairwise(index_fn, boxes_a, boxes_b))
    return 1


def _aligned(fn, pair_fn, boxes_a, boxes_b, ans, ans_name):
    _pair_inputs(fn, boxes_a, boxes_b, aligned=True)
    _args.output(fn, ans_name, ans, torch.float32, boxes_a.shape[0])
    _args.write(ans, pair_fn(boxes_a, boxes_b))
    return 1


def boxes_overlap_bev_gpu(boxes_a, boxes_b, ans_overlap, /):
    """ans_overlap[i, j] = rotated BEV overlap area of boxes_a[i] and boxes_b[j] (iou3d_nms.cpp:73-92)."""
    return _matrix("boxes_overlap_bev_gpu", _bev_iou.overlap_index_pairs, boxes_a, boxes_b, ans_overlap, "ans_overlap")


def boxes_iou_bev_gpu(boxes_a, boxes_b, ans_iou, /):
    """ans_iou[i, j] = rotated BEV IoU of boxes_a[i] and boxes_b[j] (iou3d_nms.cpp:117-135)."""
    return _matrix("boxes_iou_bev_gpu", _bev_iou.iou_index_pairs, boxes_a, boxes_b, ans_iou, "ans_iou")


def boxes_iou_bev_cpu(boxes_a, boxes_b, ans_iou, /):
    """ans_iou[i, j] = rotated BEV IoU (iou3d_cpu.cpp:232-252); any device here."""
    return _matrix("boxes_iou_bev_cpu", _bev_iou.iou_index_pairs, boxes_a, boxes_b, ans_iou, "ans_iou")


def boxes_aligned_overlap_bev_gpu(boxes_a, boxes_b, ans_overlap, /):
    """ans_overlap[i] = overlap of boxes_a[i] and boxes_b[i] (iou3d_nms.cpp:50-71)."""
    return _aligned("boxes_aligned_overlap_bev_gpu", _bev_iou.overlap_pairs, boxes_a, boxes_b, ans_overlap,
                    "ans_overlap")


def paired_boxes_overlap_bev_gpu(boxes_a, boxes_b, ans_overlap, /):
    """ans_overlap[i] = overlap of boxes_a[i] and boxes_b[i] (iou3d_nms.cpp:94-115)."""
    return _aligned("paired_boxes_overlap_bev_gpu", _bev_iou.overlap_pairs, boxes_a, boxes_b, ans_overlap,
                    "ans_overlap")


def boxes_aligned_iou_bev_cpu(boxes_a, boxes_b, ans_iou, /):
    """ans_iou[i] = IoU of boxes_a[i] and boxes_b[i] (iou3d_cpu.cpp:254-273)."""
    return _aligned("boxes_aligned_iou_bev_cpu", _bev_iou.iou_pairs, boxes_a, boxes_b, ans_iou, "ans_iou")


def suppression_pairs(boxes, thresh, index_fn):
    """(i, j) with i < j and IoU(box_i, box_j) > float32(thresh): int64 [K] x2 on the CPU. Pairs
    the prefilter drops hold their exact IoU 0 in the matrix, so any threshold compares exactly."""
    iou = _bev_iou.pairwise(index_fn, boxes, boxes, upper=True)
    hit = torch.triu(iou > torch.tensor(thresh, dtype=torch.float32, device=boxes.device), 1)
    rows, cols = hit.nonzero(as_tuple=True)
    return rows.cpu(), cols.cpu()


def greedy_keep(n, rows, cols):
    """The host loop of iou3d_nms.cpp:166-179: walk boxes in order, keep one unless a kept box
    suppressed it, then mark what it suppresses. -> int64 numpy array of kept indices."""
    suppress = np.zeros((n, n), dtype=bool)
    suppress[rows.numpy(), cols.numpy()] = True
    removed = np.zeros(n, dtype=bool)
    kept = []
    for i in range(n):
        if not removed[i]:
            kept.append(i)
            removed |= suppress[i]
    return np.asarray(kept, dtype=np.int64)


def _nms(fn, pair_fn, boxes, keep, thresh):
    _args.boxes(fn, "boxes", boxes)
    _args.tensor(fn, "keep", keep, torch.int64)
    if keep.numel() < boxes.shape[0]:
        raise ValueError(f"{fn}: keep must hold at least boxes.shape[0] = {boxes.shape[0]} elements, "
                         f"got shape {tuple(keep.shape)}")
    try:
        thresh = float(thresh)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: thresh must be a float, got {type(thresh).__name__}") from None
    n = boxes.shape[0]
    kept = greedy_keep(n, *suppression_pairs(boxes, thresh, pair_fn))
    if kept.size:
        keep.view(-1)[:kept.size].copy_(torch.from_numpy(kept))
    return int(kept.size)


def nms_gpu(boxes, keep, nms_overlap_thresh, /):
    """Rotated NMS: keep[:num] = kept indices (boxes already sorted by score) -> num (iou3d_nms.cpp:137-183)."""
    return _nms("nms_gpu", _bev_iou.iou_index_pairs, boxes, keep, nms_overlap_thresh)


def nms_normal_gpu(boxes, keep, nms_overlap_thresh, /):
    """Axis-aligned NMS (heading ignored): as nms_gpu with iou_normal (iou3d_nms.cpp:186-233)."""
    return _nms("nms_normal_gpu", _bev_iou.iou_normal_index_pairs, boxes, keep, nms_overlap_thresh)
