"""torchsparse.nn.functional.sphash (torchsparse 2.1, nn/functional/hash.py:10-39) on the kit's op
`sphash` / `sphash_kernel` (docs/torchsparse-point-ops.md): int64 [N] hashes of (b, x, y, z)
rows, or [K, N] with offsets [K, 3] added to columns 1..3 (the CUDA kernels' values on every
device; upstream's CPU backend folds them to 60 bits, see that page)."""
from typing import Optional

import torch

from ascend_ops.ops.sphash import sphash as _sphash
from ascend_ops.ops.sphash import sphash_kernel as _sphash_kernel

__all__ = ["sphash"]


def sphash(coords: torch.Tensor, offsets: Optional[torch.Tensor] = None) -> torch.Tensor:
    """coords int32 [N, 4] (int64 accepted when it fits int32) -> int64 [N]; with offsets
    int32 [K, 3] -> int64 [K, N]."""
    if offsets is None:
        return _sphash(coords)
    return _sphash_kernel(coords, offsets)
