"""SparseConvTensor of the spconv front end: one class for the 1.x namespace (`spconv`) and the
2.x namespace (`spconv.pytorch`), a subclass of the kit's `ascend_ops.sparse.SparseTensor` (so
the engine runs on it directly).

Upstream, transcribed (not copied): spconv v1.2.1 spconv/__init__.py:54-112 and spconv 2.3.8
spconv/pytorch/core.py:132-319. Differences (docs/compat-spconv.md):
- `features` can be assigned in both namespaces (1.x style); spconv 2.x raises ValueError on
  assignment (core.py:230-235) and wants `replace_feature` (also here);
- `indice_dict` is the engine's kernel-map cache (`SparseTensor.kmaps`), shared by every tensor
  derived from one input (spconv 2.x copies it per conv, core.py / conv.py:242). Its keys are the
  engine's (indice_key, mode, kernel_size, stride, padding, dilation, spatial_shape) tuples and
  its values the engine's KernelMaps; looking it up by a plain indice_key (`d[key]`, `key in d`,
  `find_indice_pair(key)`) finds the first map cached under that key;
- int64 indices are accepted (narrowed to int32 after a range check; spconv 2.x asserts int32).
"""
import operator

import numpy as np
import torch

from ascend_ops.sparse.tensor import SparseTensor


class IndiceDict(dict):
    """The kernel-map cache, also addressable by a plain indice_key (spconv's `indice_dict`)."""

    def _first(self, key):
        for k, v in dict.items(self):
            if isinstance(k, tuple) and k and k[0] == key:
                return k, v
        return None, None

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        return not isinstance(key, tuple) and self._first(key)[0] is not None

    def __getitem__(self, key):
        if dict.__contains__(self, key) or isinstance(key, tuple):
            return dict.__getitem__(self, key)
        k, v = self._first(key)
        if k is None:
            raise KeyError(key)
        return v

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def copy(self):
        return IndiceDict(self)


def expand_nd(value, name, ndim=3):
    """int | sequence | numpy array -> list of `ndim` Python ints (spconv's expand_nd,
    spconv/pytorch/core.py:321-331)."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, torch.Size)):
        out = [operator.index(v) for v in value]
    else:
        out = [operator.index(value)] * ndim
    if len(out) != ndim:
        raise ValueError(f"spconv front end: {name} must have {ndim} entries (z, y, x), got {list(out)}")
    return out


def scatter_nd(indices, updates, shape):
    """spconv's scatter_nd (tensorflow's): a zero tensor of `shape` with `updates` written at
    `indices` (last write wins on duplicates). spconv/pytorch/core.py:115-128."""
    ret = torch.zeros(*shape, dtype=updates.dtype, device=updates.device)
    ndim = indices.shape[-1]
    output_shape = list(indices.shape[:-1]) + list(shape[ndim:])
    flat = indices.reshape(-1, ndim)
    ret[tuple(flat[:, i] for i in range(ndim))] = updates.reshape(*output_shape)
    return ret


class SparseConvTensor(SparseTensor):
    """features float [N, C] on sites indices int32 [N, 4] (b, z, y, x) of the grid
    (batch_size, *spatial_shape); spconv's constructor (2.x superset of 1.x's):
    SparseConvTensor(features, indices, spatial_shape, batch_size, grid=None, voxel_num=None,
    indice_dict=None, benchmark=False, permanent_thrust_allocator=False, enable_timer=False,
    force_algo=None). Only 3D (4 index columns) is supported."""

    def __init__(self, features, indices, spatial_shape, batch_size, grid=None, voxel_num=None, indice_dict=None,
                 benchmark=False, permanent_thrust_allocator=False, enable_timer=False, force_algo=None):
        if isinstance(indices, torch.Tensor) and indices.dim() == 2 and indices.shape[1] != 4:
            raise NotImplementedError(f"spconv front end: only 3D sparse tensors (indices [N, 4]) are supported, "
                                      f"got indices of shape {tuple(indices.shape)}")
        shape = expand_nd(spatial_shape, "spatial_shape")
        if isinstance(batch_size, torch.Tensor):
            batch_size = int(batch_size)
        batch_size = operator.index(batch_size)
        kmaps = indice_dict if isinstance(indice_dict, IndiceDict) else IndiceDict(indice_dict or {})
        super().__init__(features, indices, shape, batch_size, kmaps)
        self.spatial_shape = shape
        self.grid = grid
        self.voxel_num = voxel_num
        self.benchmark = benchmark
        self.benchmark_record = {}
        self.thrust_allocator = None
        self.force_algo = force_algo
        self.int8_scale = None

    # -- the engine's tensors -> this class ----------------------------------------------------
    @classmethod
    def _adopt(cls, engine_tensor, like):
        """The engine's output `engine_tensor` as a SparseConvTensor carrying `like`'s spconv
        attributes (grid, benchmark, ...) and sharing its kernel-map cache."""
        out = cls.__new__(cls)
        out.__dict__.update(engine_tensor.__dict__)
        out.spatial_shape = [int(v) for v in engine_tensor.spatial_shape]
        for name, default in (("grid", None), ("voxel_num", None), ("benchmark", False), ("force_algo", None),
                              ("int8_scale", None), ("thrust_allocator", None)):
            setattr(out, name, getattr(like, name, default))
        out.benchmark_record = getattr(like, "benchmark_record", {})
        return out

    @classmethod
    def _of(cls, x):
        """x as a SparseConvTensor (an engine SparseTensor is wrapped, sharing its cache)."""
        if isinstance(x, cls):
            return x
        if isinstance(x, SparseTensor):   # shares x's cache (a plain dict: no lookup by indice_key alone)
            return cls._adopt(x, x)
        raise TypeError(f"spconv front end: expected a SparseConvTensor, got {type(x).__name__}")

    # -- spconv's attributes -------------------------------------------------------------------
    @property
    def indice_dict(self):
        return self.kmaps

    @indice_dict.setter
    def indice_dict(self, value):
        self.kmaps = value if isinstance(value, IndiceDict) else IndiceDict(value or {})

    @property
    def spatial_size(self):
        return int(np.prod(self.spatial_shape))

    @property
    def sparity(self):
        """1.x: N / volume / batch_size (spconv v1.2.1 spconv/__init__.py:109-112)."""
        return self.indices.shape[0] / np.prod(self.spatial_shape) / self.batch_size

    @property
    def is_quantized(self):
        return self.features.dtype == torch.qint8

    def find_indice_pair(self, key):
        """The first kernel map cached under indice_key `key` (a kit KernelMap), or None."""
        if key is None:
            return None
        return self.kmaps.get(key)

    def __repr__(self):
        return f"SparseConvTensor[shape={self.features.shape}]"

    # -- derived tensors -----------------------------------------------------------------------
    def shadow_copy(self):
        """A new tensor with every member shared (spconv 2.x core.py:308-319)."""
        out = type(self).__new__(type(self))
        out.__dict__.update(self.__dict__)
        return out

    def replace_feature(self, feature):
        """The same sites with new features [N, C'] (2.x; core.py:198-213); no copy of indices."""
        out = self.shadow_copy()
        out.features = feature
        return out

    def select_by_index(self, valid_indices):
        out = self.shadow_copy()
        out.indices = self.indices[valid_indices]
        out.features = self.features[valid_indices]
        out.kmaps = IndiceDict()   # spconv clears its (shared) dict here; the kit starts a new one
        return out

    def minus(self):
        return self.replace_feature(-self.features)

    def dequantize(self):
        return self.replace_feature(self.features.dequantize())

    def __add__(self, other):
        other_features = other if isinstance(other, torch.Tensor) else other.features
        return self.replace_feature(self.features + other_features)

    __radd__ = __add__

    def __iadd__(self, other):
        other_features = other if isinstance(other, torch.Tensor) else other.features
        self.features += other_features
        return self

    def dense(self, channels_first=True):
        """[B, C, Z, Y, X] (channels_first) or [B, Z, Y, X, C], zeros where no site is
        (spconv core.py:264-275); differentiable w.r.t. the features."""
        return super().dense(channels_first)

    @classmethod
    def from_dense(cls, x):
        """From a CHANNEL-LAST dense tensor [B, Z, Y, X, C] (spconv's from_dense): the sites where
        any channel is nonzero, in (b, z, y, x) order."""
        t = SparseTensor.from_dense(x, channels_first=False)
        return cls(t.features, t.indices, list(t.spatial_shape), t.batch_size)
