"""Sparse4D anchor generation: file format, the upstream CLI drop-in, overwrite rules, bad input."""
import pickle

import numpy as np
import pytest

from ascend_ops.anchors import AnchorError, anchors_from_boxes, get_kmeans_anchor, kmeans
from ascend_ops.anchors.__main__ import main as anchors_main
from ascend_ops.cli import main as cli_main
from ascend_ops.nuscenes.synthetic import sample_objects


def _boxes(n_frames=60, seed=0):
    """Per-frame gt_boxes [N, 7] (x, y, z, l, w, h, yaw) like the converter writes."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        o = sample_objects(rng, 30)
        frames.append(np.concatenate([o["centres"], o["wlh"][:, [1, 0, 2]], o["yaw"][:, None]], 1))
    return frames


def _write_pkl(path, frames, **extra):
    infos = [dict(token=f"t{i}", gt_boxes=b, **extra) for i, b in enumerate(frames)]
    with open(path, "wb") as f:
        pickle.dump(dict(infos=infos, metadata=dict(version="v1.0-mini")), f)
    return str(path)


def test_anchor_layout_matches_upstream():
    frames = _boxes()
    boxes = np.concatenate(frames)
    anchor, result = anchors_from_boxes(boxes, num_anchor=24, detection_range=40.0, seed=3)
    kept = boxes[np.linalg.norm(boxes[:, :3], axis=1) <= 40.0]   # 3-D norm, z included
    assert anchor.shape == (24, 11) and anchor.dtype == np.float64
    again = kmeans(kept[:, :3], 24, seed=3)
    np.testing.assert_array_equal(anchor[:, :3], again.centers)
    np.testing.assert_allclose(anchor[:, 3:6], np.tile(np.log(kept[:, 3:6].mean(0)), (24, 1)))
    np.testing.assert_array_equal(anchor[:, 7], 1.0)
    np.testing.assert_array_equal(anchor[:, [6, 8, 9, 10]], 0.0)
    assert np.linalg.norm(anchor[:, :3], axis=1).max() <= 40.0


def test_cli_drop_in_seeded_and_no_overwrite(tmp_path, capsys):
    ann = _write_pkl(tmp_path / "infos_train.pkl", _boxes())
    out = str(tmp_path / "anchors.npy")
    argv = ["--ann_file", ann, "--num_anchor", "16", "--detection_range", "55",
            "--output_file_name", out, "--seed", "1", "--no_progress"]
    assert anchors_main(argv) == 0
    first = np.load(out)
    assert first.shape == (16, 11)
    assert "inertia" in capsys.readouterr().out
    # an existing file is kept unless --overwrite
    assert anchors_main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    np.testing.assert_array_equal(np.load(out), first)
    # the ascend-kit subcommand, same seed, --overwrite: identical anchors
    assert cli_main(["anchors"] + argv + ["--overwrite"]) == 0
    np.testing.assert_array_equal(np.load(out), first)


def test_get_kmeans_anchor_python_api(tmp_path):
    ann = _write_pkl(tmp_path / "a.pkl", _boxes(20))
    out = tmp_path / "x.npy"
    anchor = get_kmeans_anchor(ann, 8, 55, str(out), seed=0, progress_bar=False)
    np.testing.assert_array_equal(np.load(out), anchor)


@pytest.mark.parametrize("case,match", [
    ("missing", "no such file"),
    ("not_pickle", "cannot unpickle"),
    ("list", "expected dict"),
    ("no_gt", "no 'gt_boxes'"),
    ("bad_shape", r"\[N, >=7\]"),
    ("empty", "no boxes"),
    ("out_of_range", "no box centre lies within"),
    ("too_few", "fewer than --num_anchor"),
    ("nan", "NaN"),
])
def test_bad_input_is_a_clear_error(tmp_path, case, match):
    frames = _boxes(5)
    path = tmp_path / "infos.pkl"
    if case == "missing":
        path = tmp_path / "nope.pkl"
    elif case == "not_pickle":
        path.write_text("not a pickle")
    elif case == "list":
        path.write_bytes(pickle.dumps([1, 2, 3]))
    elif case == "no_gt":
        path.write_bytes(pickle.dumps(dict(infos=[dict(token="a")])))
    elif case == "bad_shape":
        _write_pkl(path, [np.zeros((4, 3))])
    elif case == "empty":
        _write_pkl(path, [np.zeros((0, 7))])
    elif case == "out_of_range":
        far = np.concatenate(frames)
        far[:, 0] += 500.0
        _write_pkl(path, [far])
    elif case == "too_few":
        _write_pkl(path, [np.concatenate(frames)[:5]])
    elif case == "nan":
        bad = np.concatenate(frames)
        bad[3, 1] = np.nan
        _write_pkl(path, [bad])
    out = tmp_path / "out.npy"
    with pytest.raises((AnchorError, FileNotFoundError), match=match):
        get_kmeans_anchor(str(path), 10, 55, str(out), progress_bar=False)
    assert not out.exists()
    # the command line turns it into exit status 2 with the message on stderr
    assert anchors_main(["--ann_file", str(path), "--num_anchor", "10", "--output_file_name", str(out),
                         "--no_progress"]) == 2
