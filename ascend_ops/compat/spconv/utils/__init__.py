"""`spconv.utils`: the voxel generators OpenPCDet uses, on the kit's `hard_voxelize` (spconv 2.x
semantics: a point opens the next voxel in input order unless max_voxels are open, a voxel
keeps its first max_points points; ascend_ops/ops/voxelize.py).

1.x (v1.2.1 spconv/utils/__init__.py): `VoxelGeneratorV2(voxel_size, point_cloud_range,
max_num_points, max_voxels=20000, full_mean=False, block_filtering=False, ...)` (lines 212-294)
with `generate(points, max_voxels=None)` -> dict voxels [V, P, F], coordinates int32 [V, 3]
(z, y, x), num_points_per_voxel int32 [V], voxel_point_mask [V, P, 1], voxel_num (numpy in,
numpy out); `VoxelGenerator` (lines 145-209; its default full_mean=True is not supported: pass
full_mean=False) with `generate` -> (voxels, coordinates, num_points_per_voxel). The 1.x kernel
(include/spconv/point2voxel.h:31-95) visits points in order and drops by the same rules.

2.x: `Point2VoxelCPU3d(vsize_xyz, coors_range_xyz, num_point_features, max_num_voxels,
max_num_points_per_voxel)` (spconv 2.3.8 core_cc/csrc/sparse/all/ops_cpu3d.pyi:19) with
`point_to_voxel(points, clear_voxels=True)` -> (voxels, indices, num_per_voxel). It takes a
torch tensor, a numpy array or anything with `.numpy()` (a cumm tensorview), and returns torch
tensors (which have `.numpy()`, as OpenPCDet's data_processor.py calls on the results).
"""
import numpy as np
import torch


def _as_tensor(points):
    if isinstance(points, torch.Tensor):
        return points
    if isinstance(points, np.ndarray):
        return torch.from_numpy(points)
    if hasattr(points, "numpy"):
        return torch.from_numpy(np.asarray(points.numpy()))
    raise TypeError(f"spconv.utils: points must be a torch tensor, a numpy array or have .numpy(), got "
                    f"{type(points).__name__}")


def _voxelize(points, voxel_size, coors_range, max_points, max_voxels):
    from ascend_ops.ops.voxelize import hard_voxelize
    pts = _as_tensor(points)
    with torch.no_grad():
        return hard_voxelize(pts, [float(v) for v in voxel_size], [float(v) for v in coors_range], int(max_points),
                             int(max_voxels))


def _grid_size(voxel_size, point_cloud_range):
    return np.round((point_cloud_range[3:] - point_cloud_range[:3]) / voxel_size).astype(np.int64)


class VoxelGeneratorV2:
    """spconv 1.x VoxelGeneratorV2 (block filtering and full_mean are not supported)."""

    def __init__(self, voxel_size, point_cloud_range, max_num_points, max_voxels=20000, full_mean=False,
                 block_filtering=False, block_factor=8, block_size=3, height_threshold=0.1,
                 height_high_threshold=2.0):
        if full_mean:
            raise NotImplementedError("VoxelGeneratorV2: full_mean=True is not supported (1.x asserts it is False)")
        if block_filtering:
            raise NotImplementedError("VoxelGeneratorV2: block_filtering=True is not supported by the kit")
        self._point_cloud_range = np.array(point_cloud_range, dtype=np.float32)
        self._voxel_size = np.array(voxel_size, dtype=np.float32)
        self._grid_size = _grid_size(self._voxel_size, self._point_cloud_range)
        self._max_num_points = int(max_num_points)
        self._max_voxels = int(max_voxels)
        self._full_mean = full_mean
        self._block_filtering = block_filtering

    def _run(self, points, max_voxels):
        voxels, coords, num = _voxelize(points, self._voxel_size.tolist(), self._point_cloud_range.tolist(),
                                        self._max_num_points, max_voxels or self._max_voxels)
        mask = (torch.arange(self._max_num_points)[None, :] < num[:, None].long()).to(voxels.dtype)
        return {"voxels": voxels.numpy(), "coordinates": coords.numpy(), "num_points_per_voxel": num.numpy(),
                "voxel_point_mask": mask.reshape(-1, self._max_num_points, 1).numpy(),
                "voxel_num": int(coords.shape[0])}

    def generate(self, points, max_voxels=None):
        return self._run(points, max_voxels)

    def generate_multi_gpu(self, points, max_voxels=None):
        """Padded to max_voxels rows (1.x pad_output=True)."""
        res = self._run(points, max_voxels)
        n, cap = res["voxel_num"], max_voxels or self._max_voxels
        for k in ("voxels", "coordinates", "num_points_per_voxel", "voxel_point_mask"):
            v = res[k]
            pad = np.zeros((cap - n,) + v.shape[1:], dtype=v.dtype)
            res[k] = np.concatenate([v, pad], 0)
        return res

    @property
    def voxel_size(self):
        return self._voxel_size

    @property
    def max_num_points_per_voxel(self):
        return self._max_num_points

    @property
    def point_cloud_range(self):
        return self._point_cloud_range

    @property
    def grid_size(self):
        return self._grid_size


class VoxelGenerator(VoxelGeneratorV2):
    """spconv 1.x VoxelGenerator: generate() returns the tuple (voxels, coordinates,
    num_points_per_voxel). 1.x's default full_mean=True is refused (pass full_mean=False)."""

    def __init__(self, voxel_size, point_cloud_range, max_num_points, max_voxels=20000, full_mean=True):
        if full_mean:
            raise NotImplementedError("VoxelGenerator: full_mean=True (the 1.x default) is not supported; pass "
                                      "full_mean=False or use VoxelGeneratorV2")
        super().__init__(voxel_size, point_cloud_range, max_num_points, max_voxels)

    def generate(self, points, max_voxels=None):
        res = self._run(points, max_voxels)
        return res["voxels"], res["coordinates"], res["num_points_per_voxel"]


class Point2VoxelCPU3d:
    """spconv 2.x Point2VoxelCPU3d (spconv.utils): voxels of the points' dtype, indices int32
    [V, 3] (z, y, x), num_per_voxel int32 [V]."""

    def __init__(self, vsize_xyz, coors_range_xyz, num_point_features, max_num_voxels, max_num_points_per_voxel):
        self.vsize_xyz = [float(v) for v in vsize_xyz]
        self.coors_range_xyz = [float(v) for v in coors_range_xyz]
        self._grid_size = self.calc_meta_data(self.vsize_xyz, self.coors_range_xyz)[1]
        self.num_point_features = int(num_point_features)
        self.max_num_voxels = int(max_num_voxels)
        self.max_num_points_per_voxel = int(max_num_points_per_voxel)

    @property
    def grid_size(self):
        """[gz, gy, gx] (spconv's order)."""
        return list(self._grid_size)

    @staticmethod
    def calc_meta_data(vsize_xyz, coors_range_xyz):
        """(vsize, grid_size, grid_stride, coors_range) in z, y, x order with float32-rounded sizes
        and range, as spconv's calc_meta_data (spconv/csrc/sparse/pointops.py:41-80): e.g.
        ([0.5, 0.25, 0.2f], [4, 32, 40], [1280, 40, 1], [zmin, ymin, xmin, zmax, ymax, xmax])."""
        from ascend_ops.ops.voxelize import _f32, voxel_grid
        size, low, grid = voxel_grid("Point2VoxelCPU3d", vsize_xyz, coors_range_xyz)
        high = [_f32("Point2VoxelCPU3d", "coors_range", float(v)) for v in list(coors_range_xyz)[3:]]
        gz, gy, gx = grid[::-1]
        return size[::-1], [gz, gy, gx], [gy * gx, gx, 1], low[::-1] + high[::-1]

    def point_to_voxel(self, points, clear_voxels=True):
        pts = _as_tensor(points)
        if pts.dim() != 2 or pts.shape[1] != self.num_point_features:
            raise ValueError(f"Point2VoxelCPU3d: points must be [N, num_point_features={self.num_point_features}], "
                             f"got shape {tuple(pts.shape)}")
        return _voxelize(pts, self.vsize_xyz, self.coors_range_xyz, self.max_num_points_per_voxel,
                         self.max_num_voxels)

    def point_to_voxel_empty_mean(self, points, clear_voxels=True):
        raise NotImplementedError("Point2VoxelCPU3d.point_to_voxel_empty_mean is not supported by the kit")


__all__ = ["Point2VoxelCPU3d", "VoxelGenerator", "VoxelGeneratorV2"]
