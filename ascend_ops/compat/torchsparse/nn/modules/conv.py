"""torchsparse.nn.Conv3d (torchsparse 2.1, nn/modules/conv.py:22-110) on the kit's engine.

    Conv3d(in_channels, out_channels, kernel_size=3, stride=1, padding=0, dilation=1, bias=False,
           transposed=False, generative=False, config=None)

Parameter `kernel`: [K, Cin, Cout] (offset order: x fastest for an odd K, z fastest for an even
K), or [Cin, Cout] for K = 1 with stride 1; optional `bias` [Cout]. Padding per axis: (k - 1) // 2
for an odd kernel at stride 1, else the given padding (conv.py:42-48). Initialisation as upstream
(:87-94): kernel and bias ~ U(-b, b), b = 1 / sqrt((out if transposed else in) * K)."""
import math
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from ...tensor import SparseTensor
from ...utils.utils import make_ntuple
from .. import functional as F

__all__ = ["Conv3d"]


class Conv3d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, List[int], Tuple[int, ...]] = 3,
                 stride: Union[int, List[int], Tuple[int, ...]] = 1, padding: Union[int, Tuple[int, ...]] = 0,
                 dilation: int = 1, bias: bool = False, transposed: bool = False, generative: bool = False,
                 config: Optional[Dict] = None) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = make_ntuple(kernel_size, ndim=3)
        self.stride = make_ntuple(stride, ndim=3)
        self.dilation = dilation
        given = make_ntuple(padding, 3)
        self.padding = tuple((self.kernel_size[i] - 1) // 2 if self.kernel_size[i] % 2 == 1 and self.stride[i] == 1
                             else given[i] for i in range(3))
        self.transposed = transposed
        self.generative = generative
        if self.generative:
            assert self.transposed
        self._config = config
        self.kernel_volume = self.kernel_size[0] * self.kernel_size[1] * self.kernel_size[2]
        if self.kernel_volume > 1 or self.stride != (1, 1, 1):
            self.kernel = nn.Parameter(torch.zeros(self.kernel_volume, in_channels, out_channels))
        else:
            self.kernel = nn.Parameter(torch.zeros(in_channels, out_channels))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}"
        if self.stride != (1,) * len(self.stride):
            s += ", stride={stride}"
        if self.dilation != 1:
            s += ", dilation={dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.transposed:
            s += ", transposed=True"
        if self.generative:
            s += ", generative=True"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        std = 1 / math.sqrt((self.out_channels if self.transposed else self.in_channels) * self.kernel_volume)
        with torch.no_grad():
            self.kernel.uniform_(-std, std)
            if self.bias is not None:
                self.bias.uniform_(-std, std)

    def forward(self, input: SparseTensor) -> SparseTensor:
        return F.conv3d(input, weight=self.kernel, kernel_size=self.kernel_size, bias=self.bias, stride=self.stride,
                        padding=self.padding, dilation=self.dilation, transposed=self.transposed,
                        generative=self.generative, config=self._config, training=self.training)
