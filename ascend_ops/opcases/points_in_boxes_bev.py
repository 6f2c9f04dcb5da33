"""Op case of points_in_boxes_bev (Ada3D SparseBEVTools); protocol in ascend_ops.opcases.
Real use (Ada3D drop_utils.py:35-41): the BEV cells of KITTI's 176 x 200 feature map as points
(x, y, 0, 1) against one frame's gt boxes [M, 8] (7 box values + class)."""
import torch

from . import _points_in_boxes_data as data

OP = "points_in_boxes_bev"
REAL_BOXES = 40


def small(device, dtype=torch.float32, seed=0, quick=False):
    """points [64, 4], boxes [5, 8] (extra columns on both, as Ada3D passes them)."""
    g = data.generator(seed)
    boxes = data.make_boxes(5, g, extra_columns=1)
    points = data.make_points(64, boxes, g, near_fraction=0.5, extra_columns=1)
    return points.to(device, dtype), boxes.to(device, dtype)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """points [35200, 4] = Ada3D's BEV grid, boxes [40, 8] KITTI-like gt boxes (quick: 8 boxes)."""
    g = data.generator(seed)
    boxes = data.make_boxes(8 if quick else REAL_BOXES, g, extra_columns=1)
    return data.bev_grid().to(device, dtype), boxes.to(device, dtype)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """points [0, 4] against boxes [3, 8] (the M = 0 case is empty_boxes)."""
    g = data.generator(seed)
    return torch.zeros(0, 4, dtype=dtype, device=device), data.make_boxes(3, g, 1).to(device, dtype)


def empty_boxes(device, dtype=torch.float32, seed=0, quick=False):
    """points [16, 4] against boxes [0, 8]."""
    g = data.generator(seed)
    pts = data.make_points(16, torch.zeros(0, 7, dtype=torch.float64), g, extra_columns=1)
    return pts.to(device, dtype), torch.zeros(0, 8, dtype=dtype, device=device)


def cases():
    return {"small": small, "real": real, "empty": empty, "empty_boxes": empty_boxes}


def tolerance(dtype):
    return (0, 0)   # integer output: exact


def bad_inputs(device):
    pts = torch.zeros(4, 4, device=device)
    box = torch.zeros(2, 8, device=device)
    return [
        ((pts.long(), box), TypeError, "points"),
        ((pts, box.half()), TypeError, "boxes"),
        ((pts[:, 0], box), ValueError, "points"),
        ((pts[:, :2], box), ValueError, "points.*at least 3 columns"),
        ((pts, box[:, :6]), ValueError, "boxes.*at least 7 columns"),
        ((pts, box[None]), ValueError, "boxes"),
        (([[0.0, 0.0, 0.0]], box), TypeError, "points"),
    ]


def baseline_inputs(points, boxes):
    return points, boxes


def baseline(points, boxes):
    """A vectorised torch rotation test over all (box, point) pairs."""
    return data.rotation_mask(points, boxes, 1e-5, with_z=False)
