"""The sparse convolution engine (issue 12): the reference kernel map against a brute-force
Python loop, and the engine's convolutions and pooling against dense torch ops."""
import itertools

import pytest
import torch
import torch.nn.functional as dense_F

from ascend_ops import _dispatch, opcases, sparse
from ascend_ops.opcases._sparse_data import random_coords
from ascend_ops.ops import sparse_kernel_map_reference
from ascend_ops.sparse import weights


# -- brute-force kernel maps (plain Python loops over sites and offsets) ----------------------
def _offsets(kernel_size):
    return list(itertools.product(*(range(k) for k in kernel_size)))   # x fastest: k = (iz*KY + iy)*KX + ix


def brute_force_kernel_map(coords, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode):
    """(out_coords, in_index, out_index, offset_ptr) as Python lists, from the contract's
    definitions read literally."""
    rows = [tuple(r) for r in coords.tolist()]
    offs = _offsets(kernel_size)
    if mode == 0:
        outs = rows
        lookup = {r: i for i, r in enumerate(rows)}

        def inputs_of(o, k):
            site = (o[0],) + tuple(o[1 + a] + (k[a] - kernel_size[a] // 2) * dilation[a] for a in range(3))
            return [lookup[site]] if site in lookup else []
    else:
        if mode == 1:
            O = [(spatial_shape[a] + 2 * padding[a] - dilation[a] * (kernel_size[a] - 1) - 1) // stride[a] + 1
                 for a in range(3)]

            def related(i, o, k):
                return all(o[1 + a] * stride[a] - padding[a] + k[a] * dilation[a] == i[1 + a] for a in range(3))
        else:
            O = [(spatial_shape[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel_size[a] - 1) + 1
                 for a in range(3)]

            def related(i, o, k):
                return all(o[1 + a] == i[1 + a] * stride[a] - padding[a] + k[a] * dilation[a] for a in range(3))
        sites = set()
        for i in rows:
            for o in _candidates(i, offs, stride, padding, dilation, mode):
                if all(0 <= o[a] < O[a] for a in range(3)) and any(related(i, (i[0],) + o, k) for k in offs):
                    sites.add((i[0],) + o)
        outs = sorted(sites)

        def inputs_of(o, k):
            return [j for j, i in enumerate(rows) if i[0] == o[0] and related(i, o, k)]
    in_index, out_index, ptr = [], [], [0]
    for k in offs:
        for oi, o in enumerate(outs):
            for i in inputs_of(o, k):
                in_index.append(i)
                out_index.append(oi)
        ptr.append(len(in_index))
    return [list(o) for o in outs], in_index, out_index, ptr


def _candidates(i, offs, stride, padding, dilation, mode):
    """Output sites (z, y, x) input site i may reach through some offset (no bounds; the caller
    tests each with the pair definition), so the brute force needs no loop over a huge grid."""
    out = set()
    for k in offs:
        if mode == 1:
            num = [i[1 + a] + padding[a] - k[a] * dilation[a] for a in range(3)]
            if all(n % s == 0 for n, s in zip(num, stride)):
                out.add(tuple(n // s for n, s in zip(num, stride)))
        else:
            out.add(tuple(i[1 + a] * stride[a] - padding[a] + k[a] * dilation[a] for a in range(3)))
    return out


KMAP_CASES = ["small", "submanifold", "submanifold_dilated", "per_axis", "transposed", "transposed_per_axis",
              "dense", "huge_grid", "empty"]


@pytest.mark.parametrize("case", KMAP_CASES)
def test_reference_kernel_map_matches_brute_force(case):
    args = opcases.load("sparse_kernel_map").cases()[case]("cpu")
    got = [t.tolist() for t in sparse_kernel_map_reference(*args)]
    want = brute_force_kernel_map(*args)
    names = ("out_coords", "in_index", "out_index", "offset_ptr")
    for name, g, w in zip(names, got, want):
        assert g == w, f"{case}: {name} differs from the brute force"


GEOMETRIES = [   # (kernel_size, stride, padding, dilation, mode) on small grids
    ((3, 3, 3), (1, 1, 1), (0, 0, 0), (1, 1, 1), 0),
    ((1, 3, 5), (1, 1, 1), (0, 0, 0), (2, 1, 1), 0),
    ((3, 3, 3), (2, 2, 2), (0, 1, 1), (1, 1, 1), 1),
    ((3, 1, 1), (2, 1, 1), (0, 0, 0), (1, 1, 1), 1),
    ((2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), 1),
    ((4, 4, 4), (4, 4, 4), (0, 0, 0), (1, 1, 1), 1),
    ((3, 2, 3), (1, 2, 2), (2, 1, 0), (2, 1, 2), 1),
    ((2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), 2),
    ((3, 2, 1), (2, 3, 1), (1, 0, 0), (1, 2, 1), 2),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=[f"k{g[0]}s{g[1]}p{g[2]}d{g[3]}m{g[4]}" for g in GEOMETRIES])
def test_reference_kernel_map_matches_brute_force_random(geometry, seed):
    kernel, stride, padding, dilation, mode = geometry
    g = torch.Generator().manual_seed(seed)
    shape, batch = (5, 6, 7), 2
    coords = random_coords(30, shape, batch, g, unique=(mode == 0))
    args = (coords, list(shape), batch, list(kernel), list(stride), list(padding), list(dilation), mode)
    got = [t.tolist() for t in sparse_kernel_map_reference(*args)]
    assert got == list(brute_force_kernel_map(*args))


# -- the engine against dense torch ops ------------------------------------------------------
SPARSE_OPS = ("sparse_kernel_map", "sparse_gather", "sparse_scatter_add", "sparse_max_pool")


@pytest.fixture(params=["reference", "native"])
def backend(request, monkeypatch):
    """Run the engine on the pure-PyTorch references, and on the CPU native kernels when built."""
    if request.param == "native":
        missing = [op for op in SPARSE_OPS if not _dispatch.has_native_kernel(op, "cpu")]
        if missing:
            pytest.skip(f"no CPU native kernel for {missing} in this build")
    monkeypatch.setenv("ASCEND_OPS_BACKEND", request.param)
    return request.param


def _sparse_input(n, channels, shape=(6, 7, 8), batch=2, seed=0, dtype=torch.float64, positive=False):
    """A SparseTensor of n unique random sites (batch 2 by default) with leaf features [n, C]."""
    g = torch.Generator().manual_seed(seed)
    coords = random_coords(n, shape, batch, g)
    f = torch.rand(n, channels, generator=g, dtype=dtype) + 1 if positive else torch.randn(n, channels, generator=g,
                                                                                          dtype=dtype)
    return sparse.SparseTensor(f.requires_grad_(), coords, shape, batch)


def _dense_of(x):
    """[B, C, Z, Y, X] of x by plain advanced-index assignment (independent of SparseTensor.dense)."""
    B, (Z, Y, X), C = x.batch_size, x.spatial_shape, x.num_channels
    d = x.features.new_zeros(B, Z, Y, X, C)
    i = x.indices.long()
    d = d.index_put((i[:, 0], i[:, 1], i[:, 2], i[:, 3]), x.features)
    return d.permute(0, 4, 1, 2, 3)


def _at_sites(d, coords):
    """Rows d[b, :, z, y, x] [M, C] of a dense [B, C, Z, Y, X] at coords [M, 4]."""
    i = coords.long()
    return d.permute(0, 2, 3, 4, 1)[i[:, 0], i[:, 1], i[:, 2], i[:, 3]]


def _site_mask(coords, shape, batch):
    m = torch.zeros(batch, *shape, dtype=torch.bool)
    i = coords.long()
    m[i[:, 0], i[:, 1], i[:, 2], i[:, 3]] = True
    return m


def _grad_pair(sparse_out, dense_rows, leaves, seed=3):
    """Gradients of sum(out * G) for the sparse result and the dense rows at the same sites."""
    g = torch.randn(sparse_out.shape, generator=torch.Generator().manual_seed(seed), dtype=sparse_out.dtype)
    a = torch.autograd.grad((sparse_out * g).sum(), leaves, allow_unused=True)
    b = torch.autograd.grad((dense_rows * g).sum(), leaves, allow_unused=True)
    return a, b


def _close(a, b, what):
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10, msg=lambda m: f"{what}: {m}")


CONVS = [   # (name, kernel, stride, padding, dilation, kind)
    ("subm3", 3, 1, 0, 1, "subm"),
    ("subm1", 1, 1, 0, 1, "subm"),
    ("subm_axis_dil2", (3, 1, 5), 1, 0, (2, 1, 1), "subm"),
    ("k3s2p1", 3, 2, 1, 1, "conv"),
    ("k3s2p011", 3, 2, (0, 1, 1), 1, "conv"),
    ("k311s211", (3, 1, 1), (2, 1, 1), 0, 1, "conv"),
    ("k2s2", 2, 2, 0, 1, "conv"),
    ("k1", 1, 1, 0, 1, "conv"),
    ("k3d2p2", 3, 1, 2, 2, "conv"),
    ("axis_all", (3, 2, 1), (2, 1, 3), (1, 0, 0), (1, 2, 1), "conv"),
    ("t_k2s2", 2, 2, 0, 1, "transposed"),
    ("t_k3s2p1", 3, 2, 1, 1, "transposed"),
    ("t_axis_all", (3, 1, 2), (2, 1, 2), (1, 0, 0), (1, 1, 2), "transposed"),
]


@pytest.mark.parametrize("n", [40, 0], ids=["sites40", "empty"])
@pytest.mark.parametrize("name,kernel,stride,padding,dilation,kind", CONVS, ids=[c[0] for c in CONVS])
def test_conv_matches_dense(name, kernel, stride, padding, dilation, kind, n, backend):
    """Forward, input, weight and bias gradients of the sparse conv against dense conv3d /
    conv_transpose3d (float64, batch 2), and no output outside the sparse output sites."""
    x = _sparse_input(n, 3, seed=hash(name) % 1000)
    ks = sparse.geometry.triple(kernel)
    layer = {"subm": sparse.SubMConv3d, "conv": sparse.SparseConv3d, "transposed": sparse.SparseConvTranspose3d}[kind]
    torch.manual_seed(0)
    m = layer(3, 4, kernel, stride=stride, padding=padding, dilation=dilation).double()
    y = m(x)
    s, p, d = (sparse.geometry.triple(v) for v in (stride, padding, dilation))
    if kind == "subm":
        dense = dense_F.conv3d(_dense_of(x), weights.to_conv3d(m.weight, ks), m.bias,
                               padding=tuple(di * (k // 2) for di, k in zip(d, ks)), dilation=d)
        assert y.indices is x.indices and y.spatial_shape == x.spatial_shape
    elif kind == "conv":
        dense = dense_F.conv3d(_dense_of(x), weights.to_conv3d(m.weight, ks), m.bias, stride=s, padding=p, dilation=d)
    else:
        dense = dense_F.conv_transpose3d(_dense_of(x), weights.to_conv_transpose3d(m.weight, ks), m.bias, stride=s,
                                         padding=p, dilation=d)
    assert tuple(dense.shape[2:]) == y.spatial_shape
    rows = _at_sites(dense, y.indices)
    _close(y.features, rows, "forward")
    if kind != "subm":   # every site the dense conv reaches is an output site (elsewhere: bias only)
        outside = ~_site_mask(y.indices, y.spatial_shape, 2)
        _close(dense.permute(0, 2, 3, 4, 1)[outside], m.bias.expand(int(outside.sum()), 4), "outside output sites")
        if n:
            assert (_site_mask(y.indices, y.spatial_shape, 2) ==
                    (dense - m.bias[None, :, None, None, None]).ne(0).any(1)).all()
    (gf, gw, gb), (df, dw, db) = _grad_pair(y.features, rows, (x.features, m.weight, m.bias))
    _close(gf, df, "grad features")
    _close(gw, dw, "grad weight")
    _close(gb, db, "grad bias")


INVERSES = [("k2s2", 2, 2, 0), ("k3s2p1", 3, 2, 1), ("k311s211", (3, 1, 1), (2, 1, 1), 0),
            ("k3s2p011", 3, 2, (0, 1, 1))]


@pytest.mark.parametrize("n", [40, 0], ids=["sites40", "empty"])
@pytest.mark.parametrize("name,kernel,stride,padding", INVERSES, ids=[c[0] for c in INVERSES])
def test_inverse_conv_matches_dense_transposed(name, kernel, stride, padding, n, backend):
    """SparseInverseConv3d through the SparseConv3d's cached map (same indice_key) = dense
    conv_transpose3d of the strided output, at the strided conv's input sites."""
    x = _sparse_input(n, 3, shape=(7, 6, 9), seed=5)
    torch.manual_seed(1)
    down = sparse.SparseConv3d(3, 5, kernel, stride=stride, padding=padding, indice_key="down").double()
    up = sparse.SparseInverseConv3d(5, 2, kernel, indice_key="down").double()
    y = down(x)
    y = y.replace_feature(y.features.detach().requires_grad_())   # a leaf: test the inverse conv alone
    z = up(y)
    assert z.indices is x.indices and z.spatial_shape == x.spatial_shape
    ks, s, p = (sparse.geometry.triple(v) for v in (kernel, stride, padding))
    natural = [(o - 1) * si - 2 * pi + ki for o, si, pi, ki in zip(y.spatial_shape, s, p, ks)]
    dense = dense_F.conv_transpose3d(_dense_of(y), weights.to_conv_transpose3d(up.weight, ks), up.bias, stride=s,
                                     padding=p, output_padding=tuple(S - o for S, o in zip(x.spatial_shape, natural)))
    rows = _at_sites(dense, x.indices)
    _close(z.features, rows, "forward")
    (gf, gw, gb), (df, dw, db) = _grad_pair(z.features, rows, (y.features, up.weight, up.bias))
    _close(gf, df, "grad features")
    _close(gw, dw, "grad weight")
    _close(gb, db, "grad bias")


POOLS = [("k4s4", 4, 4, 0, 1), ("k3s2p1", 3, 2, 1, 1), ("k2s2", 2, None, 0, 1),
         ("axis_dil2", (3, 2, 1), (1, 2, 1), (1, 1, 0), (2, 1, 1))]


@pytest.mark.parametrize("n", [60, 0], ids=["sites60", "empty"])
@pytest.mark.parametrize("name,kernel,stride,padding,dilation", POOLS, ids=[c[0] for c in POOLS])
def test_max_pool_matches_dense_on_positive_features(name, kernel, stride, padding, dilation, n, backend):
    """Sparse max pool = dense max_pool3d when every existing feature is > 0 (absent sites are 0,
    so never the max at an output site); forward, input gradient, and the output sites are
    exactly where the dense pool is > 0."""
    x = _sparse_input(n, 3, shape=(8, 9, 8), seed=7, positive=True)
    y = sparse.SparseMaxPool3d(kernel, stride, padding, dilation)(x)
    ks = sparse.geometry.triple(kernel)
    s = ks if stride is None else sparse.geometry.triple(stride)
    dense = dense_F.max_pool3d(_dense_of(x), ks, s, sparse.geometry.triple(padding), sparse.geometry.triple(dilation))
    assert tuple(dense.shape[2:]) == y.spatial_shape
    rows = _at_sites(dense, y.indices)
    _close(y.features, rows, "forward")
    assert (_site_mask(y.indices, y.spatial_shape, 2) == (dense > 0).any(1)).all()
    (gf,), (df,) = _grad_pair(y.features, rows, (x.features,))
    _close(gf, df, "grad features")


def test_max_pool_is_over_existing_sites_only(backend):
    """Negative features: the max over EXISTING inputs (brute-force loop), not over zeros."""
    x = _sparse_input(30, 2, shape=(4, 5, 6), seed=2)
    x = x.replace_feature(-x.features.detach().abs() - 0.5)
    y = sparse.max_pool3d(x, 3, 2, 1)
    s_in = {tuple(r): i for i, r in enumerate(x.indices.tolist())}
    for row, (b, z, yy, xx) in enumerate(y.indices.tolist()):
        members = [i for (bb, iz, iy, ix), i in s_in.items() if bb == b and
                   2 * z - 1 <= iz <= 2 * z + 1 and 2 * yy - 1 <= iy <= 2 * yy + 1 and 2 * xx - 1 <= ix <= 2 * xx + 1]
        assert members, "an output site without inputs"
        torch.testing.assert_close(y.features[row], x.features[members].max(0).values, rtol=0, atol=0)
    assert (y.features < 0).all()


def test_gradcheck_reference_conv_float64(monkeypatch):
    """float64 gradcheck of the reference engine (features, weight, bias): submanifold, strided,
    transposed and inverse convs and max pool."""
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    x = _sparse_input(10, 2, shape=(3, 4, 4), seed=4)
    torch.manual_seed(2)
    subm = sparse.SubMConv3d(2, 2, 3, indice_key="a").double()
    down = sparse.SparseConv3d(2, 2, (3, 2, 2), stride=2, padding=(1, 0, 0), indice_key="d").double()
    up = sparse.SparseConvTranspose3d(2, 2, 2, stride=2).double()
    inv = sparse.SparseInverseConv3d(2, 2, (3, 2, 2), indice_key="d").double()

    def run(f, w1, b1, w2, w3, w4):
        h = x.replace_feature(f)
        a = sparse.subm_conv3d(h, w1, b1, 3, indice_key="a")
        b = sparse.conv3d(a, w2, None, (3, 2, 2), 2, (1, 0, 0), indice_key="d")
        c = sparse.conv_transpose3d(b, w3, None, 2, 2)
        e = sparse.inverse_conv3d(b, w4, None, (3, 2, 2), indice_key="d")
        p = sparse.max_pool3d(a, 2)
        return c.features, e.features, p.features

    leaves = (x.features.detach().requires_grad_(), subm.weight, subm.bias, down.weight, up.weight, inv.weight)
    assert torch.autograd.gradcheck(run, leaves, eps=1e-6, atol=1e-6)


def test_huge_grid_without_dense_allocation(backend):
    """A 100,000^3 grid (batch 2) with a handful of sites: every layer runs (no dense table) and
    equals the same layers on the sites translated into a small grid (by an even shift, so the
    stride-2 alignment is kept)."""
    drawn = _sparse_input(12, 2, shape=(4, 4, 4), seed=9)
    # sites in [0, 4)^3 of a [6, 6, 6] grid: no output is clipped at the small grid's border
    small = sparse.SparseTensor(drawn.features, drawn.indices, (6, 6, 6), 2)
    shift = 99_990
    big_idx = small.indices.clone()
    big_idx[:, 1:] += shift
    big = sparse.SparseTensor(small.features, big_idx, (100_000,) * 3, 2)
    torch.manual_seed(3)
    layers = [sparse.SubMConv3d(2, 3, 3, indice_key="s"), sparse.SparseConv3d(3, 3, 3, 2, 1, indice_key="d"),
              sparse.SparseInverseConv3d(3, 2, 3, indice_key="d")]
    pool = sparse.SparseMaxPool3d(2)
    outs = {}
    for name, x in (("small", small), ("big", big)):
        h = x
        for layer in layers:
            h = layer.double()(h)
            outs.setdefault(name, []).append(h)
        outs[name].append(pool(h))
    for a, b, offset in zip(outs["small"], outs["big"], (shift, shift // 2, shift, shift // 2)):
        assert torch.equal(a.indices[:, 1:] + offset, b.indices[:, 1:])
        assert torch.equal(a.indices[:, 0], b.indices[:, 0])
        torch.testing.assert_close(a.features, b.features, rtol=1e-12, atol=1e-12)
    assert outs["big"][1].spatial_shape == (50_000,) * 3


def test_kernel_maps_are_cached_per_indice_key(monkeypatch):
    """Layers with one indice_key on the same sites reuse one KernelMap object; a strided conv's
    map is shared with its inverse; a new indices tensor never reuses a stale map."""
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    from ascend_ops.sparse import functional as F
    built = []
    real_build = F.build_kernel_map
    monkeypatch.setattr(F, "build_kernel_map", lambda *a, **k: built.append(a) or real_build(*a, **k))
    x = _sparse_input(30, 2, seed=1)
    a = sparse.SubMConv3d(2, 2, 3, indice_key="subm1").double()
    b = sparse.SubMConv3d(2, 2, 3, padding=1, indice_key="subm1").double()   # padding is unused by subm
    h = b(a(x))
    assert len(built) == 1 and len(x.kmaps) == 1
    kmap = next(iter(x.kmaps.values()))
    assert F.get_kernel_map(h, 0, 3, indice_key="subm1") is kmap
    assert h.kmaps is x.kmaps
    down = sparse.SparseConv3d(2, 2, 3, 2, 1, indice_key="down").double()
    y = down(h)
    up = sparse.SparseInverseConv3d(2, 2, 3, indice_key="down").double()
    z = up(y)
    assert len(built) == 2 and z.indices is x.indices
    inv = F.find_inverse_map(y, "down")
    assert inv.in_index is x.kmaps[("down", 1, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), (6, 7, 8))].out_index
    other = sparse.SparseTensor(x.features, x.indices.clone(), x.spatial_shape, 2, kmaps=x.kmaps)
    a(other)
    assert len(built) == 3   # same key, another indices tensor: rebuilt, not reused


def test_centre_offset_skips_gather_and_scatter(monkeypatch):
    """A 1x1x1 submanifold conv runs no gather / scatter at all (one GEMM on the features)."""
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    from ascend_ops.sparse import functional as F
    calls = []
    monkeypatch.setattr(F, "sparse_gather", lambda *a: calls.append("gather"))
    x = _sparse_input(20, 3, seed=0)
    m = sparse.SubMConv3d(3, 2, 1).double()
    y = m(x)
    assert calls == []
    _close(y.features, x.features @ m.weight[0] + m.bias, "1x1x1")


def test_dense_and_from_dense_round_trip():
    x = _sparse_input(25, 3, seed=6)
    d = x.dense()
    assert d.shape == (2, 3, 6, 7, 8)
    _close(d, _dense_of(x), "dense")
    _close(x.dense(channels_first=False), d.permute(0, 2, 3, 4, 1), "channels last")
    back = sparse.SparseTensor.from_dense(d)
    order = torch.argsort(sparse.keys.encode(x.indices, x.spatial_shape))
    assert torch.equal(back.indices, x.indices[order])
    _close(back.features, x.features[order], "from_dense features")


def _expect(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


def test_bad_inputs_name_the_argument(monkeypatch):
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    x = _sparse_input(20, 3, shape=(5, 6, 7), seed=0)
    f, idx = x.features.detach(), x.indices
    _expect(ValueError, r"in_channels = 4", sparse.SubMConv3d(4, 2, 3), x)
    _expect(ValueError, r"kernel_size must be odd", sparse.SubMConv3d, 3, 2, 2)
    _expect(ValueError, r"SubMConv3d: stride must be 1", sparse.SubMConv3d, 3, 2, 3, stride=2)
    _expect(ValueError, r"groups must be 1", sparse.SparseConv3d, 3, 2, 3, groups=2)
    _expect(ValueError, r"indice_key 'nope'", sparse.SparseInverseConv3d(3, 2, 3, indice_key="nope"), x)
    _expect(ValueError, r"indice_key must name", sparse.SparseInverseConv3d, 3, 2, 3, None)
    _expect(ValueError, r"weight.shape\[0\] must equal the kernel volume K = 27",
            sparse.subm_conv3d, x, torch.zeros(8, 3, 2, dtype=torch.float64))
    _expect(ValueError, r"weight.shape\[1\] \(in channels\)", sparse.subm_conv3d, x,
            torch.zeros(27, 2, 2, dtype=torch.float64))
    _expect(TypeError, r"weight dtype", sparse.subm_conv3d, x, torch.zeros(27, 3, 2))
    _expect(ValueError, r"bias must be \[Cout\]", sparse.subm_conv3d, x, torch.zeros(27, 3, 2, dtype=torch.float64),
            torch.zeros(3, dtype=torch.float64))
    _expect(ValueError, r"indices.shape\[1\] must equal 4", sparse.SparseTensor, f, idx[:, :3], (5, 6, 7), 2)
    _expect(ValueError, r"indices.shape\[0\] must equal features.shape\[0\]", sparse.SparseTensor, f[1:], idx,
            (5, 6, 7), 2)
    _expect(TypeError, r"indices must have dtype", sparse.SparseTensor, f, idx.float(), (5, 6, 7), 2)
    _expect(ValueError, r"spatial_shape must have 3 entries", sparse.SparseTensor, f, idx, (5, 6), 2)
    _expect(ValueError, r"batch_size must be an int >= 1", sparse.SparseTensor, f, idx, (5, 6, 7), 0)
    _expect(ValueError, r"spatial_shape.*2\*\*62", sparse.SparseTensor, f, idx, (2 ** 21,) * 3, 1)
    out_of_grid = idx.clone()
    out_of_grid[3, 3] = 7
    _expect(ValueError, r"coords\[:, 3\] \(x\) must lie in \[0, spatial_shape\[2\] = 7\)",
            sparse.SubMConv3d(3, 2, 3).double(), sparse.SparseTensor(f, out_of_grid, (5, 6, 7), 2))
    big_batch = idx.clone()
    big_batch[0, 0] = 2
    _expect(ValueError, r"batch_size = 2", sparse.SparseConv3d(3, 2, 3).double(),
            sparse.SparseTensor(f, big_batch, (5, 6, 7), 2))
    dup = idx.clone()
    dup[5] = dup[1]
    _expect(ValueError, r"duplicate coordinates", sparse.SubMConv3d(3, 2, 3).double(),
            sparse.SparseTensor(f, dup, (5, 6, 7), 2))
    _expect(ValueError, r"output extent", sparse.SparseConv3d(3, 2, 7).double(), x)


# -- against spconv 2.x (CPU package), when installed ----------------------------------------
SPCONV_CASES = [   # (kind, kernel, stride, padding, dilation)
    ("subm", 3, 1, 0, 1), ("subm", (3, 1, 5), 1, 0, (2, 1, 1)),
    ("conv", 3, 2, 1, 1), ("conv", 3, 2, (0, 1, 1), 1), ("conv", (3, 1, 1), (2, 1, 1), 0, 1), ("conv", 2, 2, 0, 1),
    ("conv", 3, 1, 2, 2), ("transposed", 2, 2, 0, 1), ("transposed", 3, 2, 1, 1), ("inverse", 3, 2, 1, 1),
    ("inverse", 2, 2, 0, 1), ("pool", 4, 4, 0, 1), ("pool", 3, 2, 1, 1), ("pool", 2, 2, 0, 1),
]


@pytest.fixture
def spconv_cpu(monkeypatch):
    """spconv.pytorch on CPU-only torch, one thread. Its backward asks for the CUDA stream
    (spconv/pytorch/cppcore.py get_current_stream): patched to return 0. One thread: spconv
    2.3.8's CPU transposed / inverse conv gives wrong, run-to-run different sums with 2 threads
    (seen here on a k3 s2 p1 transposed conv, Cin 4 -> Cout 3), right ones with 1."""
    spconv = pytest.importorskip("spconv.pytorch", reason="spconv not installed: pip install spconv==2.3.8 "
                                                          "(CPU wheel) to run the parity tests against it")
    import spconv.pytorch.cppcore as cppcore
    import spconv.pytorch.ops as spconv_ops
    for mod in (cppcore, spconv_ops):
        if hasattr(mod, "get_current_stream"):
            monkeypatch.setattr(mod, "get_current_stream", lambda: 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield spconv
    torch.set_num_threads(threads)


def _sorted_rows(indices, features, shape):
    order = torch.argsort(sparse.keys.encode(indices, shape))
    return indices[order], features[order]


@pytest.mark.parametrize("kind,kernel,stride,padding,dilation", SPCONV_CASES,
                         ids=[f"{c[0]}-k{c[1]}s{c[2]}p{c[3]}d{c[4]}" for c in SPCONV_CASES])
def test_matches_spconv(kind, kernel, stride, padding, dilation, spconv_cpu, backend):
    """Same coordinates and weights (spconv's KRSC converted by weights.from_spconv2): the same
    output sites and spatial shape, features, input and weight gradients (float32). Max pool on
    positive features: spconv's pool starts from 0 (spconv/pytorch/ops.py indice_maxpool,
    torch.zeros), the kit's from the existing inputs; they agree when the inputs are > 0."""
    spconv = spconv_cpu
    shape, batch = (9, 10, 11), 2
    coords = random_coords(80, shape, batch, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    f = torch.rand(80, 4, generator=g) + 0.5 if kind == "pool" else torch.randn(80, 4, generator=g)
    torch.manual_seed(2)
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    if kind == "pool":
        theirs, ours, first = spconv.SparseMaxPool3d(kernel, **kw), sparse.SparseMaxPool3d(kernel, **kw), None
    elif kind == "inverse":
        first = (spconv.SparseConv3d(4, 4, kernel, stride, padding, bias=False, indice_key="d"),
                 sparse.SparseConv3d(4, 4, kernel, stride, padding, bias=False, indice_key="d"))
        theirs = spconv.SparseInverseConv3d(4, 3, kernel, indice_key="d", bias=False)
        ours = sparse.SparseInverseConv3d(4, 3, kernel, indice_key="d", bias=False)
    else:
        pair = {"subm": (spconv.SubMConv3d, sparse.SubMConv3d), "conv": (spconv.SparseConv3d, sparse.SparseConv3d),
                "transposed": (spconv.SparseConvTranspose3d, sparse.SparseConvTranspose3d)}[kind]
        theirs, ours, first = pair[0](4, 3, kernel, bias=False, **kw), pair[1](4, 3, kernel, bias=False, **kw), None
    for a, b in ([first] if first else []) + ([(theirs, ours)] if kind != "pool" else []):
        with torch.no_grad():
            b.weight.copy_(weights.from_spconv2(a.weight))
    fa, fb = f.clone().requires_grad_(), f.clone().requires_grad_()
    xa = spconv.SparseConvTensor(fa, coords, list(shape), batch)
    xb = sparse.SparseTensor(fb, coords, shape, batch)
    if first:
        xa, xb = first[0](xa), first[1](xb)
    ya, yb = theirs(xa), ours(xb)
    assert list(ya.spatial_shape) == list(yb.spatial_shape)
    ia, va = _sorted_rows(ya.indices, ya.features, yb.spatial_shape)
    ib, vb = _sorted_rows(yb.indices, yb.features, yb.spatial_shape)
    assert torch.equal(ia.int(), ib)
    torch.testing.assert_close(vb, va, rtol=1e-5, atol=1e-5)
    grad = torch.randn(va.shape, generator=g)
    (va * grad).sum().backward()
    (vb * grad).sum().backward()
    torch.testing.assert_close(fb.grad, fa.grad, rtol=1e-4, atol=1e-4)
    if kind != "pool":
        torch.testing.assert_close(ours.weight.grad, weights.from_spconv2(theirs.weight.grad), rtol=1e-4, atol=1e-4)


def test_autocast_bfloat16_runs_close_to_float32(backend):
    """Under torch.autocast (CPU, bfloat16) float32 weights meet the GEMMs' low-precision casts."""
    x = _sparse_input(50, 4, seed=3, dtype=torch.float32)
    torch.manual_seed(4)
    net = torch.nn.Sequential(sparse.SubMConv3d(4, 8, 3), sparse.SparseConv3d(8, 8, 3, 2, 1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = net(x).features
    full = net(x).features
    torch.testing.assert_close(low.float(), full, rtol=5e-2, atol=5e-2)
    low.float().sum().backward()
    assert net[0].weight.grad is not None and torch.isfinite(net[0].weight.grad).all()
