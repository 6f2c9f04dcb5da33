"""KernelMap: the pairs of one sparse convolution, built by the op `sparse_kernel_map`.

A kernel map relates input sites (rows of `in_coords`) to output sites (rows of `out_coords`)
through kernel offsets: offset k's pairs are `in_index[offset_ptr[k]:offset_ptr[k+1]]` /
`out_index[...]` (offset-major, then out row ascending: the op's canonical order). A convolution
is then, per offset, `out[out_index] += features[in_index] @ W[k]` (gather-GEMM-scatter).
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import torch

from ..ops.sparse_kernel_map import sparse_kernel_map
from . import geometry

INVERSE = -1   # mode of a map obtained by KernelMap.inverse() (spconv's inverse conv)


@dataclass(eq=False)
class KernelMap:
    """Pairs of one sparse convolution (shapes: N input sites, M output sites, P pairs, K offsets).

    in_coords   int32 [N, 4] (b, z, y, x): the input sites (the SparseTensor's indices tensor)
    out_coords  int32 [M, 4]: the output sites (mode 0: in_coords itself)
    in_index    int32 [P]: input row of each pair;  out_index int32 [P]: output row of each pair
    offset_ptr  Python list of K + 1 ints: offset k's pairs are [offset_ptr[k], offset_ptr[k+1])
    in_shape, out_shape  (Z, Y, X) of the input and output grids;  batch_size: int
    kernel_size, stride, padding, dilation  3-tuples;  mode: 0 submanifold, 1 regular,
    2 transposed, -1 inverse (a regular map with inputs and outputs swapped)
    """
    in_coords: torch.Tensor
    out_coords: torch.Tensor
    in_index: torch.Tensor
    out_index: torch.Tensor
    offset_ptr: List[int]
    in_shape: Tuple[int, int, int]
    out_shape: Tuple[int, int, int]
    batch_size: int
    kernel_size: Tuple[int, int, int]
    stride: Tuple[int, int, int]
    padding: Tuple[int, int, int]
    dilation: Tuple[int, int, int]
    mode: int
    _plan: Optional[tuple] = field(default=None, repr=False)

    @property
    def kernel_volume(self):
        return len(self.offset_ptr) - 1

    @property
    def num_in(self):
        return self.in_coords.shape[0]

    @property
    def num_out(self):
        return self.out_coords.shape[0]

    @property
    def num_pairs(self):
        return self.offset_ptr[-1]

    def pairs(self, k):
        """(in_index, out_index) int32 views of offset k's pairs."""
        s, e = self.offset_ptr[k], self.offset_ptr[k + 1]
        return self.in_index[s:e], self.out_index[s:e]

    @property
    def identity_offset(self):
        """The offset whose pairs are exactly (i, i) for every site, in row order, or None: the
        centre offset of a submanifold map (each site reads itself; canonical order puts its
        pairs by out row, i.e. in_index = out_index = arange(N))."""
        if self.mode != geometry.SUBM:
            return None
        centre = (self.kernel_volume - 1) // 2
        if self.offset_ptr[centre + 1] - self.offset_ptr[centre] != self.num_in:
            raise AssertionError("submanifold kernel map: the centre offset must pair every site with itself")
        return centre

    def plan(self):
        """(gather_index int32 [P'], scatter_index int32 [P'], segments [(k, start, end)], centre)
        for gather-GEMM-scatter: the pairs of every offset except the identity offset (`centre`,
        or None), whose GEMM runs on the features directly. Computed once per map."""
        if self._plan is None:
            centre = self.identity_offset
            if centre is None:
                segments = [(k, self.offset_ptr[k], self.offset_ptr[k + 1]) for k in range(self.kernel_volume)]
                gather, scatter = self.in_index, self.out_index
            else:
                s, e = self.offset_ptr[centre], self.offset_ptr[centre + 1]
                gather = torch.cat([self.in_index[:s], self.in_index[e:]])
                scatter = torch.cat([self.out_index[:s], self.out_index[e:]])
                segments = [(k, self.offset_ptr[k] - (0 if k < centre else e - s),
                             self.offset_ptr[k + 1] - (0 if k < centre else e - s))
                            for k in range(self.kernel_volume) if k != centre]
            self._plan = (gather, scatter, [seg for seg in segments if seg[2] > seg[1]], centre)
        return self._plan

    def inverse(self):
        """The map of spconv's inverse conv: this (regular) map with inputs and outputs swapped
        (output sites = this map's input sites, same offsets and weights layout)."""
        if self.mode != geometry.REGULAR:
            raise ValueError(f"only a regular (strided) kernel map can be inverted, this one has mode {self.mode}")
        return KernelMap(self.out_coords, self.in_coords, self.out_index, self.in_index, list(self.offset_ptr),
                         self.out_shape, self.in_shape, self.batch_size, self.kernel_size, self.stride, self.padding,
                         self.dilation, INVERSE)


def build_kernel_map(coords, spatial_shape, batch_size, kernel_size, stride=1, padding=0, dilation=1, mode=1):
    """The KernelMap of sites `coords` (int32 or int64 [N, 4], (b, z, y, x)) on the grid
    (batch_size, *spatial_shape) for one convolution; ints or 3-tuples for the geometry; mode 0
    submanifold (padding is ignored and recorded as 0), 1 regular, 2 transposed. Runs the op
    `sparse_kernel_map` (native kernel of coords' device, or the reference); invalid input raises
    its ValueError / TypeError naming the argument."""
    shape = geometry.triple(spatial_shape, "spatial_shape")
    ks, s, p, d = (geometry.triple(v, n) for v, n in ((kernel_size, "kernel_size"), (stride, "stride"),
                                                       (padding, "padding"), (dilation, "dilation")))
    if mode == geometry.SUBM:
        p = (0, 0, 0)
    out_coords, in_index, out_index, offset_ptr = sparse_kernel_map(coords, list(shape), batch_size, list(ks),
                                                                    list(s), list(p), list(d), mode)
    if mode == geometry.SUBM:
        out_coords = coords   # the same sites (and the same tensor: the cache recognises it)
    out_shape = geometry.out_spatial_shape(mode, shape, ks, s, p, d)
    return KernelMap(coords, out_coords, in_index, out_index, [int(v) for v in offset_ptr.tolist()], shape, out_shape,
                     int(batch_size), ks, s, p, d, mode)
