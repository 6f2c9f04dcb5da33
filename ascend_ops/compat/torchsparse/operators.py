"""torchsparse.cat / generative_add (torchsparse 2.1, torchsparse/operators.py:12-64)."""
from typing import List

import torch

from .tensor import SparseTensor

__all__ = ["cat", "generative_add"]


def cat(inputs: List[SparseTensor]) -> SparseTensor:
    """Features concatenated along channels on the FIRST input's coords, stride and caches (the
    inputs must share their rows, as upstream assumes without checking; here a mismatch in the
    number of rows raises ValueError)."""
    n = inputs[0].feats.shape[0]
    for i, x in enumerate(inputs):
        if x.feats.shape[0] != n:
            raise ValueError(f"torchsparse.cat: inputs[{i}] has {x.feats.shape[0]} rows, inputs[0] has {n}: "
                             f"cat joins features of the same sites")
    output = SparseTensor(coords=inputs[0].coords, feats=torch.cat([x.feats for x in inputs], dim=1),
                          stride=inputs[0].stride)
    output._caches = inputs[0]._caches
    return output


def generative_add(a: SparseTensor, b: SparseTensor) -> SparseTensor:
    """Union of the sites of a and b (torch.unique of the rows: sorted), features summed per
    site; stride, spatial_range and caches of the larger input (operators.py:53-64)."""
    big, small = (a, b) if a.F.size(0) >= b.F.size(0) else (b, a)
    coords = torch.cat([big.C, small.C], dim=0)
    feats = torch.cat([big.F, small.F], dim=0)
    unique_coords, inverse = torch.unique(coords, dim=0, return_inverse=True)
    out_feats = feats.new_zeros(unique_coords.shape[0], feats.shape[1]).index_add(0, inverse, feats)
    out = SparseTensor(out_feats, unique_coords, big.s, spatial_range=big.spatial_range)
    out._caches = big._caches
    return out
