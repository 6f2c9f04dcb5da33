"""torchsparse.nn.functional.sphashquery (torchsparse 2.1, nn/functional/query.py:8-37) on the
kit's op `sphashquery`: for every query key (any shape) the row of an equal reference key, or -1;
the result has the queries' shape, int64 (upstream: int64 on the CPU, int32 on CUDA)."""
import torch

from ascend_ops.ops.sphashquery import sphashquery as _sphashquery

__all__ = ["sphashquery"]


def sphashquery(queries: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
    return _sphashquery(queries.reshape(-1), references.reshape(-1)).view(*queries.shape)
