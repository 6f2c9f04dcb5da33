"""The torchsparse 2.1 point ops (sphash, sphash_kernel, sphashquery, spcount, spvoxelize,
spdevoxelize) and SPVNAS's point <-> voxel helpers: independent pure-Python implementations
(FNV-1a from the published constants, dicts, explicit loops) on hand-picked and random inputs,
native vs reference on every case of the case modules, 1 vs 2 threads bitwise, float64
gradcheck of native and reference, and bad input at the API and at the dispatcher."""
import random

import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops import opcases
from ascend_ops.opcases import _harness as h
from ascend_ops.opcases import _torchsparse_points_data as data
from ascend_ops.ops import point_voxel
from ascend_ops.ops.sphash import fold60, sphash, sphash_kernel, sphash_kernel_reference, sphash_reference
from ascend_ops.ops.sphashquery import sphashquery, sphashquery_reference
from ascend_ops.ops.spcount import spcount, spcount_reference
from ascend_ops.ops.spvoxelize import spvoxelize, spvoxelize_reference
from ascend_ops.ops.spdevoxelize import spdevoxelize, spdevoxelize_reference

OPS = ("sphash", "sphash_kernel", "sphashquery", "spcount", "spvoxelize", "spdevoxelize")
RAW = torch.ops.ascend_ops

# -- independent implementations ---------------------------------------------------------------
# FNV-1a 64 (Fowler/Noll/Vo; the published offset basis and prime), applied as torchsparse 2.1
# does (hash_cuda.cu:9-22): one 32-bit word per step, XOR then multiply, the words taken in
# column order, each int32 reinterpreted as uint32; the uint64 result read as int64.
FNV_BASIS, FNV_PRIME, MASK64 = 14695981039346656037, 1099511628211, (1 << 64) - 1


def py_fnv1a(words):
    h = FNV_BASIS
    for w in words:
        h = ((h ^ (w & 0xFFFFFFFF)) * FNV_PRIME) & MASK64
    return h - (1 << 64) if h >= 1 << 63 else h


def py_wrap32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def py_fold60(h):
    u = h & MASK64
    return (u >> 60) ^ (u & ((1 << 60) - 1))


def coord_rows(seed, n=300, lo=-2**31, hi=2**31 - 1):
    rng = random.Random(seed)
    picked = [[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [-1, -1, -1, -1], [0, -1, 2, -3],
              [2**31 - 1, -2**31, 0, 1], [3, 100000, -100000, 7]]
    return picked + [[rng.randint(lo, hi) for _ in range(4)] for _ in range(n)] + \
        [[rng.randint(-3, 3) for _ in range(4)] for _ in range(n)]


# -- sphash ------------------------------------------------------------------------------------
@pytest.mark.parametrize("impl", ["native", "reference"])
def test_sphash_is_fnv1a_of_the_four_words(impl, native_only):
    rows = coord_rows(0)
    fn = sphash if impl == "native" else sphash_reference
    got = fn(torch.tensor(rows, dtype=torch.int32)).tolist()
    assert got == [py_fnv1a(r) for r in rows]
    # int64 coordinates that fit int32 give the same keys
    assert fn(torch.tensor(rows, dtype=torch.int64)).tolist() == got


def test_sphash_hand_value():
    """(0, 0, 0, 0): four multiplications of the basis by the prime, modulo 2**64."""
    want = FNV_BASIS
    for _ in range(4):
        want = want * FNV_PRIME % 2**64
    got = int(sphash(torch.zeros(1, 4, dtype=torch.int32))[0]) % 2**64
    assert got == want
    assert int(sphash(torch.tensor([[0, 0, 0, 1]], dtype=torch.int32))[0]) != int(
        sphash(torch.tensor([[1, 0, 0, 0]], dtype=torch.int32))[0])   # word order matters


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_sphash_kernel_offsets_columns_1_to_3(impl, native_only):
    rows = coord_rows(1, n=60)
    rng = random.Random(2)
    offs = [[0, 0, 0], [1, -1, 2], [-2**31, 2**31 - 1, 5]] + [[rng.randint(-4, 4) for _ in range(3)] for _ in range(10)]
    fn = sphash_kernel if impl == "native" else sphash_kernel_reference
    got = fn(torch.tensor(rows, dtype=torch.int32), torch.tensor(offs, dtype=torch.int32)).tolist()
    want = [[py_fnv1a([r[0], py_wrap32(r[1] + o[0]), py_wrap32(r[2] + o[1]), py_wrap32(r[3] + o[2])]) for r in rows]
            for o in offs]
    assert got == want
    assert got[0] == sphash(torch.tensor(rows, dtype=torch.int32)).tolist()


def test_fold60_is_torchsparse_cpu_backend_value():
    rows = coord_rows(3, n=50)
    h = sphash(torch.tensor(rows, dtype=torch.int32))
    folded = fold60(h).tolist()
    assert folded == [py_fold60(py_fnv1a(r)) for r in rows]
    assert min(folded) >= 0


# -- sphashquery -------------------------------------------------------------------------------
def py_query(queries, references):
    first = {}
    for r, k in enumerate(references):
        first.setdefault(k, r)
    return [first.get(q, -1) for q in queries]


@pytest.mark.parametrize("case", ["small", "duplicates", "int32_keys", "no_references", "empty"])
@pytest.mark.parametrize("impl", ["native", "reference"])
def test_sphashquery_matches_dict(case, impl, native_only):
    q, r = opcases.load("sphashquery").cases()[case]("cpu", seed=5)
    fn = sphashquery if impl == "native" else sphashquery_reference
    out = fn(q, r)
    assert out.dtype == torch.int64 and out.shape == q.shape
    assert out.tolist() == py_query(q.tolist(), r.tolist())


def test_sphashquery_random_keys_with_many_duplicates(native_only):
    g = torch.Generator().manual_seed(9)
    r = torch.randint(-2**63, 2**63 - 1, (500,), generator=g, dtype=torch.int64)
    r = torch.cat([r, r[::3], torch.tensor([0, 0, -1])])
    q = torch.cat([r.flip(0), torch.randint(-2**63, 2**63 - 1, (300,), generator=g, dtype=torch.int64)])
    want = py_query(q.tolist(), r.tolist())
    assert sphashquery(q, r).tolist() == want
    assert sphashquery_reference(q, r).tolist() == want


# -- spcount -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["small", "real", "no_voxels", "empty"])
def test_spcount_matches_loop(case, native_only):
    idx, num = opcases.load("spcount").cases()[case]("cpu", quick=True)
    want = [0] * num
    for v in idx.tolist():
        if v >= 0:
            want[v] += 1
    for fn in (spcount, spcount_reference):
        out = fn(idx, num)
        assert out.dtype == torch.int32 and out.tolist() == want


# -- spvoxelize --------------------------------------------------------------------------------
def loop_voxelize(feats, idx, counts, grad):
    """float64 loops: out[m] = sum feats[i] / counts[m]; grad_feats[i] = grad[m] / counts[m]."""
    f, g = feats.double().tolist(), grad.double().tolist()
    M, C = counts.shape[0], feats.shape[1]
    out = [[0.0] * C for _ in range(M)]
    gf = [[0.0] * C for _ in range(feats.shape[0])]
    for i, m in enumerate(idx.tolist()):
        if m < 0 or int(counts[m]) == 0:
            continue
        n = int(counts[m])
        for c in range(C):
            out[m][c] += f[i][c] / n
            gf[i][c] = g[m][c] / n
    return torch.tensor(out, dtype=torch.float64).reshape(M, C), torch.tensor(gf, dtype=torch.float64).reshape(-1, C)


def _run(fn, args, diff, grad_seed=1):
    leaves = [a.detach().clone().requires_grad_(i in diff) if isinstance(a, torch.Tensor) and a.is_floating_point()
              else a for i, a in enumerate(args)]
    out = fn(*leaves)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(grad_seed), dtype=out.dtype)
    out.backward(g)
    return out.detach(), g, [leaves[i].grad for i in diff]


@pytest.mark.parametrize("case", ["small", "stale_counts"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_spvoxelize_matches_loop(case, dtype, native_only):
    args = opcases.load("spvoxelize").cases()[case]("cpu", dtype=dtype, seed=2)
    for fn in (spvoxelize, spvoxelize_reference):
        out, g, (gf,) = _run(fn, args, (0,))
        want, want_gf = loop_voxelize(*args, g)
        tol = 1e-12 if dtype == torch.float64 else 1e-6
        torch.testing.assert_close(out.double(), want, atol=tol, rtol=tol)
        torch.testing.assert_close(gf.double(), want_gf, atol=tol, rtol=tol)


def test_spvoxelize_with_spcount_is_the_mean(native_only):
    s = data.small_scene(3)
    feats, idx = s["feats"], s["inverse"]
    counts = spcount(idx, s["voxels"].shape[0])
    out = spvoxelize(feats, idx, counts)
    for m in range(out.shape[0]):
        torch.testing.assert_close(out[m], feats[idx == m].mean(0))


# -- spdevoxelize ------------------------------------------------------------------------------
def loop_devoxelize(feats, indices, weights, grad):
    """float64 loops: out, grad_feats (scatter) and grad_weights (dot products)."""
    F, W, G = feats.double(), weights.double(), grad.double()
    N, K = indices.shape
    out = torch.zeros(N, F.shape[1], dtype=torch.float64)
    gf, gw = torch.zeros_like(F), torch.zeros(N, K, dtype=torch.float64)
    for n in range(N):
        for k in range(K):
            m = int(indices[n, k])
            if m < 0:
                continue
            for c in range(F.shape[1]):
                out[n, c] += float(W[n, k]) * float(F[m, c])
                gf[m, c] += float(W[n, k]) * float(G[n, c])
                gw[n, k] += float(G[n, c]) * float(F[m, c])
    return out, gf, gw


@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_spdevoxelize_matches_loop(dtype, index_dtype, native_only):
    f, idx, w = opcases.load("spdevoxelize").cases()["small"]("cpu", dtype=dtype, seed=4)
    idx = idx.to(index_dtype)
    assert (idx < 0).any() and (idx >= 0).any()
    for fn in (spdevoxelize, spdevoxelize_reference):
        out, g, (gf, gw) = _run(fn, (f, idx, w), (0, 2))
        want, want_gf, want_gw = loop_devoxelize(f, idx, w, g)
        tol = 1e-12 if dtype == torch.float64 else 1e-5
        torch.testing.assert_close(out.double(), want, atol=tol, rtol=tol)
        torch.testing.assert_close(gf.double(), want_gf, atol=tol, rtol=tol)
        torch.testing.assert_close(gw.double(), want_gw, atol=tol, rtol=tol)


def test_spdevoxelize_backward_with_more_voxels_than_points(native_only):
    """The layout where torchsparse's CPU backward reads grad rows by voxel index (past its N rows)
    and writes before the buffer for missing corners: here the exact scatter."""
    g = torch.Generator().manual_seed(8)
    M, N, C = 50, 3, 4
    feats = torch.randn(M, C, generator=g, dtype=torch.float64)
    idx = torch.tensor([[49, -1, 10, -1, 0, 48, -1, 20], [-1] * 8, [5, 5, 49, -1, -1, -1, 1, 2]])
    w = torch.rand(N, 8, generator=g, dtype=torch.float64)
    out, grad, (gf, gw) = _run(spdevoxelize, (feats, idx, w), (0, 2))
    want, want_gf, want_gw = loop_devoxelize(feats, idx, w, grad)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(gf, want_gf)
    torch.testing.assert_close(gw, want_gw)


# -- every case: native vs reference; threads; gradcheck ----------------------------------------
def _all_cases():
    for op in OPS:
        oc = opcases.load(op)
        for name in oc.cases():
            yield pytest.param(oc, name, id=f"{op}-{name}")


@pytest.mark.parametrize("opcase,case", list(_all_cases()))
def test_every_case_native_matches_reference(opcase, case, native_only):
    args = opcase.cases()[case]("cpu", quick=True)
    outs, grads = h.forward_backward(opcase.spec, opcase.native, args)
    with h.backend("reference"):
        ref_outs, ref_grads = h.forward_backward(opcase.spec, opcase.reference, args)
    assert not h.compare(opcase.spec, opcase.tolerance(torch.float32), outs, ref_outs, grads, ref_grads)


@pytest.mark.parametrize("op", OPS)
def test_one_and_two_threads_give_identical_results(op, native_only):
    oc = opcases.load(op)
    args = oc.cases()["real"]("cpu", quick=True)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = h.forward_backward(oc.spec, oc.native, args)
        torch.set_num_threads(2)
        two = h.forward_backward(oc.spec, oc.native, args)
    finally:
        torch.set_num_threads(threads)
    assert not h.compare(oc.spec, (0.0, 0.0), two[0], one[0], two[1], one[1])


@pytest.mark.parametrize("impl", ["native", "reference"])
@pytest.mark.parametrize("case", ["small", "stale_counts"])
def test_spvoxelize_gradcheck_float64(case, impl, monkeypatch):
    monkeypatch.setenv("ASCEND_OPS_BACKEND", impl)
    f, idx, counts = opcases.load("spvoxelize").cases()[case]("cpu", dtype=torch.float64, seed=6)
    assert torch.autograd.gradcheck(lambda x: spvoxelize(x, idx.int(), counts), (f.requires_grad_(),))


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_spdevoxelize_gradcheck_float64(impl, monkeypatch):
    monkeypatch.setenv("ASCEND_OPS_BACKEND", impl)
    f, idx, w = opcases.load("spdevoxelize").cases()["small"]("cpu", dtype=torch.float64, seed=6)
    assert torch.autograd.gradcheck(spdevoxelize, (f.requires_grad_(), idx.int(), w.requires_grad_()))


# -- SPVNAS helpers ----------------------------------------------------------------------------
def loop_trilinear(point_coords, voxels, stride):
    """Corner rows by a dict of voxel coords and trilinear weights by the formula, per point."""
    where = {tuple(v): r for r, v in enumerate(voxels.tolist())}
    rows, weights = [], []
    for b, x, y, z in point_coords.tolist():
        p = [x / stride, y / stride, z / stride]
        base = [int(torch.floor(torch.tensor(v, dtype=torch.float64))) for v in p]
        r, w = [], []
        for dx in (0, 1):
            for dy in (0, 1):
                for dz in (0, 1):
                    key = (int(b), base[0] + dx, base[1] + dy, base[2] + dz)
                    r.append(where.get(key, -1))
                    wt = 1.0
                    for d, v, lo in zip((dx, dy, dz), p, base):
                        wt *= (v - lo) if d else (lo + 1 - v)
                    w.append(wt if key in where else 0.0)
        total = sum(w) + 1e-8
        rows.append(r)
        weights.append([v / total for v in w])
    return torch.tensor(rows), torch.tensor(weights, dtype=torch.float64)


@pytest.mark.parametrize("stride", [1, 2])
def test_trilinear_neighbors_and_voxel_to_point_match_loops(stride, native_only):
    s = data.scene(60, 3, extent=4.0, batch=2, seed=11)
    pc = s["point_coords"]
    vox_pts = torch.cat([pc[:, :1], torch.floor(pc[:, 1:] / stride)], 1).int()
    voxels = torch.unique(vox_pts, dim=0)
    voxels = voxels[torch.randperm(voxels.shape[0], generator=torch.Generator().manual_seed(1))]
    feats = torch.randn(voxels.shape[0], 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    idx, w = point_voxel.trilinear_neighbors(pc, voxels, stride)
    want_idx, want_w = loop_trilinear(pc, voxels, stride)
    assert torch.equal(idx, want_idx)
    assert (idx >= 0).any() and (idx < 0).any()
    torch.testing.assert_close(w, want_w)
    out = point_voxel.voxel_to_point(feats, voxels, pc, stride)
    want, _, _ = loop_devoxelize(feats, want_idx, want_w, torch.zeros(pc.shape[0], 3))
    torch.testing.assert_close(out, want)
    near_idx, near_w = point_voxel.trilinear_neighbors(pc, voxels, stride, nearest=True)
    assert torch.equal(near_idx[:, 0], want_idx[:, 0]) and (near_idx[:, 1:] == -1).all() and (near_w[:, 1:] == 0).all()
    rows = point_voxel.voxel_index(pc, voxels, stride)
    assert torch.equal(rows, want_idx[:, 0])


# -- bad input at the dispatcher (no Python checks): an error, never an out-of-bounds access -----
def test_dispatcher_refuses_out_of_range_indices():
    f = torch.randn(6, 3)
    idx = torch.tensor([0, 1, 6, -1, 2, 3])
    counts = torch.ones(6, dtype=torch.int32)
    with pytest.raises(ValueError, match=r"spvoxelize: idx\[2\] = 6 must be < counts.shape\[0\] \(M\) = 6"):
        RAW.spvoxelize(f, idx, counts)
    with pytest.raises(ValueError, match=r"spvoxelize_backward: idx\[2\] = 6"):
        RAW.spvoxelize_backward(torch.randn(6, 3), f, idx, counts)
    with pytest.raises(ValueError, match=r"counts\[1\] = -1 must be >= 0"):
        RAW.spvoxelize(f, idx.clamp(max=5), torch.tensor([1, -1, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"spcount: idx\[2\] = 6 must be < num = 6"):
        RAW.spcount(idx, 6)
    with pytest.raises(ValueError, match="num must be >= 0"):
        RAW.spcount(idx.clamp(max=-1), -2)
    ind = torch.full((4, 8), -1, dtype=torch.int64)
    ind[3, 5] = 6
    w = torch.rand(4, 8)
    with pytest.raises(ValueError, match=r"spdevoxelize: indices\[3, 5\] = 6 must be < feats.shape\[0\] \(M\) = 6"):
        RAW.spdevoxelize(f, ind, w)
    with pytest.raises(ValueError, match=r"spdevoxelize_backward: indices\[3, 5\]"):
        RAW.spdevoxelize_backward(torch.randn(4, 3), f, ind, w)
    with pytest.raises(RuntimeError, match="weights must have feats' dtype"):
        RAW.spdevoxelize(f, ind.clamp(max=5), w.double())
    with pytest.raises(RuntimeError, match="grad_out must be"):
        RAW.spdevoxelize_backward(torch.randn(5, 3), f, ind.clamp(max=5), w)
    with pytest.raises(RuntimeError, match="coords must be int32"):
        RAW.sphash(torch.zeros(2, 4, dtype=torch.int64))
    with pytest.raises(RuntimeError, match=r"offsets must be \[K, 3\]"):
        RAW.sphash_kernel(torch.zeros(2, 4, dtype=torch.int32), torch.zeros(2, 4, dtype=torch.int32))
    with pytest.raises(RuntimeError, match="queries must be int64 or int32"):
        RAW.sphashquery(torch.zeros(3), torch.zeros(3, dtype=torch.int64))


def test_api_value_errors_name_the_argument():
    f, idx, w = opcases.load("spdevoxelize").cases()["small"]("cpu")
    with pytest.raises(ValueError, match="indices"):
        spdevoxelize(f[:3], idx, w)
    with pytest.raises(ValueError, match=r"coords holds values"):
        sphash_kernel(torch.zeros(2, 4, dtype=torch.int64) + 2**33, torch.zeros(1, 3, dtype=torch.int32))


# -- CUDA (runs only with a GPU; the kernels are compile-checked by test_compile_cuda.py) ---------
@pytest.mark.cuda
@pytest.mark.parametrize("opcase,case", list(_all_cases()))
def test_cuda_matches_cpu_reference(opcase, case, native_only):
    args = opcase.cases()[case]("cpu", quick=True)
    dev_args = tuple(a.cuda() if isinstance(a, torch.Tensor) else a for a in args)
    outs, grads = h.forward_backward(opcase.spec, opcase.native, dev_args)
    with h.backend("reference"):
        ref_outs, ref_grads = h.forward_backward(opcase.spec, opcase.reference, args)
    assert not h.compare(opcase.spec, opcase.tolerance(torch.float32), [o.cpu() for o in outs], ref_outs,
                         [g.cpu() for g in grads], ref_grads)


@pytest.mark.cuda
def test_cuda_dispatcher_refuses_out_of_range_indices():
    f = torch.randn(6, 3, device="cuda")
    with pytest.raises(ValueError, match=r"spdevoxelize: indices\[0, 1\] = 6"):
        RAW.spdevoxelize(f, torch.tensor([[0, 6]], device="cuda"), torch.rand(1, 2, device="cuda"))
    with pytest.raises(ValueError, match=r"spcount: idx\[0\] = 9"):
        RAW.spcount(torch.tensor([9], device="cuda"), 4)


def test_initial_voxelize_and_point_to_voxel_match_loops(native_only):
    s = data.scene(80, 3, extent=3.0, batch=2, seed=12)
    pc, feats = s["point_coords"], s["feats"]
    vfeats, voxels, idx, scaled = point_voxel.initial_voxelize(pc, feats, 0.05, 0.1)
    torch.testing.assert_close(scaled[:, 1:], pc[:, 1:] * 0.5)
    rows = [tuple(int(v) for v in [b] + [float(torch.floor(torch.tensor(c))) for c in xyz])
            for b, *xyz in scaled.tolist()]
    want_voxels = sorted(set(rows))
    assert [tuple(v) for v in voxels.tolist()] == want_voxels
    assert idx.tolist() == [want_voxels.index(r) for r in rows]
    for m in range(len(want_voxels)):
        torch.testing.assert_close(vfeats[m], feats[idx == m].mean(0))
    # point_to_voxel at stride 2 of the scaled points, onto a subset of the voxels (missing -> row 0)
    coarse = torch.unique(torch.cat([scaled[:, :1], torch.floor(scaled[:, 1:] / 2)], 1).int(), dim=0)[1:]
    out = point_voxel.point_to_voxel(scaled, feats, coarse, stride=2)
    where = {tuple(v): r for r, v in enumerate(coarse.tolist())}
    keys = [(int(b),) + tuple(int(torch.floor(torch.tensor(c / 2))) for c in xyz) for b, *xyz in scaled.tolist()]
    assert any(k not in where for k in keys)   # the dropped voxel's points go to row 0
    rows2 = torch.tensor([where.get(k, 0) for k in keys])
    for m in range(coarse.shape[0]):
        torch.testing.assert_close(out[m], feats[rows2 == m].mean(0))


def test_large_inputs_split_over_threads_match_reference(native_only):
    """Inputs large enough for several parallel tasks in every kernel (spcount: > 2**20 entries;
    sphash: > 262144 rows): 1, 2 and 3 threads agree with the reference."""
    g = torch.Generator().manual_seed(21)
    idx = torch.randint(-1, 3000, (2_500_000,), generator=g)
    coords = torch.randint(-2**31, 2**31 - 1, (600_000, 4), generator=g, dtype=torch.int64).int()
    want_count, want_hash = spcount_reference(idx, 3000), sphash_reference(coords)
    threads = torch.get_num_threads()
    try:
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            assert torch.equal(spcount(idx, 3000), want_count)
            assert torch.equal(sphash(coords), want_hash)
    finally:
        torch.set_num_threads(threads)


def _bad_inputs():
    for op in OPS:
        oc = opcases.load(op)
        for k, (args, exc, match) in enumerate(oc.bad_inputs("cpu")):
            yield pytest.param(oc, args, exc, match, id=f"{op}-{k}")


@pytest.mark.parametrize("opcase,args,exc,match", list(_bad_inputs()))
@pytest.mark.parametrize("backend", ["native", "reference"])
def test_bad_inputs_same_error_on_both_backends(opcase, args, exc, match, backend, monkeypatch):
    """Value errors are raised where the values are read (native kernel or reference): same words."""
    monkeypatch.setenv("ASCEND_OPS_BACKEND", backend)
    with pytest.raises(exc, match=match):
        opcase.native(*args)
