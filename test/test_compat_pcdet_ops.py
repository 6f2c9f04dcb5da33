"""ascend_ops.compat.pcdet_ops (OpenPCDet's compiled iou3d_nms_cuda / roiaware_pool3d_cuda, served
by the kit) against straightforward numpy transcriptions, loop by loop, of OpenPCDet's C++
(open-mmlab/OpenPCDet commit 8cacccec): pcdet/ops/iou3d_nms/src/iou3d_cpu.cpp (rotated BEV IoU),
iou3d_nms.cpp + iou3d_nms_kernel.cu (bitmask NMS, iou_normal), roiaware_pool3d.cpp /
roiaware_pool3d_kernel.cu (points in boxes); on random and adversarial boxes. Then OpenPCDet's own,
unmodified iou3d_nms_utils.py on CPU tensors through the served module + runtime patch, when a
checkout is given (ASCEND_KIT_OPENPCDET=<dir holding pcdet/>)."""
import ctypes
import ctypes.util
import importlib
import math
import os
import sys
import types

import numpy as np
import pytest
import torch

from ascend_ops import compat
from ascend_ops.compat import pcdet_ops
from ascend_ops.compat.pcdet_ops import iou3d_nms_cuda as iou3d
from ascend_ops.compat.pcdet_ops import roiaware_pool3d_cuda as roiaware
from ascend_ops.compat.pcdet_ops import runtime_patch

F = np.float32
_libm = ctypes.CDLL(ctypes.util.find_library("m"))
for _name, _n in (("cosf", 1), ("sinf", 1), ("atan2f", 2)):
    getattr(_libm, _name).restype = ctypes.c_float
    getattr(_libm, _name).argtypes = [ctypes.c_float] * _n

# Two versions of the float32 math functions: correctly rounded (what the kit documents: float64
# then rounded to float32) and the C library's cosf / sinf / atan2f (what upstream's CPU build calls).
ROUNDED = {"cos": lambda a: F(math.cos(float(a))), "sin": lambda a: F(math.sin(float(a))),
           "atan2": lambda y, x: F(math.atan2(float(y), float(x)))}
LIBM = {"cos": lambda a: F(_libm.cosf(float(a))), "sin": lambda a: F(_libm.sinf(float(a))),
        "atan2": lambda y, x: F(_libm.atan2f(float(y), float(x)))}


# -- numpy transcription of iou3d_cpu.cpp (line numbers of that file) ---------------------------
class NpIou3d:
    EPS = F(1e-8)                                                      # :38

    def __init__(self, fns):
        self.fn = fns

    @staticmethod
    def cross(a, b):                                                   # :59-61
        return a[0] * b[1] - a[1] * b[0]

    @staticmethod
    def cross3(p1, p2, p0):                                            # :63-65
        return (p1[0] - p0[0]) * (p2[1] - p0[1]) - (p2[0] - p0[0]) * (p1[1] - p0[1])

    @staticmethod
    def check_rect_cross(p1, p2, q1, q2):                              # :67-73
        def mn(a, b):                                                  # :30-32, kept verbatim
            return b if a > b else a  # noqa: FURB136

        def mx(a, b):                                                  # :34-36
            return a if a > b else b  # noqa: FURB136

        return (mn(p1[0], p2[0]) <= mx(q1[0], q2[0]) and mn(q1[0], q2[0]) <= mx(p1[0], p2[0])
                and mn(p1[1], p2[1]) <= mx(q1[1], q2[1]) and mn(q1[1], q2[1]) <= mx(p1[1], p2[1]))

    def check_in_box2d(self, box, p):                                  # :75-85
        MARGIN = F(1e-2)
        center_x, center_y = box[0], box[1]
        angle_cos, angle_sin = self.fn["cos"](-box[6]), self.fn["sin"](-box[6])
        rot_x = (p[0] - center_x) * angle_cos + (p[1] - center_y) * (-angle_sin)
        rot_y = (p[0] - center_x) * angle_sin + (p[1] - center_y) * angle_cos
        return abs(rot_x) < box[3] / F(2) + MARGIN and abs(rot_y) < box[4] / F(2) + MARGIN

    def intersection(self, p1, p0, q1, q0):                            # :87-116
        if not self.check_rect_cross(p0, p1, q0, q1):
            return None
        s1 = self.cross3(q0, p1, p0)
        s2 = self.cross3(p1, q1, p0)
        s3 = self.cross3(p0, q1, q0)
        s4 = self.cross3(q1, p1, q0)
        if not (s1 * s2 > F(0) and s3 * s4 > F(0)):
            return None
        s5 = self.cross3(q1, p1, p0)
        if abs(s5 - s1) > self.EPS:
            return ((s5 * q0[0] - s1 * q1[0]) / (s5 - s1), (s5 * q0[1] - s1 * q1[1]) / (s5 - s1))
        a0, b0, c0 = p0[1] - p1[1], p1[0] - p0[0], p0[0] * p1[1] - p1[0] * p0[1]
        a1, b1, c1 = q0[1] - q1[1], q1[0] - q0[0], q0[0] * q1[1] - q1[0] * q0[1]
        D = a0 * b1 - a1 * b0
        return ((b0 * c1 - b1 * c0) / D, (a1 * c0 - a0 * c1) / D)

    @staticmethod
    def rotate_around_center(center, angle_cos, angle_sin, p):         # :118-122
        new_x = (p[0] - center[0]) * angle_cos + (p[1] - center[1]) * (-angle_sin) + center[0]
        new_y = (p[0] - center[0]) * angle_sin + (p[1] - center[1]) * angle_cos + center[1]
        return (new_x, new_y)

    def point_cmp(self, a, b, center):                                 # :124-126
        return self.fn["atan2"](a[1] - center[1], a[0] - center[0]) > self.fn["atan2"](b[1] - center[1], b[0] - center[0])

    def box_overlap(self, box_a, box_b):                               # :128-220
        a_angle, b_angle = box_a[6], box_b[6]
        a_dx_half, b_dx_half = box_a[3] / F(2), box_b[3] / F(2)
        a_dy_half, b_dy_half = box_a[4] / F(2), box_b[4] / F(2)
        a_x1, a_y1 = box_a[0] - a_dx_half, box_a[1] - a_dy_half
        a_x2, a_y2 = box_a[0] + a_dx_half, box_a[1] + a_dy_half
        b_x1, b_y1 = box_b[0] - b_dx_half, box_b[1] - b_dy_half
        b_x2, b_y2 = box_b[0] + b_dx_half, box_b[1] + b_dy_half
        center_a, center_b = (box_a[0], box_a[1]), (box_b[0], box_b[1])
        box_a_corners = [(a_x1, a_y1), (a_x2, a_y1), (a_x2, a_y2), (a_x1, a_y2)]
        box_b_corners = [(b_x1, b_y1), (b_x2, b_y1), (b_x2, b_y2), (b_x1, b_y2)]
        a_angle_cos, a_angle_sin = self.fn["cos"](a_angle), self.fn["sin"](a_angle)
        b_angle_cos, b_angle_sin = self.fn["cos"](b_angle), self.fn["sin"](b_angle)
        for k in range(4):
            box_a_corners[k] = self.rotate_around_center(center_a, a_angle_cos, a_angle_sin, box_a_corners[k])
            box_b_corners[k] = self.rotate_around_center(center_b, b_angle_cos, b_angle_sin, box_b_corners[k])
        box_a_corners.append(box_a_corners[0])
        box_b_corners.append(box_b_corners[0])
        cross_points = []
        poly_center = (F(0), F(0))
        for i in range(4):
            for j in range(4):
                ans = self.intersection(box_a_corners[i + 1], box_a_corners[i], box_b_corners[j + 1], box_b_corners[j])
                if ans is not None:
                    poly_center = (poly_center[0] + ans[0], poly_center[1] + ans[1])
                    cross_points.append(ans)
        for k in range(4):
            if self.check_in_box2d(box_a, box_b_corners[k]):
                poly_center = (poly_center[0] + box_b_corners[k][0], poly_center[1] + box_b_corners[k][1])
                cross_points.append(box_b_corners[k])
            if self.check_in_box2d(box_b, box_a_corners[k]):
                poly_center = (poly_center[0] + box_a_corners[k][0], poly_center[1] + box_a_corners[k][1])
                cross_points.append(box_a_corners[k])
        cnt = len(cross_points)
        poly_center = (poly_center[0] / F(cnt), poly_center[1] / F(cnt))
        for j in range(cnt - 1):
            for i in range(cnt - j - 1):
                if self.point_cmp(cross_points[i], cross_points[i + 1], poly_center):
                    cross_points[i], cross_points[i + 1] = cross_points[i + 1], cross_points[i]
        area = F(0)
        for k in range(cnt - 1):
            d0 = (cross_points[k][0] - cross_points[0][0], cross_points[k][1] - cross_points[0][1])
            d1 = (cross_points[k + 1][0] - cross_points[0][0], cross_points[k + 1][1] - cross_points[0][1])
            area = area + self.cross(d0, d1)
        return F(abs(area) / F(2))

    def iou_bev(self, box_a, box_b):                                   # :222-229
        sa = box_a[3] * box_a[4]
        sb = box_b[3] * box_b[4]
        s_overlap = self.box_overlap(box_a, box_b)
        return s_overlap / np.fmax(sa + sb - s_overlap, self.EPS)

    def matrix(self, fn, boxes_a, boxes_b):                            # boxes_iou_bev_cpu :232-252
        with np.errstate(all="ignore"):
            return np.array([[getattr(self, fn)(a, b) for b in boxes_b] for a in boxes_a], dtype=F).reshape(
                len(boxes_a), len(boxes_b))


def np_iou_normal(a, b):                                               # iou3d_nms_kernel.cu:342-353
    left = np.fmax(a[0] - a[3] / F(2), b[0] - b[3] / F(2))
    right = np.fmin(a[0] + a[3] / F(2), b[0] + b[3] / F(2))
    top = np.fmax(a[1] - a[4] / F(2), b[1] - b[4] / F(2))
    bottom = np.fmin(a[1] + a[4] / F(2), b[1] + b[4] / F(2))
    width, height = np.fmax(right - left, F(0)), np.fmax(bottom - top, F(0))
    inter = width * height
    return inter / np.fmax(a[3] * a[4] + b[3] * b[4] - inter, NpIou3d.EPS)


def np_nms(boxes, thresh, iou_fn):
    """nms_kernel (iou3d_nms_kernel.cu:295-339) bitmask + host loop (iou3d_nms.cpp:137-183)."""
    T = 64
    n = len(boxes)
    col_blocks = (n + T - 1) // T
    thresh = F(thresh)
    mask = [[0] * col_blocks for _ in range(n)]
    with np.errstate(all="ignore"):
        for row_start in range(col_blocks):
            for col_start in range(col_blocks):
                row_size, col_size = min(n - row_start * T, T), min(n - col_start * T, T)
                for tx in range(row_size):
                    cur = T * row_start + tx
                    start = tx + 1 if row_start == col_start else 0
                    t = 0
                    for i in range(start, col_size):
                        if iou_fn(boxes[cur], boxes[T * col_start + i]) > thresh:
                            t |= 1 << i
                    mask[cur][col_start] = t
    remv = [0] * col_blocks
    keep = []
    for i in range(n):
        nblock, inblock = i // T, i % T
        if not (remv[nblock] >> inblock) & 1:
            keep.append(i)
            for j in range(nblock, col_blocks):
                remv[j] |= mask[i][j]
    return keep


# -- numpy transcription of roiaware_pool3d's point tests ---------------------------------------
def np_pt_in_box3d(pt, box, margin):
    """check_pt_in_box3d(_cpu) (roiaware_pool3d.cpp:128-140, _kernel.cu:23-36); double compares."""
    MARGIN = F(margin)
    x, y, z = pt
    cx, cy, cz, dx, dy, dz, rz = box
    if float(abs(z - cz)) > float(dz) / 2.0:
        return 0
    cosa, sina = ROUNDED["cos"](-rz), ROUNDED["sin"](-rz)
    shift_x, shift_y = x - cx, y - cy
    local_x = shift_x * cosa + shift_y * (-sina)
    local_y = shift_x * sina + shift_y * cosa
    return int(float(abs(local_x)) < float(dx) / 2.0 + float(MARGIN) and float(abs(local_y)) < float(dy) / 2.0 + float(MARGIN))


# -- box sets ------------------------------------------------------------------------------------
def random_boxes(n, seed, spread=8.0):
    g = np.random.default_rng(seed)
    b = np.zeros((n, 7), dtype=F)
    b[:, :2] = g.uniform(-spread, spread, (n, 2))
    b[:, 2] = g.uniform(-1, 1, n)
    b[:, 3:6] = g.uniform(0.3, 5.0, (n, 3))
    b[:, 6] = g.uniform(-4, 4, n)
    return b


def adversarial_boxes():
    """Pairs (a, b) meant to hit the edge cases of the polygon clipping."""
    pi = math.pi
    rows = [
        ((0, 0, 0, 2, 2, 2, 0), (0, 0, 0, 2, 2, 2, 0)),              # identical
        ((1, 2, 0, 3, 1, 1, 0.3), (1, 2, 0, 3, 1, 1, 0.3)),            # identical, rotated
        ((0, 0, 0, 2, 2, 2, 0), (2, 0, 0, 2, 2, 2, 0)),              # touching along an edge
        ((0, 0, 0, 2, 2, 2, 0), (2, 2, 0, 2, 2, 2, 0)),              # touching at a corner
        ((0, 0, 0, 2, 2, 2, 0), (2.005, 0, 0, 2, 2, 2, 0)),          # gap inside MARGIN
        ((0, 0, 0, 2, 2, 2, pi / 4), (0, 2 * math.sqrt(2), 0, 2, 2, 2, pi / 4)),  # touching, rotated
        ((0, 0, 0, 6, 6, 2, 0), (0.5, -0.5, 0, 1, 2, 1, 0.4)),         # nested
        ((0, 0, 0, 6, 6, 2, 0.2), (0, 0, 0, 2, 2, 1, 0.2)),            # nested, same centre and angle
        ((0, 0, 0, 4, 2, 2, 0), (0, 0, 0, 2, 4, 2, pi / 2)),          # rotated by pi/2
        ((0, 0, 0, 4, 2, 2, 0), (0, 0, 0, 4, 2, 2, pi)),              # rotated by pi
        ((3, -1, 0, 4, 2, 2, 0.7), (3, -1, 0, 4, 2, 2, 0.7 + pi / 2)),  # rotated by pi/2, not square
        ((0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 2, 2, 2, 0)),              # zero-size inside
        ((0, 0, 0, 0, 2, 1, 0), (0, 0, 0, 2, 2, 2, 0.5)),              # zero width
        ((0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0)),              # both zero-size
        ((5, 5, 0, 2, 2, 2, 0), (-5, -5, 0, 2, 2, 2, 0)),            # disjoint
        ((0, 0, 0, 2, 2, 2, 1e-7), (0, 0, 0, 2, 2, 2, 0)),           # almost collinear edges
        ((0, 0, 0, 2, 2, 2, 100.0), (0.3, 0.1, 0, 2, 3, 2, -57.0)),   # large headings
        ((1e6, 1e6, 0, 4, 2, 1, 0.3), (1e6 + 1, 1e6, 0, 4, 2, 1, 0.9)),     # huge coordinates
        ((1e8, -1e8, 0, 40, 20, 1, 0.3), (1e8 + 10, -1e8, 0, 40, 20, 1, 0.9)),
        ((3e19, 3e19, 0, 1e19, 2e19, 1, 0.3), (3.2e19, 3e19, 0, 1e19, 2e19, 1, 1.1)),  # float overflow
        ((0, 0, 0, 2, 2, 2, float("nan")), (0, 0, 0, 2, 2, 2, 0)),    # NaN heading
        ((0, 0, 0, -2, 2, 2, 0.1), (0, 0, 0, 2, 2, 2, 0)),            # negative size
    ]
    a = np.array([r[0] for r in rows], dtype=F)
    b = np.array([r[1] for r in rows], dtype=F)
    return a, b


def boxes_t(a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=F))


def served(fn, a, b):
    out = torch.full((len(a), len(b)), -7.0)
    assert getattr(iou3d, fn)(boxes_t(a), boxes_t(b), out) == 1
    return out.numpy()


def assert_same(actual, expected):
    np.testing.assert_array_equal(actual, expected)   # NaN == NaN, exact float32 otherwise


# -- iou / overlap ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,np_fn", [("boxes_iou_bev_cpu", "iou_bev"), ("boxes_iou_bev_gpu", "iou_bev"),
                                      ("boxes_overlap_bev_gpu", "box_overlap")])
def test_matrix_random_equals_transcription(fn, np_fn):
    a, b = random_boxes(24, 1), random_boxes(20, 2)
    expected = NpIou3d(ROUNDED).matrix(np_fn, a, b)
    assert (expected > 0).sum() > 20          # the set really overlaps
    assert_same(served(fn, a, b), expected)


def test_adversarial_pairs_equal_transcription():
    a, b = adversarial_boxes()
    np_ref = NpIou3d(ROUNDED)
    with np.errstate(all="ignore"):
        exp_overlap = np.array([np_ref.box_overlap(x, y) for x, y in zip(a, b)], dtype=F)
        exp_iou = np.array([np_ref.iou_bev(x, y) for x, y in zip(a, b)], dtype=F)
        exp_iou_ba = np.array([np_ref.iou_bev(y, x) for x, y in zip(a, b)], dtype=F)
    for fn, expected in (("boxes_aligned_overlap_bev_gpu", exp_overlap), ("paired_boxes_overlap_bev_gpu", exp_overlap),
                         ("boxes_aligned_iou_bev_cpu", exp_iou)):
        out = torch.full((len(a), 1), -7.0)
        assert getattr(iou3d, fn)(boxes_t(a), boxes_t(b), out) == 1
        assert_same(out.numpy()[:, 0], expected)
    # the full matrix path (with its prefilter) sees the same pairs, both argument orders
    full = served("boxes_iou_bev_cpu", a, b)
    assert_same(np.diag(full), exp_iou)
    assert_same(np.diag(served("boxes_iou_bev_gpu", b, a)), exp_iou_ba)
    # and every cross pair of the set, against the transcription
    assert_same(full, np_ref.matrix("iou_bev", a, b))
    # sanity of the geometry the cases are named after
    assert exp_iou[0] == 1 and abs(exp_iou[1] - 1) < 1e-5 and exp_iou[14] == 0
    assert abs(exp_iou[8] - 1) < 1e-5 and abs(exp_overlap[6] - 2.0) < 1e-5


def test_close_to_libm_build():
    """With the C library's cosf / sinf / atan2f (upstream's CPU build) the answer differs at most
    by float32 rounding noise."""
    a, b = random_boxes(16, 3), random_boxes(16, 4)
    expected = NpIou3d(LIBM).matrix("iou_bev", a, b)
    np.testing.assert_allclose(served("boxes_iou_bev_cpu", a, b), expected, rtol=2e-5, atol=2e-6)


def test_prefilter_is_exact_on_far_pairs():
    """Pairs the prefilter drops are exactly 0 in the transcription: boxes spread far apart."""
    a, b = random_boxes(20, 5, spread=60.0), random_boxes(20, 6, spread=60.0)
    assert_same(served("boxes_iou_bev_cpu", a, b), NpIou3d(ROUNDED).matrix("iou_bev", a, b))
    from ascend_ops.compat.pcdet_ops import _bev_iou
    ta, tb = boxes_t(a), boxes_t(b)
    unfiltered = _bev_iou.pairwise(_bev_iou.iou_index_pairs, ta, tb, prefilter=False)
    assert torch.equal(_bev_iou.pairwise(_bev_iou.iou_index_pairs, ta, tb), unfiltered)
    rows, _ = _bev_iou.candidate_pairs(ta, tb)
    assert 0 < rows.numel() < len(a) * len(b) / 4            # the prefilter really drops pairs


def test_empty_inputs():
    out = torch.zeros(0, 3)
    assert iou3d.boxes_iou_bev_gpu(torch.zeros(0, 7), torch.zeros(3, 7), out) == 1
    keep = torch.zeros(0, dtype=torch.int64)
    assert iou3d.nms_gpu(torch.zeros(0, 7), keep, 0.5) == 0


# -- NMS -------------------------------------------------------------------------------------------
def clustered_boxes(n, seed):
    """Proposals around a few objects (many overlaps), plus adversarial rows; 70+ boxes use two
    64-bit mask blocks."""
    g = np.random.default_rng(seed)
    centres = random_boxes(6, seed + 100)
    b = centres[g.integers(0, 6, n)].copy()
    b[:, :2] += g.normal(0, 0.6, (n, 2)).astype(F)
    b[:, 3:5] *= g.uniform(0.7, 1.3, (n, 2)).astype(F)
    b[:, 6] += g.normal(0, 0.3, n).astype(F)
    a_adv, b_adv = adversarial_boxes()
    return np.concatenate([b, a_adv[:8], b_adv[:8]]).astype(F)


@pytest.mark.parametrize("fn,iou_fn,thresh", [("nms_gpu", "rot", 0.1), ("nms_gpu", "rot", 0.7),
                                              ("nms_normal_gpu", "normal", 0.3)])
def test_nms_equals_transcription(fn, iou_fn, thresh):
    boxes = clustered_boxes(60, 7)
    np_fn = NpIou3d(ROUNDED).iou_bev if iou_fn == "rot" else np_iou_normal
    expected = np_nms(boxes, thresh, np_fn)
    keep = torch.full((len(boxes),), -1, dtype=torch.int64)
    num = getattr(iou3d, fn)(boxes_t(boxes), keep, thresh)
    assert isinstance(num, int) and 1 < num < len(boxes)
    assert keep[:num].tolist() == expected
    assert (keep[num:] == -1).all()            # entries past num_to_keep are not written


def test_nms_negative_threshold_suppresses_disjoint_boxes():
    """IoU 0 > a negative threshold: upstream suppresses every later box, prefilter or not."""
    boxes = random_boxes(10, 9, spread=50.0)
    keep = torch.zeros(10, dtype=torch.int64)
    assert iou3d.nms_gpu(boxes_t(boxes), keep, -0.5) == len(np_nms(boxes, -0.5, NpIou3d(ROUNDED).iou_bev)) == 1


def test_nms_threshold_is_float32_and_strict():
    """IoU exactly at the threshold does not suppress (`>`); the threshold is rounded to float32."""
    boxes = np.array([[0, 0, 0, 2, 2, 2, 0], [1, 0, 0, 2, 2, 2, 0]], dtype=F)   # IoU = 2 / 6
    iou = NpIou3d(ROUNDED).iou_bev(boxes[0], boxes[1])
    keep = torch.zeros(2, dtype=torch.int64)
    assert iou3d.nms_gpu(boxes_t(boxes), keep, float(iou)) == 2
    assert iou3d.nms_gpu(boxes_t(boxes), keep, float(np.nextafter(iou, F(0)))) == 1
    # a float64 threshold a hair below the float32 IoU rounds up to it: no suppression, as pybind's float
    assert iou3d.nms_gpu(boxes_t(boxes), keep, float(iou) - 1e-12) == 2


# -- points in boxes ---------------------------------------------------------------------------------
def point_sets(seed):
    g = np.random.default_rng(seed)
    boxes = random_boxes(12, seed, spread=4.0)
    boxes = np.concatenate([boxes, adversarial_boxes()[0][[0, 6, 11, 12, 17]]])
    pts = g.uniform(-6, 6, (300, 3)).astype(F)
    pts[:, 2] = g.uniform(-2, 2, 300)
    corners = boxes[:, :3] + np.array([1, -1, 0.5], dtype=F) * boxes[:, 3:6] / F(2)   # box faces
    return boxes, np.concatenate([pts, corners, boxes[:, :3]]).astype(F)


def test_points_in_boxes_cpu_equals_transcription():
    boxes, pts = point_sets(11)
    expected = np.array([[np_pt_in_box3d(p, b, 1e-2) for p in pts] for b in boxes], dtype=np.int32)
    out = torch.full((len(boxes), len(pts)), 5, dtype=torch.int32)
    assert roiaware.points_in_boxes_cpu(boxes_t(boxes), boxes_t(pts), out) == 1
    assert expected.sum() > 10
    np.testing.assert_array_equal(out.numpy(), expected)


def test_points_in_boxes_gpu_equals_transcription():
    sets = [point_sets(12), point_sets(13)]
    boxes = np.stack([s[0] for s in sets])
    pts = np.stack([s[1] for s in sets])
    expected = np.full(pts.shape[:2], -3, dtype=np.int32)     # untouched entries keep their value
    for bi in range(len(sets)):
        for j, p in enumerate(pts[bi]):
            for k, b in enumerate(boxes[bi]):
                if np_pt_in_box3d(p, b, 1e-5):
                    expected[bi, j] = k
                    break
    out = torch.full(pts.shape[:2], -3, dtype=torch.int32)
    assert roiaware.points_in_boxes_gpu(boxes_t(boxes), boxes_t(pts), out) == 1
    assert (expected >= 0).sum() > 10
    np.testing.assert_array_equal(out.numpy(), expected)


# -- RoI-aware pooling: numpy transcription of roiaware_pool3d_kernel.cu -------------------------------
def np_roiaware_forward(rois, pts, feats, out, max_pts, pool_method):
    """generate_pts_mask_for_box3d (:39-75), collect_inside_pts_for_box3d (:78-108),
    roiaware_maxpool3d (:111-157) / roiaware_avgpool3d (:160-190), loop by loop."""
    N, P, C = len(rois), len(pts), feats.shape[1]
    ox, oy, oz = out
    MARGIN = F(1e-5)
    pts_mask = np.full((N, P), -1, dtype=np.int64)
    for b in range(N):
        for k in range(P):
            x, y, z = pts[k]
            cx, cy, cz, dx, dy, dz, rz = rois[b]
            if float(abs(z - cz)) > float(dz) / 2.0:
                continue
            cosa, sina = ROUNDED["cos"](-rz), ROUNDED["sin"](-rz)
            local_x = (x - cx) * cosa + (y - cy) * (-sina)
            local_y = (x - cx) * sina + (y - cy) * cosa
            if not (float(abs(local_x)) < float(dx) / 2.0 + float(MARGIN)
                    and float(abs(local_y)) < float(dy) / 2.0 + float(MARGIN)):
                continue
            local_z = z - cz
            idx = []
            for loc, d, n in ((local_x, dx, ox), (local_y, dy, oy), (local_z, dz, oz)):
                i = int((loc + d / F(2)) / (d / F(n)))      # unsigned int x_idx = int(...)
                idx.append(n - 1 if i < 0 else min(i, n - 1))
            pts_mask[b, k] = (idx[0] << 16) + (idx[1] << 8) + idx[2]
    table = np.zeros((N, ox, oy, oz, max_pts), dtype=np.int32)
    for b in range(N):
        for k in range(P):
            if pts_mask[b, k] != -1:
                e = pts_mask[b, k]
                cell = table[b, (e >> 16) & 0xFF, (e >> 8) & 0xFF, e & 0xFF]
                if cell[0] < max_pts - 1:
                    cell[cell[0] + 1] = k
                    cell[0] += 1
    pooled = np.zeros((N, ox, oy, oz, C), dtype=F)
    argmax = np.zeros((N, ox, oy, oz, C), dtype=np.int32)
    for b, i, j, l, c in np.ndindex(N, ox, oy, oz, C):
        cell = table[b, i, j, l]
        if pool_method == 0:
            arg, best = -1, F(-np.inf)                      # float max_val = -1e50
            for k in range(1, cell[0] + 1):
                if feats[cell[k], c] > best:
                    best, arg = feats[cell[k], c], cell[k]
            if arg != -1:
                pooled[b, i, j, l, c] = best
            argmax[b, i, j, l, c] = arg
        else:
            total = F(0)
            for k in range(1, cell[0] + 1):
                total = total + feats[cell[k], c]
            if cell[0] > 0:
                pooled[b, i, j, l, c] = total / F(cell[0])
    return table, argmax, pooled


def np_roiaware_backward(table, argmax, grad_out, n_points, pool_method):
    """roiaware_maxpool3d_backward / roiaware_avgpool3d_backward (:236-286), sequentially."""
    C = grad_out.shape[-1]
    grad_in = np.zeros((n_points, C), dtype=np.float64)
    for b, i, j, l, c in np.ndindex(*grad_out.shape):
        if pool_method == 0:
            if argmax[b, i, j, l, c] != -1:
                grad_in[argmax[b, i, j, l, c], c] += grad_out[b, i, j, l, c]
        else:
            cell = table[b, i, j, l]
            cur = F(1) / np.fmax(F(cell[0]), F(1))
            for k in range(1, cell[0] + 1):
                grad_in[cell[k], c] += grad_out[b, i, j, l, c] * cur
    return grad_in


@pytest.mark.parametrize("pool_method", [0, 1])
def test_roiaware_pool_equals_transcription(pool_method):
    g = np.random.default_rng(31 + pool_method)
    rois = np.concatenate([random_boxes(3, 32, spread=2.0), np.array([[0, 0, 0, 0.5, 0.5, 0.5, 0.3]], dtype=F)])
    pts = g.uniform(-4, 4, (400, 3)).astype(F)
    pts[:, 2] = g.uniform(-1.5, 1.5, 400)
    feats = g.normal(0, 1, (400, 3)).astype(F)
    feats[::7, 1] = feats[3, 1]                              # ties: the first in point order wins
    out, max_pts = (3, 2, 4), 4                              # small cells: the cap of 3 points is hit
    table, argmax, pooled = np_roiaware_forward(rois, pts, feats, out, max_pts, pool_method)
    t_table = torch.zeros(table.shape, dtype=torch.int32)
    t_argmax = torch.zeros(argmax.shape, dtype=torch.int32)
    t_pooled = torch.zeros(pooled.shape)
    assert roiaware.forward(boxes_t(rois), boxes_t(pts), boxes_t(feats), t_argmax, t_table, t_pooled, pool_method) == 1
    assert (table[..., 0] == max_pts - 1).any() and (table[..., 0] > 0).sum() > 10
    np.testing.assert_array_equal(t_table.numpy(), table)
    np.testing.assert_array_equal(t_pooled.numpy(), pooled)
    if pool_method == 0:
        np.testing.assert_array_equal(t_argmax.numpy(), argmax)
    grad_out = g.normal(0, 1, pooled.shape).astype(F)
    grad_in = torch.zeros(400, 3)
    assert roiaware.backward(t_table, t_argmax, boxes_t(grad_out), grad_in, pool_method) == 1
    expected = np_roiaware_backward(table, argmax, grad_out, 400, pool_method)
    np.testing.assert_allclose(grad_in.numpy(), expected, rtol=1e-5, atol=1e-6)   # atomicAdd order is free


# -- bad input, stubs --------------------------------------------------------------------------------
def test_bad_arguments_raise_naming_them():
    b = torch.zeros(3, 7)
    with pytest.raises(TypeError, match="boxes_iou_bev_gpu: boxes_a must be float32"):
        iou3d.boxes_iou_bev_gpu(b.double(), b, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="boxes_b must have 7 columns"):
        iou3d.boxes_iou_bev_cpu(b, torch.zeros(3, 8), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="ans_iou must hold 9 elements"):
        iou3d.boxes_iou_bev_cpu(b, b, torch.zeros(3, 2))
    with pytest.raises(TypeError, match="ans_overlap must be float32"):
        iou3d.boxes_overlap_bev_gpu(b, b, torch.zeros(3, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="boxes_a must be contiguous"):
        iou3d.boxes_iou_bev_cpu(torch.zeros(7, 3).t(), b, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="same number of boxes"):
        iou3d.boxes_aligned_iou_bev_cpu(b, torch.zeros(2, 7), torch.zeros(3, 1))
    with pytest.raises(TypeError, match="nms_gpu: keep must be int64"):
        iou3d.nms_gpu(b, torch.zeros(3, dtype=torch.int32), 0.5)
    with pytest.raises(ValueError, match="keep must hold at least"):
        iou3d.nms_normal_gpu(b, torch.zeros(2, dtype=torch.int64), 0.5)
    with pytest.raises(ValueError, match="points_in_boxes_cpu: pts_tensor must have 3 columns"):
        roiaware.points_in_boxes_cpu(b, torch.zeros(4, 4), torch.zeros(3, 4, dtype=torch.int32))
    with pytest.raises(TypeError, match="positional"):
        iou3d.nms_gpu(boxes=b, keep=torch.zeros(3, dtype=torch.int64), nms_overlap_thresh=0.5)


def test_every_served_module_imports_and_stubs_raise():
    expected_names = {"pcdet.ops.iou3d_nms.iou3d_nms_cuda", "pcdet.ops.roiaware_pool3d.roiaware_pool3d_cuda",
                      "pcdet.ops.roipoint_pool3d.roipoint_pool3d_cuda",
                      "pcdet.ops.pointnet2.pointnet2_stack.pointnet2_stack_cuda",
                      "pcdet.ops.pointnet2.pointnet2_batch.pointnet2_batch_cuda",
                      "pcdet.ops.bev_pool.bev_pool_ext", "pcdet.ops.ingroup_inds.ingroup_inds_cuda"}
    assert set(pcdet_ops.SERVED) == expected_names
    for kit_name in pcdet_ops.SERVED.values():
        importlib.import_module(kit_name)
    for name in ("boxes_aligned_overlap_bev_gpu", "boxes_overlap_bev_gpu", "paired_boxes_overlap_bev_gpu",
                 "boxes_iou_bev_gpu", "nms_gpu", "nms_normal_gpu", "boxes_aligned_iou_bev_cpu", "boxes_iou_bev_cpu"):
        assert callable(getattr(iou3d, name))      # iou3d_nms_api.cpp:12-19
    stack = importlib.import_module("ascend_ops.compat.pcdet_ops.pointnet2_stack_cuda")
    with pytest.raises(NotImplementedError, match="pointnet2_stack_cuda.ball_query_wrapper is not implemented"):
        stack.ball_query_wrapper(1, 2)
    with pytest.raises(ValueError, match="forward: pool_method must be 0"):
        roiaware.forward(torch.zeros(1, 7), torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(1, 2, 2, 2, 4, dtype=torch.int32),
                         torch.zeros(1, 2, 2, 2, 5, dtype=torch.int32), torch.zeros(1, 2, 2, 2, 4), 2)
    roipoint = importlib.import_module("ascend_ops.compat.pcdet_ops.roipoint_pool3d_cuda")
    with pytest.raises(NotImplementedError, match="roipoint_pool3d_cuda.forward"):
        roipoint.forward()


# -- import hook -------------------------------------------------------------------------------------
def test_served_through_the_hook(tmp_path, monkeypatch):
    """With a bare `pcdet` package tree (no compiled modules), compat.activate(["pcdet-ops"]) serves
    every compiled module name as the kit module itself, and removes them again on exit."""
    for name in pcdet_ops.SERVED:
        parts = name.split(".")
        for depth in range(1, len(parts)):        # pcdet/, pcdet/ops/, ... each with an __init__.py
            package = tmp_path.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    assert "pcdet-ops" in compat.FRONT_ENDS and compat.real_package("pcdet-ops") is None
    try:
        with compat.activate(["pcdet-ops"]):
            for name, kit_name in pcdet_ops.SERVED.items():
                assert importlib.import_module(name) is importlib.import_module(kit_name)
            from pcdet.ops.iou3d_nms import iou3d_nms_cuda
            assert iou3d_nms_cuda.nms_gpu is iou3d.nms_gpu
        assert not any(name in sys.modules for name in pcdet_ops.SERVED)
    finally:
        for name in set(sys.modules) - before:
            if name == "pcdet" or name.startswith("pcdet."):
                del sys.modules[name]


# -- runtime patch -----------------------------------------------------------------------------------
def test_runtime_patch_on_a_stand_in_module(monkeypatch):
    """The patch swaps only the module's `torch` global, maps torch.cuda.FloatTensor and
    LongTensor(...).cuda() to the target device, and is undone on exit."""
    mod = types.ModuleType(runtime_patch.UTILS_MODULE)
    mod.torch = torch

    def alloc(n):
        return torch.cuda.FloatTensor(torch.Size((n, 2))).zero_()

    def host(n):
        k = torch.LongTensor(n)
        k[0] = 4
        return k[:2].cuda()

    for fn in (alloc, host):                     # functions whose global `torch` is the module's
        setattr(mod, fn.__name__, types.FunctionType(fn.__code__, mod.__dict__, fn.__name__))
    monkeypatch.setitem(sys.modules, runtime_patch.UTILS_MODULE, mod)
    with runtime_patch.patch_iou3d_nms_utils("cpu") as patcher:
        assert mod.torch is not torch and patcher.report()[0]["status"] == "applied"
        a = mod.alloc(3)
        assert a.dtype == torch.float32 and a.shape == (3, 2) and a.device.type == "cpu"
        h = mod.host(5)
        assert type(h) is torch.Tensor and h.tolist() == [4, 0]
        assert mod.torch.zeros is torch.zeros
    assert mod.torch is torch
    assert not hasattr(torch.Tensor, "_kit_patched")


# -- OpenPCDet's own iou3d_nms_utils, unchanged --------------------------------------------------------
@pytest.fixture
def openpcdet(monkeypatch):
    root = os.environ.get("ASCEND_KIT_OPENPCDET")
    if not root:
        pytest.skip("set ASCEND_KIT_OPENPCDET=<dir holding OpenPCDet's pcdet/> (e.g. `git --git-dir=<OpenPCDet.git> "
                    "archive 8cacccec pcdet | tar -x -C /tmp/openpcdet`) to run OpenPCDet's own iou3d_nms_utils")
    if not os.path.isfile(os.path.join(root, "pcdet", "ops", "iou3d_nms", "iou3d_nms_utils.py")):
        pytest.fail(f"ASCEND_KIT_OPENPCDET={root} holds no pcdet/ops/iou3d_nms/iou3d_nms_utils.py")
    before = set(sys.modules)
    monkeypatch.syspath_prepend(root)
    # what OpenPCDet's `setup.py develop` would provide: pcdet/version.py (generated) and the
    # SharedArray package (a requirement that common_utils imports at top level)
    if not os.path.exists(os.path.join(root, "pcdet", "version.py")):
        version = types.ModuleType("pcdet.version")
        version.__version__ = "0.0.0+ascend-kit-test"
        monkeypatch.setitem(sys.modules, "pcdet.version", version)
    if importlib.util.find_spec("SharedArray") is None:
        monkeypatch.setitem(sys.modules, "SharedArray", types.ModuleType("SharedArray"))
    # the served compiled modules through the import hook, then the runtime patch
    with compat.activate(["pcdet-ops"]), runtime_patch.patch_iou3d_nms_utils("cpu"):
        utils = importlib.import_module("pcdet.ops.iou3d_nms.iou3d_nms_utils")
        assert os.path.realpath(utils.__file__).startswith(os.path.realpath(root))
        assert utils.iou3d_nms_cuda is iou3d
        yield utils
    assert utils.torch is torch
    for name in set(sys.modules) - before:
        if name == "pcdet" or name.startswith("pcdet."):
            del sys.modules[name]


def test_openpcdet_iou3d_nms_utils_unchanged(openpcdet):
    utils = openpcdet
    np_ref = NpIou3d(ROUNDED)
    a = np.concatenate([random_boxes(14, 21, spread=4.0), adversarial_boxes()[0][:12]])
    b = np.concatenate([random_boxes(10, 22, spread=4.0), adversarial_boxes()[1][:12]])
    ta, tb = boxes_t(a), boxes_t(b)
    exp_iou = np_ref.matrix("iou_bev", a, b)
    assert_same(utils.boxes_iou_bev(ta, tb).numpy(), exp_iou)
    assert_same(utils.boxes_bev_iou_cpu(ta, tb).numpy(), exp_iou)
    # boxes_iou3d_gpu: bev overlap x height overlap / union of volumes (iou3d_nms_utils.py:48-81)
    overlap = np_ref.matrix("box_overlap", a, b)
    with np.errstate(all="ignore"):
        h = np.clip(np.minimum((a[:, 2] + a[:, 5] / F(2))[:, None], (b[:, 2] + b[:, 5] / F(2))[None])
                    - np.maximum((a[:, 2] - a[:, 5] / F(2))[:, None], (b[:, 2] - b[:, 5] / F(2))[None]), F(0), None)
        o3d = overlap * h
        vol_a, vol_b = (a[:, 3] * a[:, 4] * a[:, 5])[:, None], (b[:, 3] * b[:, 4] * b[:, 5])[None]
        exp3d = o3d / np.clip(vol_a + vol_b - o3d, F(1e-6), None)
    np.testing.assert_allclose(utils.boxes_iou3d_gpu(ta, tb).numpy(), exp3d, rtol=1e-6, atol=1e-7)
    boxes = clustered_boxes(80, 23)
    scores = torch.from_numpy(np.random.default_rng(24).permutation(len(boxes)).astype(F))  # distinct
    order = scores.sort(0, descending=True)[1]
    for fn, iou_fn, thresh in (("nms_gpu", np_ref.iou_bev, 0.1), ("nms_normal_gpu", np_iou_normal, 0.2)):
        selected, none = getattr(utils, fn)(boxes_t(boxes), scores, thresh)
        expected = order[np_nms(boxes[order.numpy()], thresh, iou_fn)]
        assert none is None and torch.equal(selected, expected), fn
    pre = utils.nms_gpu(boxes_t(boxes), scores, 0.1, pre_maxsize=30)[0]
    assert torch.equal(pre, order[:30][np_nms(boxes[order[:30].numpy()], 0.1, np_ref.iou_bev)])


def test_openpcdet_roiaware_pool3d_utils_unchanged(openpcdet):
    """OpenPCDet's roiaware_pool3d_utils (points_in_boxes_cpu / _gpu, RoIAwarePool3d with its
    autograd Function) on the served module, against the transcriptions."""
    utils = importlib.import_module("pcdet.ops.roiaware_pool3d.roiaware_pool3d_utils")
    assert utils.roiaware_pool3d_cuda is roiaware
    boxes, pts = point_sets(41)
    expected = np.array([[np_pt_in_box3d(p, b, 1e-2) for p in pts] for b in boxes], dtype=np.int32)
    np.testing.assert_array_equal(utils.points_in_boxes_cpu(pts, boxes), expected)          # numpy in, numpy out
    first = utils.points_in_boxes_gpu(boxes_t(pts)[None], boxes_t(boxes)[None])[0].numpy()
    np.testing.assert_array_equal(first, [next((k for k, b in enumerate(boxes) if np_pt_in_box3d(p, b, 1e-5)), -1)
                                          for p in pts])
    g = np.random.default_rng(42)
    rois, feats = boxes[:4], g.normal(0, 1, (len(pts), 2)).astype(F)
    table, argmax, pooled = np_roiaware_forward(rois, pts, feats, (2, 3, 2), 5, 0)
    feat_t = boxes_t(feats).requires_grad_(True)
    out = utils.RoIAwarePool3d((2, 3, 2), max_pts_each_voxel=5)(boxes_t(rois), boxes_t(pts), feat_t, "max")
    np.testing.assert_array_equal(out.detach().numpy(), pooled)
    out.sum().backward()
    np.testing.assert_allclose(feat_t.grad.numpy(), np_roiaware_backward(table, argmax, np.ones_like(pooled), len(pts), 0))


class _AttrDict(dict):
    """Stands for easydict.EasyDict (OpenPCDet's config type): keys readable as attributes."""
    __getattr__ = dict.__getitem__


def test_openpcdet_nms_post_processing_unchanged(openpcdet):
    """pcdet/models/model_utils/model_nms_utils.py, unchanged, loaded from the checkout by path
    (importing pcdet.models would pull every detector and its third-party packages)."""
    import importlib.util
    root = os.environ["ASCEND_KIT_OPENPCDET"]
    name = "pcdet.models.model_utils.model_nms_utils"
    spec = importlib.util.spec_from_file_location(name, os.path.join(root, *name.split(".")) + ".py")
    nms_utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nms_utils)
    assert nms_utils.iou3d_nms_utils is openpcdet
    boxes = clustered_boxes(70, 51)
    scores = np.random.default_rng(52).permutation(len(boxes)).astype(F) / len(boxes)   # distinct
    config = _AttrDict(NMS_TYPE="nms_gpu", NMS_THRESH=0.1, NMS_PRE_MAXSIZE=50, NMS_POST_MAXSIZE=20)
    selected, selected_scores = nms_utils.class_agnostic_nms(boxes_t(scores), boxes_t(boxes), config, score_thresh=0.1)
    above = np.nonzero(scores >= F(0.1))[0]
    top = above[np.argsort(-scores[above], kind="stable")][:50]
    expected = top[np_nms(boxes[top], 0.1, NpIou3d(ROUNDED).iou_bev)][:20]
    assert selected.tolist() == expected.tolist()
    assert torch.equal(selected_scores, boxes_t(scores)[selected])
