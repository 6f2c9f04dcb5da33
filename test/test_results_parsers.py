"""Log parsers on fixture logs written in each upstream's real format (test/fixtures/runs/logs)."""
import os

import pytest

from ascend_ops.results import LogParseError, StepLogger, format_metric, format_step, parse_eval_log, parse_train_log

LOGS = os.path.join(os.path.dirname(__file__), "fixtures", "runs", "logs")


def log(name):
    return os.path.join(LOGS, name)


def steps(t):
    return [(s.step, s.loss, s.time) for s in t.steps]


def test_mmcv_iter_based_sparse4d():
    t = parse_train_log("mmcv", log("sparse4d_mmcv_train.log"))
    assert steps(t) == [(51, 22.3456, 1.601), (102, 21.0001, 1.198), (153, 19.8765, 1.204),
                        (204, 18.5, 1.21), (255, 17.25, 1.199)]
    assert t.total_steps == 58600 and t.step_unit == "step"
    first = t.steps[0].scalars
    assert first["loss_dense_depth"] == 2.1012 and first["grad_norm"] == 34.5 and first["lr"] == 2e-4
    assert "eta" not in first  # "eta: 1 day, 2:03:04" is not a number and must not break the split


def test_mmcv_epoch_based():
    t = parse_train_log("mmcv", log("mmcv_epoch_train.log"))
    assert steps(t) == [(50, 4.0, 0.95), (100, 3.8, 0.9), (150, 3.6, 0.91)]
    assert t.total_steps is None


def test_sparsebev_own_hook_and_end_of_training_metrics():
    t = parse_train_log("sparsebev", log("sparsebev_train.log"))
    assert steps(t) == [(1, 52.31, 3.21), (2, 50.12, 1.23), (3, 49.87, 1.2), (4, 48.0, 1.25), (3518, 30.5, 1.22)]
    assert t.total_steps == 24 * 3517
    assert t.steps[1].scalars["data_time"] == pytest.approx(0.045)
    m = parse_eval_log("nuscenes", log("sparsebev_train.log"))
    assert m["mAP"] == 44.7 and m["NDS"] == 54.49 and m["mATE"] == 0.5947


def test_openpcdet_skips_predictor_phase():
    t = parse_train_log("openpcdet", log("ada3d_openpcdet_train.log"))
    assert steps(t) == [(1, 9.876, 1.7), (50, 4.321, 0.36), (100, 3.21, 0.35), (978, 2.5, 0.34)]
    assert t.total_steps == 80 * 928
    assert t.steps[1].scalars == {"lr": 3.01e-4, "data_time": 0.01, "forward_time": 0.35}


def test_kit_lines_sparsekd():
    t = parse_train_log("kit", log("sparsekd_kit_train.log"))
    assert steps(t) == [(1, 8.51234, 2.1034), (2, 8.01234, 0.9123), (3, 7.51234, 0.905), (4, 7.4, 0.9101)]
    assert t.total_steps == 55000 and t.steps[0].scalars["kd_hm_loss"] == 1.2


def test_torchpack_with_kit_lines_and_epoch_only():
    t = parse_train_log("torchpack", log("spvnas_torchpack_train.log"))
    assert steps(t) == [(1, 2.9, 1.5), (2, 2.7, 0.61), (3, 2.55, 0.605), (4, 2.4, 0.602)]
    assert t.metrics == {"mIoU": 60.753}
    e = parse_train_log("torchpack", log("spvnas_torchpack_epochs.log"))
    assert e.step_unit == "epoch" and steps(e) == [(1, 0.431, None), (2, 0.3, None)]
    assert parse_eval_log("torchpack", log("spvnas_torchpack_epochs.log")) == {"mIoU": 60.753}


def test_nuscenes_devkit_printout_sparse4d():
    m = parse_eval_log("nuscenes", log("sparse4d_nuscenes_eval.log"))
    assert m == {"mAP": 46.47, "mATE": 0.5403, "mASE": 0.2623, "mAOE": 0.3884, "mAVE": 0.2292,
                 "mAAE": 0.1793, "NDS": 56.36}


def test_kitti_takes_the_strict_threshold_block():
    m = parse_eval_log("kitti", log("ada3d_kitti_eval.log"))
    assert m["Car_3d/moderate"] == 78.6245 and m["Car_3d/moderate_R40"] == 81.2136  # not the @0.50 block
    assert m["Car_bev/easy"] == 90.0097 and m["Car_aos/hard_R40"] == 94.23
    assert m["Pedestrian_3d/moderate_R40"] == 50.2201 and m["Cyclist_3d/hard"] == 63.2211
    assert len(m) == 3 * 2 * 4 * 3


def test_waymo_level2_mAPH():
    m = parse_eval_log("waymo", log("sparsekd_waymo_eval.log"))
    assert m["LEVEL_2/mAPH"] == 64.49 and m["LEVEL_2/mAP"] == 67.58
    assert m["VEHICLE_LEVEL_2/APH"] == 65.66 and m["SIGN_LEVEL_1/AP"] == 0.0


def _cut(tmp_path, name, keep_lines, cut_chars=None):
    lines = open(log(name)).read().splitlines()
    text = "".join(line + "\n" for line in lines[:keep_lines])
    if cut_chars is not None:  # a line cut while being written: no newline at the end
        text += lines[keep_lines][:cut_chars]
    out = tmp_path / name
    out.write_text(text)
    return str(out)


@pytest.mark.parametrize("fmt,name,keep,cut", [
    ("mmcv", "sparse4d_mmcv_train.log", 12, 70),
    ("mmcv", "sparse4d_mmcv_train.log", 12, 300),     # cut inside the loss value
    ("mmcv", "sparse4d_mmcv_train.log", 12, 120),     # cut after data_time: no 'loss:' yet
    ("sparsebev", "sparsebev_train.log", 3, 40),
    ("openpcdet", "ada3d_openpcdet_train.log", 9, 120),
    ("kit", "sparsekd_kit_train.log", 3, 40),
    ("torchpack", "spvnas_torchpack_epochs.log", 4, 12),
])
def test_truncated_training_logs_name_file_and_line(tmp_path, fmt, name, keep, cut):
    path = _cut(tmp_path, name, keep, cut)
    with pytest.raises(LogParseError) as e:
        parse_train_log(fmt, path)
    assert str(e.value).startswith(f"{path}:{keep + 1}: ")
    assert e.value.line_no == keep + 1


@pytest.mark.parametrize("fmt,name,keep,cut,line", [
    ("nuscenes", "sparse4d_nuscenes_eval.log", 17, None, 17),   # ends before NDS
    ("nuscenes", "sparse4d_nuscenes_eval.log", 17, 5, 18),      # "NDS: " with no number
    ("kitti", "ada3d_kitti_eval.log", 9, 20, 10),               # row cut mid-number list
    ("kitti", "ada3d_kitti_eval.log", 7, None, 7),              # header without rows at the end
    ("waymo", "sparsekd_waymo_eval.log", 21, 17, 22),           # "LEVEL_2/APH mAP: " no number
])
def test_truncated_eval_logs_name_file_and_line(tmp_path, fmt, name, keep, cut, line):
    path = _cut(tmp_path, name, keep, cut)
    with pytest.raises(LogParseError) as e:
        parse_eval_log(fmt, path)
    assert str(e.value).startswith(f"{path}:{line}: ")


def test_unknown_logs_and_formats():
    with pytest.raises(LogParseError, match=r"sparsekd_kit_train.log: no training lines in 'mmcv' format"):
        parse_train_log("mmcv", log("sparsekd_kit_train.log"))
    with pytest.raises(LogParseError, match=r"ada3d_kitti_eval.log: no nuScenes metric lines"):
        parse_eval_log("nuscenes", log("ada3d_kitti_eval.log"))
    with pytest.raises(LogParseError, match="cannot read log"):
        parse_train_log("kit", log("does_not_exist.log"))
    with pytest.raises(ValueError, match="unknown training log format 'detectron'"):
        parse_train_log("detectron", log("sparsekd_kit_train.log"))
    with pytest.raises(ValueError, match="unknown evaluation log format"):
        parse_eval_log("coco", log("sparsekd_kit_train.log"))


def test_step_logger_lines_round_trip(tmp_path):
    lines = []
    logger = StepLogger(total=3, write=lines.append)
    for i in range(3):
        logger.step(loss=1.5 - 0.25 * i, lr=1e-3, loss_hm=0.5)
    lines.append(format_metric("mIoU", 61.25))
    path = tmp_path / "kit.log"
    path.write_text("\n".join(lines) + "\n")
    t = parse_train_log("kit", str(path))
    assert [(s.step, s.loss) for s in t.steps] == [(1, 1.5), (2, 1.25), (3, 1.0)]
    assert all(s.time >= 0 and s.scalars == {"lr": 1e-3, "loss_hm": 0.5} for s in t.steps)
    assert t.total_steps == 3 and t.metrics == {"mIoU": 61.25}
    with pytest.raises(ValueError, match="step must be an int >= 1"):
        format_step(0, 1.0, 0.1)
    with pytest.raises(ValueError, match="without spaces"):
        format_step(1, 1.0, 0.1, **{"bad key": 1.0})
