"""torchsparse.nn ReLU / LeakyReLU / SiLU (torchsparse 2.1, nn/modules/activation.py:9-21): the
torch module on .F, same rows and caches."""
from torch import nn

from ...tensor import SparseTensor
from ..utils import fapply

__all__ = ["ReLU", "LeakyReLU", "SiLU"]


class ReLU(nn.ReLU):
    def forward(self, input: SparseTensor) -> SparseTensor:
        return fapply(input, super().forward)


class LeakyReLU(nn.LeakyReLU):
    def forward(self, input: SparseTensor) -> SparseTensor:
        return fapply(input, super().forward)


class SiLU(nn.SiLU):
    def forward(self, input: SparseTensor) -> SparseTensor:
        return fapply(input, super().forward)
