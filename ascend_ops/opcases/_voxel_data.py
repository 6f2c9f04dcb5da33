"""Inputs shared by the voxelization and scatter_mean op cases: a ray-cast 360-degree KITTI sweep
(`ascend_ops.datasets.lidar`, preset "kitti_full") and OpenPCDet's KITTI voxelization settings."""
import torch

from ..datasets import lidar

# OpenPCDet KITTI (tools/cfgs/dataset_configs/kitti_dataset.yaml, transform_points_to_voxels):
# POINT_CLOUD_RANGE, VOXEL_SIZE (the "kitti" preset's grid), MAX_POINTS_PER_VOXEL,
# MAX_NUMBER_OF_VOXELS (train).
KITTI_RANGE = lidar.PRESETS["kitti"].point_cloud_range
KITTI_VOXEL = lidar.PRESETS["kitti"].voxel_size
KITTI_MAX_POINTS = 5
KITTI_MAX_VOXELS = 16000


def lidar_sweep(seed, n=None):
    """float64 [P, 4] (x, y, z, intensity), scan order: the whole ray-cast sweep of an HDL-64E-like
    sensor (~110k points, ~55k of them in the KITTI range, ~40k voxels there; dense near the
    sensor, sparse far away), or with `n` its forward wedge of n points (`lidar.sector`)."""
    pts = torch.from_numpy(lidar.lidar_points("kitti_full", seed)).double()
    return pts if n is None else lidar.sector(pts, n)
