"""Rotated-BEV overlap / IoU of OpenPCDet's iou3d_nms, vectorised over box pairs (pure torch).

Every function here reproduces, in float32 and operation by operation, the per-pair C++ of
OpenPCDet's `pcdet/ops/iou3d_nms/src/iou3d_cpu.cpp` (commit 8cacccec, lines cited below; the CUDA
kernel iou3d_nms_kernel.cu:35-234 is the same code): the corners of both boxes, the 16 strict
edge/edge crossings, the 8 corner-inside tests (MARGIN 1e-2), the centroid, the bubble sort by
atan2 around it, the fan area, then IoU = overlap / fmaxf(sa + sb - overlap, EPS = 1e-8).
Boxes are (x, y, z, dx, dy, dz, heading), only x, y, dx, dy and heading are read.

Known numerical differences (documented in docs/compat-pcdet-ops.md): cos, sin and atan2 are
evaluated in float64 and rounded to float32 (upstream calls cosf / sinf / atan2f of the C library,
or of CUDA), which can differ by one float32 ulp; the CUDA build of upstream also fuses
multiply-adds (nvcc's default), its CPU build does not, and this module follows the CPU build.
"""
import torch

F32 = torch.float32
EPS = 1e-8        # iou3d_cpu.cpp:38 `const float EPS = 1e-8;`
MARGIN = 1e-2     # iou3d_cpu.cpp:77 `const float MARGIN = 1e-2;` (check_in_box2d)
SLOTS = 24        # 16 edge crossings + 8 corners (upstream's buffer has 16, see the docs)
_PAIR_CHUNK = 1 << 15


def _scalar(value, like):
    return torch.tensor(value, dtype=F32, device=like.device)


def _f32_of_f64(fn, *args):
    """fn evaluated in float64 on float32 args, rounded to float32 (stands for cosf / sinf / atan2f)."""
    return fn(*(a.double() for a in args)).to(F32)


def _pick_min(a, b):
    return torch.where(a > b, b, a)       # iou3d_cpu.cpp:30-32 `a > b ? b : a`


def _pick_max(a, b):
    return torch.where(a > b, a, b)       # iou3d_cpu.cpp:34-36 `a > b ? a : b`


def _cross3(p1x, p1y, p2x, p2y, p0x, p0y):
    """iou3d_cpu.cpp:63-65 cross(p1, p2, p0)."""
    return (p1x - p0x) * (p2y - p0y) - (p2x - p0x) * (p1y - p0y)


def _corners(box):
    """iou3d_cpu.cpp:134-166: the 4 rotated corners (+ corner 0 again) -> x, y [K, 5] (per box)."""
    cx, cy, heading = box[:, 0], box[:, 1], box[:, 6]
    dx_half, dy_half = box[:, 3] / 2, box[:, 4] / 2
    x1, y1, x2, y2 = cx - dx_half, cy - dy_half, cx + dx_half, cy + dy_half
    cos_a, sin_a = _f32_of_f64(torch.cos, heading), _f32_of_f64(torch.sin, heading)
    px = torch.stack([x1, x2, x2, x1], 1)
    py = torch.stack([y1, y1, y2, y2], 1)
    cx, cy, cos_a, sin_a = cx[:, None], cy[:, None], cos_a[:, None], sin_a[:, None]
    # rotate_around_center (iou3d_cpu.cpp:118-122), evaluated left to right as in C++
    new_x = (px - cx) * cos_a + (py - cy) * (-sin_a) + cx
    new_y = (px - cx) * sin_a + (py - cy) * cos_a + cy
    return torch.cat([new_x, new_x[:, :1]], 1), torch.cat([new_y, new_y[:, :1]], 1)


def frames(boxes):
    """Per-box quantities of box_overlap, computed once per box: float32 [K, 7] -> dict of [K, ...]."""
    cx, cy = _corners(boxes)
    neg = -boxes[:, 6]
    return {"box": boxes, "cx": cx, "cy": cy,
            "cos_neg": _f32_of_f64(torch.cos, neg), "sin_neg": _f32_of_f64(torch.sin, neg)}


def _take(frame, idx):
    return {k: v[idx] for k, v in frame.items()}


def _in_box2d(frame, px, py):
    """iou3d_cpu.cpp:75-85 check_in_box2d(box, p) for p of shape [P, K] -> bool [P, K]."""
    box = frame["box"]
    cos_a, sin_a = frame["cos_neg"][:, None], frame["sin_neg"][:, None]
    cx, cy = box[:, 0:1], box[:, 1:2]
    rot_x = (px - cx) * cos_a + (py - cy) * (-sin_a)
    rot_y = (px - cx) * sin_a + (py - cy) * cos_a
    margin = _scalar(MARGIN, box)
    return (rot_x.abs() < box[:, 3:4] / 2 + margin) & (rot_y.abs() < box[:, 4:5] / 2 + margin)


def _crossings(ax, ay, bx, by):
    """iou3d_cpu.cpp:87-116 intersection() for all 16 (edge i of a, edge j of b), i outer
    (iou3d_cpu.cpp:174-182) -> valid bool [P, 16], x, y [P, 16]."""
    p0x, p0y, p1x, p1y = ax[:, :4, None], ay[:, :4, None], ax[:, 1:, None], ay[:, 1:, None]
    q0x, q0y, q1x, q1y = bx[:, None, :4], by[:, None, :4], bx[:, None, 1:], by[:, None, 1:]
    # check_rect_cross(p0, p1, q0, q1) (iou3d_cpu.cpp:67-73)
    rect = ((_pick_min(p0x, p1x) <= _pick_max(q0x, q1x)) & (_pick_min(q0x, q1x) <= _pick_max(p0x, p1x))
            & (_pick_min(p0y, p1y) <= _pick_max(q0y, q1y)) & (_pick_min(q0y, q1y) <= _pick_max(p0y, p1y)))
    s1 = _cross3(q0x, q0y, p1x, p1y, p0x, p0y)
    s2 = _cross3(p1x, p1y, q1x, q1y, p0x, p0y)
    s3 = _cross3(p0x, p0y, q1x, q1y, q0x, q0y)
    s4 = _cross3(q1x, q1y, p1x, p1y, q0x, q0y)
    valid = rect & (s1 * s2 > 0) & (s3 * s4 > 0)
    s5 = _cross3(q1x, q1y, p1x, p1y, p0x, p0y)
    # two formulas (iou3d_cpu.cpp:101-113); both evaluated, the C++ branch picked per pair
    far = (s5 - s1).abs() > _scalar(EPS, s1)
    x_far = (s5 * q0x - s1 * q1x) / (s5 - s1)
    y_far = (s5 * q0y - s1 * q1y) / (s5 - s1)
    a0, b0, c0 = p0y - p1y, p1x - p0x, p0x * p1y - p1x * p0y
    a1, b1, c1 = q0y - q1y, q1x - q0x, q0x * q1y - q1x * q0y
    d = a0 * b1 - a1 * b0
    x_near = (b0 * c1 - b1 * c0) / d
    y_near = (a1 * c0 - a0 * c1) / d
    x = torch.where(far, x_far, x_near)
    y = torch.where(far, y_far, y_near)
    flat = lambda t: t.reshape(t.shape[0], 16)
    return flat(valid), flat(x), flat(y)


def _bubble_sort(keys, xs, ys, cnt):
    """iou3d_cpu.cpp:202-211 verbatim (swap while point_cmp is true), for rows whose keys hold NaN."""
    keys, xs, ys = keys.clone(), xs.clone(), ys.clone()
    n = keys.shape[1]
    for j in range(n - 1):
        for i in range(n - j - 1):
            swap = (i < cnt - j - 1) & (keys[:, i] > keys[:, i + 1])
            for t in (keys, xs, ys):
                a, b = t[:, i].clone(), t[:, i + 1].clone()
                t[:, i] = torch.where(swap, b, a)
                t[:, i + 1] = torch.where(swap, a, b)
    return xs, ys


def _overlap_pairs(fa, fb):
    """box_overlap (iou3d_cpu.cpp:128-220) for row-aligned pairs of frames -> float32 [P]."""
    box_a = fa["box"]
    P = box_a.shape[0]
    ax, ay, bx, by = fa["cx"], fa["cy"], fb["cx"], fb["cy"]
    valid_x, cross_x, cross_y = _crossings(ax, ay, bx, by)
    # corners (iou3d_cpu.cpp:185-196): b corner k if inside a, then a corner k if inside b
    b_in_a = _in_box2d(fa, bx[:, :4], by[:, :4])
    a_in_b = _in_box2d(fb, ax[:, :4], ay[:, :4])
    corner_valid = torch.stack([b_in_a, a_in_b], 2).reshape(P, 8)
    corner_x = torch.stack([bx[:, :4], ax[:, :4]], 2).reshape(P, 8)
    corner_y = torch.stack([by[:, :4], ay[:, :4]], 2).reshape(P, 8)
    valid = torch.cat([valid_x, corner_valid], 1)
    zero = torch.zeros((), dtype=F32, device=box_a.device)
    xs = torch.where(valid, torch.cat([cross_x, corner_x], 1), zero)
    ys = torch.where(valid, torch.cat([cross_y, corner_y], 1), zero)
    cnt = valid.sum(1)
    # poly_center: running float sum in the C++ order (adding an exact 0 changes nothing)
    sum_x, sum_y = torch.zeros(P, dtype=F32, device=box_a.device), torch.zeros(P, dtype=F32, device=box_a.device)
    for k in range(SLOTS):
        sum_x = sum_x + xs[:, k]
        sum_y = sum_y + ys[:, k]
    center_x, center_y = sum_x / cnt.to(F32), sum_y / cnt.to(F32)
    # point_cmp key: atan2 around the centre (iou3d_cpu.cpp:124-126); +0.0 folds -0.0 into 0.0
    keys = _f32_of_f64(torch.atan2, ys - center_y[:, None], xs - center_x[:, None]) + 0.0
    # valid points first, in slot order; the bubble sort is a stable ascending sort for non-NaN keys
    order = torch.sort((~valid).to(torch.uint8), dim=1, stable=True)[1]
    keys, xs, ys = (torch.gather(t, 1, order) for t in (keys, xs, ys))
    filled = torch.arange(SLOTS, device=box_a.device)[None, :] < cnt[:, None]
    keys = torch.where(filled, keys, torch.full_like(keys, float("inf")))
    nan_rows = (keys.isnan() & filled).any(1)
    order = torch.sort(torch.where(filled, keys, torch.full_like(keys, float("inf"))), dim=1, stable=True)[1]
    sx, sy = torch.gather(xs, 1, order), torch.gather(ys, 1, order)
    if bool(nan_rows.any()):
        rows = nan_rows.nonzero()[:, 0]
        bx_, by_ = _bubble_sort(keys[rows], xs[rows], ys[rows], cnt[rows])
        sx[rows], sy[rows] = bx_, by_
    # fan area (iou3d_cpu.cpp:214-219)
    area = torch.zeros(P, dtype=F32, device=box_a.device)
    dx, dy = sx - sx[:, :1], sy - sy[:, :1]
    for k in range(SLOTS - 1):
        term = dx[:, k] * dy[:, k + 1] - dy[:, k] * dx[:, k + 1]
        area = area + torch.where(k < cnt - 1, term, zero)
    return area.abs() / 2


def _iou_from_overlap(box_a, box_b, overlap):
    """iou_bev (iou3d_cpu.cpp:222-229): overlap / fmaxf(sa + sb - overlap, EPS)."""
    sa = box_a[:, 3] * box_a[:, 4]
    sb = box_b[:, 3] * box_b[:, 4]
    return overlap / torch.fmax(sa + sb - overlap, _scalar(EPS, overlap))


def overlap_pairs(box_a, box_b):
    """Rotated BEV overlap area of row-aligned pairs: float32 [P, 7] x2 -> float32 [P]."""
    idx = torch.arange(box_a.shape[0], device=box_a.device)
    return overlap_index_pairs(frames(box_a), frames(box_b), idx, idx)


def iou_pairs(box_a, box_b):
    """Rotated BEV IoU of row-aligned pairs: float32 [P, 7] x2 -> float32 [P]."""
    idx = torch.arange(box_a.shape[0], device=box_a.device)
    return iou_index_pairs(frames(box_a), frames(box_b), idx, idx)


def overlap_index_pairs(fa, fb, rows, cols):
    """Overlap of (fa[rows[k]], fb[cols[k]]) -> float32 [K]."""
    parts = [_overlap_pairs(_take(fa, rows[i:i + _PAIR_CHUNK]), _take(fb, cols[i:i + _PAIR_CHUNK]))
             for i in range(0, rows.shape[0], _PAIR_CHUNK)]
    return torch.cat(parts) if parts else fa["box"].new_zeros(0)


def iou_index_pairs(fa, fb, rows, cols):
    """IoU of (fa[rows[k]], fb[cols[k]]) -> float32 [K]."""
    return _iou_from_overlap(fa["box"][rows], fb["box"][cols], overlap_index_pairs(fa, fb, rows, cols))


def iou_normal_index_pairs(fa, fb, rows, cols):
    """Axis-aligned IoU of (boxes_a[rows[k]], boxes_b[cols[k]]) -> float32 [K]."""
    return iou_normal_pairs(fa["box"][rows], fb["box"][cols])


def iou_normal_pairs(a, b):
    """iou_normal (iou3d_nms_kernel.cu:342-353): axis-aligned BEV IoU, heading ignored -> [P]."""
    left = torch.fmax(a[:, 0] - a[:, 3] / 2, b[:, 0] - b[:, 3] / 2)
    right = torch.fmin(a[:, 0] + a[:, 3] / 2, b[:, 0] + b[:, 3] / 2)
    top = torch.fmax(a[:, 1] - a[:, 4] / 2, b[:, 1] - b[:, 4] / 2)
    bottom = torch.fmin(a[:, 1] + a[:, 4] / 2, b[:, 1] + b[:, 4] / 2)
    zero = torch.zeros((), dtype=F32, device=a.device)
    inter = torch.fmax(right - left, zero) * torch.fmax(bottom - top, zero)
    return inter / torch.fmax(a[:, 3] * a[:, 4] + b[:, 3] * b[:, 4] - inter, _scalar(EPS, inter))


def _reach(boxes):
    """Per box, float64: centre x, y, reach (radius + slack share), all-finite flag."""
    b = boxes.double()
    finite = torch.isfinite(b[:, [0, 1, 3, 4, 6]]).all(1)
    radius = 0.5 * torch.hypot(b[:, 3], b[:, 4])
    scale = b[:, 0].abs() + b[:, 1].abs() + radius
    return b[:, 0], b[:, 1], radius + 1e-4 * scale, finite


def _near(reach_a, reach_b, rows, cols):
    """The exact keep test: centre distance <= reach_a + reach_b + 4 * MARGIN."""
    dist = torch.hypot(reach_a[0][rows] - reach_b[0][cols], reach_a[1][rows] - reach_b[1][cols])
    return dist <= reach_a[2][rows] + reach_b[2][cols] + 4 * MARGIN


def candidate_pairs(boxes_a, boxes_b):
    """Index pairs (rows, cols) that may overlap at all, int64 [K] x2, ordered by (row, col).

    A pair is dropped only when the circumscribed circles of the two boxes are further apart than
    4 * MARGIN plus a slack of 1e-4 x (|x| + |y| + radius) (far above float32 rounding), so upstream
    finds no edge crossing and no corner inside and its overlap and IoU are exactly 0. Pairs with
    a non-finite x, y, dx, dy or heading are always kept. Candidates come from a sweep over x."""
    dev = boxes_a.device
    ra, rb = _reach(boxes_a), _reach(boxes_b)
    fin_b = rb[3].nonzero()[:, 0]
    xb, order = torch.sort(rb[0][fin_b])
    sorted_b = fin_b[order]
    reach_max = rb[2][fin_b].max() if fin_b.numel() else torch.zeros((), dtype=torch.float64, device=dev)
    window = (ra[2] + reach_max + 4 * MARGIN) * (1 + 1e-6) + 1e-6
    lo = torch.searchsorted(xb, ra[0] - window)
    hi = torch.searchsorted(xb, ra[0] + window, right=True)
    count = torch.where(ra[3], hi - lo, torch.zeros_like(lo))
    rows = torch.repeat_interleave(torch.arange(boxes_a.shape[0], device=dev), count)
    starts = torch.repeat_interleave(lo - torch.cumsum(count, 0) + count, count)
    cols = sorted_b[torch.arange(rows.shape[0], device=dev) + starts]
    keep = _near(ra, rb, rows, cols)
    rows, cols = rows[keep], cols[keep]
    # non-finite boxes pair with everything
    bad_a, bad_b = (~ra[3]).nonzero()[:, 0], (~rb[3]).nonzero()[:, 0]
    n_b = boxes_b.shape[0]
    extra_rows = [bad_a.repeat_interleave(n_b), ra[3].nonzero()[:, 0].repeat_interleave(bad_b.numel())]
    extra_cols = [torch.arange(n_b, device=dev).repeat(bad_a.numel()), bad_b.repeat(int(ra[3].sum()))]
    rows = torch.cat([rows] + extra_rows)
    cols = torch.cat([cols] + extra_cols)
    key = torch.sort(rows * max(n_b, 1) + cols)[1]
    return rows[key], cols[key]


def pairwise(index_fn, boxes_a, boxes_b, upper=False, prefilter=True):
    """index_fn over the candidate pairs of boxes_a x boxes_b -> float32 [N, M], 0 elsewhere.
    upper=True keeps only pairs row < col (boxes_b must be boxes_a)."""
    N, M = boxes_a.shape[0], boxes_b.shape[0]
    if prefilter:
        rows, cols = candidate_pairs(boxes_a, boxes_b)
    else:
        rows = torch.arange(N, device=boxes_a.device).repeat_interleave(M)
        cols = torch.arange(M, device=boxes_a.device).repeat(N)
    if upper:
        keep = rows < cols
        rows, cols = rows[keep], cols[keep]
    out = torch.zeros(N * M, dtype=F32, device=boxes_a.device)
    if rows.numel():
        fa = frames(boxes_a)
        fb = fa if boxes_b is boxes_a else frames(boxes_b)
        out[rows * M + cols] = index_fn(fa, fb, rows, cols)
    return out.view(N, M)
