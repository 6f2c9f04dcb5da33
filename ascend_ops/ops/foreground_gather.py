"""foreground_gather: Ada3D's hard drop of background voxels from a sparse conv tensor.

    keep[i]  = valid_mask[b_i, y_i, x_i] > 0          for coors[i] = (b_i, z_i, y_i, x_i), every z
    index    = the kept rows i, in increasing order (input order)
    returns (features[index], coors[index], index)

Upstream (A-suozhang/ada3d@9512743): the model runs the order-preserving PyTorch path
`foreground_gather_pytorch` (SparseBEVTools/SparseBEVTools/functional.py:87-98, called at
openpcdet/pcdet/models/backbones_3d/spconv_backbone.py:383); the CUDA op of the same package
(SparseBEVTools/SparseBEVTools/ops/src/sparse2bev_cuda.cu:46-72, foreground_gather_kernel) returns
the same rows in a random order (atomicAdd slots per batch). This op keeps the input order on
every backend. Keep test: `> 0` as the CUDA op (the PyTorch path casts to bool, i.e. != 0: the
same for Ada3D's 0/1 masks; they differ only for negative mask values).

Shapes and dtypes:
    features   float [M, C]                  float32, float64, float16 or bfloat16 (kept as is)
    coors      int32 | int64 [M, 4]          (b, z, y, x); every coordinate >= 0, b < B, y < Y, x < X
    valid_mask int32 | int64 | uint8 | bool [B, Y, X]
    returns    features [K, C] (features' dtype), coors [K, 4] (coors' dtype), index int64 [K]
K is data-dependent. Gradients flow to features: grad_in = zeros [M, C] with rows `index` set to
grad_features (dropped voxels get 0).
"""
import torch

from .. import _dispatch, _library
from . import _checks
from . import _contract as c

OP = "foreground_gather"
MASK_DTYPES = (torch.int32, torch.int64, torch.uint8, torch.bool)


def check_inputs(features, coors, valid_mask):
    """Shapes and the mask dtype (types, ranks and devices are checked by the contract first).
    Coordinate values are checked where they are read: by the native kernels and by the
    reference, with the same ValueError."""
    if valid_mask.dtype not in MASK_DTYPES:
        raise TypeError(f"{OP}: valid_mask must have dtype in (int32, int64, uint8, bool), "
                        f"got {str(valid_mask.dtype).replace('torch.', '')}")
    _checks.size(OP, "coors", coors, 1, 4, "4 (b, z, y, x)")
    _checks.size(OP, "coors", coors, 0, features.shape[0], "features.shape[0] (M)")


def check_coordinates(coors, valid_mask):
    """ValueError naming the first coors row that is negative or outside valid_mask [B, Y, X]
    (the native kernels' message)."""
    B, Y, X = valid_mask.shape
    bad = (coors < 0).any(1) | (coors[:, 0] >= B) | (coors[:, 2] >= Y) | (coors[:, 3] >= X)
    if bad.any():
        row = int(bad.nonzero()[0, 0])
        b, z, y, x = coors[row].tolist()
        raise ValueError(f"{OP}: coors row {row} = (b={b}, z={z}, y={y}, x={x}) is outside valid_mask "
                         f"[B, Y, X] = {[B, Y, X]} (needs 0 <= b < B, z >= 0, 0 <= y < Y, 0 <= x < X)")


def foreground_gather_reference(features, coors, valid_mask):
    """Pure-PyTorch ground truth (aten ops only; any device; differentiable in features). Checks
    the coordinate values first (indexing would wrap negative ones), except while tracing."""
    if coors.numel() and _checks.compiled_value_checks(coors):
        B, Y, X = valid_mask.shape
        limits = torch.tensor([B, 2 ** 62, Y, X], device=coors.device)
        _checks.assert_in_graph(((coors >= 0) & (coors < limits)).all(),
                                f"{OP}: coors rows (b, z, y, x) must satisfy 0 <= b < B, z >= 0, 0 <= y < Y, "
                                f"0 <= x < X for valid_mask [B, Y, X] = {[B, Y, X]}")
    elif coors.numel() and coors.device.type != "meta" and not _dispatch.is_compiling():
        check_coordinates(coors, valid_mask)
    c = coors.long()
    keep = valid_mask[c[:, 0], c[:, 2], c[:, 3]] > 0
    index = torch.nonzero(keep).reshape(-1)
    return features.index_select(0, index), coors.index_select(0, index), index


def _fake(features, coors, valid_mask):
    k = _library.new_dynamic_size()
    return (features.new_empty(k, features.shape[1]), coors.new_empty(k, 4),
            features.new_empty(k, dtype=torch.int64))


def _fake_backward(grad_features, features, coors, valid_mask, index):
    return torch.empty_like(features)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("features", "float", rank=2, differentiable=True),
            c.TensorArg("coors", "index", rank=2),
            c.TensorArg("valid_mask", "mask", rank=3)),
    outputs=(c.Output("features", "float"), c.Output("coors", "int"), c.Output("index", "int")),
    check=check_inputs, reference=foreground_gather_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward, backward_saves=("index",),
    deterministic=True, ordered=True,
    float_dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
)
foreground_gather = c.register(SPEC)
