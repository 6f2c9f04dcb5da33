"""torchsparse.utils.quantize.sparse_quantize (torchsparse 2.1, torchsparse/utils/quantize.py:9-48),
numpy as upstream (it runs in data loaders).

    coords  = floor(coords / voxel_size) as int32                   [N, D]
    unique rows by a ravel hash of (coords - min) (uint64), kept in the order of np.unique of the
    hashes (sorted), with return_index (first point of each voxel) / return_inverse."""
from typing import List, Tuple, Union

import numpy as np

__all__ = ["sparse_quantize"]


def ravel_hash(x: np.ndarray) -> np.ndarray:
    """Mixed-radix index of each row of x [N, D] after subtracting the column minima, radix =
    column max + 1, last column fastest (quantize.py:9-21). uint64 [N]."""
    assert x.ndim == 2, x.shape
    x = x - np.min(x, axis=0)
    x = x.astype(np.uint64, copy=False)
    radix = np.max(x, axis=0).astype(np.uint64) + 1
    h = np.zeros(x.shape[0], dtype=np.uint64)
    for k in range(x.shape[1] - 1):
        h += x[:, k]
        h *= radix[k + 1]
    h += x[:, -1]
    return h


def sparse_quantize(coords, voxel_size: Union[float, Tuple[float, ...]] = 1, *, return_index: bool = False,
                    return_inverse: bool = False) -> List[np.ndarray]:
    """Voxel coordinates int32 [M, 3] of the points (and the first point index per voxel, and
    each point's voxel row), as torchsparse 2.1."""
    if isinstance(voxel_size, (float, int)):
        voxel_size = (voxel_size,) * 3
    assert isinstance(voxel_size, tuple) and len(voxel_size) == 3
    coords = np.floor(np.asarray(coords) / np.array(voxel_size)).astype(np.int32)
    _, indices, inverse = np.unique(ravel_hash(coords), return_index=True, return_inverse=True)
    out = [coords[indices]]
    if return_index:
        out.append(indices)
    if return_inverse:
        out.append(inverse.reshape(-1))
    return out[0] if len(out) == 1 else out
