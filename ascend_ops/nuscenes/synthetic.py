"""Synthetic nuScenes: road-like object layouts and a small dataset in the official table format.

`sample_objects(rng, n)` draws n objects around an ego vehicle in the LiDAR frame the way
nuScenes boxes are distributed (along a road and a cross street, parked rows, sidewalks,
dense near the ego, thinning out to ~70 m). `road_centres(n, seed)` stacks many such frames
into an (n, 3) float64 array, the workload of the anchor K-means.

The dataset writer (`generate`) is defined further down.
"""
import numpy as np

# nuScenes category -> (mean w, l, h) in metres, relative frequency (roughly nuScenes train)
CATEGORIES = {
    "vehicle.car": ((1.95, 4.62, 1.73), 0.43),
    "human.pedestrian.adult": ((0.67, 0.73, 1.77), 0.16),
    "movable_object.barrier": ((2.53, 0.50, 0.98), 0.13),
    "movable_object.trafficcone": ((0.41, 0.41, 1.07), 0.08),
    "vehicle.truck": ((2.51, 6.93, 2.84), 0.07),
    "vehicle.trailer": ((2.90, 12.29, 3.87), 0.02),
    "vehicle.bus.rigid": ((2.95, 11.19, 3.49), 0.015),
    "vehicle.construction": ((2.85, 6.37, 3.19), 0.015),
    "vehicle.motorcycle": ((0.77, 2.11, 1.47), 0.012),
    "vehicle.bicycle": ((0.60, 1.70, 1.28), 0.012),
    "human.pedestrian.child": ((0.51, 0.53, 1.38), 0.003),
    "movable_object.pushable_pullable": ((0.62, 0.69, 1.03), 0.01),
    "static_object.bicycle_rack": ((1.60, 3.70, 1.20), 0.004),
    "animal": ((0.36, 0.73, 0.51), 0.001),
    "movable_object.debris": ((0.50, 0.70, 0.40), 0.004),
}
CATEGORY_NAMES = tuple(CATEGORIES)
_PEOPLE = ("human.pedestrian.adult", "human.pedestrian.child")
_LIDAR_HEIGHT = 1.84  # LiDAR above ground (m): box centres sit at z ~ -1.84 + h / 2


def _choose_classes(rng, n):
    p = np.array([v[1] for v in CATEGORIES.values()])
    return rng.choice(len(p), size=n, p=p / p.sum())


def _layout(rng, frame_of, n_frames, max_range):
    """Objects for frame ids `frame_of` (n,) int: per-frame road heading and cross street."""
    n = frame_of.size
    cls = _choose_classes(rng, n)
    road_yaw = rng.normal(0.0, 0.05, n_frames)[frame_of]   # ego drives along the road
    cross_x = rng.uniform(-45.0, 45.0, n_frames)[frame_of]  # a cross street somewhere
    slope = rng.normal(0.0, 0.02, n_frames)[frame_of]
    # placement: 0 lane traffic, 1 parked rows, 2 sidewalks, 3 cross street, 4 scattered (lots)
    place = rng.choice(5, size=n, p=[0.38, 0.17, 0.2, 0.15, 0.1])
    people = np.isin(cls, [CATEGORY_NAMES.index(p) for p in _PEOPLE])
    place[people & (place == 0)] = 2                        # no pedestrians in the lanes
    along = rng.laplace(0.0, 18.0, size=n)                 # denser near the ego
    lanes = np.array([-5.25, -1.75, 1.75, 5.25])
    across = np.select(
        [place == 0, place == 1, place == 2],
        [lanes[rng.integers(0, 4, n)] + rng.normal(0, 0.3, n),
         rng.choice([-8.2, 8.2], n) + rng.normal(0, 0.25, n),
         rng.choice([-11.0, 11.0], n) + rng.normal(0, 0.8, n)],
        default=0.0)
    x, y = along.copy(), across.copy()
    cross = place == 3
    nc = int(cross.sum())
    x[cross] = cross_x[cross] + lanes[rng.integers(0, 4, nc)] + rng.normal(0, 0.3, nc)
    y[cross] = along[cross]
    lot = place == 4
    nl = int(lot.sum())
    y[lot] = rng.choice([-1.0, 1.0], nl) * rng.uniform(14.0, 40.0, nl)
    x[lot] = rng.uniform(-50.0, 50.0, nl)
    c, s = np.cos(road_yaw), np.sin(road_yaw)
    x, y = c * x - s * y, s * x + c * y
    mean_wlh = np.array([CATEGORIES[nm][0] for nm in CATEGORY_NAMES])[cls]
    wlh = mean_wlh * rng.lognormal(0.0, 0.08, size=(n, 3))
    ground = -_LIDAR_HEIGHT + slope * x + rng.normal(0, 0.08, n)   # gently sloped road
    z = ground + wlh[:, 2] / 2
    yaw = road_yaw + np.where(cross, np.pi / 2, 0.0) + rng.choice([0.0, np.pi], n) + rng.normal(0, 0.05, n)
    yaw = (yaw + np.pi) % (2 * np.pi) - np.pi
    centres = np.stack([x, y, z], axis=1)
    keep = np.linalg.norm(centres[:, :2], axis=1) <= max_range
    return dict(names=np.array(CATEGORY_NAMES)[cls[keep]], centres=centres[keep], wlh=wlh[keep], yaw=yaw[keep],
                frame=frame_of[keep])


def sample_objects(rng, n, max_range=70.0):
    """Up to n objects of one frame around the ego (LiDAR frame, x forward, y left, z up);
    objects beyond max_range (m, horizontal) are dropped.

    Returns dict(names (m,) str, centres (m, 3) float64, wlh (m, 3) float64, yaw (m,) float64).
    """
    out = _layout(rng, np.zeros(n, np.int64), 1, max_range)
    out.pop("frame")
    return out


def road_centres(n, seed=0, objects_per_frame=40):
    """(n, 3) float64 box centres pooled over many synthetic frames (nuScenes-like K-means input)."""
    rng = np.random.default_rng(seed)
    frames = int(np.ceil(1.2 * n / objects_per_frame)) + 1
    c = _layout(rng, np.repeat(np.arange(frames), objects_per_frame), frames, 70.0)["centres"]
    while len(c) < n:
        c = np.concatenate([c, road_centres(n - len(c), seed + 1, objects_per_frame)])
    return c[:n]


# ---------------------------------------------------------------------------------------------
# Dataset writer

CAMERAS = {  # channel -> (yaw of the optical axis in the ego frame (deg), mount x, y (m))
    "CAM_FRONT": (0.0, 1.70, 0.02),
    "CAM_FRONT_RIGHT": (-55.0, 1.55, -0.49),
    "CAM_FRONT_LEFT": (55.0, 1.52, 0.49),
    "CAM_BACK": (180.0, 0.03, 0.01),
    "CAM_BACK_LEFT": (110.0, 1.04, 0.48),
    "CAM_BACK_RIGHT": (-110.0, 1.04, -0.48),
}
LIDAR = "LIDAR_TOP"
RADARS = ("RADAR_FRONT",)
ATTRIBUTES = ("vehicle.moving", "vehicle.stopped", "vehicle.parked", "cycle.with_rider",
              "cycle.without_rider", "pedestrian.sitting_lying_down", "pedestrian.standing",
              "pedestrian.moving")
VISIBILITY = (("1", "v0-40"), ("2", "v40-60"), ("3", "v60-80"), ("4", "v80-100"))
KEYFRAME_US = 500_000                      # 2 Hz key frames, as nuScenes
_LIDAR_Q = (np.cos(-np.pi / 4), 0.0, 0.0, np.sin(-np.pi / 4))  # LiDAR x = ego -y (as nuScenes)


def _quat_z(yaw):
    """Quaternion (w, x, y, z) of a rotation by yaw about +z."""
    return np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])


def _quat_mul(a, b):
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def _rot_z(yaw):
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def scene_names(version, count):
    """Official scene names for `count` scenes: ~80% from the version's train split, the rest val
    (so the converter's split logic sees real names)."""
    from nuscenes.utils import splits
    train, val = {"v1.0-mini": (splits.mini_train, splits.mini_val),
                  "v1.0-trainval": (splits.train, splits.val),
                  "v1.0-test": (splits.test, [])}[version]
    n_val = 0 if not val or count < 2 else max(1, int(round(0.2 * count)))
    n_train = count - n_val
    if n_train > len(train) or n_val > len(val):
        raise ValueError(f"--scenes {count} is more than {version} has names for "
                         f"({len(train)} train + {len(val)} val)")
    return list(train[:n_train]) + list(val[:n_val])


class _Tables:
    def __init__(self, rng):
        self.rng = rng
        self.t = {name: [] for name in ("category", "attribute", "visibility", "instance", "sensor",
                                        "calibrated_sensor", "ego_pose", "log", "scene", "sample",
                                        "sample_data", "sample_annotation", "map")}

    def token(self):
        return self.rng.bytes(16).hex()

    def add(self, table, **record):
        record.setdefault("token", self.token())
        self.t[table].append(record)
        return record


def _write_jpeg(path, rng, width, height):
    from PIL import Image
    base = np.linspace(40, 200, height, dtype=np.float64)[:, None, None]
    img = base + rng.normal(0, 12, (height, width, 3))
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=60)


def _points_in_boxes(centres, wlh, yaw, count, rng):
    """`count[i]` uniform points inside box i (LiDAR frame) -> (sum count, 3)."""
    pts = []
    for c, s, y, n in zip(centres, wlh, yaw, count):
        if n == 0:
            continue
        local = (rng.random((n, 3)) - 0.5) * 0.9 * np.array([s[1], s[0], s[2]])  # l, w, h
        pts.append(local @ _rot_z(y).T + c)
    return np.concatenate(pts) if pts else np.zeros((0, 3))


def generate(out, scenes=10, samples_per_scene=10, seed=0, version="v1.0-mini", objects_per_scene=60,
             lidar_sweeps=2, image_size=(160, 90), ground_points=1500, progress=True):
    """Write a synthetic nuScenes dataset under `out`; returns the ground truth per key frame.

    Layout: out/<version>/*.json (13 tables), out/samples/<CHANNEL>/*.jpg|*.pcd.bin,
    out/sweeps/LIDAR_TOP/*.pcd.bin, out/maps/*.png. Loadable with
    nuscenes.NuScenes(version=version, dataroot=out).

    Returns {sample_token: dict(names (N,) str, boxes (N, 7) float64 [x, y, z, l, w, h, yaw] in the
    LiDAR frame, velocity (N, 2) float64 in the LiDAR frame, num_lidar_pts (N,) int,
    instance_tokens (N,) str)}; also pickled to out/synthetic_ground_truth.pkl.
    """
    import json
    import os
    import pickle

    from .._io import atomic_write
    from tqdm import tqdm

    if scenes < 1 or samples_per_scene < 2:
        raise ValueError(f"need --scenes >= 1 and --samples-per-scene >= 2, got {scenes}, "
                         f"{samples_per_scene}")
    if version not in ("v1.0-mini", "v1.0-trainval", "v1.0-test"):
        raise ValueError(f"--version must be v1.0-mini, v1.0-trainval or v1.0-test, got {version!r}")
    names = scene_names(version, scenes)
    rng = np.random.default_rng(seed)
    T = _Tables(np.random.default_rng([seed, 1]))
    width, height = image_size
    table_dir = os.path.join(out, version)
    for sub in [table_dir, os.path.join(out, "maps"), os.path.join(out, "sweeps", LIDAR)] + [
            os.path.join(out, "samples", ch) for ch in (*CAMERAS, LIDAR)]:
        os.makedirs(sub, exist_ok=True)

    cat_tok = {nm: T.add("category", name=nm, description=f"synthetic {nm}")["token"] for nm in CATEGORY_NAMES}
    attr_tok = {nm: T.add("attribute", name=nm, description=nm)["token"] for nm in ATTRIBUTES}
    for tok, level in VISIBILITY:
        T.add("visibility", token=tok, level=level, description=f"visibility {level}")
    sensor_tok = {ch: T.add("sensor", channel=ch, modality="camera")["token"] for ch in CAMERAS}
    sensor_tok[LIDAR] = T.add("sensor", channel=LIDAR, modality="lidar")["token"]
    for r in RADARS:
        T.add("sensor", channel=r, modality="radar")
    map_rec = T.add("map", category="semantic_prior", filename="", log_tokens=[])
    map_rec["filename"] = f"maps/{map_rec['token']}.png"
    from PIL import Image
    Image.fromarray((rng.random((64, 64)) > 0.5).astype(np.uint8) * 255).save(os.path.join(out, map_rec["filename"]))

    truth = {}
    total = scenes * samples_per_scene
    bar = tqdm(total=total, desc="synthetic nuScenes", unit="sample", disable=not progress)
    for si, scene_name in enumerate(names):
        log = T.add("log", logfile=f"synthetic-{seed}-{si:04d}", vehicle="n015",
                    date_captured="2018-07-24", location="singapore-onenorth")
        map_rec["log_tokens"].append(log["token"])
        # one calibration per sensor per log, as nuScenes
        calib = {LIDAR: T.add("calibrated_sensor", sensor_token=sensor_tok[LIDAR],
                              translation=[0.94, 0.0, 1.84], rotation=list(_LIDAR_Q), camera_intrinsic=[])}
        f = 1266.4 * width / 1600.0
        K = [[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]]
        q_front = np.array([0.5, -0.5, 0.5, -0.5])     # camera (z fwd, x right, y down) -> ego
        for ch, (yaw_deg, mx, my) in CAMERAS.items():
            q = _quat_mul(_quat_z(np.deg2rad(yaw_deg)), q_front)
            calib[ch] = T.add("calibrated_sensor", sensor_token=sensor_tok[ch], translation=[mx, my, 1.51],
                              rotation=list(q), camera_intrinsic=K)
        # ego motion in the global frame: straight road, constant speed
        t0 = 1_533_151_603_547_590 + si * 100_000_000
        origin = np.array([300.0 + 50 * si, 800.0 + 30 * si, 0.0])
        heading = rng.uniform(-np.pi, np.pi)
        speed = rng.uniform(0.0, 8.0)

        def ego_at(ts):
            dt = (ts - t0) * 1e-6
            pos = origin + speed * dt * np.array([np.cos(heading), np.sin(heading), 0.0])
            return pos, heading

        def pose_record(ts):
            pos, yaw = ego_at(ts)
            return T.add("ego_pose", timestamp=int(ts), rotation=list(_quat_z(yaw)), translation=list(pos))

        def lidar_to_global(ts):
            pos, yaw = ego_at(ts)
            R_e = _rot_z(yaw)
            R_l = _rot_z(-np.pi / 2)
            return R_e @ R_l, R_e @ np.array([0.94, 0.0, 1.84]) + pos, yaw - np.pi / 2

        # objects: laid out around the ego at the first key frame, moving at constant velocity
        obj = sample_objects(rng, objects_per_scene)
        n_obj = len(obj["names"])
        R0, t0_l, yaw0 = lidar_to_global(t0)
        # sample_objects works in an x-forward frame; rotate it into the LiDAR frame (x = ego -y)
        R_fwd = _rot_z(np.pi / 2)
        g_centre = (obj["centres"] @ R_fwd.T) @ R0.T + t0_l
        g_yaw = obj["yaw"] + np.pi / 2 + yaw0
        is_vehicle = np.array([nm.startswith("vehicle") for nm in obj["names"]])
        moving = is_vehicle & (rng.random(n_obj) < 0.6)
        people = np.array([nm.startswith("human") for nm in obj["names"]])
        speed_obj = np.where(moving, rng.uniform(2.0, 10.0, n_obj), np.where(people, rng.uniform(0.5, 1.5, n_obj), 0.0))
        g_vel = np.stack([np.cos(g_yaw), np.sin(g_yaw), np.zeros(n_obj)], 1) * speed_obj[:, None]
        first_k = rng.integers(0, max(1, samples_per_scene - 1), n_obj)      # instance life span
        last_k = np.minimum(samples_per_scene - 1, first_k + rng.integers(1, samples_per_scene + 1, n_obj))
        inst = [T.add("instance", category_token=cat_tok[nm], nbr_annotations=0,
                      first_annotation_token="", last_annotation_token="") for nm in obj["names"]]
        last_ann = [None] * n_obj

        scene = T.add("scene", log_token=log["token"], nbr_samples=samples_per_scene, first_sample_token="",
                      last_sample_token="", name=scene_name, description=f"synthetic scene {si}")
        prev_sample = None
        prev_sd = {ch: None for ch in (*CAMERAS, LIDAR)}

        def add_sd(ch, sample_tok, ts, filename, key, h=0, w=0, fmt="jpg"):
            rec = T.add("sample_data", sample_token=sample_tok, ego_pose_token=pose_record(ts)["token"],
                        calibrated_sensor_token=calib[ch]["token"], timestamp=int(ts), fileformat=fmt,
                        is_key_frame=key, height=h, width=w, filename=filename,
                        prev=prev_sd[ch]["token"] if prev_sd[ch] else "", next="")
            if prev_sd[ch]:
                prev_sd[ch]["next"] = rec["token"]
            prev_sd[ch] = rec
            return rec

        def write_cloud(path, ts, extra_pts):
            n_ground = ground_points
            r = rng.uniform(2.0, 60.0, n_ground)
            a = rng.uniform(-np.pi, np.pi, n_ground)
            ground = np.stack([r * np.cos(a), r * np.sin(a), np.full(n_ground, -1.84)], 1)
            pts = np.concatenate([ground, extra_pts])
            cloud = np.zeros((len(pts), 5), np.float32)
            cloud[:, :3] = pts
            cloud[:, 3] = rng.uniform(0, 100, len(pts))
            cloud[:, 4] = rng.integers(0, 32, len(pts))
            cloud.tofile(path)
            return cloud[:, :3].astype(np.float64)

        for k in range(samples_per_scene):
            ts = t0 + k * KEYFRAME_US
            sample = T.add("sample", timestamp=int(ts), prev=prev_sample["token"] if prev_sample else "",
                           next="", scene_token=scene["token"])
            if prev_sample:
                prev_sample["next"] = sample["token"]
            else:
                scene["first_sample_token"] = sample["token"]
            scene["last_sample_token"] = sample["token"]
            # LiDAR sweeps between the previous key frame and this one
            if k > 0:
                for j in range(1, lidar_sweeps + 1):
                    ts_s = ts - KEYFRAME_US + j * KEYFRAME_US // (lidar_sweeps + 1)
                    fn = f"sweeps/{LIDAR}/{scene_name}__{LIDAR}__{ts_s}.pcd.bin"
                    write_cloud(os.path.join(out, fn), ts_s, np.zeros((0, 3)))
                    add_sd(LIDAR, sample["token"], ts_s, fn, False, fmt="pcd")
            # annotations at the key frame (global frame), and their LiDAR-frame truth
            alive = np.flatnonzero((first_k <= k) & (k <= last_k))
            dt = (ts - t0) * 1e-6
            R, t, yaw_l = lidar_to_global(ts)
            centres_g = g_centre[alive] + g_vel[alive] * dt
            centres_l = (centres_g - t) @ R              # R^T (c - t), row-vector form
            yaw_local = (g_yaw[alive] - yaw_l + np.pi) % (2 * np.pi) - np.pi
            wlh = obj["wlh"][alive]
            dist = np.linalg.norm(centres_l[:, :2], axis=1)
            n_pts = np.where(rng.random(alive.size) < 0.1, 0,
                             np.maximum(0, (40 * np.exp(-dist / 25.0)).astype(np.int64)))
            n_radar = np.where(rng.random(alive.size) < 0.5, 0, rng.integers(1, 6, alive.size))
            lidar_fn = f"samples/{LIDAR}/{scene_name}__{LIDAR}__{ts}.pcd.bin"
            box_lwh = np.stack([wlh[:, 1], wlh[:, 0], wlh[:, 2]], 1)
            cloud = write_cloud(os.path.join(out, lidar_fn), ts,
                                _points_in_boxes(centres_l, box_lwh[:, [1, 0, 2]], yaw_local, n_pts, rng))
            # num_lidar_pts = points of the written cloud inside each box (boxes may overlap)
            cloud32 = cloud.astype(np.float32).astype(np.float64)
            n_pts = np.array([int((np.abs((cloud32 - c) @ _rot_z(y)) <= dims / 2).all(1).sum())
                              for c, dims, y in zip(centres_l, box_lwh, yaw_local)], dtype=np.int64)
            add_sd(LIDAR, sample["token"], ts, lidar_fn, True, fmt="pcd")
            for ci, ch in enumerate(CAMERAS):
                ts_c = ts - 20_000 + ci * 8_000
                fn = f"samples/{ch}/{scene_name}__{ch}__{ts_c}.jpg"
                _write_jpeg(os.path.join(out, fn), rng, width, height)
                add_sd(ch, sample["token"], ts_c, fn, True, h=height, w=width)
            inst_tokens = []
            for j, oi in enumerate(alive):
                nm = obj["names"][oi]
                if nm.startswith("vehicle"):
                    attrs = [attr_tok["vehicle.moving" if moving[oi] else "vehicle.parked"]]
                elif nm.startswith("human"):
                    attrs = [attr_tok["pedestrian.moving"]]
                else:
                    attrs = []
                ann = T.add("sample_annotation", sample_token=sample["token"], instance_token=inst[oi]["token"],
                            visibility_token=VISIBILITY[int(rng.integers(0, 4))][0], attribute_tokens=attrs,
                            translation=list(map(float, centres_g[j])), size=list(map(float, wlh[j])),
                            rotation=list(map(float, _quat_z(g_yaw[oi]))),
                            prev=last_ann[oi]["token"] if last_ann[oi] else "", next="",
                            num_lidar_pts=int(n_pts[j]), num_radar_pts=int(n_radar[j]))
                if last_ann[oi]:
                    last_ann[oi]["next"] = ann["token"]
                else:
                    inst[oi]["first_annotation_token"] = ann["token"]
                inst[oi]["last_annotation_token"] = ann["token"]
                inst[oi]["nbr_annotations"] += 1
                last_ann[oi] = ann
                inst_tokens.append(inst[oi]["token"])
            vel_l = (g_vel[alive] @ R)[:, :2]
            truth[sample["token"]] = dict(
                names=np.array(obj["names"][alive]), instance_tokens=np.array(inst_tokens),
                boxes=np.concatenate([centres_l, box_lwh, yaw_local[:, None]], 1),
                velocity=vel_l, num_lidar_pts=n_pts, single=np.array(
                    [first_k[oi] == last_k[oi] for oi in alive]))
            prev_sample = sample
            bar.update(1)
    bar.close()
    for name, rows in T.t.items():
        with atomic_write(os.path.join(table_dir, f"{name}.json"), "w") as f:
            json.dump(rows, f, indent=0)
    with atomic_write(os.path.join(out, "synthetic_ground_truth.pkl"), "wb") as f:
        pickle.dump(dict(version=version, seed=seed, samples=truth), f)
    return truth
