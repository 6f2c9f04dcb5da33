"""spconv's tables (1.x spconv/tables.py, 2.x spconv/pytorch/tables.py:25-92): JoinTable
(concatenate features of tensors on the same sites), AddTable (sum them), ConcatTable (run
every child on the input, return the list)."""
import torch

from ._conv import SparseModule


def _check_aligned(input, what):
    msg = f"you can't use {what} in two sptensor with different indices."
    for t in input:
        if (list(t.spatial_shape) != list(input[0].spatial_shape) or t.batch_size != input[0].batch_size
                or t.features.shape[1] != input[0].features.shape[1] or t.indices.shape[0] != input[0].indices.shape[0]):
            raise ValueError(msg)


class JoinTable(SparseModule):
    def forward(self, input):
        for t in input:   # JoinTable concatenates channels: only the sites must agree
            if t.indices.shape[0] != input[0].indices.shape[0] or t.batch_size != input[0].batch_size:
                raise ValueError("you can't use JoinTable in two sptensor with different indices.")
        return input[0].replace_feature(torch.cat([t.features for t in input], 1))

    def input_spatial_size(self, out_size):
        return out_size


class AddTable(SparseModule):
    def forward(self, input):
        _check_aligned(input, "AddTable")
        return input[0].replace_feature(sum(t.features for t in input))

    def input_spatial_size(self, out_size):
        return out_size


class ConcatTable(SparseModule):
    def forward(self, input):
        return [module(input) for module in self._modules.values()]

    def add(self, module):
        self._modules[str(len(self._modules))] = module
        return self

    def input_spatial_size(self, out_size):
        return self._modules["0"].input_spatial_size(out_size)


__all__ = ["AddTable", "ConcatTable", "JoinTable"]
