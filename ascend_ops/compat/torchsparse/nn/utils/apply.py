"""torchsparse.nn.utils.fapply (torchsparse 2.1, nn/utils/apply.py:10-21): fn(input.feats) on the
same coords, stride, spatial_range and caches."""
from typing import Callable

import torch

from ...tensor import SparseTensor

__all__ = ["fapply"]


def fapply(input: SparseTensor, fn: Callable[..., torch.Tensor], *args, **kwargs) -> SparseTensor:
    output = SparseTensor(coords=input.coords, feats=fn(input.feats, *args, **kwargs), stride=input.stride,
                          spatial_range=input.spatial_range)
    output._caches = input._caches
    return output
