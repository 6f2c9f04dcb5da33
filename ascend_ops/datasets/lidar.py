"""Ray-cast spinning-LiDAR frames and a mean-VFE voxelizer: the sparse-conv workload (issue 12).

A spinning LiDAR (N beams x M azimuth steps per revolution) at a fixed height casts rays into a
street scene: a flat ground plane, cars (oriented boxes in lanes and parked rows), poles (vertical
cylinders) and building walls (long thin boxes along the road). Each ray returns the nearest hit
within the sensor's range, with Gaussian range noise, random dropout and an intensity that falls
with the incidence angle. Everything is drawn from `numpy.random.default_rng(seed)`: the same
preset and seed give the same points, bit for bit.

    points = lidar_points("kitti", seed=0)           # float32 [P, 4] (x, y, z, intensity)
    frame = make_frame("waymo", seed=0)               # voxelized, ready for a VoxelResBackBone8x

Presets (`PRESETS`):
- "kitti": a Velodyne HDL-64E-like sensor (64 beams, +2 to -24.3 deg in two blocks, 1.73 m above
  the ground, LiDAR frame with ground at z = -1.73), kept within +-45 deg of +x (KITTI's camera
  field of view), voxelized as OpenPCDet's KITTI configs do: range [0, -40, -3, 70.4, 40, 1],
  voxel 0.05 / 0.05 / 0.1, sparse shape [41, 1600, 1408]; about 13-20k voxels.
- "waymo": 64 beams x 2650 azimuth steps, 360 deg, +2.4 to -17.6 deg, vehicle frame (ground at
  z = 0, sensor at 2.18 m), voxelized as OpenPCDet's Waymo configs: range
  [-75.2, -75.2, -2, 75.2, 75.2, 4], voxel 0.1 / 0.1 / 0.15, sparse shape [41, 1504, 1504];
  about 68k voxels.
The sparse shape is OpenPCDet's `grid_size[::-1] + [1, 0, 0]` (spconv_backbone.py:76).
"""
import dataclasses
import math

import numpy as np
import torch


@dataclasses.dataclass(frozen=True)
class LidarPreset:
    """A sensor, a scene density and the voxel grid of one dataset's detection configs."""
    name: str
    elevation_blocks: tuple       # ((top deg, bottom deg, beams), ...) linearly spaced per block
    azimuth_steps: int            # per full revolution
    fov_deg: float                # horizontal field of view kept, centred on +x (360: all)
    sensor_z: float               # sensor height in the output frame (m)
    ground_z: float               # ground plane height in the output frame (m)
    max_range: float              # m
    range_noise: float            # std of the range noise (m)
    dropout: float                # probability that a ray returns nothing
    cars: int
    poles: int
    walls: int
    x_span: tuple                 # (min, max) x of the scene's objects (m)
    voxel_size: tuple             # (x, y, z) m
    point_cloud_range: tuple      # (x0, y0, z0, x1, y1, z1) m

    @property
    def grid_size(self):
        """(X, Y, Z) voxel counts of the range, as OpenPCDet's VoxelGenerator computes them."""
        r, v = self.point_cloud_range, self.voxel_size
        return tuple(int(round((r[a + 3] - r[a]) / v[a])) for a in range(3))

    @property
    def sparse_shape(self):
        """(Z + 1, Y, X): OpenPCDet's `grid_size[::-1] + [1, 0, 0]` (spconv_backbone.py:76)."""
        x, y, z = self.grid_size
        return (z + 1, y, x)

    def elevations(self):
        """(beams,) float64 beam elevations in radians, top first."""
        return np.radians(np.concatenate([np.linspace(top, bottom, n) for top, bottom, n in self.elevation_blocks]))


PRESETS = {
    "kitti": LidarPreset(
        name="kitti", elevation_blocks=((2.0, -8.33, 32), (-8.83, -24.33, 32)), azimuth_steps=1700,
        fov_deg=90.0, sensor_z=0.0, ground_z=-1.73, max_range=120.0, range_noise=0.02, dropout=0.1,
        cars=16, poles=12, walls=10, x_span=(3.0, 75.0),
        voxel_size=(0.05, 0.05, 0.1), point_cloud_range=(0.0, -40.0, -3.0, 70.4, 40.0, 1.0)),
    "waymo": LidarPreset(
        name="waymo", elevation_blocks=((2.4, -17.6, 64),), azimuth_steps=2650,
        fov_deg=360.0, sensor_z=2.18, ground_z=0.0, max_range=75.0, range_noise=0.03, dropout=0.05,
        cars=70, poles=40, walls=52, x_span=(-78.0, 78.0),
        voxel_size=(0.1, 0.1, 0.15), point_cloud_range=(-75.2, -75.2, -2.0, 75.2, 75.2, 4.0)),
}


def preset(name):
    if name not in PRESETS:
        raise ValueError(f"preset: unknown LiDAR preset {name!r}; known: {sorted(PRESETS)}")
    return PRESETS[name]


# ---------------------------------------------------------------------------------------------
# Scene

def _scene(p, rng):
    """Boxes (n, 8) [cx, cy, cz, l, w, h, yaw, reflectivity] and poles (m, 6)
    [cx, cy, z0, z1, radius, reflectivity] of one street scene around the sensor."""
    g = p.ground_z
    # cars: lanes along x, parked rows; a car never sits on the sensor
    n = p.cars
    lanes = np.array([-5.25, -1.75, 1.75, 5.25, -8.2, 8.2])
    y = lanes[rng.integers(0, len(lanes), n)] + rng.normal(0, 0.25, n)
    x = rng.uniform(*p.x_span, n)
    x = np.where((np.abs(x) < 6.0) & (np.abs(y) < 3.5), x + np.sign(x + 1e-9) * 8.0, x)
    lwh = np.stack([rng.normal(4.2, 0.35, n), rng.normal(1.75, 0.1, n), rng.normal(1.55, 0.12, n)], 1)
    yaw = rng.choice([0.0, np.pi], n) + rng.normal(0, 0.08, n)
    cars = np.column_stack([x, y, g + lwh[:, 2] / 2, lwh, yaw, rng.uniform(0.1, 0.9, n)])
    # walls: building facades along both sides of the road, with gaps
    m = p.walls
    side = rng.choice([-1.0, 1.0], m)
    length, height = rng.uniform(6.0, 30.0, m), rng.uniform(3.0, 12.0, m)
    wy = side * rng.uniform(12.0, 24.0, m)
    wx = rng.uniform(*p.x_span, m)
    walls = np.column_stack([wx, wy, g + height / 2, length, rng.uniform(0.3, 0.8, m), height,
                             rng.normal(0, 0.05, m), rng.uniform(0.2, 0.6, m)])
    # poles: street lights / signs at the kerbs
    k = p.poles
    px = rng.uniform(*p.x_span, k)
    py = rng.choice([-1.0, 1.0], k) * rng.uniform(9.5, 11.0, k)
    poles = np.column_stack([px, py, np.full(k, g), g + rng.uniform(3.0, 8.0, k), rng.uniform(0.08, 0.25, k),
                             rng.uniform(0.4, 0.9, k)])
    return np.concatenate([cars, walls]), poles


# ---------------------------------------------------------------------------------------------
# Ray casting

def _hit_boxes(origin, d, boxes):
    """Nearest positive hit of each ray on oriented boxes: (t (R,), cos incidence (R,), refl (R,))."""
    R = d.shape[0]
    if len(boxes) == 0:
        return np.full(R, np.inf), np.zeros(R), np.zeros(R)
    c, s = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    o = origin[None, :] - boxes[:, :3]                                    # (B, 3) sensor - centre
    o_l = np.stack([c * o[:, 0] + s * o[:, 1], -s * o[:, 0] + c * o[:, 1], o[:, 2]], 1)
    d_l = np.stack([d[:, None, 0] * c + d[:, None, 1] * s, -d[:, None, 0] * s + d[:, None, 1] * c,
                    np.broadcast_to(d[:, None, 2], (R, len(boxes)))], 2)  # (R, B, 3)
    half = boxes[:, 3:6] / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d_l
        t1, t2 = (-half - o_l) * inv, (half - o_l) * inv
    lo, hi = np.minimum(t1, t2), np.maximum(t1, t2)
    lo = np.where(np.isnan(lo), -np.inf, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    t_in, t_out = lo.max(2), hi.min(2)
    t = np.where((t_in <= t_out) & (t_in > 0), t_in, np.inf)              # (R, B)
    j = t.argmin(1)
    rows = np.arange(R)
    axis = lo[rows, j].argmax(1)
    return t[rows, j], np.abs(d_l[rows, j, axis]), boxes[j, 7]


def _hit_poles(origin, d, poles):
    """Nearest positive hit of each ray on vertical cylinders: (t, cos incidence, refl)."""
    R = d.shape[0]
    if len(poles) == 0:
        return np.full(R, np.inf), np.zeros(R), np.zeros(R)
    px, py = origin[0] - poles[:, 0], origin[1] - poles[:, 1]             # (C,)
    a = (d[:, 0] ** 2 + d[:, 1] ** 2)[:, None]                           # (R, 1)
    b = 2 * (d[:, None, 0] * px + d[:, None, 1] * py)                     # (R, C)
    cc = px ** 2 + py ** 2 - poles[:, 4] ** 2
    disc = b * b - 4 * a * cc
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-b - np.sqrt(disc)) / (2 * a)
    z = origin[2] + t * d[:, None, 2]
    ok = (disc > 0) & (t > 0) & (z >= poles[:, 2]) & (z <= poles[:, 3])
    t = np.where(ok, t, np.inf)
    j = t.argmin(1)
    rows = np.arange(R)
    tj = t[rows, j]
    nx = (px[j] + np.where(np.isfinite(tj), tj, 0) * d[:, 0]) / poles[j, 4]
    ny = (py[j] + np.where(np.isfinite(tj), tj, 0) * d[:, 1]) / poles[j, 4]
    return tj, np.abs(nx * d[:, 0] + ny * d[:, 1]), poles[j, 5]


def lidar_points(name="kitti", seed=0, chunk=2048):
    """One ray-cast frame: float32 [P, 4] (x, y, z, intensity in [0, 1]) in the preset's frame.

    Deterministic in (name, seed). Points are in scan order (azimuth-major, beams top to bottom);
    rays that hit nothing within the sensor's range, and dropped rays, give no point. No crop to
    the voxel range is applied (the voxelizer does that, as OpenPCDet's data pipeline does).
    """
    p = preset(name)
    rng = np.random.default_rng(seed)
    boxes, poles = _scene(p, rng)
    elev = p.elevations() + rng.normal(0, np.radians(0.02), len(p.elevations()))   # per-beam calibration
    az = np.arange(p.azimuth_steps) * (2 * np.pi / p.azimuth_steps) + rng.uniform(0, 2 * np.pi / p.azimuth_steps)
    az = (az + np.pi) % (2 * np.pi) - np.pi
    if p.fov_deg < 360.0:
        az = az[np.abs(az) <= np.radians(p.fov_deg / 2)]
    az = np.sort(az)
    A, E = np.meshgrid(az, elev, indexing="ij")                           # azimuth-major scan order
    A, E = A.ravel(), E.ravel()
    d = np.stack([np.cos(E) * np.cos(A), np.cos(E) * np.sin(A), np.sin(E)], 1)
    origin = np.array([0.0, 0.0, p.sensor_z])
    noise = rng.normal(0, p.range_noise, len(d))
    keep_ray = rng.random(len(d)) >= p.dropout
    jitter = rng.normal(0, 0.02, len(d))
    # azimuth culling: a chunk of rays (a narrow azimuth sector, scan order) only tests the objects
    # whose bounding circle overlaps its sector
    obj_xy = np.concatenate([boxes[:, :2], poles[:, :2]])
    obj_r = np.concatenate([np.hypot(boxes[:, 3], boxes[:, 4]) / 2, poles[:, 4]])
    obj_d = np.hypot(obj_xy[:, 0], obj_xy[:, 1])
    obj_az = np.arctan2(obj_xy[:, 1], obj_xy[:, 0])
    obj_half = np.where(obj_d > obj_r, np.arcsin(np.minimum(obj_r / np.maximum(obj_d, 1e-9), 1.0)), np.pi)
    nb = len(boxes)
    out = []
    for s in range(0, len(d), chunk):
        dc = d[s:s + chunk]
        a0, a1 = A[s], A[min(s + chunk, len(d)) - 1]
        centre, half = (a0 + a1) / 2, (a1 - a0) / 2 + 1e-3
        near = np.abs((obj_az - centre + np.pi) % (2 * np.pi) - np.pi) <= half + obj_half
        with np.errstate(divide="ignore"):
            t_g = np.where(dc[:, 2] < 0, (p.ground_z - p.sensor_z) / dc[:, 2], np.inf)
        cos_g, refl_g = np.abs(dc[:, 2]), np.full(len(dc), 0.25)
        t_b, cos_b, refl_b = _hit_boxes(origin, dc, boxes[near[:nb]])
        t_p, cos_p, refl_p = _hit_poles(origin, dc, poles[near[nb:]])
        t = np.stack([t_g, t_b, t_p], 1)
        which = t.argmin(1)
        rows = np.arange(len(dc))
        tt = t[rows, which]
        cos_i = np.stack([cos_g, cos_b, cos_p], 1)[rows, which]
        refl = np.stack([refl_g, refl_b, refl_p], 1)[rows, which]
        tt = tt + noise[s:s + chunk]
        ok = np.isfinite(tt) & (tt > 0.5) & (tt <= p.max_range) & keep_ray[s:s + chunk]
        xyz = origin + dc[ok] * tt[ok, None]
        inten = np.clip(refl[ok] * (0.35 + 0.65 * cos_i[ok]) * np.exp(-tt[ok] / 150.0) + jitter[s:s + chunk][ok],
                        0.0, 1.0)
        out.append(np.column_stack([xyz, inten]))
    return np.concatenate(out).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Voxelization (replaceable: the kit's voxelization op will take this function's place)

def voxelize_mean(points, voxel_size, point_cloud_range, max_points_per_voxel=5, max_voxels=None, batch_index=0):
    """Hard voxelization + mean VFE in pure torch.

    points: float [P, C] (x, y, z, ...); voxel_size (3,) and point_cloud_range (6,) as in OpenPCDet.
    A point belongs to voxel floor((p - range_min) / voxel_size) when that lies inside the grid
    (points outside are dropped). Voxels are ordered by their first point (spconv's
    point-to-voxel order); each keeps its first `max_points_per_voxel` points (None: all) and
    only the first `max_voxels` voxels are kept (None: all). Features are the mean of the kept
    points' C channels (OpenPCDet's MeanVFE).

    Returns (features float [M, C] (points' dtype), coords int32 [M, 4] (batch_index, z, y, x),
    num_points int32 [M]).
    """
    pts = torch.as_tensor(points)
    if pts.dim() != 2 or pts.shape[1] < 3 or not pts.is_floating_point():
        raise ValueError(f"points: expected a float [P, C>=3] tensor, got {tuple(pts.shape)} {pts.dtype}")
    vs = torch.tensor(voxel_size, dtype=torch.float64)
    lo = torch.tensor(point_cloud_range[:3], dtype=torch.float64)
    grid = torch.round((torch.tensor(point_cloud_range[3:], dtype=torch.float64) - lo) / vs).long()
    cell = torch.floor((pts[:, :3].double() - lo) / vs).long()                       # (P, 3) x, y, z
    inside = ((cell >= 0) & (cell < grid)).all(1)
    pts, cell = pts[inside], cell[inside]
    X, Y = int(grid[0]), int(grid[1])
    key = (cell[:, 2] * Y + cell[:, 1]) * X + cell[:, 0]
    uniq, inverse = torch.unique(key, return_inverse=True)
    n = len(pts)
    first = torch.full((len(uniq),), n, dtype=torch.long).scatter_reduce_(0, inverse, torch.arange(n), "amin")
    order = torch.argsort(first)                                                       # first-seen order
    rank_of_voxel = torch.empty_like(order)
    rank_of_voxel[order] = torch.arange(len(order))
    vid = rank_of_voxel[inverse]                                                       # (P,) voxel id
    if max_points_per_voxel is not None:
        sorted_vid, perm = torch.sort(vid, stable=True)
        start = torch.searchsorted(sorted_vid, sorted_vid, side="left")
        slot = torch.empty_like(vid)
        slot[perm] = torch.arange(n) - start
        keep = slot < max_points_per_voxel
        pts, vid = pts[keep], vid[keep]
    m = len(order)
    if max_voxels is not None and m > max_voxels:
        keep = vid < max_voxels
        pts, vid, m = pts[keep], vid[keep], max_voxels
    counts = torch.zeros(m, dtype=torch.long).index_add_(0, vid, torch.ones_like(vid))
    feats = torch.zeros(m, pts.shape[1], dtype=pts.dtype).index_add_(0, vid, pts)
    feats = feats / counts.clamp(min=1).to(pts.dtype)[:, None]
    first_pt = torch.full((m,), len(vid), dtype=torch.long).scatter_reduce_(0, vid, torch.arange(len(vid)), "amin")
    xyz = torch.floor((pts[first_pt, :3].double() - lo) / vs).long()
    coords = torch.stack([torch.full((m,), batch_index, dtype=torch.long), xyz[:, 2], xyz[:, 1], xyz[:, 0]], 1)
    return feats, coords.int(), counts.int()


def make_frame(name="kitti", seed=0, batch_size=1, max_points_per_voxel=5, max_voxels=None, voxelize=voxelize_mean):
    """A voxelized batch: sample b uses seed + b.

    Returns dict(points [list of float32 [P_b, 4] tensors], voxel_features float32 [M, 4],
    voxel_coords int32 [M, 4] (b, z, y, x), voxel_num_points int32 [M], spatial_shape (Z, Y, X)
    tuple, batch_size, preset name). `voxelize` has voxelize_mean's signature and result.
    """
    p = preset(name)
    pts, feats, coords, nums = [], [], [], []
    for b in range(batch_size):
        x = torch.from_numpy(lidar_points(name, seed + b))
        f, c, k = voxelize(x, p.voxel_size, p.point_cloud_range, max_points_per_voxel, max_voxels, b)
        pts.append(x)
        feats.append(f)
        coords.append(c)
        nums.append(k)
    return dict(points=pts, voxel_features=torch.cat(feats), voxel_coords=torch.cat(coords),
                voxel_num_points=torch.cat(nums), spatial_shape=p.sparse_shape, batch_size=batch_size,
                preset=name)
