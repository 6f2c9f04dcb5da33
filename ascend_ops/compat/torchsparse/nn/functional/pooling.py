"""torchsparse.nn.functional global_avg_pool / global_max_pool (torchsparse 2.1,
nn/functional/pooling.py:8-27): per batch index (coords[:, 0]) the mean / max of the rows ->
[B, C], B = largest batch index + 1 (a batch without rows gives NaN / an error, as upstream)."""
import torch

from ...tensor import SparseTensor

__all__ = ["global_avg_pool", "global_max_pool"]


def global_avg_pool(inputs: SparseTensor) -> torch.Tensor:
    batch_size = int(inputs.coords[:, 0].max()) + 1
    return torch.stack([inputs.feats[inputs.coords[:, 0] == k].mean(0) for k in range(batch_size)], 0)


def global_max_pool(inputs: SparseTensor) -> torch.Tensor:
    batch_size = int(inputs.coords[:, 0].max()) + 1
    return torch.stack([inputs.feats[inputs.coords[:, 0] == k].max(0)[0] for k in range(batch_size)], 0)
