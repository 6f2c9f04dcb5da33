"""Op case of points_in_boxes_first (OpenPCDet roiaware_pool3d points_in_boxes_gpu); protocol in
ascend_ops.opcases. Real use: point-wise target assignment (PointRCNN / PartA2 heads) of a batch
of KITTI clouds against the padded gt boxes of each frame."""
import torch

from . import _points_in_boxes_data as data

OP = "points_in_boxes_first"
REAL = dict(batch=2, points=150_000, boxes=64)


def _batch(bs, n, t, g, near=0.3):
    boxes = torch.stack([data.make_boxes(t, g) for _ in range(bs)])
    points = torch.stack([data.make_points(n, boxes[b], g, near_fraction=near) for b in range(bs)])
    return points, boxes


def small(device, dtype=torch.float32, seed=0, quick=False):
    """points [2, 80, 3], boxes [2, 6, 7]."""
    points, boxes = _batch(2, 80, 6, data.generator(seed), near=0.6)
    return points.to(device, dtype), boxes.to(device, dtype)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """points [2, 150000, 3] KITTI-like, boxes [2, 64, 7] (quick: 15000 points per frame)."""
    n = REAL["points"] // (10 if quick else 1)
    points, boxes = _batch(REAL["batch"], n, REAL["boxes"], data.generator(seed))
    return points.to(device, dtype), boxes.to(device, dtype)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """points [2, 0, 3] against boxes [2, 3, 7]."""
    g = data.generator(seed)
    boxes = torch.stack([data.make_boxes(3, g) for _ in range(2)])
    return torch.zeros(2, 0, 3, dtype=dtype, device=device), boxes.to(device, dtype)


def empty_boxes(device, dtype=torch.float32, seed=0, quick=False):
    """points [2, 16, 3] against boxes [2, 0, 7] (every point -1)."""
    g = data.generator(seed)
    pts = torch.stack([data.make_points(16, torch.zeros(0, 7, dtype=torch.float64), g) for _ in range(2)])
    return pts.to(device, dtype), torch.zeros(2, 0, 7, dtype=dtype, device=device)


def cases():
    return {"small": small, "real": real, "empty": empty, "empty_boxes": empty_boxes}


def tolerance(dtype):
    return (0, 0)   # integer output: exact


def bad_inputs(device):
    pts = torch.zeros(2, 4, 3, device=device)
    box = torch.zeros(2, 3, 7, device=device)
    return [
        ((pts.long(), box), TypeError, "points"),
        ((pts, box.half()), TypeError, "boxes"),
        ((pts[0], box), ValueError, "points"),
        ((pts, box[:1]), ValueError, r"boxes\.shape\[0\]"),
        ((torch.zeros(2, 4, 4, device=device), box), ValueError, "points.*exactly 3 columns"),
        ((pts, torch.zeros(2, 3, 8, device=device)), ValueError, "boxes.*exactly 7 columns"),
    ]


def baseline_inputs(points, boxes):
    return points, boxes


def baseline(points, boxes):
    """A vectorised torch rotation test per frame, then the first box index (or -1)."""
    out = []
    for p, b in zip(points, boxes):
        inside = data.rotation_mask(p, b, 1e-5, with_z=True)           # [T, N]
        if inside.shape[0] == 0:
            out.append(torch.full(inside.shape[1:], -1, dtype=torch.int64, device=p.device))
            continue
        first = inside.argmax(0)
        out.append(torch.where(inside.any(0), first, torch.full_like(first, -1)))
    return torch.stack(out).int() if out else torch.zeros(0, points.shape[1], dtype=torch.int32)
