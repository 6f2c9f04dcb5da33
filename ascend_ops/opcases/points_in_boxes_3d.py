"""Op case of points_in_boxes_3d (OpenPCDet roiaware_pool3d points_in_boxes_cpu); protocol in
ascend_ops.opcases. Real use: OpenPCDet's dataset tools (gt database, augmentation) test a
KITTI-sized cloud against a frame's boxes."""
import torch

from . import _points_in_boxes_data as data

OP = "points_in_boxes_3d"
REAL = dict(points=150_000, boxes=100)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """points [96, 3], boxes [6, 7]."""
    g = data.generator(seed)
    boxes = data.make_boxes(6, g)
    points = data.make_points(96, boxes, g, near_fraction=0.6)
    return points.to(device, dtype), boxes.to(device, dtype)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """points [150000, 3] in KITTI's range [0, 70.4] x [-40, 40] x [-3, 1], 30 % near boxes;
    boxes [100, 7] (quick: 15000 points)."""
    g = data.generator(seed)
    boxes = data.make_boxes(REAL["boxes"], g)
    points = data.make_points(REAL["points"] // (10 if quick else 1), boxes, g)
    return points.to(device, dtype), boxes.to(device, dtype)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """points [0, 3] against boxes [3, 7]."""
    return torch.zeros(0, 3, dtype=dtype, device=device), data.make_boxes(3, data.generator(seed)).to(device, dtype)


def empty_boxes(device, dtype=torch.float32, seed=0, quick=False):
    """points [16, 3] against boxes [0, 7]."""
    pts = data.make_points(16, torch.zeros(0, 7, dtype=torch.float64), data.generator(seed))
    return pts.to(device, dtype), torch.zeros(0, 7, dtype=dtype, device=device)


def cases():
    return {"small": small, "real": real, "empty": empty, "empty_boxes": empty_boxes}


def tolerance(dtype):
    return (0, 0)   # integer output: exact


def bad_inputs(device):
    pts = torch.zeros(4, 3, device=device)
    box = torch.zeros(2, 7, device=device)
    return [
        ((pts.int(), box), TypeError, "points"),
        ((pts, box.bfloat16()), TypeError, "boxes"),
        ((pts[None], box), ValueError, "points"),
        ((torch.zeros(4, 4, device=device), box), ValueError, "points.*exactly 3 columns"),
        ((pts, torch.zeros(2, 8, device=device)), ValueError, "boxes.*exactly 7 columns"),
        ((pts, "boxes"), TypeError, "boxes"),
    ]


def baseline_inputs(points, boxes):
    return points, boxes


def baseline(points, boxes):
    """A vectorised torch rotation test over all (box, point) pairs."""
    return data.rotation_mask(points, boxes, 1e-2, with_z=True)
