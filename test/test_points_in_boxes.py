"""points_in_boxes_{bev,3d,first}: native kernels vs the reference and vs straightforward numpy
transcriptions of the upstream C++ loops (Ada3D sparse2bev_cuda.cu, OpenPCDet roiaware_pool3d.cpp
and roiaware_pool3d_kernel.cu), on random and adversarial boxes; dtypes, empty and bad inputs.
Optionally (ASCEND_KIT_OPENPCDET) against OpenPCDet's own CPU function, compiled here."""
import ctypes
import ctypes.util
import math
import os
import textwrap

import numpy as np
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import _points_in_boxes_data as data
from ascend_ops.opcases import points_in_boxes_3d as case_3d
from ascend_ops.opcases import points_in_boxes_bev as case_bev
from ascend_ops.opcases import points_in_boxes_first as case_first
from ascend_ops.ops import points_in_boxes as pib

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]
DTYPES = [torch.float32, torch.float64]
CASES = {"bev": case_bev, "3d": case_3d, "first": case_first}
PUBLIC = {"bev": pib.points_in_boxes_bev, "3d": pib.points_in_boxes_3d, "first": pib.points_in_boxes_first}
REFERENCE = {"bev": pib.points_in_boxes_bev_reference, "3d": pib.points_in_boxes_3d_reference,
             "first": pib.points_in_boxes_first_reference}
TORCH_OPS = {"bev": "points_in_boxes_bev", "3d": "points_in_boxes_3d", "first": "points_in_boxes_first"}

# -- numpy transcriptions of the upstream loops -------------------------------------------------
# libm's float cos/sin: what upstream's CPU build calls for cos(float) (the kit's CPU kernels too).
# The GPU upstreams (Ada3D's .cu, OpenPCDet's _kernel.cu) call CUDA's cosf instead; these
# transcriptions use libm's for all three, i.e. they are the upstream loops as a CPU build runs them.
_libm = ctypes.CDLL(ctypes.util.find_library("m"))
for _name in ("cosf", "sinf"):
    getattr(_libm, _name).restype = ctypes.c_float
    getattr(_libm, _name).argtypes = [ctypes.c_float]


def _trig(rz):
    """cos(-rz), sin(-rz) in rz's precision (np.float32 -> libm cosf/sinf; np.float64 -> cos/sin)."""
    if isinstance(rz, np.float32):
        return np.float32(_libm.cosf(float(-rz))), np.float32(_libm.sinf(float(-rz)))
    return np.float64(math.cos(-rz)), np.float64(math.sin(-rz))


def _check_pt_in_box3d(pts, box, margin, z_test):
    """Upstream check_pt_in_box3d over an array of points (one box): the element type of pts/box
    (float32 or float64) for the arithmetic, double for `d / 2.0 + MARGIN` and `dz / 2.0`."""
    t = pts.dtype.type
    MARGIN = t(margin)                                    # const float MARGIN = 1e-5 / 1e-2
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
    cx, cy, cz, dx, dy, dz, rz = (t(v) for v in box[:7])
    keep = np.ones(len(pts), dtype=bool)
    if z_test:                                            # if (fabsf(z - cz) > dz / 2.0) return 0;
        keep = ~(np.abs(z - cz).astype(np.float64) > np.float64(dz) / 2.0)
    cosa, sina = _trig(rz)                                # lidar_to_local_coords
    shift_x, shift_y = x - cx, y - cy
    local_x = shift_x * cosa + shift_y * (-sina)
    local_y = shift_x * sina + shift_y * cosa
    in_flag = (np.abs(local_x).astype(np.float64) < np.float64(dx) / 2.0 + np.float64(MARGIN)) & \
              (np.abs(local_y).astype(np.float64) < np.float64(dy) / 2.0 + np.float64(MARGIN))
    return keep & in_flag


def ada3d_points_in_boxes_bev(points, boxes):
    """sparse2bev_cuda.cu:97-127: out[box, point], MARGIN 1e-5, no z test, any column counts."""
    return np.stack([_check_pt_in_box3d(points, b, 1e-5, False) for b in boxes]).astype(np.int32) \
        if len(boxes) else np.zeros((0, len(points)), np.int32)


def openpcdet_points_in_boxes_cpu(points, boxes):
    """roiaware_pool3d.cpp:128-168: out[box, point], MARGIN 1e-2, z test."""
    return np.stack([_check_pt_in_box3d(points, b, 1e-2, True) for b in boxes]).astype(np.int32) \
        if len(boxes) else np.zeros((0, len(points)), np.int32)


def openpcdet_points_in_boxes_gpu(points, boxes):
    """roiaware_pool3d_kernel.cu:313-336: first box k (in order) containing the point, else -1."""
    out = np.full(points.shape[:2], -1, dtype=np.int32)
    for b in range(points.shape[0]):
        for k in range(boxes.shape[1]):
            hit = _check_pt_in_box3d(points[b], boxes[b, k], 1e-5, True) & (out[b] < 0)
            out[b][hit] = k
    return out


UPSTREAM = {"bev": ada3d_points_in_boxes_bev, "3d": openpcdet_points_in_boxes_cpu, "first": openpcdet_points_in_boxes_gpu}


# -- adversarial inputs ---------------------------------------------------------------------------
def _near(v, dtype, steps=2):
    """v and its `steps` neighbours on each side in `dtype` (as float64 values)."""
    np_t = np.float32 if dtype == torch.float32 else np.float64
    out, up, down = [np_t(v)], np_t(v), np_t(v)
    for _ in range(steps):
        up, down = np.nextafter(up, np_t(np.inf)), np.nextafter(down, np_t(-np.inf))
        out += [up, down]
    return [float(x) for x in out]


def adversarial(dtype, rotated_margin_points=True):
    """(points [N, 3], boxes [M, 7]) float64 tensors exactly representable in `dtype`: points on
    faces, edges and corners, at the margin boundary (and one ulp either side), boxes rotated by
    0, pi/2, -pi/2, pi, -pi, zero-size boxes, nested and touching boxes, NaN coordinates.
    Margin-boundary points of the boxes with other headings (0.3, 0.7) depend on the last ulp of
    cos/sin and on FMA contraction: rotated_margin_points=False leaves them out (GPU / NPU, whose
    cosf and contraction differ from the CPU's libm and this transcription)."""
    cast = (lambda v: float(np.float32(v))) if dtype == torch.float32 else float
    boxes = [
        (10.0, 5.0, -1.0, 2.0, 4.0, 1.5, 0.0),
        (20.0, -5.0, -0.5, 3.0, 1.0, 2.0, math.pi / 2),
        (30.0, 10.0, 0.0, 1.6, 3.9, 1.56, -math.pi),
        (30.0, -10.0, 0.0, 1.6, 3.9, 1.56, math.pi),
        (40.0, 0.0, -1.0, 4.0, 2.0, 1.0, -math.pi / 2),
        (50.0, 20.0, -1.0, 0.0, 0.0, 0.0, 0.0),         # zero-size
        (50.0, 25.0, -1.0, 0.0, 2.0, 1.0, 0.3),         # zero width only
        (10.0, 5.0, -1.0, 1.0, 2.0, 0.5, 0.0),          # nested in box 0
        (12.0, 5.0, -1.0, 2.0, 4.0, 1.5, 0.0),          # touches box 0 at x = 11
        (60.0, -20.0, -1.0, 3.0, 2.0, 1.0, 0.7),
    ]
    boxes = [[cast(v) for v in b] for b in boxes]
    pts = []
    m_bev = {torch.float32: float(np.float32(1e-5)), torch.float64: 1e-5}[dtype]
    m_cpu = {torch.float32: float(np.float32(1e-2)), torch.float64: 1e-2}[dtype]
    for cx, cy, cz, dx, dy, dz, h in boxes:
        c, s = math.cos(h), math.sin(h)
        for ux in (-1, -0.5, 0, 0.5, 1):
            for uy in (-1, 0, 1):
                for uz in (-1, 0, 1):
                    lx, ly = ux * dx / 2, uy * dy / 2
                    pts.append((cx + lx * c - ly * s, cy + lx * s + ly * c, cz + uz * dz / 2))
        exact_heading = h in (0.0, cast(math.pi), cast(-math.pi), cast(math.pi / 2), cast(-math.pi / 2))
        for margin in (m_bev, m_cpu) if rotated_margin_points or exact_heading else ():
            for sign in (-1, 1):   # along local x at the margin boundary (exact for heading 0)
                for x in _near(cx + sign * (dx / 2 + margin), dtype):
                    pts.append((x, cy, cz))
                for y in _near(cy + sign * (dy / 2 + margin), dtype):
                    pts.append((cx, y, cz))
        for z in _near(cz + dz / 2, dtype) + _near(cz - dz / 2, dtype):
            pts.append((cx, cy, z))
    pts.append((math.nan, 5.0, -1.0))
    pts.append((10.0, 5.0, math.nan))    # NaN z: the z rejection is false, x / y decide
    boxes.append([cast(v) for v in (70.0, 30.0, -1.0, 2.0, 2.0, 1.0, math.nan)])
    boxes.append([cast(v) for v in (10.0, 5.0, math.nan, 2.0, 4.0, 1.5, 0.0)])
    pts = [[cast(v) for v in p] for p in pts]
    return torch.tensor(pts, dtype=torch.float64), torch.tensor(boxes, dtype=torch.float64)


def _upstream(kind, points, boxes):
    p, b = points.cpu().numpy(), boxes.cpu().numpy()
    return torch.from_numpy(UPSTREAM[kind](p, b))


def _first_args(points, boxes):
    """Two frames from one (points, boxes) set: as given, and with the boxes reversed."""
    return torch.stack([points, points.flip(0)]), torch.stack([boxes, boxes.flip(0)])


def _args(kind, points, boxes):
    return _first_args(points, boxes) if kind == "first" else (points, boxes)


# -- tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(CASES))
@pytest.mark.parametrize("name", ["small", "real", "empty", "empty_boxes"])
def test_native_vs_reference_and_upstream(kind, name, dtype, device, native_only):
    args = CASES[kind].cases()[name](device, dtype=dtype, seed=1, quick=True)
    out = PUBLIC[kind](*args)
    assert out.dtype == torch.int32 and out.device.type == device
    torch.testing.assert_close(out.cpu(), REFERENCE[kind](*args).cpu(), atol=0, rtol=0)
    if name != "real" or kind != "first":    # the numpy transcription of "first" loops in Python
        torch.testing.assert_close(out.cpu(), _upstream(kind, *args), atol=0, rtol=0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(CASES))
def test_adversarial(kind, dtype, device, native_only):
    points, boxes = adversarial(dtype, rotated_margin_points=device == "cpu")
    args = tuple(t.to(device, dtype) for t in _args(kind, points, boxes))
    out = PUBLIC[kind](*args).cpu()
    expected = _upstream(kind, *args)
    torch.testing.assert_close(out, expected, atol=0, rtol=0)
    torch.testing.assert_close(REFERENCE[kind](*args).cpu(), expected, atol=0, rtol=0)
    # the adversarial set really exercises both sides of the boundaries
    assert 0 < int((expected > 0).sum()) < expected.numel()


def test_adversarial_semantics():
    """Spot checks of the upstream rules, float32, on box 0 = (10, 5, -1, 2, 4, 1.5, heading 0)."""
    box = torch.tensor([[10.0, 5.0, -1.0, 2.0, 4.0, 1.5, 0.0]])
    m = float(np.float32(1e-5))

    def bev(x, y, z=-1.0):
        return int(pib.points_in_boxes_bev(torch.tensor([[x, y, z]]), box))

    def box3d(x, y, z):
        return int(pib.points_in_boxes_3d(torch.tensor([[x, y, z]]), box))

    assert bev(11.0, 5.0) == 1 and bev(11.0, 7.0) == 1 and bev(11.0, 7.0, 100.0) == 1   # faces, no z test
    assert bev(float(np.nextafter(np.float32(11.0 + m), np.float32(0))), 5.0) == 1
    assert bev(float(np.nextafter(np.float32(11.0 + m), np.float32(99))), 5.0) == 0
    assert box3d(10.0, 5.0, -0.25) == 1 and box3d(10.0, 5.0, -1.75) == 1               # |z - cz| == dz / 2
    assert box3d(10.0, 5.0, float(np.float32(-1.0) + np.nextafter(np.float32(0.75), np.float32(9)))) == 0
    assert box3d(11.009, 5.0, -1.0) == 1 and box3d(11.011, 5.0, -1.0) == 0              # CPU margin 1e-2
    first = pib.points_in_boxes_first(torch.tensor([[[11.009, 5.0, -1.0], [11.0, 5.0, -1.0]]]), box[None])
    assert first.tolist() == [[-1, 0]]                                                  # GPU margin 1e-5
    zero = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    assert pib.points_in_boxes_3d(torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0 + 1e-6]]), zero).tolist() == [[1, 0]]
    assert pib.points_in_boxes_bev(torch.tensor([[1.0 + 5e-6, 1.0, 0.0], [1.0 + 2e-5, 1.0, 0.0]]), zero).tolist() == [[1, 0]]


@pytest.mark.parametrize("device", DEVICES)
def test_first_is_first_box(device, native_only):
    """Nested boxes: the first in box order wins, for each order."""
    big = [10.0, 5.0, -1.0, 4.0, 4.0, 2.0, 0.3]
    small = [10.0, 5.0, -1.0, 1.0, 1.0, 1.0, -0.4]
    points = torch.tensor([[[10.0, 5.0, -1.0], [11.5, 5.0, -1.0], [0.0, 0.0, 0.0]]] * 2, device=device)
    boxes = torch.tensor([[big, small], [small, big]], device=device)
    assert pib.points_in_boxes_first(points, boxes).tolist() == [[0, 0, -1], [0, 1, -1]]


@pytest.mark.parametrize("kind", list(CASES))
def test_random_headings_wide(kind):
    """Many random boxes with headings far outside [-pi, pi] and points near their faces."""
    g = torch.Generator().manual_seed(7)
    boxes = data.make_boxes(40, g)
    boxes[:, 6] *= 7.0
    points = data.make_points(3000, boxes, g, near_fraction=0.9)
    for dtype in DTYPES:
        args = tuple(t.to(dtype) for t in _args(kind, points, boxes))
        out = PUBLIC[kind](*args)
        torch.testing.assert_close(out, _upstream(kind, *args), atol=0, rtol=0)
        torch.testing.assert_close(out, REFERENCE[kind](*args), atol=0, rtol=0)


@pytest.mark.parametrize("kind", list(CASES))
def test_mixed_dtypes_promote(kind):
    args = CASES[kind].small("cpu", torch.float64, seed=2)
    mixed = (args[0].float(), args[1])
    torch.testing.assert_close(PUBLIC[kind](*mixed), REFERENCE[kind](mixed[0].double(), mixed[1]), atol=0, rtol=0)


def test_bev_extra_columns_ignored():
    g = torch.Generator().manual_seed(3)
    boxes = data.make_boxes(6, g, extra_columns=3)
    points = data.make_points(200, boxes, g, extra_columns=5)
    out = pib.points_in_boxes_bev(points, boxes)
    torch.testing.assert_close(out, pib.points_in_boxes_bev(points[:, :3].contiguous(), boxes[:, :7].contiguous()))
    torch.testing.assert_close(out, _upstream("bev", points, boxes), atol=0, rtol=0)


def test_non_contiguous():
    g = torch.Generator().manual_seed(4)
    boxes = data.make_boxes(5, g)
    points = data.make_points(100, boxes, g).t().contiguous().t()
    boxes = boxes.t().contiguous().t()
    assert not points.is_contiguous() and not boxes.is_contiguous()
    expected = pib.points_in_boxes_3d_reference(points.contiguous(), boxes.contiguous())
    torch.testing.assert_close(pib.points_in_boxes_3d(points, boxes), expected, atol=0, rtol=0)
    torch.testing.assert_close(torch.ops.ascend_ops.points_in_boxes_3d(points, boxes), expected, atol=0, rtol=0)


@pytest.mark.parametrize("kind", list(CASES))
def test_bad_inputs_python_api(kind):
    for args, exc, pattern in CASES[kind].bad_inputs("cpu"):
        with pytest.raises(exc, match=pattern):
            PUBLIC[kind](*args)


@pytest.mark.parametrize("kind", list(CASES))
def test_bad_inputs_torch_ops(kind):
    """torch.ops.ascend_ops.* called directly: a clear error naming the argument, no bad access."""
    op = getattr(torch.ops.ascend_ops, TORCH_OPS[kind])
    r = 3 if kind == "first" else 2
    lead = (2,) if kind == "first" else ()
    pts, box = torch.zeros(*lead, 4, 3), torch.zeros(*lead, 2, 7)
    bad = [
        ((pts.int(), box), "points must be float32 or float64"),
        ((pts, box.half()), "boxes must be float32 or float64"),
        ((pts, box.double()), "points and boxes must share a dtype"),
        ((pts.flatten(), box), f"points must have {r} dims"),
        ((pts, box.flatten()), f"boxes must have {r} dims"),
        ((pts[..., :2], box), "points must have"),
        ((pts, box[..., :6]), "boxes must have"),
        ((pts, torch.zeros(*lead, 2, 6)), "boxes must have"),
    ]
    if kind != "bev":
        bad += [((torch.zeros(*lead, 4, 4), box), "points must have exactly 3 columns"),
                ((pts, torch.zeros(*lead, 2, 8)), "boxes must have exactly 7 columns")]
    if kind == "first":
        bad.append(((pts, box[:1]), r"boxes.shape\[0\] must equal points.shape\[0\]"))
    for args, pattern in bad:
        with pytest.raises(RuntimeError, match=pattern):
            op(*args)


@pytest.mark.parametrize("kind", list(CASES))
def test_fake_and_meta(kind):
    args = CASES[kind].small("meta")
    out = PUBLIC[kind](*args) if False else getattr(torch.ops.ascend_ops, TORCH_OPS[kind])(*args)
    ref = REFERENCE[kind](*CASES[kind].small("cpu"))
    assert out.shape == ref.shape and out.dtype == torch.int32


def test_compile_fullgraph():
    args = case_3d.small("cpu")
    fn = torch.compile(pib.points_in_boxes_3d, fullgraph=True)
    torch.testing.assert_close(fn(*args), pib.points_in_boxes_3d_reference(*args), atol=0, rtol=0)


# -- OpenPCDet's own CPU function, compiled from a local checkout ---------------------------------
_STUBS = textwrap.dedent("""
    // Test-only stubs for the CUDA launchers roiaware_pool3d.cpp declares (never called here).
    #include <stdexcept>
    void roiaware_pool3d_launcher(int, int, int, int, int, int, int, const float*, const float*, const float*,
                                  int*, int*, float*, int) { throw std::runtime_error("no CUDA"); }
    void roiaware_pool3d_backward_launcher(int, int, int, int, int, int, const int*, const int*, const float*,
                                           float*, int) { throw std::runtime_error("no CUDA"); }
    void points_in_boxes_launcher(int, int, int, const float*, const float*, int*) {
      throw std::runtime_error("no CUDA"); }
""")


@pytest.fixture(scope="module")
def openpcdet_cpu(tmp_path_factory):
    root = os.environ.get("ASCEND_KIT_OPENPCDET")
    if not root:
        pytest.skip("set ASCEND_KIT_OPENPCDET=<an OpenPCDet checkout> to compare points_in_boxes_3d with "
                    "OpenPCDet's own pcdet/ops/roiaware_pool3d/src/roiaware_pool3d.cpp (compiled here, CPU only)")
    src = os.path.join(root, "pcdet", "ops", "roiaware_pool3d", "src", "roiaware_pool3d.cpp")
    if not os.path.isfile(src):
        pytest.fail(f"ASCEND_KIT_OPENPCDET={root} has no {src}")
    from torch.utils.cpp_extension import load
    build = tmp_path_factory.mktemp("openpcdet_roiaware")
    text = open(src).read().replace(".data<", ".data_ptr<")   # Tensor::data<T>() is gone from new torch
    (build / "roiaware_pool3d.cpp").write_text(text)
    (build / "stubs.cpp").write_text(_STUBS)
    return load("openpcdet_roiaware_cpu_test", [str(build / "roiaware_pool3d.cpp"), str(build / "stubs.cpp")],
                build_directory=str(build), extra_cflags=["-O2"], verbose=False)


def test_vs_openpcdet_compiled(openpcdet_cpu):
    g = torch.Generator().manual_seed(11)
    sets = [case_3d.real("cpu", seed=5, quick=True), adversarial(torch.float32)]
    boxes = data.make_boxes(30, g)
    boxes[:, 6] *= 5.0
    sets.append((data.make_points(20000, boxes, g, near_fraction=0.9), boxes))
    for points, boxes in sets:
        points, boxes = points.float().contiguous(), boxes.float().contiguous()
        expected = torch.zeros(boxes.shape[0], points.shape[0], dtype=torch.int32)
        openpcdet_cpu.points_in_boxes_cpu(boxes, points, expected)     # upstream order: (boxes, pts, out)
        torch.testing.assert_close(pib.points_in_boxes_3d(points, boxes), expected, atol=0, rtol=0)
