"""points_in_boxes: which points lie in which rotated 3D boxes (three upstream variants).

Boxes are (x, y, z, dx, dy, dz, heading, ...) with (x, y, z) the box centre (gravity centre for z,
not mmcv's bottom centre). A point is rotated into the box frame,

    local_x = (x - cx) * cos(-heading) + (y - cy) * (-sin(-heading))
    local_y = (x - cx) * sin(-heading) + (y - cy) * cos(-heading)

and is inside iff |local_x| < dx / 2.0 + MARGIN and |local_y| < dy / 2.0 + MARGIN (strict), plus,
for the OpenPCDet ops, not |z - cz| > dz / 2.0 (i.e. |z - cz| <= dz / 2, no margin). Each op keeps
its upstream's exact conventions (source lines cited in kernels/points_in_boxes/points_in_boxes_math.h):

    points_in_boxes_bev(points [N, C1>=3], boxes [M, C2>=7]) -> int32 [M, N] (1 inside, 0 outside)
        Ada3D SparseBEVTools points_in_boxes_bev (sparse2bev_cuda.cu:97-127): MARGIN 1e-5, no z
        test; extra point / box columns are ignored (the upstream strides by C1 and C2).
    points_in_boxes_3d(points [N, 3], boxes [M, 7]) -> int32 [M, N]
        OpenPCDet roiaware_pool3d_cuda.points_in_boxes_cpu (roiaware_pool3d.cpp:121-168): MARGIN 1e-2
        (the CPU variant's margin, not the GPU's 1e-5); exactly 3 and 7 columns (the upstream
        strides by 3 and 7 and its wrapper asserts it, roiaware_pool3d_utils.py:17-18).
    points_in_boxes_first(points [B, N, 3], boxes [B, T, 7]) -> int32 [B, N]
        OpenPCDet points_in_boxes_gpu (roiaware_pool3d_kernel.cu:313-336): index of the first box
        (in box order) containing the point, -1 if none; MARGIN 1e-5; exactly 3 and 7 columns.

Note the kit's argument order is (points, boxes); OpenPCDet's C++ entry points take (boxes, pts, out).

Arithmetic: as upstream, in the input float type: float32 inputs compute the shifts, rotation and
|.| in float32 and compare against the DOUBLE thresholds dx / 2.0 + (double)MARGIN_f32 (2.0 is a
double literal upstream); float64 inputs compute everything in float64 (upstream's CPU wrapper would
cast them to float32, its GPU entry refuses them). Only float32 and float64 are accepted. Mixed
inputs are promoted. cos/sin are per box: the CPU kernel calls cosf/sinf (as upstream's CPU build),
the CUDA binding CUDA's cosf/sinf (as upstream's CUDA kernels); this reference rounds float64 cos/sin
to float32, which can differ from a libm's float cos by one ulp: that changes an answer only for a
point within ~1e-6 of a box's margin boundary.
Zero-size boxes: no special case (upstream has none): dx = 0 still keeps points with |local_x| <
MARGIN; dz = 0 keeps only points with z == cz exactly. NaN: no check; comparisons as upstream, so a
NaN in x, y, cx, cy, dx, dy or heading gives "outside", and a NaN in z, cz or dz disables the z test
(the upstream rejects only when `|z - cz| > dz / 2` is true). Not differentiable.
"""
import math

import torch

from . import _checks
from . import _contract as c

BEV, BOX3D, FIRST = "points_in_boxes_bev", "points_in_boxes_3d", "points_in_boxes_first"
MARGIN = {BEV: 1e-5, BOX3D: 1e-2, FIRST: 1e-5}   # sparse2bev_cuda.cu:101, roiaware_pool3d.cpp:131, _kernel.cu:27
FLOAT_DTYPES = (torch.float32, torch.float64)
_REFERENCE_CHUNK = 1 << 22   # box x point pairs per reference step


# -- checks (types, ranks, float32/float64 and one device are checked by the contract first) -----
def _columns(op, name, t, minimum, exact, what):
    cols = t.shape[-1]
    if (exact and cols != minimum) or cols < minimum:
        rule = "exactly" if exact else "at least"
        raise ValueError(f"{op}: {name} must have {rule} {minimum} columns ({what}), got shape {tuple(t.shape)}")


def check_bev(points, boxes):
    """points [N, C1 >= 3], boxes [M, C2 >= 7] (Ada3D strides by C1 and C2)."""
    _columns(BEV, "points", points, 3, False, "x, y, z, ...")
    _columns(BEV, "boxes", boxes, 7, False, "x, y, z, dx, dy, dz, heading, ...")


def check_3d(points, boxes):
    """points [N, 3], boxes [M, 7] (roiaware_pool3d_utils.py:17-18 asserts it)."""
    _columns(BOX3D, "points", points, 3, True, "x, y, z")
    _columns(BOX3D, "boxes", boxes, 7, True, "x, y, z, dx, dy, dz, heading")


def check_first(points, boxes):
    """points [B, N, 3], boxes [B, T, 7] (roiaware_pool3d_utils.py:34-35 asserts it)."""
    _columns(FIRST, "points", points, 3, True, "x, y, z")
    _columns(FIRST, "boxes", boxes, 7, True, "x, y, z, dx, dy, dz, heading")
    _checks.size(FIRST, "boxes", boxes, 0, points.shape[0], "points.shape[0] (B)")


# -- reference --------------------------------------------------------------------------------
def _compute_dtype(points, boxes):
    return torch.float64 if torch.float64 in (points.dtype, boxes.dtype) else torch.float32


def _round_up(t, dtype):
    """Smallest `dtype` value >= the float64 tensor t (so f < t <=> f < _round_up(t))."""
    f = t.to(dtype)
    return torch.where(f.double() < t, torch.nextafter(f, torch.full_like(f, math.inf)), f)


def _round_down(t, dtype):
    """Largest `dtype` value <= t (so f > t <=> f > _round_down(t))."""
    f = t.to(dtype)
    return torch.where(f.double() > t, torch.nextafter(f, torch.full_like(f, -math.inf)), f)


def _frames(boxes, dtype, margin):
    """Per box [K]: cx, cy, cz, cos(-heading), sin(-heading), lim_x, lim_y, lim_z (see the math header)."""
    b = boxes[..., :7].to(dtype)
    m = float(torch.tensor(margin, dtype=dtype))   # `const float MARGIN = 1e-5` -> its double value
    heading = -b[..., 6].double()
    half = b[..., 3:6].double() / 2.0
    return (b[..., 0], b[..., 1], b[..., 2], torch.cos(heading).to(dtype), torch.sin(heading).to(dtype),
            _round_up(half[..., 0] + m, dtype), _round_up(half[..., 1] + m, dtype), _round_down(half[..., 2], dtype))


def _inside(points, frames, with_z):
    """points [..., N, >=3] against frames of shape [..., K] -> bool [..., K, N]."""
    cx, cy, cz, cosa, sina, lx_lim, ly_lim, lz_lim = (f[..., None] for f in frames)
    x, y = points[..., None, :, 0], points[..., None, :, 1]
    shift_x, shift_y = x - cx, y - cy
    local_x = shift_x * cosa + shift_y * (-sina)
    local_y = shift_x * sina + shift_y * cosa
    inside = (local_x.abs() < lx_lim) & (local_y.abs() < ly_lim)
    if with_z:
        inside &= ~((points[..., None, :, 2] - cz).abs() > lz_lim)
    return inside


def _mask_reference(points, boxes, margin, with_z):
    dtype = _compute_dtype(points, boxes)
    p = points[:, :3].to(dtype)
    frames = _frames(boxes, dtype, margin)
    M, N = boxes.shape[0], points.shape[0]
    step = max(1, _REFERENCE_CHUNK // max(1, N))
    parts = [_inside(p, [f[i:i + step] for f in frames], with_z) for i in range(0, M, step)]
    out = torch.cat(parts, 0) if parts else torch.zeros(0, N, dtype=torch.bool, device=points.device)
    return out.to(torch.int32)


def points_in_boxes_bev_reference(points, boxes):
    """Pure-PyTorch ground truth of points_in_boxes_bev -> int32 [M, N]."""
    return _mask_reference(points, boxes, MARGIN[BEV], with_z=False)


def points_in_boxes_3d_reference(points, boxes):
    """Pure-PyTorch ground truth of points_in_boxes_3d -> int32 [M, N]."""
    return _mask_reference(points, boxes, MARGIN[BOX3D], with_z=True)


def points_in_boxes_first_reference(points, boxes):
    """Pure-PyTorch ground truth of points_in_boxes_first -> int32 [B, N] (first box index or -1)."""
    dtype = _compute_dtype(points, boxes)
    p = points.to(dtype)
    frames = _frames(boxes, dtype, MARGIN[FIRST])
    B, N = points.shape[:2]
    T = boxes.shape[1]
    result = torch.full((B, N), -1, dtype=torch.int64, device=points.device)
    step = max(1, _REFERENCE_CHUNK // max(1, B * N))
    for t0 in range(0, T, step):
        inside = _inside(p, [f[:, t0:t0 + step] for f in frames], with_z=True)   # [B, k, N]
        hit = inside.any(1)
        first = inside.to(torch.uint8).argmax(1) + t0    # argmax returns the first maximal index
        result = torch.where((result < 0) & hit, first, result)
    return result.to(torch.int32)


# -- fakes and specs --------------------------------------------------------------------------
def _fake_mask(points, boxes):
    return points.new_empty((boxes.shape[0], points.shape[0]), dtype=torch.int32)


def _fake_first(points, boxes):
    return points.new_empty((points.shape[0], points.shape[1]), dtype=torch.int32)


def _spec(name, rank, check, reference, fake):
    return c.OpSpec(
        name=name,
        inputs=(c.TensorArg("points", "float", rank=rank), c.TensorArg("boxes", "float", rank=rank)),
        outputs=(c.Output("mask" if name != FIRST else "box_index", "int"),),
        check=check, reference=reference, fake=fake, backward=None,
        deterministic=True, ordered=True, float_dtypes=FLOAT_DTYPES)


SPEC_BEV = _spec(BEV, 2, check_bev, points_in_boxes_bev_reference, _fake_mask)
SPEC_3D = _spec(BOX3D, 2, check_3d, points_in_boxes_3d_reference, _fake_mask)
SPEC_FIRST = _spec(FIRST, 3, check_first, points_in_boxes_first_reference, _fake_first)
SPECS = (SPEC_BEV, SPEC_3D, SPEC_FIRST)

points_in_boxes_bev = c.register(SPEC_BEV)
points_in_boxes_3d = c.register(SPEC_3D)
points_in_boxes_first = c.register(SPEC_FIRST)
