"""OpenPCDet's VoxelResBackBone8x, built over any engine with spconv 2.x's module API.

The layer stack transcribes OpenPCDet `pcdet/models/backbones_3d/spconv_backbone.py` (commit
8caccce): `post_act_block` (lines 8-27), `SparseBasicBlock` (lines 30-67) and
`VoxelResBackBone8x.__init__` / `forward` (lines 184-271):
- conv_input: SubM 3x3x3 Cin -> 16 (no bias), BN, ReLU (indice_key subm1);
- conv1: 2 x SparseBasicBlock(16) (SubM 3x3x3 with bias, BN, ReLU, SubM, BN, + identity, ReLU);
- conv2 / conv3: SparseConv3d 3x3x3 stride 2 padding 1 (16 -> 32, 32 -> 64), BN, ReLU,
  2 x SparseBasicBlock;
- conv4: SparseConv3d 3x3x3 stride 2 padding (0, 1, 1) (64 -> 128), BN, ReLU, 2 x SparseBasicBlock;
- conv_out: SparseConv3d (3, 1, 1) stride (2, 1, 1) padding last_pad (0) 128 -> 128, BN, ReLU.
BatchNorm1d(eps=1e-3, momentum=0.01) everywhere (line 189). Module names follow OpenPCDet, so
its state_dict keys are the same (conv weights in the engine's own layout).

The engine (`ascend_ops.sparse.engines`) supplies the conv classes and the sparse tensor; the
same weights are copied between two stacks with `copy_weights` (layouts converted).
"""
import torch
from torch import nn


def _norm(channels):
    return nn.BatchNorm1d(channels, eps=1e-3, momentum=0.01)


def _is_conv(m):
    return isinstance(getattr(m, "weight", None), torch.Tensor) and not isinstance(m, nn.BatchNorm1d)


class SparseSequential(nn.Sequential):
    """Sparse modules map the sparse tensor; BatchNorm1d and ReLU act on its features."""

    def forward(self, x):
        for m in self:
            x = x.replace_feature(m(x.features)) if isinstance(m, (nn.BatchNorm1d, nn.ReLU)) else m(x)
        return x


class SparseBasicBlock(nn.Module):
    """OpenPCDet's SparseBasicBlock (stride 1, no downsample): two SubM 3x3x3 convs with bias."""

    def __init__(self, engine, planes, bias=True, indice_key=None):
        super().__init__()
        self.conv1 = engine.nn.SubMConv3d(planes, planes, kernel_size=3, stride=1, padding=1, bias=bias,
                                          indice_key=indice_key)
        self.bn1 = _norm(planes)
        self.relu = nn.ReLU()
        self.conv2 = engine.nn.SubMConv3d(planes, planes, kernel_size=3, stride=1, padding=1, bias=bias,
                                          indice_key=indice_key)
        self.bn2 = _norm(planes)

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = out.replace_feature(self.relu(self.bn1(out.features)))
        out = self.conv2(out)
        out = out.replace_feature(self.bn2(out.features))
        return out.replace_feature(self.relu(out.features + identity.features))


def _down(engine, cin, cout, kernel_size, stride, padding, indice_key):
    return SparseSequential(engine.nn.SparseConv3d(cin, cout, kernel_size, stride=stride, padding=padding,
                                                   bias=False, indice_key=indice_key), _norm(cout), nn.ReLU())


class VoxelResBackBone8x(nn.Module):
    """forward(features float [N, C], coords int32 [N, 4] (b, z, y, x), spatial_shape (Z, Y, X),
    batch_size) -> (out sparse tensor [M, 128] at stride (8, 8, 8) then (2, 1, 1) in z,
    dict x_conv1..x_conv4 of the stage outputs). `use_bias=None` means True, as OpenPCDet's
    SparseBasicBlock default (bias = norm_fn is not None)."""

    def __init__(self, engine, input_channels=4, use_bias=None, last_pad=0):
        super().__init__()
        self.engine = engine
        bias = True if use_bias is None else use_bias
        e = engine
        self.conv_input = SparseSequential(
            e.nn.SubMConv3d(input_channels, 16, 3, padding=1, bias=False, indice_key="subm1"), _norm(16), nn.ReLU())
        self.conv1 = SparseSequential(SparseBasicBlock(e, 16, bias, "res1"), SparseBasicBlock(e, 16, bias, "res1"))
        self.conv2 = SparseSequential(_down(e, 16, 32, 3, 2, 1, "spconv2"),
                                      SparseBasicBlock(e, 32, bias, "res2"), SparseBasicBlock(e, 32, bias, "res2"))
        self.conv3 = SparseSequential(_down(e, 32, 64, 3, 2, 1, "spconv3"),
                                      SparseBasicBlock(e, 64, bias, "res3"), SparseBasicBlock(e, 64, bias, "res3"))
        self.conv4 = SparseSequential(_down(e, 64, 128, 3, 2, (0, 1, 1), "spconv4"),
                                      SparseBasicBlock(e, 128, bias, "res4"), SparseBasicBlock(e, 128, bias, "res4"))
        self.conv_out = SparseSequential(
            e.nn.SparseConv3d(128, 128, (3, 1, 1), stride=(2, 1, 1), padding=last_pad, bias=False,
                              indice_key="spconv_down2"), _norm(128), nn.ReLU())

    def forward(self, features, coords, spatial_shape, batch_size):
        with self.engine.context():
            x = self.conv_input(self.engine.tensor(features, coords, spatial_shape, batch_size))
            x1 = self.conv1(x)
            x2 = self.conv2(x1)
            x3 = self.conv3(x2)
            x4 = self.conv4(x3)
            out = self.conv_out(x4)
        return out, dict(x_conv1=x1, x_conv2=x2, x_conv3=x3, x_conv4=x4)

    def convs(self):
        """[(name, conv module)] in forward order."""
        return [(n, m) for n, m in self.named_modules() if _is_conv(m)]


def init_weights(stack, seed=0):
    """Deterministic weights: conv He-normal in the kit's layout (same numbers for every engine),
    conv bias N(0, 0.1), BN weight U(0.5, 1.5) and bias N(0, 0.1)."""
    g = torch.Generator().manual_seed(seed)
    for _, m in stack.named_modules():
        if isinstance(m, nn.BatchNorm1d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
        elif _is_conv(m):
            k, cin, cout = stack.engine.get_weight(m).shape
            stack.engine.set_weight(m, torch.randn(k, cin, cout, generator=g) * (2.0 / (k * cin)) ** 0.5)
            if getattr(m, "bias", None) is not None:
                with torch.no_grad():
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
    return stack


def copy_weights(src, dst):
    """Copy every conv weight / bias and BN state of stack `src` into stack `dst` (same structure,
    possibly another engine); conv weights go through the kit's layout."""
    src_mods, dst_mods = list(src.named_modules()), list(dst.named_modules())
    if [n for n, _ in src_mods] != [n for n, _ in dst_mods]:
        raise ValueError("copy_weights: src and dst stacks differ in structure")
    for (name, a), (_, b) in zip(src_mods, dst_mods):
        if isinstance(a, nn.BatchNorm1d):
            b.load_state_dict(a.state_dict())
        elif _is_conv(a):
            w = src.engine.get_weight(a)
            if tuple(w.shape) != tuple(dst.engine.get_weight(b).shape):
                raise ValueError(f"copy_weights: {name}: weight {tuple(w.shape)} vs "
                                 f"{tuple(dst.engine.get_weight(b).shape)} in the kit's layout")
            dst.engine.set_weight(b, w.detach())
            if getattr(a, "bias", None) is not None:
                with torch.no_grad():
                    b.bias.copy_(a.bias)
    return dst


def build_pair(engines=("kit", "spconv"), input_channels=4, seed=0):
    """The same VoxelResBackBone8x (weights from `seed`) built for each named engine, train mode."""
    from ascend_ops.sparse.engines import engine
    first = init_weights(VoxelResBackBone8x(engine(engines[0]), input_channels), seed)
    stacks = [first] + [copy_weights(first, VoxelResBackBone8x(engine(n), input_channels)) for n in engines[1:]]
    return [s.train() for s in stacks]
