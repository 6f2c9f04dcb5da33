"""spconv 1.x max pool (`spconv.pool`): v1.2.1 spconv/pool.py:30-93. SparseMaxPool3d(kernel_size,
stride=None, padding=0, dilation=1): stride defaults to kernel_size (pool.py:41-42). 1.x has no
indice_key on pools (its map is not cached); here the map is built uncached the same way."""
from ._conv import MaxPoolBase


class SparseMaxPool(MaxPoolBase):
    def __init__(self, ndim, kernel_size, stride=None, padding=0, dilation=1, subm=False):
        super().__init__()
        self._setup(ndim, kernel_size, stride, padding, dilation, None, subm, None)


class SparseMaxPool3d(SparseMaxPool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__(3, kernel_size, stride, padding, dilation)


__all__ = ["SparseMaxPool", "SparseMaxPool3d"]
