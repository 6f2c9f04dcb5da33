"""spconv 2.x max pool (`spconv.pytorch.pool`): spconv 2.3.8 spconv/pytorch/pool.py:36-81 and
SparseMaxPool3d (466-485): SparseMaxPool3d(kernel_size, stride=None, padding=0, dilation=1,
indice_key=None, algo=None, record_voxel_count=False, name=None); stride None -> kernel_size
(pool.py:51-52); the map is cached under indice_key (an inverse conv can undo the pool)."""
import torch

from .._conv import MaxPoolBase

_MAX_NUM_VOXELS_DURING_TRAINING = "max_num_voxels_during_training"


class SparseMaxPool(MaxPoolBase):
    def __init__(self, ndim, kernel_size=3, stride=1, padding=0, dilation=1, indice_key=None, subm=False, algo=None,
                 record_voxel_count=False, name=None):
        super().__init__(name=name)
        self._setup(ndim, kernel_size, stride, padding, dilation, indice_key, subm, algo)
        self.record_voxel_count = record_voxel_count
        if record_voxel_count:
            self.register_buffer(_MAX_NUM_VOXELS_DURING_TRAINING, torch.zeros(1, dtype=torch.int32))

    def get_max_num_voxels(self):
        return getattr(self, _MAX_NUM_VOXELS_DURING_TRAINING, None)


class SparseMaxPool3d(SparseMaxPool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, indice_key=None, algo=None,
                 record_voxel_count=False, name=None):
        super().__init__(3, kernel_size, stride, padding, dilation, indice_key=indice_key, algo=algo,
                         record_voxel_count=record_voxel_count, name=name)


__all__ = ["SparseMaxPool", "SparseMaxPool3d"]
