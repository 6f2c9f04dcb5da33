"""nuScenes -> info pkl in Sparse4D's layout (upstream tools/nuscenes_converter.py, field by field).

Per key frame (sample), sorted as nusc.sample:
    lidar_path (str), token, timestamp (us), lidar2ego_translation/rotation,
    ego2global_translation/rotation (lists as in the tables; rotations are quaternions w,x,y,z),
    sweeps: up to max_sweeps previous LiDAR sample_data, each dict(data_path, type="lidar",
        sample_data_token, sensor2ego_*, ego2global_*, timestamp,
        sensor2lidar_rotation (3, 3), sensor2lidar_translation (3,)),
    cams: {CAM_*: the same dict with type=<channel> plus cam_intrinsic (3, 3)},
    non-test only: gt_boxes (N, 7) float64 [x, y, z, l, w, h, yaw] in the LiDAR frame,
        gt_names (N,) str (10 detection classes, other names kept raw),
        gt_velocity (N, 2) LiDAR frame (NaN where the devkit cannot estimate it),
        num_lidar_pts (N,), num_radar_pts (N,), valid_flag (N,) bool (lidar + radar pts > 0),
        instance_inds (N,) int (row of the instance table).
Files: {out_dir}/{prefix}_infos_train.pkl and _val.pkl (test: _infos_test.pkl), each
dict(infos=[...], metadata=dict(version=...)). Scenes are split by the devkit's official
splits; a scene in neither list goes to val, as upstream.
"""
import os
import pickle

import numpy as np

from .._io import atomic_write

NAME_MAPPING = {
    "movable_object.barrier": "barrier",
    "vehicle.bicycle": "bicycle",
    "vehicle.bus.bendy": "bus",
    "vehicle.bus.rigid": "bus",
    "vehicle.car": "car",
    "vehicle.construction": "construction_vehicle",
    "vehicle.motorcycle": "motorcycle",
    "human.pedestrian.adult": "pedestrian",
    "human.pedestrian.child": "pedestrian",
    "human.pedestrian.construction_worker": "pedestrian",
    "human.pedestrian.police_officer": "pedestrian",
    "movable_object.trafficcone": "traffic_cone",
    "vehicle.trailer": "trailer",
    "vehicle.truck": "truck",
}
CAMERA_TYPES = ("CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK", "CAM_BACK_LEFT",
                "CAM_BACK_RIGHT")
VERSIONS = ("v1.0-trainval", "v1.0-test", "v1.0-mini")


def _quat_matrix(q):
    from pyquaternion import Quaternion
    return Quaternion(q).rotation_matrix


def _relative(path):
    """Upstream strips the current directory from absolute paths."""
    path = str(path)
    cwd = os.getcwd()
    if cwd in path:
        path = path.split(f"{cwd}/")[-1]
    return path


def split_scenes(nusc, version):
    """(train scene tokens, val scene tokens) by the devkit's official split names."""
    from nuscenes.utils import splits
    if version == "v1.0-trainval":
        train, val = splits.train, splits.val
    elif version == "v1.0-test":
        train, val = splits.test, []
    elif version == "v1.0-mini":
        train, val = splits.mini_train, splits.mini_val
    else:
        raise ValueError(f"--version must be one of {', '.join(VERSIONS)}, got {version!r}")
    by_name = {s["name"]: s["token"] for s in nusc.scene}
    return {by_name[s] for s in train if s in by_name}, {by_name[s] for s in val if s in by_name}


def sensor_to_lidar(nusc, sensor_token, l2e_t, l2e_r_mat, e2g_t, e2g_r_mat, sensor_type="lidar"):
    """Pose record of one sample_data plus its transform into the key frame's LiDAR frame
    (points_lidar = points_sensor @ sensor2lidar_rotation.T + sensor2lidar_translation)."""
    sd_rec = nusc.get("sample_data", sensor_token)
    cs_record = nusc.get("calibrated_sensor", sd_rec["calibrated_sensor_token"])
    pose_record = nusc.get("ego_pose", sd_rec["ego_pose_token"])
    sweep = {
        "data_path": _relative(nusc.get_sample_data_path(sd_rec["token"])),
        "type": sensor_type,
        "sample_data_token": sd_rec["token"],
        "sensor2ego_translation": cs_record["translation"],
        "sensor2ego_rotation": cs_record["rotation"],
        "ego2global_translation": pose_record["translation"],
        "ego2global_rotation": pose_record["rotation"],
        "timestamp": sd_rec["timestamp"],
    }
    l2e_r_s_mat = _quat_matrix(sweep["sensor2ego_rotation"])
    e2g_r_s_mat = _quat_matrix(sweep["ego2global_rotation"])
    l2e_t_s = np.asarray(sweep["sensor2ego_translation"])
    e2g_t_s = np.asarray(sweep["ego2global_translation"])
    inv = np.linalg.inv(e2g_r_mat).T @ np.linalg.inv(l2e_r_mat).T
    R = (l2e_r_s_mat.T @ e2g_r_s_mat.T) @ inv
    T = (l2e_t_s @ e2g_r_s_mat.T + e2g_t_s) @ inv
    T -= np.asarray(e2g_t) @ inv + np.asarray(l2e_t) @ np.linalg.inv(l2e_r_mat).T
    sweep["sensor2lidar_rotation"] = R.T
    sweep["sensor2lidar_translation"] = T
    return sweep


def sample_info(nusc, sample, test=False, max_sweeps=10):
    """The info dict of one key frame (see the module docstring)."""
    lidar_token = sample["data"]["LIDAR_TOP"]
    sd_rec = nusc.get("sample_data", lidar_token)
    cs_record = nusc.get("calibrated_sensor", sd_rec["calibrated_sensor_token"])
    pose_record = nusc.get("ego_pose", sd_rec["ego_pose_token"])
    lidar_path, boxes, _ = nusc.get_sample_data(lidar_token)
    if not os.path.isfile(lidar_path):
        raise FileNotFoundError(f"LiDAR file of sample {sample['token']} not found: {lidar_path}")
    info = {
        "lidar_path": lidar_path,
        "token": sample["token"],
        "sweeps": [],
        "cams": dict(),
        "lidar2ego_translation": cs_record["translation"],
        "lidar2ego_rotation": cs_record["rotation"],
        "ego2global_translation": pose_record["translation"],
        "ego2global_rotation": pose_record["rotation"],
        "timestamp": sample["timestamp"],
    }
    l2e_t, e2g_t = info["lidar2ego_translation"], info["ego2global_translation"]
    l2e_r_mat = _quat_matrix(info["lidar2ego_rotation"])
    e2g_r_mat = _quat_matrix(info["ego2global_rotation"])
    for cam in CAMERA_TYPES:
        cam_token = sample["data"][cam]
        _, _, cam_intrinsic = nusc.get_sample_data(cam_token)
        cam_info = sensor_to_lidar(nusc, cam_token, l2e_t, l2e_r_mat, e2g_t, e2g_r_mat, cam)
        cam_info.update(cam_intrinsic=cam_intrinsic)
        info["cams"].update({cam: cam_info})
    sweeps = []
    while len(sweeps) < max_sweeps and sd_rec["prev"] != "":
        sweeps.append(sensor_to_lidar(nusc, sd_rec["prev"], l2e_t, l2e_r_mat, e2g_t, e2g_r_mat, "lidar"))
        sd_rec = nusc.get("sample_data", sd_rec["prev"])
    info["sweeps"] = sweeps
    if test:
        return info
    annotations = [nusc.get("sample_annotation", token) for token in sample["anns"]]
    locs = np.array([b.center for b in boxes]).reshape(-1, 3)
    dims = np.array([b.wlh for b in boxes]).reshape(-1, 3)
    rots = np.array([b.orientation.yaw_pitch_roll[0] for b in boxes]).reshape(-1, 1)
    velocity = np.array([nusc.box_velocity(token)[:2] for token in sample["anns"]]).reshape(-1, 2)
    valid_flag = np.array([(a["num_lidar_pts"] + a["num_radar_pts"]) > 0 for a in annotations],
                          dtype=bool).reshape(-1)
    to_lidar = np.linalg.inv(e2g_r_mat).T @ np.linalg.inv(l2e_r_mat).T
    for i in range(len(boxes)):  # global -> LiDAR velocity
        velocity[i] = (np.array([*velocity[i], 0.0]) @ to_lidar)[:2]
    names = np.array([NAME_MAPPING.get(b.name, b.name) for b in boxes])
    # LiDAR-frame box size order is (l, w, h): devkit wlh -> [1, 0, 2]
    gt_boxes = np.concatenate([locs, dims[:, [1, 0, 2]], rots], axis=1)
    if len(gt_boxes) != len(annotations):
        raise RuntimeError(f"sample {sample['token']}: {len(gt_boxes)} boxes but {len(annotations)} annotations")
    info["instance_inds"] = np.array([nusc.getind("instance", a["instance_token"]) for a in annotations])
    info["gt_boxes"] = gt_boxes
    info["gt_names"] = names
    info["gt_velocity"] = velocity.reshape(-1, 2)
    info["num_lidar_pts"] = np.array([a["num_lidar_pts"] for a in annotations])
    info["num_radar_pts"] = np.array([a["num_radar_pts"] for a in annotations])
    info["valid_flag"] = valid_flag
    return info


def convert(root, version="v1.0-trainval", out_dir=None, info_prefix="nuscenes", max_sweeps=10,
            progress=True, nusc=None):
    """Write the info pkls for one version; returns {split: path}."""
    from tqdm import tqdm
    if version not in VERSIONS:
        raise ValueError(f"--version must be one of {', '.join(VERSIONS)}, got {version!r}")
    if not os.path.isdir(os.path.join(root, version)):
        raise FileNotFoundError(f"--root: no table folder {os.path.join(root, version)!r} "
                                f"(expected <root>/{version}/*.json)")
    if nusc is None:
        from nuscenes.nuscenes import NuScenes
        nusc = NuScenes(version=version, dataroot=root, verbose=progress)
    out_dir = out_dir or root
    os.makedirs(out_dir, exist_ok=True)
    train_scenes, val_scenes = split_scenes(nusc, version)
    test = "test" in version
    train, val = [], []
    for sample in tqdm(nusc.sample, desc=f"converting {version}", unit="sample", disable=not progress):
        info = sample_info(nusc, sample, test=test, max_sweeps=max_sweeps)
        (train if sample["scene_token"] in train_scenes else val).append(info)
    metadata = dict(version=version)
    paths = {}
    splits = {"test": train} if test else {"train": train, "val": val}
    for split, infos in splits.items():
        path = os.path.join(out_dir, f"{info_prefix}_infos_{split}.pkl")
        with atomic_write(path, "wb") as f:
            pickle.dump(dict(infos=infos, metadata=metadata), f)
        paths[split] = path
    if progress:
        print(", ".join(f"{k}: {len(v)} samples -> {paths[k]}" for k, v in splits.items()))
    return paths
