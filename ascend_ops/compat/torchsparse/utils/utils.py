"""torchsparse.utils.utils (torchsparse 2.1, mit-han-lab/torchsparse@385f5ce
torchsparse/utils/utils.py:9-29): make_ntuple, make_tensor, make_divisible."""
from functools import lru_cache
from typing import List, Tuple, Union

import torch

__all__ = ["make_ntuple", "make_tensor", "make_divisible"]


def make_ntuple(x: Union[int, List[int], Tuple[int, ...], torch.Tensor], ndim: int) -> Tuple[int, ...]:
    """An int repeated ndim times, a list as a tuple, a tensor's values as a tuple (utils.py:9-20);
    AssertionError (as upstream) when the result is not an ndim-tuple."""
    if isinstance(x, int):
        x = (x,) * ndim
    elif isinstance(x, list):
        x = tuple(x)
    elif isinstance(x, torch.Tensor):
        x = tuple(int(v) for v in x.reshape(-1).tolist())
    assert isinstance(x, tuple) and len(x) == ndim, x
    return x


@lru_cache
def make_tensor(x: Tuple[int, ...], dtype: torch.dtype, device) -> torch.Tensor:
    """torch.tensor(x, dtype, device), cached per (x, dtype, device) as upstream (utils.py:23-25)."""
    return torch.tensor(x, dtype=dtype, device=device)


def make_divisible(x: int, divisor: int) -> int:
    """x rounded up to a multiple of divisor (utils.py:28-29)."""
    return (x + divisor - 1) // divisor * divisor
