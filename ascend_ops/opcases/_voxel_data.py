"""Inputs shared by the voxelization and scatter_mean op cases: a KITTI-like LiDAR sweep and
OpenPCDet's KITTI voxelization settings."""
import math

import torch

# OpenPCDet KITTI (tools/cfgs/dataset_configs/kitti_dataset.yaml, transform_points_to_voxels):
# POINT_CLOUD_RANGE, VOXEL_SIZE, MAX_POINTS_PER_VOXEL, MAX_NUMBER_OF_VOXELS (train).
KITTI_RANGE = (0.0, -40.0, -3.0, 70.4, 40.0, 1.0)
KITTI_VOXEL = (0.05, 0.05, 0.1)
KITTI_MAX_POINTS = 5
KITTI_MAX_VOXELS = 16000
KITTI_POINTS = 120000     # a full HDL-64E sweep


def lidar_sweep(n, generator, sensor_height=1.73, beams=64):
    """[n, 4] float64 (x, y, z, intensity): rays of a spinning 64-beam LiDAR (elevations -24.8 ..
    2 degrees, azimuth all round) at `sensor_height` over flat ground (z = -sensor_height), half
    of them stopped earlier by an obstacle 3 .. 60 m away; 2 cm range noise. Dense near the
    sensor (many points per voxel), sparse far away, as a real sweep."""
    g = generator
    beam = torch.randint(0, beams, (n,), generator=g)
    elevation = torch.deg2rad(-24.8 + 26.8 * beam.double() / (beams - 1))
    azimuth = (torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1) * math.pi
    ground = torch.where(elevation < 0, sensor_height / torch.tan(-elevation).clamp(min=1e-6),
                         torch.full_like(elevation, 120.0))
    obstacle = torch.where(torch.rand(n, generator=g, dtype=torch.float64) < 0.5,
                           3 + 57 * torch.rand(n, generator=g, dtype=torch.float64), torch.full_like(elevation, 120.0))
    r = torch.minimum(torch.minimum(ground, obstacle), torch.full_like(ground, 120.0))
    r = r + 0.02 * torch.randn(n, generator=g, dtype=torch.float64)
    flat = r * torch.cos(elevation)
    xyz = torch.stack([flat * torch.cos(azimuth), flat * torch.sin(azimuth), r * torch.sin(elevation)], 1)
    intensity = torch.rand(n, 1, generator=g, dtype=torch.float64)
    return torch.cat([xyz, intensity], 1)
