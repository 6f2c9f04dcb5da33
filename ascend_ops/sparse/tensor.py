"""SparseTensor: features on the active sites of a batched 3D grid (spconv's SparseConvTensor,
torchsparse's SparseTensor), with the kernel maps of the convolutions that ran on it."""
import torch

from ..ops import _checks
from . import geometry, keys

_NAME = "SparseTensor"


class SparseTensor:
    """features float [N, C] on sites indices int32 [N, 4] (b, z, y, x; batch first, as spconv)
    of the grid (batch_size, *spatial_shape), spatial_shape = (Z, Y, X).

    int64 indices are narrowed to int32 after checking that they fit. Coordinate values are not
    read here (no device sync); the kernel-map op checks them (in range, unique for submanifold
    convolutions) when a convolution first uses them.

    `kmaps` caches KernelMaps per (indice_key or None, mode, kernel_size, stride, padding,
    dilation, spatial_shape). The dict is shared with every tensor derived from this one
    (replace_feature, convolution and pooling outputs), like spconv's indice_dict, so that layers
    with the same indice_key reuse one map and an inverse conv finds the map of its strided conv.
    """

    def __init__(self, features, indices, spatial_shape, batch_size, kmaps=None):
        _checks.tensor(_NAME, "features", features, rank=2)
        _checks.tensor(_NAME, "indices", indices, rank=2, kind="index")
        _checks.size(_NAME, "indices", indices, 1, 4, "4 (b, z, y, x)")
        _checks.size(_NAME, "indices", indices, 0, features.shape[0], "features.shape[0] (N)")
        _checks.same_device(_NAME, features=features, indices=indices)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"{_NAME}: batch_size must be an int >= 1, got {batch_size!r}")
        shape = geometry.triple(spatial_shape, "spatial_shape")
        if min(shape) < 1:
            raise ValueError(f"{_NAME}: every entry of spatial_shape must be >= 1, got {list(shape)}")
        keys.check_volume(_NAME, batch_size, shape)
        if indices.dtype != torch.int32:
            if indices.numel() and indices.device.type != "meta":
                lo, hi = int(indices.min()), int(indices.max())
                if lo < -2 ** 31 or hi >= 2 ** 31:
                    raise ValueError(f"{_NAME}: indices hold values in [{lo}, {hi}], outside int32")
            indices = indices.to(torch.int32)
        self.features = features
        self.indices = indices
        self.spatial_shape = shape
        self.batch_size = batch_size
        self.kmaps = {} if kmaps is None else kmaps

    # -- basic facts ----------------------------------------------------------------------
    @property
    def device(self):
        return self.features.device

    @property
    def dtype(self):
        return self.features.dtype

    @property
    def num_sites(self):
        return self.features.shape[0]

    @property
    def num_channels(self):
        return self.features.shape[1]

    def __repr__(self):
        return (f"SparseTensor(sites={self.num_sites}, channels={self.num_channels}, spatial_shape="
                f"{list(self.spatial_shape)}, batch_size={self.batch_size}, dtype={self.dtype}, device={self.device})")

    # -- derived tensors ------------------------------------------------------------------
    def replace_feature(self, features):
        """A SparseTensor with new features [N, C'] on the same sites, sharing the kernel-map cache."""
        _checks.tensor(_NAME, "features", features, rank=2)
        _checks.size(_NAME, "features", features, 0, self.num_sites, "the number of sites (N)")
        return SparseTensor(features, self.indices, self.spatial_shape, self.batch_size, self.kmaps)

    def dense(self, channels_first=True):
        """The dense grid: [B, C, Z, Y, X] (channels_first) or [B, Z, Y, X, C], zeros where no
        site is; features of duplicated sites are summed. Differentiable w.r.t. the features.
        Allocates B*C*Z*Y*X elements: for small grids and tests."""
        Z, Y, X = self.spatial_shape
        B, C = self.batch_size, self.num_channels
        flat = self.features.new_zeros(B * Z * Y * X, C)
        flat = flat.index_add(0, keys.encode(self.indices, self.spatial_shape), self.features)
        out = flat.view(B, Z, Y, X, C)
        return out.permute(0, 4, 1, 2, 3).contiguous() if channels_first else out

    @classmethod
    def from_dense(cls, x, channels_first=True):
        """The sites of x [B, C, Z, Y, X] (channels_first) or [B, Z, Y, X, C] where any channel is
        nonzero, in (b, z, y, x) order, with their features [N, C] (differentiable)."""
        _checks.tensor(_NAME, "x", x, rank=5)
        xl = x.permute(0, 2, 3, 4, 1) if channels_first else x
        B, Z, Y, X, _ = xl.shape
        active = (xl != 0).any(-1)
        indices = active.nonzero().to(torch.int32)
        features = xl[active]
        return cls(features, indices, (Z, Y, X), B)
