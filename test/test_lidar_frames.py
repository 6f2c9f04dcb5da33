"""Ray-cast LiDAR frames and the mean-VFE voxelizer (ascend_ops.datasets.lidar)."""
import numpy as np
import pytest
import torch

from ascend_ops.datasets import lidar


@pytest.mark.parametrize("name", ["kitti", "waymo"])
def test_deterministic_per_seed(name):
    a, b, c = lidar.lidar_points(name, 3), lidar.lidar_points(name, 3), lidar.lidar_points(name, 4)
    assert a.dtype == np.float32 and a.ndim == 2 and a.shape[1] == 4
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
    assert np.isfinite(a).all() and (a[:, 3] >= 0).all() and (a[:, 3] <= 1).all()


@pytest.mark.parametrize("name,lo,hi", [("kitti", 13_000, 20_000), ("waymo", 50_000, 80_000)])
def test_voxel_counts_and_grid(name, lo, hi):
    p = lidar.PRESETS[name]
    f = lidar.make_frame(name, seed=0)
    m = f["voxel_features"].shape[0]
    assert lo <= m <= hi, (name, m)
    assert f["spatial_shape"] == {"kitti": (41, 1600, 1408), "waymo": (41, 1504, 1504)}[name]
    c = f["voxel_coords"]
    assert c.dtype == torch.int32 and c.shape == (m, 4)
    assert (c[:, 0] == 0).all() and (c[:, 1:] >= 0).all()
    assert (c[:, 1:] < torch.tensor(f["spatial_shape"])).all()
    assert len(torch.unique(c, dim=0)) == m                       # one row per voxel
    # every voxel's mean point lies inside its voxel
    lo_xyz = torch.tensor(p.point_cloud_range[:3]) + c[:, [3, 2, 1]] * torch.tensor(p.voxel_size)
    xyz = f["voxel_features"][:, :3]
    assert ((xyz >= lo_xyz - 1e-4) & (xyz <= lo_xyz + torch.tensor(p.voxel_size) + 1e-4)).all()
    if name == "kitti":   # the camera field of view: +-45 deg around +x
        pts = f["points"][0]
        assert (pts[:, 0] > 0).all() and (pts[:, 1].abs() <= pts[:, 0] * 1.0001 + 1e-3).all()


def test_voxelize_mean_against_a_loop():
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(400, 4, generator=g) * torch.tensor([2.0, 2.0, 1.0, 1.0]) - torch.tensor([0.5, 0.5, 0.0, 0.0])
    vs, rng = (0.25, 0.25, 0.5), (0.0, 0.0, 0.0, 1.0, 1.0, 1.0)
    feats, coords, nums = lidar.voxelize_mean(pts, vs, rng, max_points_per_voxel=3, max_voxels=10, batch_index=2)
    seen, kept = {}, {}
    for i, p in enumerate(pts.tolist()):            # spconv's order: voxels by first point, first N points
        c = tuple(int(np.floor((p[a] - rng[a]) / vs[a])) for a in range(3))
        if not all(0 <= c[a] < round((rng[a + 3] - rng[a]) / vs[a]) for a in range(3)):
            continue
        if c not in seen:
            if len(seen) == 10:
                continue
            seen[c], kept[c] = len(seen), []
        if len(kept[c]) < 3:
            kept[c].append(p)
    assert len(feats) == len(seen) == 10
    for c, v in seen.items():
        assert coords[v].tolist() == [2, c[2], c[1], c[0]]
        assert nums[v] == len(kept[c])
        torch.testing.assert_close(feats[v], torch.tensor(kept[c]).mean(0))


def test_bad_input():
    with pytest.raises(ValueError, match="preset"):
        lidar.lidar_points("nuscenes")
    with pytest.raises(ValueError, match="points"):
        lidar.voxelize_mean(torch.zeros(5, 2), (1, 1, 1), (0, 0, 0, 1, 1, 1))
