"""Issue 10, "Command line and files": every `ascend-kit` command meets unusable input with exit
status 2 and one line naming the argument (never a traceback); compare / parse-log /
dump-compare give no silent wrong answer on NaN, null, +-inf and complex values; anchors refuse
zero-size boxes and an implicit '.npy' overwrite; every file is written atomically (no temporary
left on an exception, SIGINT or SIGTERM; the old file intact); the launcher refuses non-finite
numbers and reports a missing --config or a malformed overlay in one line; `ascend-kit port`
checks a patch series in order, warns about local changes and leaves the checkout exactly as
it was on SIGINT / SIGTERM; `--help` of every command starts without importing torch.

Property-based parts (hypothesis) feed random bytes, truncations and nesting to the file
parsers (result files, thresholds, parse-log input, JSON overlays)."""
import errno
import importlib.util
import json
import math
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from ascend_ops import _io
from ascend_ops.cli import build_parser, main as cli_main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "fixtures" / "runs"))
from results_factory import make_result  # noqa: E402

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def run_cli(capsys, *argv):
    """(exit status, stdout, stderr) of `ascend-kit argv` run in this process."""
    try:
        rc = cli_main([str(a) for a in argv])
    except SystemExit as e:      # argparse usage errors
        rc = e.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def assert_usage_error(result, command, argument):
    """Exit 2, exactly one line on stderr: `ascend-kit <command>: error: <argument>...`."""
    rc, _, err = result
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(f"ascend-kit {command}: error: "), lines[0]
    assert argument in lines[0], lines[0]
    return lines[0]


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


@pytest.fixture
def results(tmp_path):
    a = write_json(tmp_path / "npu.json", make_result("npu"))
    b = write_json(tmp_path / "gpu.json", make_result("cuda", step_time=0.55))
    return a, b


def _unusable_files(tmp_path):
    """{name: path} of files no parser may accept."""
    good = json.dumps(make_result("npu"), indent=2)
    files = {}
    (tmp_path / "binary.json").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "truncated.json").write_text(good[: len(good) // 3])
    (tmp_path / "nested.json").write_text("[" * 100000 + "]" * 100000)
    (tmp_path / "hugeint.json").write_text('{"schema_version": ' + "9" * 20000 + "}")
    (tmp_path / "hugefloat.json").write_text(good.replace('"wall_time_s": 1234.5', '"wall_time_s": 1e999'))
    (tmp_path / "nul.json").write_text('{"a": 1}\x00')
    (tmp_path / "folder.json").mkdir()
    for name in ("binary", "truncated", "nested", "hugeint", "hugefloat", "nul", "folder"):
        files[name] = str(tmp_path / f"{name}.json")
    files["missing"] = str(tmp_path / "missing.json")
    return files


# ------------------------------------------------------------------ one line, exit 2

def test_compare_unusable_result_files(tmp_path, results, capsys):
    _, gpu = results
    for name, path in _unusable_files(tmp_path).items():
        line = assert_usage_error(run_cli(capsys, "compare", path, gpu), "compare", "NPU_RESULT")
        assert os.path.basename(path) in line, (name, line)
    assert_usage_error(run_cli(capsys, "compare", results[0], str(tmp_path / "binary.json")), "compare", "GPU_RESULT")


@pytest.mark.parametrize("content", ['{"loss_rel_max": NaN}', '{"loss_rel_mean": Infinity}',
                                     '{"metric_abs_points": -Infinity}', '{"metrics": {"mAP": NaN}}',
                                     '{"throughput_ratio_min": NaN}', '{"loss_rel_max": 1e999}',
                                     '{"loss_rel_max": ' + "1" * 400 + "}", '{"loss_skip_steps": 1.5}',
                                     '{"loss_rel_max": true}', "[1, 2]", '{"loss_rel_max": "0.1"}'])
def test_compare_bad_threshold_is_exit_2(tmp_path, results, capsys, content):
    th = tmp_path / "t.json"
    th.write_text(content)
    assert_usage_error(run_cli(capsys, "compare", *results, "--thresholds", th), "compare", "--thresholds")


def test_compare_unusable_thresholds_file(tmp_path, results, capsys):
    for name, path in _unusable_files(tmp_path).items():
        if name in ("hugefloat",):   # a valid result: not a thresholds object, but the check names it too
            continue
        assert_usage_error(run_cli(capsys, "compare", *results, "--thresholds", path), "compare", "--thresholds")


def test_compare_out_unwritable_or_a_file(tmp_path, results, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert_usage_error(run_cli(capsys, "compare", *results, "--out", blocker), "compare", "--out")
    assert_usage_error(run_cli(capsys, "compare", *results, "--out", blocker / "sub"), "compare", "--out")
    assert blocker.read_text() == "x"


def test_full_disk_is_one_line_and_keeps_the_old_file(tmp_path, results, capsys, monkeypatch):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("old report\n")

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", no_space)
    monkeypatch.setattr("ascend_ops.results.plots.write_plots", lambda verdict, folder: None)
    line = assert_usage_error(run_cli(capsys, "compare", *results, "--out", out), "compare", "--out")
    assert "no space left" in line
    assert (out / "report.md").read_text() == "old report\n"
    assert sorted(os.listdir(out)) == ["report.md"]      # no temporary left


def _mount_tiny_tmpfs(folder, size="48k"):
    folder.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                           capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def test_real_full_disk_tiny_tmpfs(tmp_path, capsys):
    """`ascend-kit anchors` writing to a 48 KiB tmpfs: exit 2, one line, no temporary, old file kept
    (needs root to mount; skipped otherwise; test_full_disk_* above covers ENOSPC everywhere)."""
    disk = tmp_path / "tiny"
    if not _mount_tiny_tmpfs(disk):
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        ann = tmp_path / "infos.pkl"
        _write_infos(ann, _street_boxes(2000))
        (disk / "a.npy").write_bytes(b"old")
        (disk / "filler").write_bytes(b"\0" * (44 * 1024))      # with a.npy's page: every page used
        line = assert_usage_error(run_cli(capsys, "anchors", "--ann_file", ann, "--num_anchor", "16",
                                          "--output_file_name", disk / "a.npy", "--overwrite", "--no_progress"),
                                  "anchors", "--output_file_name")
        assert "no space left" in line
        assert (disk / "a.npy").read_bytes() == b"old"
        assert sorted(os.listdir(disk)) == ["a.npy", "filler"]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_result_validate_and_parse_log_unusable_files(tmp_path, capsys):
    files = _unusable_files(tmp_path)
    for name, path in files.items():
        assert_usage_error(run_cli(capsys, "result", "validate", path), "result validate", "FILE")
    for path in (files["folder"], files["missing"]):
        assert_usage_error(run_cli(capsys, "result", "parse-log", "--train-format", "kit", path),
                           "result parse-log", "LOG")
    assert_usage_error(run_cli(capsys, "result", "parse-log", files["binary"], "--train-format", "mmcv"),
                       "result parse-log", "LOG")
    assert_usage_error(run_cli(capsys, "result", "parse-log", files["binary"]), "result parse-log",
                       "--train-format/--eval-format")
    assert_usage_error(run_cli(capsys, "result", "parse-log", files["binary"], "--eval-format", "kit",
                               "--warmup-steps", "-1"), "result parse-log", "--warmup-steps")


def test_dump_compare_bad_tolerances_and_folders(tmp_path, capsys):
    a, b = _dump(tmp_path / "a", {"m.forward.0": torch.ones(3)}), _dump(tmp_path / "b", {"m.forward.0": torch.ones(3)})
    for flag, value in (("--cos-min", "nan"), ("--cos-min", "inf"), ("--cos-min", "2"), ("--abs-max", "nan"),
                        ("--abs-max", "-inf"), ("--abs-max", "-1"), ("--rank", "-1")):
        assert_usage_error(run_cli(capsys, "dump-compare", a, b, flag, value), "dump-compare", flag)
    assert run_cli(capsys, "dump-compare", a, b)[0] == 0
    afile = tmp_path / "file"
    afile.write_text("x")
    assert_usage_error(run_cli(capsys, "dump-compare", afile, b), "dump-compare", "A")
    assert_usage_error(run_cli(capsys, "dump-compare", a, tmp_path / "none"), "dump-compare", "B")
    step = Path(b) / "rank0" / "step0000.pt"
    step.write_bytes(os.urandom(300))
    assert_usage_error(run_cli(capsys, "dump-compare", a, b), "dump-compare", "B")
    torch.save({"order": ["m.forward.0"], "tensors": {"m.forward.0": [1, 2, 3]}}, step)
    assert_usage_error(run_cli(capsys, "dump-compare", a, b), "dump-compare", "B")


@pytest.mark.parametrize("command", ["check", "bench"])
@pytest.mark.parametrize("backend", ["npu", "cuda"])
def test_check_and_bench_without_the_device(capsys, command, backend):
    from ascend_ops import device
    if backend in device.available_device_types():
        pytest.skip(f"this machine has a {backend} device")
    line = assert_usage_error(run_cli(capsys, command, "--backend", backend, "--op", "sparse2bev"), command,
                              "--backend")
    assert f"no {backend} device" in line


def test_check_and_bench_unknown_op_or_case(capsys):
    assert_usage_error(run_cli(capsys, "check", "--backend", "cpu", "--op", "nope"), "check", "--op")
    assert_usage_error(run_cli(capsys, "bench", "--backend", "cpu", "--op", "nope"), "bench", "--op")
    assert_usage_error(run_cli(capsys, "bench", "--backend", "cpu", "--op", "sparse2bev", "--case", "nope"),
                       "bench", "--case")
    for flag, value in (("--budget", "nan"), ("--repeat", "0"), ("--warmup", "-1")):
        assert_usage_error(run_cli(capsys, "bench", flag, value), "bench", flag)


def test_nuscenes_bad_paths(tmp_path, capsys):
    assert_usage_error(run_cli(capsys, "nuscenes", "convert", "--root", tmp_path / "none"), "nuscenes convert",
                       "--root")
    blocker = tmp_path / "f"
    blocker.write_text("x")
    assert_usage_error(run_cli(capsys, "nuscenes", "generate", "--out", blocker / "d", "--no-progress"),
                       "nuscenes generate", "--out")
    assert_usage_error(run_cli(capsys, "nuscenes", "generate", "--out", tmp_path / "g", "--scenes", "0"),
                       "nuscenes generate", "--scenes")


def test_port_usage_errors(tmp_path, capsys):
    assert_usage_error(run_cli(capsys, "port", "Sparse4D"), "port", "MODEL --upstream")
    assert_usage_error(run_cli(capsys, "port", "NoSuchModel", "--upstream", tmp_path), "port", "MODEL")
    assert_usage_error(run_cli(capsys, "port", "Sparse4D", "--upstream", tmp_path), "port", "--upstream")


def test_usage_errors_of_argparse_are_one_line(capsys):
    assert_usage_error(run_cli(capsys, "compare"), "compare", "NPU_RESULT")
    assert_usage_error(run_cli(capsys, "anchors", "--ann_file", "x", "--num_anchor", "ten"), "anchors",
                       "--num_anchor")


# ------------------------------------------------------------------ compare / parse-log / dump-compare answers

def _null_losses(result):
    result["loss_curve"] = [[s, None] for s, _ in result["loss_curve"]]
    return result


def test_compare_all_null_losses_do_not_pass(tmp_path, capsys):
    a = write_json(tmp_path / "a.json", _null_losses(make_result("npu")))
    b = write_json(tmp_path / "b.json", _null_losses(make_result("cuda")))
    rc, out, _ = run_cli(capsys, "compare", a, b)
    assert rc == 1 and "FAIL loss curve" in out and "finite loss on both" in out and "verdict: FAIL" in out
    # some null steps on both sides are left out; the rest is compared
    partly = make_result("npu")
    partly["loss_curve"][:10] = [[s, None] for s, _ in partly["loss_curve"][:10]]
    gpu = make_result("cuda")
    gpu["loss_curve"][:10] = [[s, None] for s, _ in gpu["loss_curve"][:10]]
    rc, out, _ = run_cli(capsys, "compare", write_json(tmp_path / "c.json", partly), write_json(tmp_path / "d.json", gpu))
    assert rc == 0 and "40 aligned steps (10 without a loss on either side left out)" in out


def test_compare_nan_losses_do_not_pass(tmp_path, capsys):
    from ascend_ops.results.compare import compare_results
    nan = make_result("npu", loss=lambda s: float("nan"))
    v = compare_results(nan, make_result("cuda", loss=lambda s: float("nan")))
    assert not v.passed and v.loss["first_bad_step"] == 1
    v = compare_results(nan, make_result("cuda"))
    assert not v.passed
    # a result file with NaN losses is not a valid result: exit 2 naming the file
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(nan))           # json writes NaN
    line = assert_usage_error(run_cli(capsys, "compare", path, path), "compare", "NPU_RESULT")
    assert "loss_curve" in line


def test_parse_log_writes_null_not_nan(tmp_path, capsys):
    from ascend_ops.results.logline import format_metric, format_step
    log = tmp_path / "train.log"
    log.write_text("\n".join([format_step(1, float("nan"), 0.5), format_step(2, float("inf"), 0.5),
                              format_step(3, 2.5, 0.5), format_metric("mIoU", float("nan"))]) + "\n")
    rc, out, err = run_cli(capsys, "result", "parse-log", "--train-format", "kit", log, "--warmup-steps", "0")
    assert rc == 0, err
    assert "NaN" not in out and "Infinity" not in out
    parsed = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert parsed["loss_first"] is None and parsed["loss_last"] == 2.5 and parsed["metrics"] == {"mIoU": None}


def _dump(folder, tensors, step=0):
    d = Path(folder) / "rank0"
    d.mkdir(parents=True, exist_ok=True)
    torch.save({"order": list(tensors), "tensors": tensors}, d / f"step{step:04d}.pt")
    return str(folder)


def _row(tmp_path, a, b, name="t"):
    from ascend_ops.precision import compare_dumps
    rows = compare_dumps(_dump(tmp_path / f"{name}a", {"m.forward.0": a}),
                         _dump(tmp_path / f"{name}b", {"m.forward.0": b}))
    return rows[0]


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("a,b,ok", [
    ([1.0, INF, 3.0], [1.0, INF, 3.0], True),          # the same +inf: matched, rest compared
    ([1.0, -INF, NAN], [1.0, -INF, NAN], True),
    ([1.0, INF, 3.0], [1.0, -INF, 3.0], False),        # +inf against -inf
    ([1.0, NAN, 3.0], [1.0, INF, 3.0], False),         # NaN against inf
    ([1.0, 2.0, 3.0], [1.0, INF, 3.0], False),         # finite against the reference's inf
    ([1.0, INF, 3.0], [1.0, 2.0, 3.0], False),         # inf where the reference is finite
])
def test_dump_compare_infinities_exact(tmp_path, a, b, ok):
    row = _row(tmp_path, torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    assert row.ok is ok
    if ok:
        assert row.cosine == pytest.approx(1.0, abs=1e-15) and (row.max_abs, row.max_rel) == (0.0, 0.0)
    else:
        assert row.problem and "non-finite values differ at 1 element(s)" in row.problem


def test_dump_compare_complex_exact(tmp_path):
    a = torch.tensor([1 + 1j, 2 - 1j], dtype=torch.complex64)
    b = torch.tensor([1 + 1j, 2 + 1j], dtype=torch.complex64)
    row = _row(tmp_path, a, b, "c1")
    # |(2-1j) - (2+1j)| = 2; cosine = Re(sum a conj(b)) / (|a| |b|) = Re(2 + (3-4j)) / 7 = 5/7
    assert row.max_abs == pytest.approx(2.0) and row.cosine == pytest.approx(5.0 / 7.0)
    assert row.max_rel == pytest.approx(2.0 / math.sqrt(5.0)) and not row.ok
    same = _row(tmp_path, a, a.clone(), "c2")
    assert same.ok and same.max_abs == 0.0 and same.cosine == pytest.approx(1.0)
    conj = _row(tmp_path, a, a.conj().resolve_conj(), "c3")   # the real parts agree: must not pass
    assert not conj.ok and conj.max_abs == pytest.approx(2.0)
    inf_part = torch.tensor([complex(1, INF), 2 + 0j])
    assert _row(tmp_path, inf_part, inf_part.clone(), "c4").ok
    other = _row(tmp_path, inf_part, torch.tensor([complex(INF, 1), 2 + 0j]), "c5")
    assert not other.ok and "element 0 (re)" in other.problem


def test_dump_compare_huge_values_cosine_finite(tmp_path):
    a = torch.tensor([1e300, -1e300, 5e299], dtype=torch.float64)
    row = _row(tmp_path, a, a.clone(), "h")
    assert row.cosine == pytest.approx(1.0) and row.max_abs == 0.0 and row.ok


def test_dump_compare_json_is_strict(tmp_path, capsys):
    a = _dump(tmp_path / "a", {"m.forward.0": torch.tensor([1e308, -1e308])})
    b = _dump(tmp_path / "b", {"m.forward.0": torch.tensor([-1e308, 1e308], dtype=torch.float32).double()})
    rc, out, err = run_cli(capsys, "dump-compare", a, b, "--json")
    assert rc == 1
    json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


# ------------------------------------------------------------------ anchors

def _street_boxes(n, seed=0):
    from ascend_ops.nuscenes.synthetic import sample_objects
    o = sample_objects(np.random.default_rng(seed), n, max_range=50.0)
    return np.concatenate([o["centres"], o["wlh"][:, [1, 0, 2]], o["yaw"][:, None]], 1)


def _write_infos(path, boxes, per=100):
    infos = [dict(token=f"t{i}", gt_boxes=boxes[i:i + per]) for i in range(0, len(boxes), per)]
    with open(path, "wb") as f:
        pickle.dump(dict(infos=infos, metadata=dict(version="v1.0-mini")), f)
    return str(path)


@pytest.mark.parametrize("size", [0.0, -1.0])
def test_anchors_zero_size_boxes_are_an_error(tmp_path, capsys, size):
    boxes = _street_boxes(400)
    boxes[7, 4] = size
    ann = _write_infos(tmp_path / "i.pkl", boxes)
    out = tmp_path / "a.npy"
    line = assert_usage_error(run_cli(capsys, "anchors", "--ann_file", ann, "--num_anchor", "8",
                                      "--output_file_name", out, "--no_progress"), "anchors", "--ann_file")
    assert "zero or negative size" in line and not out.exists()


def test_anchors_implicit_npy_is_not_replaced(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ann = _write_infos(tmp_path / "i.pkl", _street_boxes(400))
    Path("anchors.npy").write_bytes(b"keep me")
    args = ["anchors", "--ann_file", ann, "--num_anchor", "8", "--output_file_name", "anchors", "--no_progress"]
    line = assert_usage_error(run_cli(capsys, *args), "anchors", "--output_file_name")
    assert "'anchors.npy' exists" in line and "--overwrite" in line and "numpy adds '.npy'" in line
    assert Path("anchors.npy").read_bytes() == b"keep me"
    rc, out, err = run_cli(capsys, *args, "--overwrite")
    assert rc == 0, err
    assert np.load("anchors.npy").shape == (8, 11) and not Path("anchors").exists()
    assert "saved (8, 11) anchors to anchors.npy" in out


@pytest.mark.parametrize("flag,value", [("--detection_range", "nan"), ("--detection_range", "inf"),
                                        ("--detection_range", "0"), ("--num_anchor", "0"), ("--tol", "nan"),
                                        ("--tol", "-1"), ("--max_iter", "0"), ("--n_init", "0")])
def test_anchors_bad_numbers(tmp_path, capsys, flag, value):
    assert_usage_error(run_cli(capsys, "anchors", "--ann_file", tmp_path / "x.pkl", flag, value), "anchors", flag)


def test_anchors_unusable_files(tmp_path, capsys):
    (tmp_path / "bin.pkl").write_bytes(os.urandom(500))
    (tmp_path / "dir.pkl").mkdir()
    (tmp_path / "outdir.npy").mkdir()
    (tmp_path / "strings.pkl").write_bytes(pickle.dumps(dict(infos=[dict(gt_boxes=[["a"] * 7])])))
    good = _write_infos(tmp_path / "good.pkl", _street_boxes(400))
    for name in ("bin", "dir", "strings", "missing"):
        assert_usage_error(run_cli(capsys, "anchors", "--ann_file", tmp_path / f"{name}.pkl", "--num_anchor", "8",
                                   "--output_file_name", tmp_path / "o.npy", "--no_progress"), "anchors", "--ann_file")
    for out in (tmp_path / "nodir" / "o.npy", tmp_path / "outdir.npy", tmp_path / "outdir"):
        assert_usage_error(run_cli(capsys, "anchors", "--ann_file", good, "--num_anchor", "8",
                                   "--output_file_name", out, "--no_progress"), "anchors", "--output_file_name")


# ------------------------------------------------------------------ atomic writes

def test_atomic_write_exception_and_keyboard_interrupt_leave_no_temporary(tmp_path):
    target = tmp_path / "f.json"
    target.write_text("old")
    for exc in (ValueError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with _io.atomic_write(target, "w") as f:
                f.write("new partial")
                raise exc
        assert target.read_text() == "old" and os.listdir(tmp_path) == ["f.json"]
    with _io.atomic_write(target, "w") as f:
        f.write("new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["f.json"]
    with pytest.raises(IsADirectoryError):
        with _io.atomic_write(tmp_path, "w"):
            pass
    with pytest.raises(FileNotFoundError):
        with _io.atomic_write(tmp_path / "no" / "f", "w"):
            pass


def test_atomic_write_enospc_at_each_step(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    for name in ("fsync", "replace"):
        def fail(*a, **k):
            raise OSError(errno.ENOSPC, "No space left on device")
        with monkeypatch.context() as m:
            m.setattr(os, name, fail)
            with pytest.raises(OSError) as info:
                with _io.atomic_write(target) as f:
                    f.write(b"new" * 1000)
        assert info.value.errno == errno.ENOSPC
        assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


_WRITER = textwrap.dedent("""
    import sys, time
    sys.argv[0] = "ascend-kit"         # start like the command line: the package loads without torch
    from ascend_ops._io import atomic_write
    target, marker, kind = sys.argv[1:4]
    if kind == "result":
        sys.path.insert(0, sys.argv[4])
        from results_factory import make_result
        import contextlib
        import ascend_ops.results.writer as w
        @contextlib.contextmanager
        def slow_atomic(path, mode="wb", encoding=None):   # the real helper, paused mid-write
            with atomic_write(path, mode, encoding) as f:
                f.write("{ partial")
                f.flush()
                open(marker, "w").close()
                time.sleep(60)
                yield f
        w.atomic_write = slow_atomic
        w.write_result(make_result(), target)
    else:
        with atomic_write(target, "w") as f:
            f.write("partial new content")
            f.flush()
            open(marker, "w").close()
            time.sleep(60)
            f.write("never")
""")


@pytest.mark.parametrize("kind", ["plain", "result"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_write_leaves_no_temporary(tmp_path, sig, kind):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "result.json"
    target.write_text("old\n")
    marker = tmp_path / "writing"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    p = subprocess.Popen([sys.executable, str(script), str(target), str(marker), kind,
                          str(ROOT / "test" / "fixtures" / "runs")], env=_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not marker.exists():
        assert p.poll() is None and time.time() < deadline, p.stderr.read() if p.poll() is not None else "slow start"
        time.sleep(0.05)
    assert [n for n in os.listdir(folder) if n.endswith(".tmp")], "the write has a temporary while it runs"
    os.kill(p.pid, sig)
    p.wait(timeout=60)
    if sig == signal.SIGTERM:
        assert p.returncode == -signal.SIGTERM      # the process still ends by the signal
    else:
        assert p.returncode != 0
    assert os.listdir(folder) == ["result.json"], os.listdir(folder)
    assert target.read_text() == "old\n"


def test_writers_go_through_atomic_write():
    """No writer of the kit opens its output for writing directly (logs excepted)."""
    offenders = []
    for path in list((ROOT / "ascend_ops").rglob("*.py")) + list((ROOT / "model_examples").rglob("*.py")):
        if "ascendc_sim" in path.parts or path.name == "_io.py":
            continue
        text = path.read_text()
        for needle in ('open(path, "w', 'open(tmp, "w', "np.save(output", "torch.save({\"order\"", ', "wb") as f',
                       "savefig(os.path"):
            if needle in text and "atomic_write" not in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders, offenders


# ------------------------------------------------------------------ launcher

def _launcher():
    spec = importlib.util.spec_from_file_location("ak_launch_h", ROOT / "model_examples" / "common" / "ak_launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch(capsys, *argv):
    try:
        rc = _launcher().main([str(a) for a in argv])
    except SystemExit as e:
        rc = e.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line(result, needle):
    rc, _, err = result
    assert rc == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert needle in err, err


TOY = ROOT / "test" / "fixtures" / "runs" / "toy_model" / "test" / "adapter.py"
SPARSE4D = ROOT / "model_examples" / "Sparse4D" / "test" / "adapter.py"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "NaN"])
def test_launcher_refuses_non_finite_or_negative_idle_timeout(capsys, value):
    _one_line(_launch(capsys, "full", TOY, "--device", "cpu", f"--idle-timeout={value}", "--dry-run"),
              "--idle-timeout")


def test_launcher_usage_error_is_one_line(capsys):
    _one_line(_launch(capsys, "full", TOY, "--num-devices", "x", "--dry-run"), "--num-devices")


@pytest.fixture
def fake_sparse4d(tmp_path):
    up = tmp_path / "Sparse4D"
    (up / "projects" / "mmdet3d_plugin" / "ops").mkdir(parents=True)
    (up / "projects" / "mmdet3d_plugin" / "ops" / "__init__.py").write_text("import ascend_ops\n")
    (up / "cfg.py").write_text("x = 1\n")
    return up


def test_launcher_missing_config_is_one_line(tmp_path, capsys, fake_sparse4d):
    _one_line(_launch(capsys, "performance", SPARSE4D, "--device", "cpu", "--num-devices", "1", "--upstream-dir",
                      fake_sparse4d, "--config", "missing.py", "--work-dir", tmp_path / "w"), "--config")


@pytest.mark.parametrize("content", [b"[1, 2]", b'{"a": ', os.urandom(64) + b"\xff", b"[" * 50000, b'"x"',
                                     b'{"a": ' + b"9" * 5000 + b"}"])
def test_launcher_malformed_overlay_is_one_line(tmp_path, capsys, fake_sparse4d, content):
    overlay = tmp_path / "overlay.json"
    overlay.write_bytes(content)
    _one_line(_launch(capsys, "performance", SPARSE4D, "--device", "cpu", "--num-devices", "1", "--upstream-dir",
                      fake_sparse4d, "--config", "cfg.py", "--work-dir", tmp_path / "w",
                      "--cfg", f"ak_overlay={overlay}"), "ak_overlay")


def test_launcher_unwritable_work_dir_is_one_line(tmp_path, capsys, fake_sparse4d):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    _one_line(_launch(capsys, "performance", SPARSE4D, "--device", "cpu", "--num-devices", "1", "--upstream-dir",
                      fake_sparse4d, "--config", "cfg.py", "--work-dir", blocker / "w"), "--work-dir")


# ------------------------------------------------------------------ port

def _git(cwd, *args, env=None):
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def _tree(folder):
    """Every file's bytes and mode under folder (without .git), and git's view of the checkout."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if ".git" in p.relative_to(folder).parts:
            continue
        out[str(p.relative_to(folder))] = (p.read_bytes(), p.stat().st_mode) if p.is_file() else "dir"
    return out, _git(folder, "status", "--porcelain")


@pytest.fixture
def series(tmp_path, monkeypatch):
    """A checkout and a series p1, p2 where p2 was made on top of p1 (same file), plus a new file."""
    repo = tmp_path / "up"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@t")
    _git(repo, "config", "user.name", "t")
    (repo / "a.py").write_text("x = 1\ny = 2\nz = 3\n")
    (repo / "keep.py").write_text("k = 0\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    examples = tmp_path / "examples" / "Toy"
    examples.mkdir(parents=True)
    (repo / "a.py").write_text("x = 10\ny = 2\nz = 3\n")
    (examples / "p1.patch").write_text(_git(repo, "diff"))
    _git(repo, "commit", "-qam", "p1")
    (repo / "a.py").write_text("x = 10\ny = 20\nz = 3\n")
    (repo / "new").mkdir()
    (repo / "new" / "b.py").write_text("b = 1\n")
    _git(repo, "add", ".")
    (examples / "p2.patch").write_text(_git(repo, "diff", "--cached"))
    _git(repo, "reset", "-q", "--hard", base)
    (examples / "port.json").write_text(json.dumps({"model": "Toy", "upstream": "https://example.invalid/toy",
                                                    "commit": base, "patches": ["p1.patch", "p2.patch"]}))
    monkeypatch.setenv("ASCEND_KIT_EXAMPLES", str(examples.parent))
    return repo, examples


def test_port_list_with_a_broken_manifest(series, capsys):
    _, examples = series
    assert run_cli(capsys, "port", "--list")[0] == 0
    (examples / "port.json").write_bytes(b"\xff\xfe{")
    assert_usage_error(run_cli(capsys, "port", "--list"), "port", "--list")


def test_port_series_is_checked_in_order(series, capsys):
    repo, _ = series
    rc, out, err = run_cli(capsys, "port", "Toy", "--upstream", repo, "--check")
    assert rc == 0 and "checked" in out and err == ""
    assert run_cli(capsys, "port", "Toy", "--upstream", repo)[0] == 0
    assert (repo / "a.py").read_text() == "x = 10\ny = 20\nz = 3\n" and (repo / "new" / "b.py").exists()
    rc, out, _ = run_cli(capsys, "port", "Toy", "--upstream", repo)
    assert rc == 0 and "already-applied" in out


def test_port_partial_and_failing_series(series, capsys):
    repo, examples = series
    subprocess.run(["git", "-C", str(repo), "apply", str(examples / "p1.patch")], check=True)
    line = assert_usage_error(run_cli(capsys, "port", "Toy", "--upstream", repo), "port", "--upstream")
    assert "only some" in line and "p1.patch applied, p2.patch not" in line
    _git(repo, "checkout", "-q", "--", ".")
    (repo / "new").mkdir()
    (repo / "new" / "b.py").write_text("mine\n")              # p1 applies, p2 (creates new/b.py) does not
    before = _tree(repo)
    line = assert_usage_error(run_cli(capsys, "port", "Toy", "--upstream", repo), "port", "--upstream")
    assert "p2.patch does not apply" in line and "on top of p1.patch" in line
    assert _tree(repo) == before


def test_port_dirty_checkout_warning_names_files(series, capsys):
    repo, _ = series
    (repo / "keep.py").write_text("k = 1\n")
    (repo / "notes.txt").write_text("mine\n")
    rc, out, err = run_cli(capsys, "port", "Toy", "--upstream", repo)
    assert rc == 0 and "applied" in out
    assert "warning:" in err and "keep.py" in err and "notes.txt" in err
    assert (repo / "keep.py").read_text() == "k = 1\n"


_SLOW_GIT = """#!/bin/sh
# git that pauses after `git apply` (not --check/--numstat) wrote the files, so a signal lands mid-port
case " $* " in
  *" apply "*)
    case " $* " in *" --check "*|*" --numstat "*) ;; *)
      "{real}" "$@"; touch "{marker}"; exec sleep 60 ;;
    esac ;;
esac
exec "{real}" "$@"
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_port_signal_during_apply_restores_the_checkout(series, tmp_path, sig):
    repo, _ = series
    (repo / "keep.py").write_text("k = 'dirty'\n")             # a local change stays as it was too
    before = _tree(repo)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    marker = tmp_path / "applied"
    (bindir / "git").write_text(_SLOW_GIT.format(real=shutil.which("git"), marker=marker))
    (bindir / "git").chmod(0o755)
    env = _env()
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    p = subprocess.Popen([sys.executable, "-m", "ascend_ops", "port", "Toy", "--upstream", str(repo)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not marker.exists():
        assert p.poll() is None and time.time() < deadline, p.communicate()
        time.sleep(0.05)
    assert (repo / "new" / "b.py").exists()                    # both patches were on disk
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, err
    assert "Traceback" not in err and "restored" in err
    assert _tree(repo) == before


# ------------------------------------------------------------------ start-up

def _commands(parser, prefix=()):
    for action in parser._actions:
        if hasattr(action, "add_parser"):
            for name, sub in action.choices.items():
                yield prefix + (name,)
                yield from _commands(sub, prefix + (name,))


def _imported(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    mods = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    assert mods, "no -X importtime output"
    return mods, p.stdout


def test_help_imports_no_torch():
    env = _env()
    commands = [()] + list(_commands(build_parser()))
    assert ("anchors",) in commands and ("result", "parse-log") in commands
    for command in commands:
        mods, out = _imported([sys.executable, "-X", "importtime", "-m", "ascend_ops", *command, "--help"], env)
        assert "usage:" in out
        heavy = sorted(m for m in mods if m.split(".")[0] in ("torch", "numpy", "scipy", "matplotlib"))
        assert not heavy, f"ascend-kit {' '.join(command)} --help imported {heavy[:5]}"


def test_console_script_help_imports_no_torch(tmp_path):
    script = tmp_path / "ascend-kit"
    script.write_text("import sys\nfrom ascend_ops.cli import main\nsys.exit(main())\n")
    mods, out = _imported([sys.executable, "-X", "importtime", str(script), "--help"], _env())
    assert "usage: ascend-kit" in out and "torch" not in mods


def test_library_import_still_defines_the_ops():
    """`import ascend_ops` outside the command line loads the ops and kernels as before (this
    process); in command-line mode the package attributes load the ops on first use."""
    assert hasattr(torch.ops.ascend_ops, "deformable_aggregation")   # ascend_ops imported above: eager
    code = ("import sys; sys.argv[0] = '/x/ascend-kit'; import ascend_ops; "
            "assert 'torch' not in sys.modules; f = ascend_ops.deformable_aggregation; import torch; "
            "from ascend_ops import device, MissingKernelError; "
            "print(hasattr(torch.ops.ascend_ops, 'deformable_aggregation'), callable(f))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=120)
    assert p.stdout.strip() == "True True", p.stderr


# ------------------------------------------------------------------ property-based: the file parsers

def _valid_result_text():
    return json.dumps(make_result("npu"), indent=1)


_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                       st.text(max_size=8))
_json_values = st.recursive(_json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                st.dictionaries(st.text(max_size=6), inner,
                                                                                max_size=4)), max_leaves=20)


def _file_bytes():
    text = _valid_result_text().encode()
    return st.one_of(
        st.binary(max_size=2000),
        st.integers(0, len(text)).map(lambda n: text[:n]),                             # truncations
        st.tuples(st.integers(0, len(text) - 1), st.binary(min_size=1, max_size=8)).map(
            lambda t: text[:t[0]] + t[1] + text[t[0] + len(t[1]):]),                   # corrupted bytes
        st.integers(1, 5000).map(lambda d: b"[" * d + b"]" * d),                       # nesting
        st.integers(1, 5000).map(lambda d: b'{"a":' * d + b"1" + b"}" * d),
        _json_values.map(lambda v: json.dumps(v).encode()),
        st.integers(300, 6000).map(lambda n: b'{"schema_version": ' + b"7" * n + b"}"),  # huge numbers
    )


def _rc_clean(capsys, argv):
    rc, out, err = run_cli(capsys, *argv)
    assert "Traceback" not in err
    assert rc in (0, 1, 2), (rc, err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, err
    return rc, out, err


@FUZZ
@given(data=_file_bytes())
def test_fuzz_result_files(tmp_path_factory, capsys, data):
    folder = tmp_path_factory.mktemp("fuzz_result")
    path = folder / "r.json"
    path.write_bytes(data)
    rc, _, _ = _rc_clean(capsys, ["result", "validate", path])
    good = write_json(folder / "good.json", make_result("cuda"))
    rc2, _, _ = _rc_clean(capsys, ["compare", path, good])
    assert rc2 == 2 or rc == 0


@FUZZ
@given(data=_file_bytes(), obj=_json_values)
def test_fuzz_thresholds_files(tmp_path_factory, capsys, data, obj):
    folder = tmp_path_factory.mktemp("fuzz_thr")
    a = write_json(folder / "a.json", make_result("npu"))
    for i, content in enumerate((data, json.dumps({"loss_rel_max": obj}).encode(), json.dumps(obj).encode())):
        th = folder / f"t{i}.json"
        th.write_bytes(content)
        _rc_clean(capsys, ["compare", a, a, "--thresholds", th])


_LOG_LINES = [b"[ascend-kit] step=3/10 loss=1.5 time=0.2", b"[ascend-kit] metric NDS=0.5",
              b"Iter [51/58600]\tlr: 2.000e-04, eta: 1 day, 2:03:04, time: 1.234, data_time: 0.120, loss: 12.3456",
              b"Epoch [1][50/3517]\tlr: 1e-4, time: nan, loss: inf", b"mAP: 0.4647", b"NDS: nan",
              b"Train:    3/80 (  4%) [  49/928 (  5%)]  Loss: 1.234 (1.30)  LR: 3.000e-03",
              b"+ [loss] = 0.1234", b"+ [iou/test] = 60.753", b"Car AP@0.70, 0.70, 0.70:", b"3d   AP:88.61, 78.62, 77.22"]


@FUZZ
@given(lines=st.lists(st.one_of(st.sampled_from(_LOG_LINES), st.binary(max_size=80)), max_size=30),
       cut=st.integers(0, 200), newline=st.booleans(),
       fmt=st.sampled_from([("--train-format", f) for f in ("mmcv", "sparsebev", "openpcdet", "torchpack", "kit")]
                           + [("--eval-format", f) for f in ("nuscenes", "kitti", "waymo", "torchpack", "kit")]))
def test_fuzz_parse_log(tmp_path_factory, capsys, lines, cut, newline, fmt):
    path = tmp_path_factory.mktemp("fuzz_log") / "x.log"
    data = b"\n".join(lines) + (b"\n" if newline else b"")
    path.write_bytes(data[: len(data) - cut] if cut < len(data) else data)
    rc, out, _ = _rc_clean(capsys, ["result", "parse-log", *fmt, path])
    assert rc in (0, 2)
    if rc == 0:
        json.loads(out, parse_constant=lambda c: pytest.fail(f"parse-log wrote {c}"))


def _sparse4d_adapter():
    sys.path.insert(0, str(ROOT / "model_examples" / "common"))
    spec = importlib.util.spec_from_file_location("ak_sparse4d_adapter_h", SPARSE4D)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@FUZZ
@given(data=st.one_of(_file_bytes(), _json_values.map(lambda v: json.dumps(v).encode())))
def test_fuzz_json_overlays(tmp_path_factory, data):
    from types import SimpleNamespace
    adapter = _sparse4d_adapter()
    path = tmp_path_factory.mktemp("fuzz_overlay") / "o.json"
    path.write_bytes(data)
    ctx = SimpleNamespace(overrides={"ak_overlay": str(path)}, model_dir=str(ROOT), batch_size=2, max_steps=4,
                          global_batch=2, mode="performance", device="cpu")
    try:
        d = adapter._overrides(ctx)
    except ValueError as e:
        assert "ak_overlay" in str(e) and "\n" not in str(e)
    else:
        assert isinstance(d, dict)


@FUZZ
@given(data=_file_bytes())
def test_fuzz_read_json(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz_json") / "x.json"
    path.write_bytes(data)
    try:
        _io.read_json(path)
    except _io.JSONFileError as e:
        assert str(path) in str(e) and "\n" not in str(e)
