"""RoI-aware pooling of OpenPCDet (roiaware_pool3d_kernel.cu, commit 8cacccec) in pure torch.

forward: every point inside a roi (MARGIN 1e-5, the GPU test of check_pt_in_box3d, :23-36) gets
the voxel of the roi's out_x x out_y x out_z grid it falls in (generate_pts_mask_for_box3d,
:39-75); each voxel collects, in point order, at most max_pts_each_voxel - 1 point indices after
a counter at slot 0 (collect_inside_pts_for_box3d, :78-108, continuing from the counter already in
the buffer); then per voxel and channel max pooling (first strict maximum in collection order,
argmax -1 and pooled untouched for an empty voxel, :111-157) or average pooling (float32 sum in
collection order / count, pooled untouched when empty, :160-190).
backward: max -> grad_in[argmax] += grad_out; avg -> grad_in[idx] += grad_out * (1 / max(count, 1))
(:236-310). All arithmetic in float32 as the kernels (cos / sin of the heading in float64 rounded
to float32; no fused multiply-add).
"""
import torch

F32 = torch.float32
MARGIN = 1e-5   # roiaware_pool3d_kernel.cu:27


def _cos_sin_neg(heading):
    neg = -heading.double()
    return torch.cos(neg).to(F32), torch.sin(neg).to(F32)


def _voxel_index(local, half_extent, size, n_out):
    """int((local + d / 2) / (d / n)) as unsigned, clamped as :64-70: NaN -> 0, negative -> n - 1."""
    q = (local + half_extent) / (size / n_out)
    t = torch.trunc(q)
    idx = torch.where(t < 0, torch.full_like(t, n_out - 1), torch.clamp(t, max=n_out - 1))
    return torch.where(q.isnan(), torch.zeros_like(t), idx).to(torch.int64)


def point_voxels(rois, pts, out_size):
    """-> (box, point, flat voxel) int64 [K] x3 of the inside pairs, ordered by (box, point)."""
    cx, cy, cz, dx, dy, dz, rz = (rois[:, i:i + 1] for i in range(7))
    x, y, z = pts[None, :, 0], pts[None, :, 1], pts[None, :, 2]
    cosa, sina = _cos_sin_neg(rz)
    shift_x, shift_y = x - cx, y - cy
    local_x = shift_x * cosa + shift_y * (-sina)
    local_y = shift_x * sina + shift_y * cosa
    margin = float(torch.tensor(MARGIN, dtype=F32))
    inside = ~((z - cz).abs().double() > dz.double() / 2.0)
    inside &= (local_x.abs().double() < dx.double() / 2.0 + margin) & (local_y.abs().double() < dy.double() / 2.0 + margin)
    box, point = inside.nonzero(as_tuple=True)
    ox, oy, oz = out_size
    xi = _voxel_index(local_x[box, point], dx[box, 0] / 2, dx[box, 0], ox)
    yi = _voxel_index(local_y[box, point], dy[box, 0] / 2, dy[box, 0], oy)
    zi = _voxel_index((z - cz)[box, point], dz[box, 0] / 2, dz[box, 0], oz)
    return box, point, (xi * oy + yi) * oz + zi


def collect(rois, pts, table, out_size):
    """collect_inside_pts_for_box3d into table int32 [N * V, max_pts] (in place)."""
    n_vox = out_size[0] * out_size[1] * out_size[2]
    max_num = table.shape[1] - 1
    box, point, voxel = point_voxels(rois, pts, out_size)
    group = box * n_vox + voxel
    order = torch.sort(group, stable=True)[1]            # stable: point order inside a voxel
    group, point = group[order], point[order]
    start = torch.searchsorted(group, group)             # first position of each group
    rank = torch.arange(group.numel(), device=group.device) - start
    cnt0 = table[:, 0].to(torch.int64)[group]            # upstream continues from the counter
    ok = (cnt0 >= 0) & (cnt0 + rank < max_num)           # `unsigned cnt < max_num_pts`
    table[group[ok], (cnt0 + rank + 1)[ok]] = point[ok].to(torch.int32)
    added = torch.zeros(table.shape[0], dtype=torch.int64, device=table.device)
    added.index_add_(0, group[ok], torch.ones_like(group[ok]))
    table[:, 0] += added.to(torch.int32)


def _members(fn, table, n_points):
    """(count [G], index table [G, max_pts]) with every index in slots 1..count checked."""
    count = table[:, 0].to(torch.int64)
    if bool((count > table.shape[1] - 1).any()):
        raise ValueError(f"{fn}: pts_idx_of_voxels holds a count above max_pts_each_voxel - 1")
    slots = torch.arange(table.shape[1], device=table.device)[None, :]
    used = (slots >= 1) & (slots <= count[:, None])
    idx = table.to(torch.int64)
    if bool(((idx < 0) | (idx >= n_points))[used].any()):
        raise ValueError(f"{fn}: pts_idx_of_voxels holds a point index outside [0, {n_points})")
    return count, idx


def pool(fn, table, features, pooled, argmax, pool_method):
    """roiaware_maxpool3d / roiaware_avgpool3d over table [G, max_pts]; pooled/argmax [G, C]."""
    count, idx = _members(fn, table, features.shape[0])
    C = features.shape[1]
    live = (count > 0).nonzero()[:, 0]
    if pool_method == 0:
        argmax.fill_(-1)
    if live.numel() == 0:
        return
    cnt, idx = count[live], idx[live]
    if pool_method == 0:
        best = torch.full((live.numel(), C), float("-inf"), dtype=F32, device=features.device)   # float(-1e50)
        arg = torch.full((live.numel(), C), -1, dtype=torch.int64, device=features.device)
        for r in range(1, int(cnt.max()) + 1):
            active = (r <= cnt)[:, None]
            point = torch.where(active[:, 0], idx[:, r], torch.zeros_like(idx[:, r]))
            value = features[point]
            take = active & (value > best)
            best = torch.where(take, value, best)
            arg = torch.where(take, point[:, None].expand(-1, C), arg)
        found = arg >= 0
        pooled[live] = torch.where(found, best, pooled[live])
        argmax[live] = arg.to(torch.int32)
    else:
        total = torch.zeros((live.numel(), C), dtype=F32, device=features.device)
        for r in range(1, int(cnt.max()) + 1):
            active = (r <= cnt)[:, None]
            point = torch.where(active[:, 0], idx[:, r], torch.zeros_like(idx[:, r]))
            total = total + torch.where(active, features[point], torch.zeros((), dtype=F32, device=total.device))
        pooled[live] = total / cnt[:, None].to(F32)


def pool_backward(fn, table, argmax, grad_out, grad_in, pool_method):
    """roiaware_maxpool3d_backward / roiaware_avgpool3d_backward, accumulating into grad_in [P, C]."""
    C = grad_out.shape[1]
    channel = torch.arange(C, device=grad_out.device)
    if pool_method == 0:
        arg = argmax.to(torch.int64)
        hit = arg != -1
        if bool(((arg < -1) | (arg >= grad_in.shape[0])).any()):
            raise ValueError(f"{fn}: argmax holds a point index outside [-1, {grad_in.shape[0]})")
        rows = arg[hit]
        cols = channel[None, :].expand_as(arg)[hit]
        grad_in.index_put_((rows, cols), grad_out[hit], accumulate=True)
        return
    count, idx = _members(fn, table, grad_in.shape[0])
    scale = 1 / torch.clamp(count.to(F32), min=1.0)      # 1 / fmaxf(float(total_pts), 1.0)
    for r in range(1, int(count.max()) + 1 if count.numel() else 1):
        live = (r <= count).nonzero()[:, 0]
        g = grad_out[live] * scale[live, None]
        rows = idx[live, r][:, None].expand(-1, C)
        grad_in.index_put_((rows.reshape(-1), channel.repeat(live.numel())), g.reshape(-1), accumulate=True)
