"""torchsparse.nn.utils.get_kernel_offsets (torchsparse 2.1, nn/utils/kernel.py:11-38): int32 [K, 3]
(x, y, z) offsets {-(K // 2) + 1 .. K // 2} * stride * dilation per axis, x fastest for an odd
kernel volume, z fastest for an even one (the order of torchsparse's weights)."""
from typing import Tuple, Union

import torch

from ...utils.utils import make_ntuple

__all__ = ["get_kernel_offsets"]


def get_kernel_offsets(size: Union[int, Tuple[int, ...]], stride: Union[int, Tuple[int, ...]] = 1,
                       dilation: Union[int, Tuple[int, ...]] = 1, device="cpu") -> torch.Tensor:
    size = make_ntuple(size, ndim=3)
    stride = make_ntuple(stride, ndim=3)
    dilation = make_ntuple(dilation, ndim=3)
    axes = [[v * stride[k] * dilation[k] for v in range(-size[k] // 2 + 1, size[k] // 2 + 1)] for k in range(3)]
    if (size[0] * size[1] * size[2]) % 2 == 1:
        offsets = [(x, y, z) for z in axes[2] for y in axes[1] for x in axes[0]]
    else:
        offsets = [(x, y, z) for x in axes[0] for y in axes[1] for z in axes[2]]
    return torch.tensor(offsets, dtype=torch.int, device=device).reshape(-1, 3)
