"""hard_voxelize / dynamic_voxelize: native kernel vs reference vs an independent loop
transcription of spconv's / mmcv's CPU code, spconv 2.3.8 itself (when installed), the
boundary rules, huge grids, thread-count determinism, bad input at the API and the raw op."""
import math

import numpy as np
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import _voxel_data as data
from ascend_ops.opcases import hard_voxelize as case
from ascend_ops.ops.voxelize import (dynamic_voxelize, dynamic_voxelize_reference, hard_voxelize,
                                     hard_voxelize_reference)

HARD = torch.ops.ascend_ops.hard_voxelize
DYNAMIC = torch.ops.ascend_ops.dynamic_voxelize
SPCONV_HINT = "pip install spconv==2.3.8 to enable"


def loop_voxelize(points, voxel_size, coors_range, max_points, max_voxels):
    """Independent transcription of spconv v2.3.8 Point2VoxelCPU::point_to_voxel_static
    (spconv/csrc/sparse/pointops.py:627-664) with numpy scalars in the points' precision and a
    dict for the voxel table. Returns (voxels, coords zyx, num, per-point zyx or None)."""
    p = points.numpy()
    T = p.dtype.type
    f32 = np.float32
    size = [f32(v) for v in voxel_size]
    low = [f32(v) for v in coors_range[:3]]
    grid = []
    for a in range(3):
        q = (f32(coors_range[a + 3]) - low[a]) / size[a]                # float32, as std::round's input
        grid.append(int(math.floor(float(q) + 0.5)))                     # half away from zero (q > 0)
    table, coords, num = {}, [], []
    voxels = np.zeros((max_voxels, max_points, p.shape[1]), dtype=p.dtype)
    per_point = []
    for i in range(p.shape[0]):
        c = []
        for a in range(3):
            v = np.floor((p[i, a] - T(low[a])) / T(size[a]))
            if not (v >= 0 and v < grid[a]):
                c = None
                break
            c.append(int(v))
        per_point.append(None if c is None else (c[2], c[1], c[0]))
        if c is None:
            continue
        key = (c[2], c[1], c[0])
        if key not in table:
            if len(coords) >= max_voxels:
                continue
            table[key] = len(coords)
            coords.append(key)
            num.append(0)
        v = table[key]
        if num[v] < max_points:
            voxels[v, num[v]] = p[i]
            num[v] += 1
    V = len(coords)
    return (torch.from_numpy(voxels[:V]), torch.tensor(coords, dtype=torch.int32).reshape(V, 3),
            torch.tensor(num, dtype=torch.int32), per_point)


def assert_same(a, b):
    """Bitwise-equal tensors (NaN equal to NaN), same dtypes and shapes."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_loop_transcription_and_reference(dtype, seed, native_only):
    args = case.small("cpu", dtype=dtype, seed=seed)
    got = hard_voxelize(*args)
    want = loop_voxelize(*args)
    assert_same(got, want[:3])
    assert_same(hard_voxelize_reference(*args), want[:3])
    dyn = dynamic_voxelize(*args[:3])
    want_dyn = torch.tensor([c if c is not None else (-1, -1, -1) for c in want[3]], dtype=torch.int32)
    assert torch.equal(dyn, want_dyn)
    assert torch.equal(dynamic_voxelize_reference(*args[:3]), want_dyn)
    # the small case exercises both limits and dropped points
    assert got[1].shape[0] == args[4] and int(got[2].max()) == args[3] and (dyn[:, 0] < 0).any()


def test_hard_is_dynamic_in_first_appearance_order(native_only):
    """Without binding limits, hard_voxelize's coordinates are the distinct dynamic_voxelize rows in
    order of first appearance, and num_points counts each."""
    pts, vs, cr, _, _ = case.real("cpu", quick=True)
    dyn = dynamic_voxelize(pts, vs, cr)
    rows = dyn[dyn[:, 0] >= 0]
    uniq, inverse, counts = torch.unique(rows, dim=0, return_inverse=True, return_counts=True)
    _, coords, num = hard_voxelize(pts, vs, cr, int(counts.max()), 10 ** 6)
    first = torch.full((len(uniq),), len(rows)).scatter_reduce(0, inverse, torch.arange(len(rows)), "amin")
    order = torch.argsort(first)
    assert torch.equal(coords, uniq[order])
    assert torch.equal(num, counts[order].int())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kitti_sweep_matches_reference(dtype, native_only):
    args = case.real("cpu", dtype=dtype)
    got, want = hard_voxelize(*args), hard_voxelize_reference(*args)
    assert_same(got, want)
    assert got[1].shape[0] == data.KITTI_MAX_VOXELS      # a full sweep opens more than 16000 voxels
    assert torch.equal(dynamic_voxelize(*args[:3]), dynamic_voxelize_reference(*args[:3]))


@pytest.mark.parametrize("threads", [2, 4])
def test_same_bits_for_any_thread_count(threads, native_only):
    """The full sweep (120k points, several hash shards) gives identical outputs on 1 and N threads."""
    args = case.real("cpu")
    saved = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = hard_voxelize(*args), dynamic_voxelize(*args[:3])
        torch.set_num_threads(threads)
        many = hard_voxelize(*args), dynamic_voxelize(*args[:3])
    finally:
        torch.set_num_threads(saved)
    assert_same(one[0], many[0])
    assert torch.equal(one[1], many[1])


def _one_axis(xs, size, low, high):
    pts = torch.zeros(len(xs), 4, dtype=torch.float32)
    pts[:, 0] = torch.tensor(xs, dtype=torch.float32)
    return dynamic_voxelize(pts, [size, 1.0, 1.0], [low, 0.0, 0.0, high, 1.0, 1.0])[:, 2].tolist()


def test_boundaries(native_only):
    # whole grid (0 .. 4 by 0.5: 8 voxels): the lower bound is in voxel 0, the upper bound is out
    assert _one_axis([0.0, 0.5, 3.999, 4.0, -1e-7], 0.5, 0.0, 4.0) == [0, 1, 7, -1, -1]
    # grid rounds up: round(10.6) = 11 voxels, points up to 1.1 are kept, past the range's max
    assert _one_axis([1.0, 1.06, 1.09, 1.1001], 0.1, 0.0, 1.06) == [10, 10, 10, -1]
    # grid rounds down: round(10.4) = 10 voxels, points in [1.0, 1.04] are dropped
    assert _one_axis([0.99, 1.0, 1.03], 0.1, 0.0, 1.04) == [9, -1, -1]
    # half away from zero: (1.25 - 0) / 0.5 = 2.5 -> 3 voxels (round-half-even would give 2)
    assert _one_axis([1.3, 1.49], 0.5, 0.0, 1.25) == [2, 2]
    # float32 arithmetic: (0.3 - 0) / 0.1 in float32 is 2.9999998 -> voxel 2 (float64 would say 3)
    assert _one_axis([0.3], 0.1, 0.0, 1.0) == [int(np.floor(np.float32(0.3) / np.float32(0.1)))]


def test_nan_and_inf_points_are_dropped(native_only):
    pts = torch.tensor([[float("nan"), 1.0, 0.0, 0.5], [1.0, float("inf"), 0.0, 0.5], [1.0, 1.0, -float("inf"), 0.5],
                        [1.0, 1.0, 0.0, float("nan")]])
    vs, cr = [0.5, 0.5, 0.5], [0.0, 0.0, -1.0, 4.0, 4.0, 1.0]
    dyn = dynamic_voxelize(pts, vs, cr)
    assert dyn[:3].eq(-1).all() and dyn[3].tolist() == [2, 2, 2]
    voxels, coords, num = hard_voxelize(pts, vs, cr, 2, 10)
    assert coords.tolist() == [[2, 2, 2]] and num.tolist() == [1]
    assert torch.isnan(voxels[0, 0, 3]) and voxels[0, 1].eq(0).all()     # features are copied as they are
    assert_same((voxels, coords, num), hard_voxelize_reference(pts, vs, cr, 2, 10))


def test_huge_grid_without_a_dense_table(native_only):
    """A 100,000^3 grid (10^15 voxels) with a handful of points: 64-bit keys, no table."""
    pts = torch.tensor([[5.0, 7.0, 9.0, 1.0], [99999.5, 0.2, 50000.0, 2.0], [5.1, 7.2, 9.3, 3.0]], dtype=torch.float64)
    args = (pts, [1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1e5, 1e5, 1e5], 4, 8)
    voxels, coords, num = hard_voxelize(*args)
    assert coords.tolist() == [[9, 7, 5], [50000, 0, 99999]] and num.tolist() == [2, 1]
    assert_same((voxels, coords, num), hard_voxelize_reference(*args))


def test_empty_and_all_outside(native_only):
    vs, cr = [0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 4.0, 4.0, 4.0]
    for pts in (torch.zeros(0, 5), torch.full((7, 5), -3.0)):
        voxels, coords, num = hard_voxelize(pts, vs, cr, 3, 10)
        assert voxels.shape == (0, 3, 5) and coords.shape == (0, 3) and num.shape == (0,)
        assert dynamic_voxelize(pts, vs, cr).shape == (pts.shape[0], 3)


def test_raw_op_refuses_bad_arguments():
    pts = torch.rand(10, 4)
    vs, cr = [0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 4.0, 4.0, 4.0]
    bad = [
        ((pts[:, :2], vs, cr, 3, 10), "F >= 3"),
        ((pts.int(), vs, cr, 3, 10), "points must be float32 or float64"),
        ((pts.half(), vs, cr, 3, 10), "points must be float32 or float64"),
        ((pts, [0.5, 0.0, 0.5], cr, 3, 10), "voxel_size must be > 0"),
        ((pts, [0.5, float("nan"), 0.5], cr, 3, 10), "voxel_size must be > 0"),
        ((pts, [0.5, 0.5], cr, 3, 10), "voxel_size must have 3 entries"),
        ((pts, vs, cr[:5], 3, 10), "coors_range must have 6 entries"),
        ((pts, vs, [0.0, 0.0, 0.0, 4.0, -4.0, 4.0], 3, 10), "no valid voxel count along y"),
        ((pts, vs, [0.0, 0.0, 0.0, float("inf"), 4.0, 4.0], 3, 10), "coors_range entries must be finite"),
        ((pts, [1.0] * 3, [-1e6] * 3 + [1e6] * 3, 3, 10), r"not below 2\*\*62"),
        ((pts, vs, cr, 0, 10), "max_points must be in 1"),
        ((pts, vs, cr, 3, -1), "max_voxels must be in 1"),
    ]
    for args, match in bad:
        with pytest.raises((RuntimeError, ValueError), match=match):
            HARD(*args)
        if "max_" not in match:
            with pytest.raises((RuntimeError, ValueError), match=match):
                DYNAMIC(*args[:3])


# -- spconv 2.3.8 itself ----------------------------------------------------------------------
def _point_to_voxel():
    try:
        from spconv.pytorch.utils import PointToVoxel
    except Exception:   # ImportError, or a broken cumm build
        pytest.skip(SPCONV_HINT)
    return PointToVoxel


SPCONV_CONFIGS = {
    "kitti": lambda: case.real("cpu"),
    "kitti-quick-tight": lambda: (*case.real("cpu", quick=True)[:3], 2, 3000),
    "small": lambda: case.small("cpu"),
    "dense": lambda: case.dense("cpu"),
    "odd-grid": lambda: (case.small("cpu", seed=3)[0], [0.3, 0.45, 0.7], [-0.1, 0.05, -1.0, 4.02, 3.96, 1.1], 4, 50),
}


@pytest.mark.parametrize("config", list(SPCONV_CONFIGS))
def test_matches_spconv_point_to_voxel(config, native_only):
    PointToVoxel = _point_to_voxel()
    points, vs, cr, max_points, max_voxels = SPCONV_CONFIGS[config]()
    gen = PointToVoxel(vsize_xyz=vs, coors_range_xyz=cr, num_point_features=points.shape[1],
                       max_num_voxels=max_voxels, max_num_points_per_voxel=max_points)
    want = gen(points)
    assert_same(hard_voxelize(points, vs, cr, max_points, max_voxels), want)
    assert_same(hard_voxelize_reference(points, vs, cr, max_points, max_voxels), want)
    # spconv's per-point voxel ids (-1: dropped) agree with dynamic_voxelize where a voxel was kept
    _, _, _, voxel_id = gen.generate_voxel_with_id(points)
    dyn = dynamic_voxelize(points, vs, cr)
    kept = voxel_id >= 0
    assert torch.equal(dyn[kept], want[1][voxel_id[kept]])
    assert (dyn[~kept][:, 0] == -1).sum() + int(kept.sum()) <= points.shape[0]


@pytest.mark.parametrize("extent,ok", [(2.0 ** 24, True), (2.0 ** 24 + 2, False), (0.49, False), (0.5, True)])
def test_grid_limits_agree_between_api_and_raw_op(extent, ok, native_only):
    """1 .. 2**24 voxels per axis (round half away from zero: 0.5 -> 1, 0.49 -> 0), at the Python
    API and at the raw op alike."""
    pts = torch.tensor([[0.25, 0.25, 0.25, 1.0]])
    args = (pts, [1.0, 1.0, 1.0], [0.0, 0.0, 0.0, extent, 1.0, 1.0])
    if ok:
        assert dynamic_voxelize(*args).tolist() == DYNAMIC(*args).tolist() == [[0, 0, 0]]
        return
    with pytest.raises(ValueError, match="voxels along x"):
        dynamic_voxelize(*args)
    with pytest.raises((RuntimeError, ValueError), match="voxel count along x"):
        DYNAMIC(*args)


@pytest.mark.cuda
@pytest.mark.parametrize("name", ["small", "real", "dense", "empty"])
def test_cuda_matches_cpu_bit_for_bit(name, native_only):
    """The CUDA kernels (compile-checked in CI; this runs only where a GPU is present) give the CPU
    kernel's outputs exactly, also for float64 points."""
    for dtype in (torch.float32, torch.float64):
        args = case.cases()[name]("cpu", dtype=dtype)
        on_gpu = (args[0].cuda(),) + args[1:]
        assert_same([t.cpu() for t in hard_voxelize(*on_gpu)], hard_voxelize(*args))
        assert torch.equal(dynamic_voxelize(*on_gpu[:3]).cpu(), dynamic_voxelize(*args[:3]))


@pytest.mark.parametrize("config", ["kitti", "odd-grid"])
def test_float64_points_match_spconv(config, native_only):
    """spconv takes float64 points too (tv::dispatch<float, double>, pointops.py:615): the voxel
    index is computed in float64, the voxels are stored as float32. Coordinates and counts must
    agree, and the voxels after rounding to float32."""
    PointToVoxel = _point_to_voxel()
    points, vs, cr, max_points, max_voxels = SPCONV_CONFIGS[config]()
    points = points.double() + 1e-9        # values float32 cannot hold: float64 arithmetic matters
    gen = PointToVoxel(vsize_xyz=vs, coors_range_xyz=cr, num_point_features=points.shape[1],
                       max_num_voxels=max_voxels, max_num_points_per_voxel=max_points)
    want = gen(points)
    got = hard_voxelize(points, vs, cr, max_points, max_voxels)
    assert got[0].dtype == torch.float64
    assert_same((got[0].float(), got[1], got[2]), want)
