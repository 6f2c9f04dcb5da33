"""torch_scatter.utils.broadcast (rusty1s/pytorch_scatter@648dda3, torch_scatter/utils.py:4-13):
index [n] (or fewer dims) expanded to src's shape along `dim`."""
import torch


def broadcast(src: torch.Tensor, other: torch.Tensor, dim: int):
    if dim < 0:
        dim = other.dim() + dim
    if src.dim() == 1:
        for _ in range(dim):
            src = src.unsqueeze(0)
    for _ in range(src.dim(), other.dim()):
        src = src.unsqueeze(-1)
    return src.expand(other.size())
