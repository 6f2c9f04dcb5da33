"""The spconv front end (issue 13, ascend_ops/compat/spconv; docs/compat-spconv.md).

Reference: the REAL spconv 2.3.8 CPU package (tests needing it skip without it), dense torch
convolutions, and spconv 1.x semantics transcribed from its source (v1.2.1). spconv runs at one
torch thread (its CPU conv races at 2: test_sparse_vs_spconv.py) inside the stream patch of
ascend_ops.sparse.engines (its backward asks for a CUDA stream on CPU-only torch), in train mode
(its CPU path rejects eval() with bias).
"""
import contextlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ascend_ops.compat.spconv as sp1
import ascend_ops.compat.spconv.pytorch as sp2
from ascend_ops.compat.spconv import convert_checkpoint
from ascend_ops.sparse.engines import SPCONV_HINT, cpu_stream_patch, spconv_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_spconv = pytest.mark.skipif(not spconv_available(), reason=SPCONV_HINT)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def real_spconv():
    import spconv.pytorch as spconv
    return spconv


def random_sites(shape, batch, per_batch, seed):
    """Unique int32 [N, 4] (b, z, y, x) sites in random order."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for b in range(batch):
        zyx = torch.stack([torch.randint(0, s, (per_batch,), generator=g) for s in shape], 1)
        rows.append(torch.cat([torch.full((per_batch, 1), b), zyx], 1))
    c = torch.unique(torch.cat(rows), dim=0)
    return c[torch.randperm(len(c), generator=g)].int()


def key_order(t):
    z, y, x = (int(v) for v in t.spatial_shape)
    i = t.indices.long()
    return torch.argsort(((i[:, 0] * z + i[:, 1]) * y + i[:, 2]) * x + i[:, 3])


def assert_same(a, b, tol):
    """Same grid, same sites (as sets), same features per site; returns the two row orders."""
    assert [int(v) for v in a.spatial_shape] == [int(v) for v in b.spatial_shape]
    pa, pb = key_order(a), key_order(b)
    assert torch.equal(a.indices[pa].long(), b.indices[pb].long())
    torch.testing.assert_close(a.features[pa].detach(), b.features[pb].detach(), rtol=tol, atol=tol)
    return pa, pb


# ---------------------------------------------------------------------------------------------
# (1) OpenPCDet's VoxelResBackBone8x on the real spconv 2.3.8 and on the front end
# ---------------------------------------------------------------------------------------------
class FrontEngine:
    """The front end's spconv.pytorch as an engine of ascend_ops.sparse.backbones (which builds
    the OpenPCDet stack from an engine's `nn` namespace with spconv 2.x's module names)."""
    name = "kit-spconv2"

    def __init__(self):
        self.nn = sp2

    def tensor(self, features, coords, spatial_shape, batch_size):
        return self.nn.SparseConvTensor(features, coords, list(spatial_shape), batch_size)

    def context(self):
        return contextlib.nullcontext()

    def __deepcopy__(self, memo):
        return self


def small_frame():
    """Ray-cast KITTI frame cropped to 25.6 x 25.6 m, voxelized on [41, 512, 512]."""
    from ascend_ops.datasets import lidar
    pts = torch.from_numpy(lidar.lidar_points("kitti", 1))
    f, c, _ = lidar.voxelize_mean(pts, (0.05, 0.05, 0.1), (0.0, -12.8, -3.0, 25.6, 12.8, 1.0))
    return f, c, (41, 512, 512)


def _backbones(dtype):
    from ascend_ops.sparse.backbones import VoxelResBackBone8x, build_pair
    (real,) = build_pair(("spconv",), input_channels=4, seed=3)
    front = VoxelResBackBone8x(FrontEngine(), 4)
    front.load_state_dict(real.state_dict())            # as is: both hold KRSC weights
    return real.to(dtype).train(), front.to(dtype).train()


@needs_spconv
def test_voxel_res_backbone_matches_real_spconv():
    """Forward in float32 (every stage), then input / weight / BN gradients in float64 (in
    float32, a pre-activation within rounding of 0 flips a ReLU between two engines: see
    test_sparse_vs_spconv.py)."""
    feats, coords, shape = small_frame()
    assert 3000 < len(coords) < 15000
    real, front = _backbones(torch.float32)
    for name, p in real.state_dict().items():
        assert torch.equal(p, front.state_dict()[name]), name
    with torch.no_grad():
        with cpu_stream_patch():
            ro, rs = real(feats, coords, shape, 1)
        fo, fs = front(feats, coords, shape, 1)
    assert type(fo).__name__ == "SparseConvTensor" and isinstance(fo, sp2.SparseConvTensor)
    for k in ("x_conv1", "x_conv2", "x_conv3", "x_conv4"):
        assert_same(fs[k], rs[k], 2e-4)
    assert_same(fo, ro, 2e-4)
    assert len(fo.indices) > 100

    real, front = (m.double() for m in _backbones(torch.float32))
    xr = feats.double().requires_grad_()
    xf = feats.double().requires_grad_()
    with cpu_stream_patch():
        ro, _ = real(xr, coords, shape, 1)
    fo, _ = front(xf, coords, shape, 1)
    pf, pr = assert_same(fo, ro, 1e-9)
    grad = torch.randn(len(pf), 128, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    gf, gr = torch.empty_like(grad), torch.empty_like(grad)
    gf[pf], gr[pr] = grad, grad
    with cpu_stream_patch():
        (ro.features * gr).sum().backward()
    (fo.features * gf).sum().backward()

    def close(a, b, what, scale=None):
        scale = max(float(b.abs().max()), 1e-12) if scale is None else scale
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9 * scale, msg=lambda m: f"{what}: {m}")

    close(xf.grad, xr.grad, "input gradient")
    fp, rp = dict(front.named_parameters()), dict(real.named_parameters())
    assert fp.keys() == rp.keys()
    n_conv = 0
    for name in rp:
        if rp[name].dim() == 5:   # conv weights, the same KRSC layout in both
            n_conv += 1
            close(fp[name].grad, rp[name].grad, name)
        elif name.endswith("bias") and "bn" not in name and rp[name.replace("bias", "weight")].dim() == 5:
            # a conv bias feeding a train-mode BatchNorm: gradient 0 up to rounding
            close(fp[name].grad, rp[name].grad, name, scale=float(rp[name.replace("bias", "weight")].grad.abs().max()))
        else:
            close(fp[name].grad, rp[name].grad, name)
    assert n_conv == 21


def openpcdet_blocks(spconv):
    """OpenPCDet's post_act_block / SparseBasicBlock (pcdet/models/backbones_3d/spconv_backbone.py
    lines 8-67, commit 8caccce), written against a spconv 2.x namespace `spconv`, plus an
    inverse conv and a max pool: a U-shaped toy net (features [N, 4] -> [N, 8])."""
    from torch import nn
    from functools import partial
    norm_fn = partial(nn.BatchNorm1d, eps=1e-3, momentum=0.01)

    def replace_feature(out, new_features):   # pcdet/utils/spconv_utils.py
        return out.replace_feature(new_features)

    def post_act_block(cin, cout, k, indice_key=None, stride=1, padding=0, conv_type="subm"):
        if conv_type == "subm":
            conv = spconv.SubMConv3d(cin, cout, k, bias=False, indice_key=indice_key)
        elif conv_type == "spconv":
            conv = spconv.SparseConv3d(cin, cout, k, stride=stride, padding=padding, bias=False, indice_key=indice_key)
        else:
            conv = spconv.SparseInverseConv3d(cin, cout, k, indice_key=indice_key, bias=False)
        return spconv.SparseSequential(conv, norm_fn(cout), nn.ReLU())

    class SparseBasicBlock(spconv.SparseModule):
        def __init__(self, planes, indice_key):
            super().__init__()
            self.conv1 = spconv.SubMConv3d(planes, planes, 3, stride=1, padding=1, bias=True, indice_key=indice_key)
            self.bn1 = norm_fn(planes)
            self.relu = nn.ReLU()
            self.conv2 = spconv.SubMConv3d(planes, planes, 3, stride=1, padding=1, bias=True, indice_key=indice_key)
            self.bn2 = norm_fn(planes)

        def forward(self, x):
            out = self.conv1(x)
            out = replace_feature(out, self.relu(self.bn1(out.features)))
            out = self.conv2(out)
            out = replace_feature(out, self.bn2(out.features))
            return replace_feature(out, self.relu(out.features + x.features))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_input = post_act_block(4, 8, 3, indice_key="subm1")
            self.res = SparseBasicBlock(8, "res1")
            self.down = post_act_block(8, 16, 3, "spconv2", stride=2, padding=1, conv_type="spconv")
            self.head1 = spconv.SubMConv3d(16, 16, 1, bias=True)           # kernel volume 1 (conv1x1 path)
            self.up = post_act_block(16, 8, 3, "spconv2", conv_type="inverseconv")
            self.pool = spconv.SparseMaxPool3d(2, indice_key="pool")

        def forward(self, x):
            x = self.res(self.conv_input(x))
            y = self.up(self.head1(self.down(x)))
            return y, self.pool(x)

    return Net()


@needs_spconv
def test_openpcdet_blocks_match_real_spconv():
    """OpenPCDet's blocks written against spconv 2.x (SparseSequential, SparseModule,
    replace_feature, inverse conv, a kernel-volume-1 conv, max pool on features with negative
    values) on the real spconv 2.3.8 and on the front end, same state_dict: outputs and grads."""
    torch.manual_seed(0)
    real = openpcdet_blocks(real_spconv()).double().train()
    front = openpcdet_blocks(sp2).double().train()
    front.load_state_dict(real.state_dict())
    coords = random_sites((9, 12, 10), 2, 150, seed=4)
    feats = torch.randn(len(coords), 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    xr, xf = feats.clone().requires_grad_(), feats.clone().requires_grad_()
    with cpu_stream_patch():
        r_up, r_pool = real(real_spconv().SparseConvTensor(xr, coords, [9, 12, 10], 2))
    f_up, f_pool = front(sp2.SparseConvTensor(xf, coords, [9, 12, 10], 2))
    assert torch.equal(f_up.indices, coords)             # inverse conv: back to the input sites, same order
    assert_same(f_up, r_up, 1e-10)
    assert_same(f_pool, r_pool, 1e-10)
    # max pool of features with negative entries: spconv's max starts from 0 (kept by the front end)
    neg = sp2.SparseConvTensor(-feats.abs(), coords, [9, 12, 10], 2)
    assert float(sp2.SparseMaxPool3d(2)(neg).features.abs().max()) == 0.0
    with cpu_stream_patch():
        (r_up.features.sum() + r_pool.features.square().sum()).backward()
    (f_up.features.sum() + f_pool.features.square().sum()).backward()
    torch.testing.assert_close(xf.grad, xr.grad, rtol=1e-9, atol=1e-9)
    for (name, a), (_, b) in zip(front.named_parameters(), real.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-8, atol=1e-9, msg=lambda m: f"{name}: {m}")


LAYERS = {
    "transpose2_s2": lambda nn: nn.SparseConvTranspose3d(3, 5, 2, stride=2, bias=True),
    "conv311_s211": lambda nn: nn.SparseConv3d(3, 5, (3, 1, 1), stride=(2, 1, 1), bias=False),
    "subm3_dilation2": lambda nn: nn.SubMConv3d(3, 5, 3, dilation=2, bias=True),
    "conv1_s2": lambda nn: nn.SparseConv3d(3, 5, 1, stride=2, bias=True),          # strided 1x1x1: KRSC path
    "conv1_s1": lambda nn: nn.SparseConv3d(3, 5, 1, bias=True),                    # spconv's conv1x1 path
    "maxpool3_s2_p1": lambda nn: nn.SparseMaxPool3d(3, 2, 1),
}


@needs_spconv
@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_single_layers_match_real_spconv(layer):
    spconv = real_spconv()
    real, front = LAYERS[layer](spconv).double().train(), LAYERS[layer](sp2).double().train()
    if list(real.parameters()):
        with torch.no_grad():
            for p in real.parameters():
                p.normal_(generator=torch.Generator().manual_seed(p.numel()))
        front.load_state_dict(real.state_dict())
    coords = random_sites((7, 8, 9), 2, 40, seed=11)
    feats = torch.randn(len(coords), 3, generator=torch.Generator().manual_seed(12), dtype=torch.float64)
    xr, xf = feats.clone().requires_grad_(), feats.clone().requires_grad_()
    with cpu_stream_patch():
        r = real(spconv.SparseConvTensor(xr, coords, [7, 8, 9], 2))
    f = front(sp2.SparseConvTensor(xf, coords, [7, 8, 9], 2))
    pf, pr = assert_same(f, r, 1e-10)
    g = torch.randn(f.features.shape, generator=torch.Generator().manual_seed(13), dtype=torch.float64)
    gf, gr = torch.empty_like(g), torch.empty_like(g)
    gf[pf], gr[pr] = g, g
    with cpu_stream_patch():
        (r.features * gr).sum().backward()
    (f.features * gf).sum().backward()
    torch.testing.assert_close(xf.grad, xr.grad, rtol=1e-9, atol=1e-10)
    for (name, a), (_, b) in zip(front.named_parameters(), real.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-10, msg=lambda m: f"{name}: {m}")


# ---------------------------------------------------------------------------------------------
# (2) a 1.x-layout checkpoint, by declared version
# ---------------------------------------------------------------------------------------------
def one_x_net(spconv):
    """Layers where layouts are easy to confuse: Cin == Cout (3x3x3 with C = 3, and 1x1x1 with
    C = 6), a strided conv and its inverse. `spconv` is a 1.x or 2.x namespace."""
    return spconv.SparseSequential(
        spconv.SubMConv3d(3, 3, 3, bias=True, indice_key="a"),
        spconv.SubMConv3d(3, 6, 3, bias=False, indice_key="a"),
        spconv.SubMConv3d(6, 6, 1, bias=True),
        spconv.SparseConv3d(6, 5, 3, stride=2, padding=1, bias=False, indice_key="d"),
        spconv.SparseInverseConv3d(5, 4, 3, indice_key="d", bias=True))


def one_x_checkpoint(seed=7):
    """A 1.x state_dict (RSCK weights), drawn directly in 1.x's layout."""
    g = torch.Generator().manual_seed(seed)
    shapes = {"0.weight": (3, 3, 3, 3, 3), "0.bias": (3,), "1.weight": (3, 3, 3, 3, 6), "2.weight": (1, 1, 1, 6, 6),
              "2.bias": (6,), "3.weight": (3, 3, 3, 6, 5), "4.weight": (3, 3, 3, 5, 4), "4.bias": (4,)}
    return {k: torch.randn(s, generator=g, dtype=torch.float64) * 0.3 for k, s in shapes.items()}


def reference_1x(sd, feats, coords, shape):
    """spconv 1.x semantics from its source, by dense torch convs: an RSCK weight W [kz, ky, kx,
    Cin, Cout] maps input site i to output site o through offset k with features[i] @ W[k]
    (v1.2.1 spconv/functional.py indice_conv); submanifold = 'same' conv3d read at the sites;
    SparseConv3d = conv3d; the inverse conv = conv_transpose3d with output_padding back to the
    input grid, read at the input sites."""
    import torch.nn.functional as tf

    def dense(f, c, shp):
        d = torch.zeros(2, f.shape[1], *shp, dtype=f.dtype)
        d[c[:, 0].long(), :, c[:, 1].long(), c[:, 2].long(), c[:, 3].long()] = f
        return d

    def at(d, c):
        return d[c[:, 0].long(), :, c[:, 1].long(), c[:, 2].long(), c[:, 3].long()]

    def w3d(w):   # RSCK -> conv3d's [Cout, Cin, kz, ky, kx]
        return w.permute(4, 3, 0, 1, 2)

    x = dense(feats, coords, shape)
    h = at(tf.conv3d(x, w3d(sd["0.weight"]), sd["0.bias"], padding=1), coords)
    h = at(tf.conv3d(dense(h, coords, shape), w3d(sd["1.weight"]), padding=1), coords)
    h = h @ sd["2.weight"].reshape(6, 6) + sd["2.bias"]
    d = tf.conv3d(dense(h, coords, shape), w3d(sd["3.weight"]), stride=2, padding=1)
    out_sites = torch.nonzero(tf.max_pool3d(dense(torch.ones(len(coords), 1, dtype=h.dtype), coords, shape), 3, 2,
                                            1)[:, 0] > 0)
    # transpose back (weight [Cin=6 of the strided conv, Cout=5] read as conv_transpose3d [5, 4, ...])
    dd = torch.zeros_like(d)
    dd[out_sites[:, 0], :, out_sites[:, 1], out_sites[:, 2], out_sites[:, 3]] = \
        d[out_sites[:, 0], :, out_sites[:, 1], out_sites[:, 2], out_sites[:, 3]]
    wt = sd["4.weight"].flip(0, 1, 2).permute(3, 4, 0, 1, 2)   # inverse conv: offset k of the map, mirrored
    up = tf.conv_transpose3d(dd, wt.flip(2, 3, 4), sd["4.bias"], stride=2, padding=1,
                             output_padding=[s - ((o - 1) * 2 - 2 + 3) for s, o in zip(shape, d.shape[2:])])
    return at(up, coords)


@needs_spconv
def test_one_x_checkpoint_loads_into_both_front_ends_and_real_spconv():
    coords = random_sites((7, 9, 8), 2, 60, seed=2)
    shape = [7, 9, 8]
    feats = torch.randn(len(coords), 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    sd1 = one_x_checkpoint()
    ref = reference_1x(sd1, feats, coords, shape)

    m1 = one_x_net(sp1).double()
    m1.load_state_dict(sd1)                                              # 1.x layout as is
    out1 = m1(sp1.SparseConvTensor(feats, coords, shape, 2))
    torch.testing.assert_close(out1.features, ref, rtol=1e-10, atol=1e-10)

    sd2 = convert_checkpoint(sd1, "1.2.1", "2.3.8")
    assert sd2["0.weight"].shape == (3, 3, 3, 3, 3) and sd2["2.weight"].shape == (6, 1, 1, 1, 6)
    m2 = one_x_net(sp2).double().train()
    m2.load_state_dict(sd2)
    out2 = m2(sp2.SparseConvTensor(feats, coords, shape, 2))
    torch.testing.assert_close(out2.features, ref, rtol=1e-10, atol=1e-10)

    spconv = real_spconv()
    real = one_x_net(spconv).double().train()
    real.load_state_dict(sd2)                                            # the converted dict means the same there
    with cpu_stream_patch():
        outr = real(spconv.SparseConvTensor(feats, coords, shape, 2))
    torch.testing.assert_close(outr.features, ref, rtol=1e-10, atol=1e-10)

    # round trip, and conversion by the model's keys
    back = convert_checkpoint(sd2, "2", "1")
    assert all(torch.equal(back[k], sd1[k]) for k in sd1)
    assert convert_checkpoint(sd1, "1", "2", model=m2).keys() == sd2.keys()
    assert all(torch.equal(convert_checkpoint(sd1, "1", "2", model=m2)[k], sd2[k]) for k in sd2)

    # OpenPCDet's shape guess (detector3d_template.py:337-348) loads wrong weights here silently:
    # the 3x3x3 C=3 weight has equal shapes in both layouts (loaded unpermuted) and the 1x1x1 one
    # is permuted although spconv reads its memory as [Cin, Cout]
    target = real.state_dict()
    guessed = {}
    for k, v in sd1.items():
        if v.dim() == 5 and target[k].shape != v.shape:
            t = v.transpose(-1, -2)
            v = t.contiguous() if t.shape == target[k].shape else v.permute(4, 0, 1, 2, 3).contiguous()
        guessed[k] = v
    real.load_state_dict(guessed)
    with cpu_stream_patch():
        wrong = real(spconv.SparseConvTensor(feats, coords, shape, 2))
    assert not torch.allclose(wrong.features, ref, atol=1e-3)
    with pytest.raises(ValueError, match="from_version"):
        convert_checkpoint(sd1, "3.0", "2")


# ---------------------------------------------------------------------------------------------
# (3) the 1.x namespace
# ---------------------------------------------------------------------------------------------
def test_one_x_namespace_semantics():
    coords = random_sites((8, 8, 8), 1, 80, seed=9)
    feats = torch.randn(len(coords), 4, generator=torch.Generator().manual_seed(1))
    x = sp1.SparseConvTensor(feats, coords, np.array([8, 8, 8]), 1)   # OpenPCDet passes numpy shapes

    # SparseMaxPool3d: stride defaults to the kernel (v1.2.1 spconv/pool.py:41-42)
    pool = sp1.SparseMaxPool3d(2)
    assert pool.stride == [2, 2, 2] and sp1.SparseMaxPool3d(3, 1).stride == [1, 1, 1]
    p = pool(x)
    assert p.spatial_shape == [4, 4, 4]
    d = torch.nn.functional.max_pool3d(x.dense().relu(), 2)            # spconv: max(0, max over sites)
    torch.testing.assert_close(p.dense(), d)

    # weights RSCK, isinstance of spconv.conv.SparseConvolution (1.x) only
    convs = [sp1.SubMConv3d(4, 6, 3, indice_key="k"), sp1.SparseConv3d(4, 6, 3, 2, 1),
             sp1.SparseInverseConv3d(4, 6, 3, indice_key="k"), sp1.SparseConvTranspose3d(4, 6, 2, 2)]
    assert all(isinstance(m, sp1.conv.SparseConvolution) for m in convs)
    assert convs[0].weight.shape == (3, 3, 3, 4, 6) and convs[3].weight.shape == (2, 2, 2, 4, 6)
    assert not isinstance(sp2.SubMConv3d(4, 6, 3), sp1.conv.SparseConvolution)
    assert isinstance(sp2.SubMConv3d(4, 6, 3), sp2.conv.SparseConvolution)
    assert isinstance(convs[0], sp1.SparseModule) and sp1.SparseModule is sp2.SparseModule

    # feature assignment (1.x) and SparseSequential assigning features in place (modules.py:138)
    y = sp1.SparseConvTensor(feats.clone(), coords, [8, 8, 8], 1)
    y.features = torch.relu(y.features)
    assert float(y.features.min()) >= 0
    z = sp1.SparseConvTensor(feats.clone(), coords, [8, 8, 8], 1)
    out = sp1.SparseSequential(torch.nn.ReLU())(z)
    assert out is z and float(z.features.min()) >= 0
    # ... while 2.x's replaces (the input keeps its features)
    z2 = sp2.SparseConvTensor(feats.clone(), coords, [8, 8, 8], 1)
    out2 = sp2.SparseSequential(torch.nn.ReLU())(z2)
    assert out2 is not z2 and float(z2.features.min()) < 0 and torch.equal(out2.features, out.features)

    # indice_key reuse: two SubM layers with one key build one map; the inverse conv finds its key
    torch.manual_seed(0)
    net = sp1.SparseSequential(sp1.SubMConv3d(4, 4, 3, indice_key="s"), sp1.SubMConv3d(4, 4, 3, indice_key="s"),
                               sp1.SparseConv3d(4, 5, 3, 2, 1, indice_key="d"),
                               sp1.SparseInverseConv3d(5, 4, 3, indice_key="d"), sp1.ToDense())
    x = sp1.SparseConvTensor(feats, coords, [8, 8, 8], 1)
    h = net[1](net[0](x))
    assert sum(1 for k in h.indice_dict.keys() if k[0] == "s") == 1 and "s" in h.indice_dict
    assert h.find_indice_pair("s") is x.indice_dict["s"]
    dense = net(sp1.SparseConvTensor(feats, coords, [8, 8, 8], 1))
    assert dense.shape == (1, 4, 8, 8, 8)
    sites = x.dense()[:, :1] != 0
    assert float(dense.detach().masked_select(~sites.expand_as(dense)).abs().max()) == 0.0   # back on the input sites only
    with pytest.raises(ValueError, match="indice_key"):
        sp1.SparseInverseConv3d(5, 4, 3, indice_key="nope")(sp1.SparseConv3d(4, 5, 3, 2, 1)(x))

    # the 1.x SubMConv3d against dense conv3d with the RSCK weight
    m = sp1.SubMConv3d(4, 6, 3, bias=True).double()
    xd = sp1.SparseConvTensor(feats.double(), coords, [8, 8, 8], 1)
    ref = torch.nn.functional.conv3d(xd.dense(), m.weight.permute(4, 3, 0, 1, 2), m.bias, padding=1)
    c = coords.long()
    torch.testing.assert_close(m(xd).features, ref[c[:, 0], :, c[:, 1], c[:, 2], c[:, 3]])

    # from_dense is channel-last, as spconv's
    t = sp1.SparseConvTensor.from_dense(xd.dense(channels_first=False))
    assert t.spatial_shape == [8, 8, 8] and len(t.indices) == len(coords)


def test_bad_input_names_the_argument():
    coords = random_sites((5, 5, 5), 1, 10, seed=0)
    x = sp2.SparseConvTensor(torch.randn(len(coords), 3), coords, [5, 5, 5], 1)
    with pytest.raises(ValueError, match="in_channels = 4"):
        sp2.SubMConv3d(4, 2, 3)(x)
    with pytest.raises(NotImplementedError, match="3D"):
        sp1.conv.SparseConvolution(2, 3, 3, 3)
    with pytest.raises(NotImplementedError, match="indices"):
        sp2.SparseConvTensor(torch.randn(3, 2), torch.zeros(3, 3, dtype=torch.int32), [4, 4], 1)
    with pytest.raises(ValueError, match="spatial_shape"):
        sp2.SparseConvTensor(x.features, coords, [5, 5], 1)
    with pytest.raises(ValueError, match="stride"):
        sp1.SubMConv3d(3, 3, 3, stride=2)
    with pytest.raises(NotImplementedError, match="output_padding"):
        sp2.conv.SparseConvolution(3, 3, 3, 2, transposed=True, output_padding=1)
    with pytest.raises(NotImplementedError, match="block_filtering"):
        sp1.utils.VoxelGeneratorV2([0.1] * 3, [0, 0, 0, 1, 1, 1], 5, block_filtering=True)
    # an engine SparseTensor is accepted and its cache shared
    from ascend_ops import sparse
    e = sparse.SparseTensor(x.features, coords, (5, 5, 5), 1)
    y = sp2.SubMConv3d(3, 2, 3, indice_key="k")(e)
    assert isinstance(y, sp2.SparseConvTensor) and y.indice_dict is e.kmaps and len(e.kmaps) == 1


@needs_spconv
def test_voxel_generators_match_real_spconv():
    """VoxelGeneratorV2 (1.x), Point2VoxelCPU3d (2.x spconv.utils) and PointToVoxel (2.x
    spconv.pytorch.utils) against spconv 2.3.8's Point2VoxelCPU3d / PointToVoxel."""
    from cumm import tensorview as tv
    from spconv.pytorch.utils import PointToVoxel as RealPointToVoxel
    from spconv.utils import Point2VoxelCPU3d as RealP2V
    rng = np.random.default_rng(0)
    pts = np.concatenate([rng.uniform([-1, -1, -1, 0], [9, 9, 3, 1], (3000, 4)),
                          rng.uniform([0, 0, 0, 0], [0.4, 0.4, 0.4, 1], (200, 4))]).astype(np.float32)
    args = dict(vsize_xyz=[0.2, 0.25, 0.5], coors_range_xyz=[0, 0, 0, 8, 8, 2], num_point_features=4,
                max_num_voxels=600, max_num_points_per_voxel=5)
    rv, rc, rn = (t.numpy() for t in RealP2V(**args).point_to_voxel(tv.from_numpy(pts)))
    assert 0 < len(rc) == 600                                           # max_voxels binds
    kv, kc, kn = (t.numpy() for t in sp1.utils.Point2VoxelCPU3d(**args).point_to_voxel(pts))
    np.testing.assert_array_equal(kc, rc)
    np.testing.assert_array_equal(kn, rn)
    np.testing.assert_array_equal(kv, rv)
    gen = sp1.utils.VoxelGeneratorV2(voxel_size=[0.2, 0.25, 0.5], point_cloud_range=[0, 0, 0, 8, 8, 2],
                                     max_num_points=5, max_voxels=600)
    res = gen.generate(pts)
    np.testing.assert_array_equal(res["coordinates"], rc)
    np.testing.assert_array_equal(res["voxels"], rv)
    np.testing.assert_array_equal(res["num_points_per_voxel"], rn)
    assert res["voxel_num"] == 600 and res["voxel_point_mask"].shape == (600, 5, 1)
    np.testing.assert_array_equal(res["voxel_point_mask"][..., 0].sum(1), rn)
    np.testing.assert_array_equal(gen.grid_size, [40, 32, 4])
    real_ptv = RealPointToVoxel(**args)
    kit_ptv = sp2.utils.PointToVoxel(**args)
    r = real_ptv.generate_voxel_with_id(torch.from_numpy(pts))
    k = kit_ptv.generate_voxel_with_id(torch.from_numpy(pts))
    for a, b in zip(k[:3], r[:3]):
        assert torch.equal(a, b)
    assert kit_ptv.grid_size == list(real_ptv.grid_size)
    assert torch.equal(k[3], r[3])                                       # voxel id of each point, -1 if dropped
    assert sp1.utils.Point2VoxelCPU3d.calc_meta_data([0.2, 0.25, 0.5], [0, 0, 0, 8, 8, 2.1]) == \
        tuple(RealP2V.calc_meta_data([0.2, 0.25, 0.5], [0, 0, 0, 8, 8, 2.1]))


# ---------------------------------------------------------------------------------------------
# (4) through the import hook
# ---------------------------------------------------------------------------------------------
def test_served_through_the_hook_with_the_real_spconv_hidden():
    """In a fresh interpreter where a meta-path blocker hides the real spconv, activate(["spconv"])
    serves OpenPCDet's imports (spconv_utils.py, data_processor.py) from the kit."""
    code = textwrap.dedent("""
        import importlib.abc, sys
        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "spconv" or name.startswith("spconv."):
                    raise ModuleNotFoundError(name)
        sys.meta_path.insert(0, Blocker())
        from ascend_ops import compat
        import torch
        with compat.activate(["spconv"]):
            import spconv
            if float(spconv.__version__[2:]) >= 2.2:          # pcdet/utils/spconv_utils.py
                spconv.constants.SPCONV_USE_DIRECT_TABLE = False
            try:
                import spconv.pytorch as spconv
            except:
                import spconv as spconv
            from spconv.utils import VoxelGeneratorV2           # pcdet data_processor.py picks 1.x first
            import ascend_ops.compat.spconv.pytorch as kit2
            assert spconv is kit2 and spconv.conv.SparseConvolution is kit2.conv.SparseConvolution
            c = torch.tensor([[0, 1, 1, 1], [0, 1, 2, 1], [0, 3, 3, 3]], dtype=torch.int32)
            x = spconv.SparseConvTensor(torch.ones(3, 2), c, [4, 4, 4], 1)
            y = spconv.SparseSequential(spconv.SubMConv3d(2, 3, 3, indice_key="s"), spconv.ToDense())(x)
            print(type(y).__name__, tuple(y.shape), isinstance(VoxelGeneratorV2, type))
        print("spconv" in sys.modules)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["Tensor (1, 3, 4, 4, 4) True", "False"]


@needs_spconv
def test_activate_refuses_when_the_real_spconv_is_present():
    from ascend_ops import compat
    with pytest.raises(compat.RefusedError, match="spconv 2.3.8"):
        with compat.activate(["spconv"]):
            pass


ASCEND_KIT_OPENPCDET = os.environ.get("ASCEND_KIT_OPENPCDET", "")


@needs_spconv
@pytest.mark.skipif(not os.path.exists(os.path.join(ASCEND_KIT_OPENPCDET, "pcdet/models/backbones_3d/spconv_backbone.py")),
                    reason="set ASCEND_KIT_OPENPCDET to an OpenPCDet checkout to run its spconv_backbone.py verbatim")
def test_openpcdet_source_verbatim(tmp_path, monkeypatch):
    """OpenPCDet's own pcdet/utils/spconv_utils.py and pcdet/models/backbones_3d/spconv_backbone.py
    (read from the checkout at ASCEND_KIT_OPENPCDET, unchanged) on the real spconv, then on the front
    end (activate, force: the real one is installed), same weights and voxels, float64: the
    encoded tensor, every stage, input and parameter gradients."""
    import shutil
    from ascend_ops import compat
    for rel in ("pcdet/utils/spconv_utils.py", "pcdet/models/backbones_3d/spconv_backbone.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(ASCEND_KIT_OPENPCDET, rel), tmp_path / rel)
    for pkg in ("pcdet", "pcdet/utils", "pcdet/models", "pcdet/models/backbones_3d"):
        (tmp_path / pkg / "__init__.py").touch()
    monkeypatch.syspath_prepend(str(tmp_path))
    feats, coords, _ = small_frame()

    def purge():
        for k in [k for k in sys.modules if k == "pcdet" or k.startswith("pcdet.")]:
            del sys.modules[k]

    def run(state):
        from pcdet.models.backbones_3d.spconv_backbone import VoxelResBackBone8x
        m = VoxelResBackBone8x({}, 4, np.array([512, 512, 40])).double().train()
        m.load_state_dict(state)
        x = feats.double().requires_grad_()
        out = m({"voxel_features": x, "voxel_coords": coords, "batch_size": 1})
        out["encoded_spconv_tensor"].features.square().sum().backward()
        return m, x, out

    from ascend_ops.sparse.backbones import build_pair
    (ref,) = build_pair(("spconv",), input_channels=4, seed=3)   # OpenPCDet's module names: same keys
    state = {k: v.double() if v.is_floating_point() else v for k, v in ref.state_dict().items()}
    purge()
    try:
        with cpu_stream_patch():
            real, xr, outr = run(state)
        purge()
        with compat.activate(["spconv"], force=True):
            kit, xk, outk = run(state)
    finally:
        purge()
    assert type(outk["encoded_spconv_tensor"]) is sp2.SparseConvTensor
    assert_same(outk["encoded_spconv_tensor"], outr["encoded_spconv_tensor"], 1e-9)
    for name in ("x_conv1", "x_conv2", "x_conv3", "x_conv4"):
        assert_same(outk["multi_scale_3d_features"][name], outr["multi_scale_3d_features"][name], 1e-9)
    torch.testing.assert_close(xk.grad, xr.grad, rtol=0, atol=1e-9 * float(xr.grad.abs().max()))
    modules = dict(kit.named_modules())
    checked = 0
    for (name, a), (_, b) in zip(kit.named_parameters(), real.named_parameters()):
        owner, _, kind = name.rpartition(".")
        if kind == "bias" and isinstance(modules[owner], sp2.conv.SparseConvolution):
            continue   # conv biases feeding a train-mode BatchNorm: gradient 0 up to rounding (1e-12)
        checked += 1
        torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=1e-9 * float(b.grad.abs().max()),
                                   msg=lambda m: f"{name}: {m}")
    assert checked == 21 + 2 * 21   # 21 conv weights, 21 BatchNorms (16 conv biases skipped)
