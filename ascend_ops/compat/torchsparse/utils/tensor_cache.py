"""torchsparse.utils.tensor_cache (torchsparse 2.1, torchsparse/utils/tensor_cache.py:6-58): the
per-network caches of a SparseTensor and the global-cache mode.

TensorCache holds `cmaps` {tensor stride: (coords, spatial_range)}, `kmaps` {(tensor stride,
kernel_size, stride, dilation): kernel map} and `hashmaps` (kept for compatibility; the kit builds
its kernel maps without torchsparse's GPU hash table, so it stays empty). In the kit a kmaps value
is a dict with the keys "coords", "spatial_range", "sizes" (as torchsparse's) plus "kit_kmap"
(the engine's KernelMap) and "kernel_perm"; torchsparse's implicit-GEMM fields are absent."""
import copy
from enum import Enum

__all__ = ["TensorCache", "TensorCacheMode", "clear_global_tensor_cache", "get_global_tensor_cache",
           "get_tensor_cache_mode", "set_global_tensor_cache", "set_tensor_cache_mode"]


class TensorCacheMode(Enum):
    SEPARATE_TENSOR_CACHE = 0
    GLOBAL_TENSOR_CACHE = 1


_tensor_cache_mode = TensorCacheMode.SEPARATE_TENSOR_CACHE
_global_tensor_cache = None


def set_tensor_cache_mode(mode: TensorCacheMode):
    """SEPARATE (default: one cache per input tensor) or GLOBAL (one cache shared by every new
    SparseTensor until clear_global_tensor_cache())."""
    assert isinstance(mode, TensorCacheMode), "Input must be an instance of TensorCacheMode"
    global _tensor_cache_mode
    _tensor_cache_mode = mode


def get_tensor_cache_mode() -> TensorCacheMode:
    return copy.deepcopy(_tensor_cache_mode)


class TensorCache:
    """cmaps, kmaps, hashmaps (tensor_cache.py:33-39). A plain object: SPVNAS adds attributes
    (idx_query, idx_query_devox, weights_devox) to it."""

    def __init__(self) -> None:
        self.cmaps = {}
        self.kmaps = {}
        self.hashmaps = {}


def get_global_tensor_cache():
    return _global_tensor_cache


def set_global_tensor_cache(tensor_cache):
    global _global_tensor_cache
    _global_tensor_cache = tensor_cache


def clear_global_tensor_cache():
    """Drop the global cache (call after each forward / backward in GLOBAL mode)."""
    global _global_tensor_cache
    _global_tensor_cache = None
