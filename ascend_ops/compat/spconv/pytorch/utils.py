"""`spconv.pytorch.utils`: PointToVoxel (spconv 2.3.8 spconv/pytorch/utils.py:23-157) and
gather_features_by_pc_voxel_id (lines 160-174), on the kit's `hard_voxelize`.

PointToVoxel(vsize_xyz, coors_range_xyz, num_point_features, max_num_voxels,
max_num_points_per_voxel, device=cpu); `__call__(pc, clear_voxels=True, empty_mean=False)` ->
(voxels [V, P, F], indices int32 [V, 3] (z, y, x), num_per_voxel int32 [V]);
`generate_voxel_with_id` adds pc_voxel_id int64 [N] (the voxel row of each point, -1 when it was
dropped). Runs on the points' device (any device the kit's op runs on)."""
import torch

from ..utils import Point2VoxelCPU3d, _voxelize


class PointToVoxel:
    def __init__(self, vsize_xyz, coors_range_xyz, num_point_features, max_num_voxels, max_num_points_per_voxel,
                 device=torch.device("cpu:0")):
        self.ndim = len(vsize_xyz)
        if self.ndim != 3:
            raise NotImplementedError(f"PointToVoxel: the kit supports 3D voxels only, got {self.ndim} sizes")
        self.device = torch.device(device)
        self._vsize_xyz = [float(v) for v in vsize_xyz]
        self._coors_range_xyz = [float(v) for v in coors_range_xyz]
        meta = Point2VoxelCPU3d.calc_meta_data(vsize_xyz, coors_range_xyz)   # z, y, x order as spconv's
        self.vsize, self.grid_size, self.grid_stride, self.coors_range = meta
        self.num_point_features = int(num_point_features)
        self.max_num_voxels = int(max_num_voxels)
        self.max_num_points_per_voxel = int(max_num_points_per_voxel)

    def __call__(self, pc, clear_voxels=True, empty_mean=False):
        res = self.generate_voxel_with_id(pc, clear_voxels, empty_mean)
        return res[0], res[1], res[2]

    def generate_voxel_with_id(self, pc, clear_voxels=True, empty_mean=False):
        if empty_mean:
            raise NotImplementedError("PointToVoxel: empty_mean=True is not supported by the kit")
        if pc.device.type != self.device.type:
            raise ValueError(f"PointToVoxel: points are on {pc.device}, the generator on {self.device} "
                             f"(spconv: 'your pc device is wrong')")
        voxels, coords, num = _voxelize(pc, self._vsize_xyz, self._coors_range_xyz, self.max_num_points_per_voxel,
                                        self.max_num_voxels)
        return voxels, coords, num, self._point_voxel_id(pc, coords, num)

    def _point_voxel_id(self, pc, coords, num):
        """Voxel row of each point, -1 for a point dropped (out of range or beyond max_voxels);
        spconv gives a kept voxel's id to every point in it, also beyond max_points."""
        from ascend_ops.ops.voxelize import dynamic_voxelize
        with torch.no_grad():
            pz = dynamic_voxelize(pc, self._vsize_xyz, self._coors_range_xyz).long()       # [N, 3] z, y, x or -1
            gz, gy, gx = self.grid_size
            key_p = (pz[:, 0] * gy + pz[:, 1]) * gx + pz[:, 2]
            c = coords.long()
            key_v = (c[:, 0] * gy + c[:, 1]) * gx + c[:, 2]
            order = torch.argsort(key_v)
            sorted_keys = key_v[order]
            pos = torch.searchsorted(sorted_keys, key_p).clamp(max=max(sorted_keys.numel() - 1, 0))
            if sorted_keys.numel() == 0:
                return torch.full((pc.shape[0],), -1, dtype=torch.int64, device=pc.device)
            found = (sorted_keys[pos] == key_p) & (pz[:, 0] >= 0)
            return torch.where(found, order[pos], torch.full_like(pos, -1))


def gather_features_by_pc_voxel_id(seg_res_features, pc_voxel_id, invalid_value=0):
    """Per point, the features of its voxel (invalid_value where pc_voxel_id is -1)."""
    if seg_res_features.device != pc_voxel_id.device:
        pc_voxel_id = pc_voxel_id.to(seg_res_features.device)
    shape = (pc_voxel_id.shape[0], *seg_res_features.shape[1:])
    res = torch.full(shape, invalid_value, dtype=seg_res_features.dtype, device=seg_res_features.device)
    valid = torch.nonzero(pc_voxel_id != -1).view(-1)
    res[valid] = seg_res_features[pc_voxel_id[valid]]
    return res


__all__ = ["PointToVoxel", "gather_features_by_pc_voxel_id"]
