"""torchsparse.nn BatchNorm / InstanceNorm / GroupNorm (torchsparse 2.1, nn/modules/norm.py:10-48):
torch's norm on .F (BatchNorm1d over all rows of the batch, as upstream), same rows and caches;
GroupNorm normalises each batch index's rows separately."""
import torch
from torch import nn

from ...tensor import SparseTensor
from ..utils import fapply

__all__ = ["BatchNorm", "GroupNorm", "InstanceNorm"]


class InstanceNorm(nn.InstanceNorm1d):
    def forward(self, input: SparseTensor) -> SparseTensor:
        return fapply(input, super().forward)


class BatchNorm(nn.BatchNorm1d):
    def forward(self, input: SparseTensor) -> SparseTensor:
        return fapply(input, super().forward)


class GroupNorm(nn.GroupNorm):
    def forward(self, input: SparseTensor) -> SparseTensor:
        coords, feats = input.coords, input.feats
        batch_size = int(coords[:, 0].max()) + 1
        num_channels = feats.shape[1]
        nfeats = torch.zeros_like(feats)
        for k in range(batch_size):
            rows = coords[:, 0] == k
            b = feats[rows].transpose(0, 1).reshape(1, num_channels, -1)
            nfeats[rows] = super().forward(b).reshape(num_channels, -1).transpose(0, 1)
        output = SparseTensor(coords=coords, feats=nfeats, stride=input.stride, spatial_range=input.spatial_range)
        output._caches = input._caches
        return output
