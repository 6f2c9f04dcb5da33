"""sparse_kernel_map native kernels: bitwise equal to the reference (the ground truth, itself
checked against a brute-force loop in test_sparse_engine.py) on every kernel shape issue 12
lists, random sites with batch > 1, duplicated sites (modes 1, 2), empty input, a 100,000^3 grid
and the KITTI-like frame; the same bits for 1 and 2 threads; bad input at the raw op (never an
out-of-bounds access). The cuda / npu parametrisations run where those devices exist."""
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import sparse_kernel_map as case
from ascend_ops.ops import sparse_kernel_map_reference
from ascend_ops.ops.sparse_kernel_map import sparse_kernel_map

OP = torch.ops.ascend_ops.sparse_kernel_map
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]

# (name, kernel_size, stride, padding, dilation, mode): the shapes of issue 12 and the seeds.
SHAPES = [
    ("subm3", (3, 3, 3), (1, 1, 1), (0, 0, 0), (1, 1, 1), 0),
    ("k3s2p1", (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),
    ("k3s2p011", (3, 3, 3), (2, 2, 2), (0, 1, 1), (1, 1, 1), 1),
    ("k311s211", (3, 1, 1), (2, 1, 1), (0, 0, 0), (1, 1, 1), 1),
    ("pool_k4s4", (4, 4, 4), (4, 4, 4), (0, 0, 0), (1, 1, 1), 1),
    ("k2s2", (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), 1),
    ("k2s2_transposed", (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), 2),
    ("k1", (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1),
    ("k1_subm", (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), 0),
    ("subm3_dilation2", (3, 3, 3), (1, 1, 1), (0, 0, 0), (2, 2, 2), 0),
    ("k3s2_dilation2", (3, 3, 3), (2, 2, 2), (1, 1, 1), (2, 2, 2), 1),
    ("regular_stride1", (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),
    ("per_axis", (3, 2, 1), (2, 1, 3), (1, 0, 0), (1, 2, 1), 1),
    ("transposed_per_axis", (3, 1, 2), (2, 1, 2), (1, 0, 0), (1, 1, 2), 2),
    ("transposed_k3s2p1", (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 2),
]
SHAPE_IDS = [s[0] for s in SHAPES]


def random_sites(n, shape, batch, seed, unique=True):
    """int32 [n, 4] sites on (batch, *shape); with unique=False some sites repeat (several rows)."""
    g = torch.Generator().manual_seed(seed)
    total = batch * shape[0] * shape[1] * shape[2]
    cells = torch.randperm(total, generator=g)[:n] if unique else torch.randint(total, (n,), generator=g)
    Z, Y, X = shape
    return torch.stack([cells // (Z * Y * X), cells // (Y * X) % Z, cells // X % Y, cells % X], 1).to(torch.int32)


def assert_same(got, want):
    names = ("out_coords", "in_index", "out_index", "offset_ptr")
    for name, a, b in zip(names, got, want):
        assert a.dtype == torch.int32, f"{name}: dtype {a.dtype}"
        assert a.shape == b.shape, f"{name}: shape {tuple(a.shape)} != {tuple(b.shape)}"
        assert torch.equal(a.cpu(), b.cpu().to(torch.int32)), f"{name} differs"


def run_both(device, coords, shape, batch, kernel, stride, padding, dilation, mode):
    args = (list(shape), batch, list(kernel), list(stride), list(padding), list(dilation), mode)
    got = OP(coords.to(device), *args)
    want = sparse_kernel_map_reference(coords, *args)
    assert_same(got, want)
    return got


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape_case", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("n,duplicates", [(0, False), (1, False), (300, False), (300, True)],
                         ids=["empty", "one", "random", "duplicates"])
def test_native_equals_reference(shape_case, n, duplicates, device):
    _, kernel, stride, padding, dilation, mode = shape_case
    if duplicates and mode == 0:
        pytest.skip("mode 0 takes unique sites (duplicates are an error, tested below)")
    grid = (9, 10, 11)
    coords = random_sites(n, grid, 3, seed=n + 17 * mode, unique=not duplicates)
    out = run_both(device, coords, grid, 3, kernel, stride, padding, dilation, mode)
    if n == 300:
        assert out[1].numel() > 0   # the case has pairs


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape_case", [s for s in SHAPES if s[0] in
                                        ("subm3", "k3s2p1", "k3s2p011", "k311s211", "pool_k4s4", "k2s2_transposed")],
                         ids=lambda s: s[0])
def test_real_frame(shape_case, device):
    """The KITTI-like frame (~15k voxels on [41, 1600, 1408]) under each of the seeds' shapes."""
    _, kernel, stride, padding, dilation, mode = shape_case
    coords = case.real("cpu")[0]
    run_both(device, coords, case.KITTI_SHAPE, 1, kernel, stride, padding, dilation, mode)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_huge_grid(mode, device):
    """A 100,000^3 grid, batch 2: neighbours at the grid's corners and far apart (no dense table)."""
    coords = torch.tensor([[0, 0, 0, 0], [0, 1, 1, 1], [1, 99_999, 99_999, 99_999], [1, 99_998, 99_999, 99_998],
                           [0, 50_000, 12_345, 99_999], [1, 0, 99_999, 0]], dtype=torch.int32)
    stride = (1, 1, 1) if mode == 0 else (2, 2, 2)
    out = run_both("cpu" if device == "cpu" else device, coords, (100_000,) * 3, 2, (3, 3, 3), stride, (1, 1, 1),
                   (1, 1, 1), mode)
    assert out[1].numel() > coords.shape[0]   # neighbours were found


def test_public_api_uses_the_native_kernel(native_only):
    args = case.real_strided("cpu", quick=True)
    assert_same(sparse_kernel_map(*args), sparse_kernel_map_reference(*args))


@pytest.mark.parametrize("mode,duplicates", [(0, False), (1, False), (1, True), (2, True)])
def test_cpu_threads_do_not_change_the_bits(mode, duplicates):
    """1 and 2 threads, and a second run, give the same bits (and equal the reference)."""
    if duplicates:
        coords = random_sites(20_000, (20, 30, 40), 2, seed=5, unique=False)
        shape, batch = (20, 30, 40), 2
    else:
        coords, shape, batch = case.real("cpu")[0], case.KITTI_SHAPE, 1
    kernel, stride, padding = ((3, 3, 3), (1, 1, 1), (0, 0, 0)) if mode == 0 else ((3, 3, 3), (2, 2, 2), (1, 1, 1))
    args = (list(shape), batch, list(kernel), list(stride), list(padding), [1, 1, 1], mode)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = OP(coords, *args)
        torch.set_num_threads(2)
        two, again = OP(coords, *args), OP(coords, *args)
    finally:
        torch.set_num_threads(threads)
    assert_same(two, one)
    assert_same(again, one)
    assert_same(one, sparse_kernel_map_reference(coords, *args))


GOOD = dict(spatial_shape=[5, 6, 7], batch_size=2, kernel_size=[3, 3, 3], stride=[1, 1, 1], padding=[0, 0, 0],
            dilation=[1, 1, 1], mode=0)
SITES = torch.tensor([[0, 1, 2, 3], [1, 4, 5, 6], [0, 0, 0, 0]], dtype=torch.int32)


def _call(coords=SITES, **kw):
    a = dict(GOOD, **kw)
    return OP(coords, a["spatial_shape"], a["batch_size"], a["kernel_size"], a["stride"], a["padding"],
              a["dilation"], a["mode"])


def _with(row, col, value):
    c = SITES.clone()
    c[row, col] = value
    return c


RAW_BAD = [
    (dict(coords=SITES.long()), RuntimeError, r"coords must be int32"),
    (dict(coords=SITES.float()), RuntimeError, r"coords must be int32"),
    (dict(coords=SITES[:, :3]), RuntimeError, r"coords must be \[N, 4\]"),
    (dict(coords=SITES[None]), RuntimeError, r"coords must be \[N, 4\]"),
    (dict(coords=_with(1, 0, 2)), ValueError, r"coords row 1 .*outside batch_size = 2"),
    (dict(coords=_with(2, 1, -1)), ValueError, r"coords row 2 .*z=-1"),
    (dict(coords=_with(0, 3, 7), mode=1, stride=[2, 2, 2]), ValueError, r"coords row 0 .*x=7"),
    (dict(coords=_with(0, 2, 6), mode=2, stride=[2, 2, 2]), ValueError, r"coords row 0 .*y=6"),
    (dict(coords=torch.cat([SITES, SITES[1:2]])), ValueError, r"duplicate coordinates.*row 3 .*repeats row 1"),
    (dict(spatial_shape=[5, 6]), RuntimeError, r"spatial_shape must have 3 entries"),
    (dict(spatial_shape=[5, 0, 7]), RuntimeError, r"spatial_shape must lie in \[1"),
    (dict(spatial_shape=[2 ** 31, 6, 7]), RuntimeError, r"spatial_shape must lie in"),
    (dict(spatial_shape=[2 ** 21] * 3), ValueError, r"must be < 2\^62"),
    (dict(batch_size=0), RuntimeError, r"batch_size must lie in \[1"),
    (dict(kernel_size=[3, 3]), RuntimeError, r"kernel_size must have 3 entries"),
    (dict(kernel_size=[3, 0, 3]), RuntimeError, r"kernel_size must lie in \[1"),
    (dict(kernel_size=[2 ** 30, 2 ** 30, 1]), RuntimeError, r"kernel_size volume"),
    (dict(kernel_size=[3, 2, 3]), ValueError, r"odd kernel_size"),
    (dict(stride=[1, 2, 1]), ValueError, r"needs stride 1"),
    (dict(stride=[0, 1, 1], mode=1), RuntimeError, r"stride must lie in \[1"),
    (dict(padding=[0, -1, 0], mode=1), RuntimeError, r"padding must lie in \[0"),
    (dict(dilation=[1, 1, 0]), RuntimeError, r"dilation must lie in \[1"),
    (dict(mode=3), RuntimeError, r"mode must be 0"),
    (dict(mode=-1), RuntimeError, r"mode must be 0"),
    (dict(mode=1, kernel_size=[3, 9, 3], stride=[2, 2, 2]), ValueError, r"output would be empty on axis 1"),
    (dict(mode=2, kernel_size=[1, 1, 1], padding=[0, 0, 9]), ValueError, r"transposed output would be empty"),
    (dict(mode=2, spatial_shape=[5, 6, 2 ** 30], stride=[1, 1, 4]), ValueError, r"does not fit int32"),
]


@pytest.mark.parametrize("kwargs,exc,match", RAW_BAD, ids=[m for _, _, m in RAW_BAD])
def test_raw_op_refuses_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        _call(**kwargs)
