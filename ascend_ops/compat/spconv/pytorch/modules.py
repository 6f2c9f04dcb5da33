"""spconv 2.x containers (`spconv.pytorch.modules`): spconv 2.3.8 spconv/pytorch/modules.py.
SparseSequential (lines 59-145): sparse modules (SparseModule, SparseBatchNorm, SparseReLU) take
the tensor; any other module maps its features through `replace_feature` (a new tensor; the
input is not modified), skipped when there is no site."""
from torch import nn

from .._conv import SparseModule
from .._tensor import SparseConvTensor
from ..modules import SparseSequential as _SparseSequential1x


class _OnFeatures:
    """Runs the wrapped torch module on a sparse tensor's features (a new tensor through
    replace_feature), or on a plain tensor as is (modules.py:154-175)."""

    def forward(self, input):
        if isinstance(input, SparseConvTensor):
            return input.replace_feature(super().forward(input.features))
        return super().forward(input)


class SparseBatchNorm(_OnFeatures, nn.BatchNorm1d):
    pass


class SparseSyncBatchNorm(_OnFeatures, nn.SyncBatchNorm):
    pass


class SparseReLU(_OnFeatures, nn.ReLU):
    pass


class SparseIdentity(_OnFeatures, nn.Identity):
    pass


def is_spconv_module(module):
    return isinstance(module, (SparseModule, SparseBatchNorm, SparseReLU))


def is_sparse_conv(module):
    from .conv import SparseConvolution
    return isinstance(module, SparseConvolution)


class SparseSequential(_SparseSequential1x):
    """The 1.x container (construction, indexing, add) with 2.x's forward: features are replaced,
    never modified in place."""

    def forward(self, input):
        for module in self._modules.values():
            if is_spconv_module(module):
                input = module(input)
            elif isinstance(input, SparseConvTensor):
                if input.indices.shape[0] != 0:
                    input = input.replace_feature(module(input.features))
            else:
                input = module(input)
        return input


def assign_name_for_sparse_modules(module):
    for k, n in module.named_modules():
        if isinstance(n, SparseModule):
            n._sparse_unique_name = k


__all__ = ["SparseBatchNorm", "SparseIdentity", "SparseModule", "SparseReLU", "SparseSequential",
           "SparseSyncBatchNorm", "assign_name_for_sparse_modules", "is_sparse_conv", "is_spconv_module"]
