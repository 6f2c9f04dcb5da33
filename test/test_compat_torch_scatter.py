"""The torch_scatter front end (ascend_ops.compat.torch_scatter, issue 13) against explicit Python
loops written from torch_scatter 2.1.2's source (rusty1s/pytorch_scatter@648dda3:
torch_scatter/scatter.py, csrc/scatter.cpp, csrc/cpu/scatter_cpu.cpp, csrc/cpu/reducer.h), and
the calls SPVNAS (core/models/utils.py:62,87) and OpenPCDet (vfe/dynamic_*_vfe.py) make.

    PYTHONPATH=$PWD python -m pytest -q test/test_compat_torch_scatter.py
"""
import itertools

import pytest
import torch

import ascend_ops.compat.torch_scatter as tsc

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _loop(src, index, dim, size, reduce, out=None):
    """(out, arg) by walking src in memory order as scatter_cpu.cpp:69-79 does (index broadcast
    like utils.broadcast); min/max: strict comparison from the init value, untouched slots 0 and
    arg = src.size(dim) when out is not given."""
    dim = dim % src.dim()
    idx = tsc.utils.broadcast(index.long(), src, dim)
    shape = list(src.shape)
    shape[dim] = size
    init = {"sum": 0.0, "mean": 0.0, "mul": 1.0,
            "max": torch.finfo(src.dtype).min if src.is_floating_point() else torch.iinfo(src.dtype).min,
            "min": torch.finfo(src.dtype).max if src.is_floating_point() else torch.iinfo(src.dtype).max}[reduce]
    vals = torch.full(shape, init, dtype=src.dtype) if out is None else out.clone()
    arg = torch.full(shape, src.size(dim), dtype=torch.int64)
    count = torch.zeros(shape, dtype=torch.int64)
    for pos in itertools.product(*[range(s) for s in src.shape]):
        tgt = list(pos)
        tgt[dim] = int(idx[pos])
        tgt = tuple(tgt)
        v = src[pos].item()
        cur = vals[tgt].item()
        if reduce in ("sum", "mean"):
            vals[tgt] = cur + v
            count[tgt] += 1
        elif reduce == "mul":
            vals[tgt] = cur * v
        elif (reduce == "max" and v > cur) or (reduce == "min" and v < cur):
            vals[tgt] = v
            arg[tgt] = pos[dim]
    if reduce == "mean":
        c = count.clamp(min=1)
        vals = vals / c if vals.is_floating_point() else torch.div(vals, c, rounding_mode="floor")
    if reduce in ("max", "min") and out is None:
        vals[vals == init] = 0
    return vals, arg


CASES = [  # (src shape, dim, index shape kind)
    ((9, 3), 0, "1d"), ((4, 7), -1, "1d"), ((3, 8, 2), 1, "1d"), ((5, 6), 1, "full"), ((2, 6, 3), 1, "full"),
]


def _inputs(shape, dim, kind, seed, dtype=torch.float64, size=4):
    g = torch.Generator().manual_seed(seed)
    src = torch.randn(shape, generator=g, dtype=dtype)
    d = dim % len(shape)
    if kind == "1d":
        index = torch.randint(0, size, (shape[d],), generator=g)
    else:
        index = torch.randint(0, size, shape, generator=g)
    return src, index


@pytest.mark.parametrize("reduce", ["sum", "mean", "mul", "max", "min"])
@pytest.mark.parametrize("shape,dim,kind", CASES)
def test_forward_matches_the_loop(shape, dim, kind, reduce):
    src, index = _inputs(shape, dim, kind, seed=hash((shape, dim, kind)) % 1000)
    size = int(index.max()) + 1
    ref, ref_arg = _loop(src, index, dim, size, reduce)
    fn = {"sum": tsc.scatter_sum, "mean": tsc.scatter_mean, "mul": tsc.scatter_mul, "max": tsc.scatter_max,
          "min": tsc.scatter_min}[reduce]
    got = fn(src, index, dim)
    if reduce in ("max", "min"):
        got, arg = got
        assert torch.equal(arg, ref_arg)
    assert torch.allclose(got, ref, rtol=1e-12, atol=1e-12), (got, ref)
    assert torch.allclose(tsc.scatter(src, index, dim, reduce=reduce), ref, rtol=1e-12, atol=1e-12)
    # dim_size larger than needed: empty slots (0, arg = src.size(dim))
    big = fn(src, index, dim, dim_size=size + 2)
    ref_big, ref_big_arg = _loop(src, index, dim, size + 2, reduce)
    if reduce in ("max", "min"):
        big, arg = big
        assert torch.equal(arg, ref_big_arg)
    assert torch.allclose(big, ref_big, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min"])
def test_out_argument_is_written_in_place(reduce):
    src, index = _inputs((7, 3), 0, "1d", seed=11)
    out = torch.randn(5, 3, generator=torch.Generator().manual_seed(12), dtype=torch.float64)
    ref, ref_arg = _loop(src, index, 0, 5, reduce, out=out)
    fn = {"sum": tsc.scatter_sum, "mean": tsc.scatter_mean, "max": tsc.scatter_max, "min": tsc.scatter_min}[reduce]
    given = out.clone()
    got = fn(src, index, 0, out=given)
    if reduce in ("max", "min"):
        got, arg = got
        assert torch.equal(arg, ref_arg)
    assert got is given
    assert torch.allclose(given, ref, rtol=1e-12, atol=1e-12)


def test_max_ties_first_index_nan_never_wins_and_integer_mean_floors():
    src = torch.tensor([[1.0], [3.0], [3.0], [float("nan")], [-2.0]])
    index = torch.tensor([0, 0, 0, 1, 1])
    out, arg = tsc.scatter_max(src, index, 0)
    assert out[:, 0].tolist() == [3.0, -2.0] and arg[:, 0].tolist() == [1, 4]
    out, arg = tsc.scatter_min(torch.tensor([float("nan"), 5.0, 5.0]), torch.tensor([1, 1, 1]), 0)
    assert out.tolist() == [0.0, 5.0] and arg.tolist() == [3, 1]
    m = tsc.scatter_mean(torch.tensor([1, 2, 4, -3]), torch.tensor([0, 0, 0, 1]), 0)
    assert m.tolist() == [2, -3] and m.dtype == torch.int64
    assert tsc.scatter_sum(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), 0).shape == (0, 2)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("shape,dim,kind", [((9, 3), 0, "1d"), ((3, 8, 2), 1, "1d"), ((5, 6), 1, "full")])
def test_gradients_match_the_formula(shape, dim, kind, reduce):
    src, index = _inputs(shape, dim, kind, seed=21)
    src.requires_grad_(True)
    fn = {"sum": tsc.scatter_sum, "mean": tsc.scatter_mean, "max": tsc.scatter_max, "min": tsc.scatter_min}[reduce]
    out = fn(src, index, dim)
    arg = None
    if isinstance(out, tuple):
        out, arg = out
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(22), dtype=out.dtype)
    (grad,) = torch.autograd.grad(out, src, g)
    d = dim % src.dim()
    idx = tsc.utils.broadcast(index.long(), src, d)
    count = torch.zeros(out.shape, dtype=torch.float64)
    for pos in itertools.product(*[range(s) for s in src.shape]):
        t = list(pos)
        t[d] = int(idx[pos])
        count[tuple(t)] += 1
    expect = torch.zeros_like(src)
    for pos in itertools.product(*[range(s) for s in src.shape]):
        t = list(pos)
        t[d] = int(idx[pos])
        t = tuple(t)
        if reduce == "sum":
            expect[pos] = g[t]
        elif reduce == "mean":
            expect[pos] = g[t] / max(1.0, count[t].item())
        elif arg[t].item() == pos[d]:   # scatter.cpp:220-232: to the arg entry only
            expect[pos] = g[t]
    assert torch.allclose(grad, expect, rtol=1e-12, atol=1e-12)


def test_gradcheck_mean_and_max_float64():
    src, index = _inputs((8, 3), 0, "1d", seed=31)
    src.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: tsc.scatter_mean(s, index, 0, dim_size=5), (src,))
    assert torch.autograd.gradcheck(lambda s: tsc.scatter_max(s, index, 0)[0], (src,))


def test_spvnas_and_openpcdet_calls():
    g = torch.Generator().manual_seed(41)
    feats = torch.randn(50, 4, generator=g)
    idx = torch.randint(0, 12, (50,), generator=g)
    # SPVNAS: scatter_mean(z.F, idx_query.long(), dim=0); OpenPCDet: scatter_max(x, unq_inv, dim=0)[0]
    mean = tsc.scatter_mean(feats, idx.long(), dim=0)
    x_max = tsc.scatter_max(feats, idx, dim=0)[0]
    assert mean.shape == (int(idx.max()) + 1, 4) and x_max.shape == mean.shape
    for r in range(mean.shape[0]):
        rows = feats[idx == r]
        if len(rows):
            assert torch.allclose(mean[r], rows.mean(0), atol=1e-6)
            assert torch.equal(x_max[r], rows.max(0).values)
        else:
            assert (mean[r] == 0).all() and (x_max[r] == 0).all()


def test_bad_inputs_name_the_argument():
    src = torch.randn(4, 2)
    with pytest.raises(ValueError, match="index"):
        tsc.scatter_mean(src, torch.tensor([0, 1, -1, 0]), 0)
    with pytest.raises(ValueError, match="index"):
        tsc.scatter_sum(src, torch.tensor([0, 1, 5, 0]), 0, dim_size=3)
    with pytest.raises(TypeError, match="index"):
        tsc.scatter_max(src, torch.tensor([0.0, 1.0, 0.0, 0.0]), 0)
    with pytest.raises(ValueError, match="reduce"):
        tsc.scatter(src, torch.tensor([0, 1, 0, 0]), 0, reduce="median")
    with pytest.raises(ValueError, match="dim"):
        tsc.scatter_sum(src, torch.tensor([0, 1, 0, 0]), 3)


def test_served_as_torch_scatter():
    from ascend_ops import compat
    with compat.activate(["torch_scatter"]):
        import torch_scatter
        from torch_scatter import scatter_max, scatter_mean
        assert torch_scatter is tsc and scatter_mean is tsc.scatter_mean and scatter_max is tsc.scatter_max
        assert torch_scatter.__version__ == "2.1.2"
