"""Synthetic nuScenes -> nuscenes-devkit -> info pkl -> K-means anchors, end to end."""
import json
import os
import pickle

import numpy as np
import pytest

pytest.importorskip("nuscenes", reason="pip install nuscenes-devkit (numpy<2) to run the nuScenes tools tests")

from ascend_ops.anchors import get_kmeans_anchor  # noqa: E402
from ascend_ops.cli import main as cli_main  # noqa: E402
from ascend_ops.nuscenes import converter, synthetic  # noqa: E402

SCENES, SAMPLES = 2, 3
TABLES = ("category", "attribute", "visibility", "instance", "sensor", "calibrated_sensor", "ego_pose",
          "log", "scene", "sample", "sample_data", "sample_annotation", "map")
INFO_KEYS = {"lidar_path", "token", "sweeps", "cams", "lidar2ego_translation", "lidar2ego_rotation",
             "ego2global_translation", "ego2global_rotation", "timestamp", "instance_inds", "gt_boxes",
             "gt_names", "gt_velocity", "num_lidar_pts", "num_radar_pts", "valid_flag"}
CAM_KEYS = {"data_path", "type", "sample_data_token", "sensor2ego_translation", "sensor2ego_rotation",
            "ego2global_translation", "ego2global_rotation", "timestamp", "sensor2lidar_rotation",
            "sensor2lidar_translation", "cam_intrinsic"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("nuscenes"))
    assert cli_main(["nuscenes", "generate", "--out", root, "--scenes", str(SCENES), "--samples-per-scene",
                     str(SAMPLES), "--seed", "5", "--no-progress"]) == 0
    with open(os.path.join(root, "synthetic_ground_truth.pkl"), "rb") as f:
        truth = pickle.load(f)["samples"]
    out = os.path.join(root, "infos")
    assert cli_main(["nuscenes", "convert", "--root", root, "--version", "v1.0-mini", "--out-dir", out,
                     "--no-progress"]) == 0
    infos = {}
    for split in ("train", "val"):
        with open(os.path.join(out, f"nuscenes_infos_{split}.pkl"), "rb") as f:
            infos[split] = pickle.load(f)
    return root, truth, infos


def test_devkit_loads_the_synthetic_dataset(dataset):
    from PIL import Image
    from nuscenes.nuscenes import NuScenes
    from nuscenes.utils.data_classes import LidarPointCloud
    root, truth, _ = dataset
    assert sorted(os.listdir(os.path.join(root, "v1.0-mini"))) == sorted(f"{t}.json" for t in TABLES)
    nusc = NuScenes(version="v1.0-mini", dataroot=root, verbose=False)
    assert len(nusc.scene) == SCENES and len(nusc.sample) == SCENES * SAMPLES
    assert [s["name"] for s in nusc.scene] == ["scene-0061", "scene-0103"]  # mini_train, mini_val
    sample = nusc.sample[1]
    assert set(sample["data"]) == set(converter.CAMERA_TYPES) | {"LIDAR_TOP"}
    assert len(sample["anns"]) == len(truth[sample["token"]]["names"])
    img = Image.open(nusc.get_sample_data_path(sample["data"]["CAM_FRONT"]))
    assert img.format == "JPEG" and img.size == (160, 90)
    pc = LidarPointCloud.from_file(nusc.get_sample_data_path(sample["data"]["LIDAR_TOP"]))
    assert pc.points.shape[0] == 4 and pc.points.shape[1] > 1000
    # annotation points really lie inside their boxes (num_lidar_pts is consistent)
    _, boxes, _ = nusc.get_sample_data(sample["data"]["LIDAR_TOP"])
    from nuscenes.utils.geometry_utils import points_in_box
    for box in boxes:
        ann = nusc.get("sample_annotation", box.token)
        assert points_in_box(box, pc.points[:3]).sum() == ann["num_lidar_pts"]


def test_converter_layout_matches_upstream(dataset):
    _, _, infos = dataset
    assert infos["train"]["metadata"] == {"version": "v1.0-mini"}
    assert len(infos["train"]["infos"]) == SAMPLES and len(infos["val"]["infos"]) == SAMPLES
    info = infos["train"]["infos"][-1]
    assert set(info) == INFO_KEYS
    assert set(info["cams"]) == set(converter.CAMERA_TYPES)
    for name, cam in info["cams"].items():
        assert set(cam) == CAM_KEYS and cam["type"] == name
        assert np.asarray(cam["cam_intrinsic"]).shape == (3, 3)
        R = np.asarray(cam["sensor2lidar_rotation"])
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-9)
    assert 1 <= len(info["sweeps"]) <= 10
    assert {s["type"] for s in info["sweeps"]} == {"lidar"}
    n = len(info["gt_boxes"])
    assert info["gt_boxes"].shape == (n, 7) and info["gt_velocity"].shape == (n, 2)
    assert info["valid_flag"].dtype == bool and info["instance_inds"].shape == (n,)
    assert set(info["gt_names"]) <= set(converter.NAME_MAPPING.values()) | set(synthetic.CATEGORY_NAMES)


def test_sweep_transform_is_the_ego_motion(dataset):
    """Constant heading, same calibration: a sweep's sensor2lidar is a pure translation by the ego
    displacement expressed in the LiDAR frame."""
    from pyquaternion import Quaternion
    _, _, infos = dataset
    info = infos["train"]["infos"][-1]
    sweep = info["sweeps"][0]
    np.testing.assert_allclose(sweep["sensor2lidar_rotation"], np.eye(3), atol=1e-9)
    d_global = np.subtract(sweep["ego2global_translation"], info["ego2global_translation"])
    R = Quaternion(info["ego2global_rotation"]).rotation_matrix @ Quaternion(info["lidar2ego_rotation"]).rotation_matrix
    np.testing.assert_allclose(sweep["sensor2lidar_translation"], R.T @ d_global, atol=1e-9)


def test_boxes_round_trip_the_generator_truth(dataset):
    _, truth, infos = dataset
    for info in infos["train"]["infos"] + infos["val"]["infos"]:
        t = truth[info["token"]]
        np.testing.assert_allclose(info["gt_boxes"][:, :6], t["boxes"][:, :6], atol=1e-9)
        dyaw = (info["gt_boxes"][:, 6] - t["boxes"][:, 6] + np.pi) % (2 * np.pi) - np.pi
        np.testing.assert_allclose(dyaw, 0.0, atol=1e-9)
        mapped = [converter.NAME_MAPPING.get(n, n) for n in t["names"]]
        assert list(info["gt_names"]) == mapped
        np.testing.assert_array_equal(info["num_lidar_pts"], t["num_lidar_pts"])
        single = t["single"]  # one annotation only: the devkit cannot estimate a velocity
        assert np.isnan(info["gt_velocity"][single]).all()
        np.testing.assert_allclose(info["gt_velocity"][~single], t["velocity"][~single], atol=1e-6)
        np.testing.assert_array_equal(info["valid_flag"], (info["num_lidar_pts"] + info["num_radar_pts"]) > 0)


def test_generator_is_seeded(dataset, tmp_path):
    root, _, _ = dataset
    synthetic.generate(str(tmp_path), scenes=SCENES, samples_per_scene=SAMPLES, seed=5, progress=False)
    for table in ("sample_annotation", "ego_pose", "sample_data"):
        with open(os.path.join(root, "v1.0-mini", f"{table}.json")) as f1, \
                open(os.path.join(tmp_path, "v1.0-mini", f"{table}.json")) as f2:
            assert json.load(f1) == json.load(f2)


def test_convert_then_anchors_end_to_end(dataset, tmp_path):
    root, _, _ = dataset
    ann = os.path.join(root, "infos", "nuscenes_infos_train.pkl")
    out = str(tmp_path / "nuscenes_kmeans8.npy")
    anchor = get_kmeans_anchor(ann, num_anchor=8, detection_range=55, output_file_name=out, seed=0,
                               progress_bar=False)
    assert np.load(out).shape == (8, 11)
    np.testing.assert_array_equal(np.load(out), anchor)


def test_convert_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="--root"):
        converter.convert(str(tmp_path), version="v1.0-mini", progress=False)
    with pytest.raises(ValueError, match="--version"):
        converter.convert(str(tmp_path), version="v2.0", progress=False)
    assert cli_main(["nuscenes", "convert", "--root", str(tmp_path), "--version", "v1.0-mini",
                     "--no-progress"]) == 2


def test_defaults_chain_generate_convert_anchors(tmp_path, monkeypatch):
    """`nuscenes generate`, `nuscenes convert` and `anchors`, each with its defaults (only the
    paths given), work on the generated set: convert finds the generated table version, the set
    has enough boxes within anchors' default 55 m for its default 900 anchors."""
    monkeypatch.chdir(tmp_path)
    root = str(tmp_path / "nuscenes")
    assert cli_main(["nuscenes", "generate", "--out", root, "--no-progress"]) == 0
    assert cli_main(["nuscenes", "convert", "--root", root, "--no-progress"]) == 0
    assert cli_main(["anchors", "--ann_file", os.path.join(root, "nuscenes_infos_train.pkl")]) == 0
    assert np.load(tmp_path / "nuscenes_kmeans900.npy").shape == (900, 11)
