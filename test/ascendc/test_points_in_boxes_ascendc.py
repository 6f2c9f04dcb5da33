"""Parity of the Ascend C PointsInBoxesBev / PointsInBoxes3d / PointsInBoxesFirst kernels (run on
CPU by the kit's Ascend C harness, 910B and 950 profiles, several core counts) against the
pure-PyTorch reference (float32, integer outputs compared exactly).

The kernels take rotation[k] = (cos(-heading), sin(-heading)) from the NPU binding; here it is
computed like the reference computes it, so the outputs must match exactly.
Needs the harness (ascend_ops.ascendc_sim) and a C++17 compiler; skips with a message otherwise.
"""
import math
import os

import pytest
import torch

from ascend_ops.opcases import _points_in_boxes_data as data
from ascend_ops.opcases import points_in_boxes_3d as case_3d
from ascend_ops.opcases import points_in_boxes_bev as case_bev
from ascend_ops.opcases import points_in_boxes_first as case_first
from ascend_ops.ops import points_in_boxes as pib

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "points_in_boxes")
OPS = {  # kind: (OpType, kernel file name, output name, case module, reference)
    "bev": ("PointsInBoxesBev", "points_in_boxes_bev", "mask", case_bev, pib.points_in_boxes_bev_reference),
    "3d": ("PointsInBoxes3d", "points_in_boxes3d", "mask", case_3d, pib.points_in_boxes_3d_reference),
    "first": ("PointsInBoxesFirst", "points_in_boxes_first", "box_index", case_first,
              pib.points_in_boxes_first_reference),
}


def rotation(boxes):
    """[K, 2] float32 (cos(-heading), sin(-heading)), as the reference computes them."""
    neg = -boxes[..., 6].reshape(-1).double()
    return torch.stack([torch.cos(neg), torch.sin(neg)], 1).float().contiguous()


def run(kind, points, boxes, profile="ascend910b", core_num=None):
    op_type, kname, out_name, _, _ = OPS[kind]
    res = sim.run_op(OP_DIR, op_type, kernel_name=kname,
                     inputs={"points": points.contiguous(), "boxes": boxes.contiguous(), "rotation": rotation(boxes)},
                     outputs={out_name: None}, profile=profile, core_num=core_num, check_coverage=True)
    return res.outputs[out_name], res.report


def adversarial():
    """Boxes rotated by 0, pi/2, -pi, zero-size, nested and touching, with points on their faces,
    edges and corners and at the margins (float32)."""
    boxes = torch.tensor([
        [10.0, 5.0, -1.0, 2.0, 4.0, 1.5, 0.0], [20.0, -5.0, -0.5, 3.0, 1.0, 2.0, math.pi / 2],
        [30.0, 10.0, 0.0, 1.6, 3.9, 1.56, -math.pi], [50.0, 20.0, -1.0, 0.0, 0.0, 0.0, 0.0],
        [10.0, 5.0, -1.0, 1.0, 2.0, 0.5, 0.0], [12.0, 5.0, -1.0, 2.0, 4.0, 1.5, 0.0]], dtype=torch.float64)
    pts = []
    for cx, cy, cz, dx, dy, dz, h in boxes.tolist():
        c, s = math.cos(h), math.sin(h)
        for ux in (-1, 0, 1):
            for uy in (-1, 0, 1):
                for uz in (-1, 0, 1):
                    pts.append((cx + ux * dx / 2 * c - uy * dy / 2 * s, cy + ux * dx / 2 * s + uy * dy / 2 * c,
                                cz + uz * dz / 2))
        for m in (1e-5, 1e-2):
            for d in (-2e-7, 0.0, 2e-7):
                pts.append((cx + dx / 2 + m + d, cy, cz))
                pts.append((cx, cy - dy / 2 - m - d, cz))
    pts.append((10.0, 5.0, math.nan))
    return torch.tensor(pts).float(), boxes.float()


def _inputs(kind, points, boxes):
    if kind == "first":
        return torch.stack([points, points.flip(0)]), torch.stack([boxes, boxes.flip(0)])
    return points, boxes


@pytest.mark.parametrize("profile", ["ascend910b", "ascend950"])
@pytest.mark.parametrize("kind", list(OPS))
@pytest.mark.parametrize("core_num", [1, 3, 8])
def test_small_and_adversarial(kind, core_num, profile):
    small = OPS[kind][3].small("cpu", torch.float32, seed=2)
    for points, boxes in (small, _inputs(kind, *adversarial())):
        out, report = run(kind, points, boxes, profile, core_num)
        torch.testing.assert_close(out, OPS[kind][4](points, boxes), atol=0, rtol=0)


@pytest.mark.parametrize("kind", list(OPS))
def test_several_chunks_and_tail(kind):
    """More points than one chunk (2048 on 910B) with a tail, extra columns where allowed."""
    g = torch.Generator().manual_seed(5)
    boxes = data.make_boxes(7, g, extra_columns=1 if kind == "bev" else 0)
    points = data.make_points(4100 + 37, boxes, g, near_fraction=0.7, extra_columns=2 if kind == "bev" else 0)
    points, boxes = _inputs(kind, points.float(), boxes.float())
    for core_num in (2, 5):
        out, report = run(kind, points, boxes, core_num=core_num)
        torch.testing.assert_close(out, OPS[kind][4](points, boxes), atol=0, rtol=0)
        assert report["block_dim"] <= core_num


@pytest.mark.parametrize("profile", ["ascend910b", "ascend950"])
def test_bev_real_grid(profile):
    """Ada3D's use: the 176 x 200 BEV grid against gt boxes (quick: 8 boxes)."""
    points, boxes = case_bev.real("cpu", torch.float32, seed=3, quick=True)
    out, report = run("bev", points, boxes, profile)
    torch.testing.assert_close(out, pib.points_in_boxes_bev_reference(points, boxes), atol=0, rtol=0)
    assert report["block_dim"] > 1


def test_threshold_two_sum_matches_double():
    """The kernel's float two-sum threshold equals upstream's double comparison: boxes with random
    sizes and points one float ulp either side of every box's margin boundary."""
    g = torch.Generator().manual_seed(9)
    sizes = torch.cat([torch.rand(40, generator=g) * 8, torch.tensor([0.0, 1e-6, 3.0, 1024.0, 1e5])])
    m = len(sizes)
    boxes = torch.zeros(m, 7)
    boxes[:, 0] = torch.arange(m) * 100.0
    boxes[:, 3] = sizes
    boxes[:, 4] = 1.0
    boxes[:, 5] = 1.0
    edge = (boxes[:, 0].double() + boxes[:, 3].double() / 2 + float(torch.tensor(1e-5))).float()
    pts = []
    for e, cx in zip(edge, boxes[:, 0]):
        for v in (torch.nextafter(e, torch.tensor(-1e9)), e, torch.nextafter(e, torch.tensor(1e9))):
            pts.append((float(v), 0.0, 0.0))
    points = torch.tensor(pts)
    out, _ = run("bev", points, boxes, core_num=2)
    torch.testing.assert_close(out, pib.points_in_boxes_bev_reference(points, boxes), atol=0, rtol=0)
