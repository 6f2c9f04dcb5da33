"""The shared train scripts end to end on CPU with gloo (2 and 8 processes, and two "nodes"),
driving the toy trainer in test/fixtures/runs; the result JSON is checked field by field."""
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys

import pytest

from ascend_ops.cli import main as cli_main
from ascend_ops.results import load_result, parse_eval_log, parse_train_log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOY = os.path.join(ROOT, "test", "fixtures", "runs", "toy_model", "test")
TIMEOUT = 240


def start(name, *args, env=None):
    full_env = dict(os.environ, AK_PYTHON=sys.executable, **(env or {}))
    full_env.pop("ASCEND_KIT_DEVICE", None)
    return subprocess.Popen(["bash", os.path.join(TOY, name), *args], env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(proc, timeout=TIMEOUT):
    """Wait for a launcher; on timeout SIGTERM it (it stops its torchrun group), then SIGKILL."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig, wait in ((signal.SIGTERM, 40), (signal.SIGKILL, 10)):
            os.killpg(proc.pid, sig)
            try:
                out, err = proc.communicate(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        pytest.fail(f"launcher timed out after {timeout}s: {out[-2000:] if out else ''}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def script(name, *args, env=None, timeout=TIMEOUT):
    return finish(start(name, *args, env=env), timeout)


def check_common(r, work, world, per_device):
    assert r["schema_version"] == 1 and r["status"] == "ok" and r["error"] is None
    assert r["model"] == "ToyModel"
    assert r["upstream"] == {"repo": "local/toy-model", "commit": "0" * 40, "pinned_commit": "0" * 40,
                             "checkout": None, "dirty": None}
    assert r["kit"]["version"] and "commit" in r["kit"]
    assert r["device"]["type"] == "cpu" and r["device"]["backend"] == "gloo" and r["device"]["name"]
    assert r["device"]["world_size"] == world
    assert r["batch"] == {"per_device": per_device, "global": per_device * world}
    env = r["environment"]
    assert env["python"] and env["torch"] and env["launch_env"]["ASCEND_KIT_DIST_BACKEND"] == "gloo"
    assert env["launch_env"]["OMP_NUM_THREADS"]
    assert r["precision"]["mode"] == "strict" and r["precision"]["flags"] == {"float32_matmul_precision": "highest"}
    assert r["precision"]["changed_during_run"] is False
    assert r["logs"]["train"] == os.path.join(work, "ak_train.log")
    # the loss curve is exactly what rank 0 logged
    logged = parse_train_log("kit", os.path.join(work, "toy_logs", "kit.log"))
    assert [s for s, _ in r["loss_curve"]] == [s.step for s in logged.steps]
    assert [v for _, v in r["loss_curve"]] == pytest.approx([s.loss for s in logged.steps], rel=1e-3)
    # every rank recorded its pinned flags
    for rank in range(world if r["device"]["nodes"] == 1 else 1):
        rec = json.load(open(os.path.join(work, f"ak_train_rank{rank}.json")))
        assert rec["precision_mode"] == "strict" and rec["world_size"] == world and "finished_utc" in rec


def test_full_run_2_processes_all_log_formats(tmp_path):
    work = str(tmp_path / "full")
    p = script("train_full_8p.sh", "--device", "cpu", "--num-devices", "2", "--work-dir", work,
               "--cfg", "lr=0.02", "--seed", "3")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    r = load_result(os.path.join(work, "result.json"))
    check_common(r, work, world=2, per_device=4)
    assert r["kind"] == "accuracy" and r["seed"] == 3
    assert r["steps"] == {"max_steps": None, "completed": 8, "logged": 8, "total_in_log": 8,
                          "warmup_excluded": 2, "unit": "step"}
    st = r["step_time_s"]
    assert st["n"] == 6 and st["p10"] <= st["median"] <= st["p90"]
    assert r["throughput_samples_per_s"] == pytest.approx(8 / st["median"])
    expected = parse_eval_log("nuscenes", os.path.join(work, "toy_logs", "eval_nuscenes.log"))
    assert r["final_metrics"] == expected and set(expected) >= {"mAP", "NDS"}
    assert r["metric_units"]["mAP"] == "percent" and r["metric_units"]["mATE"] == "m"
    assert r["command"]["train"][-2:] == ["--lr", "0.02"]  # --cfg went through the adapter
    assert r["wall_time_s"] > 0 and r["logs"]["eval"] == os.path.join(work, "ak_eval.log")
    ev = json.load(open(os.path.join(work, "ak_eval_rank0.json")))  # eval ran as one process
    assert ev["world_size"] == 1 and ev["precision_mode"] == "strict"
    # the toy trainer wrote the same run in every upstream format: all parsers agree
    ref = parse_train_log("mmcv", os.path.join(work, "toy_logs", "mmcv.log"))
    for fmt, rel in (("sparsebev", 0.05), ("openpcdet", 1e-3), ("kit", 1e-4), ("torchpack", 1e-4)):
        t = parse_train_log(fmt, os.path.join(work, "toy_logs", f"{fmt}.log"))
        assert [s.step for s in t.steps] == [s.step for s in ref.steps], fmt
        assert [s.loss for s in t.steps] == pytest.approx([s.loss for s in ref.steps], rel=rel, abs=6e-3), fmt
    assert "Car_3d/moderate_R40" in parse_eval_log("kitti", os.path.join(work, "toy_logs", "eval_kitti.log"))
    assert "LEVEL_2/mAPH" in parse_eval_log("waymo", os.path.join(work, "toy_logs", "eval_waymo.log"))
    assert "mIoU" in parse_eval_log("torchpack", os.path.join(work, "toy_logs", "eval_torchpack.log"))
    # a run compared with itself passes
    assert cli_main(["compare", os.path.join(work, "result.json"), os.path.join(work, "result.json")]) == 0


def test_performance_run_8_processes_openpcdet_log(tmp_path):
    work = str(tmp_path / "perf")
    p = script("train_performance_8p.sh", "--device", "cpu", "--num-npu", "8", "--work-dir", work,
               env={"TOY_LOG_FORMAT": "openpcdet"})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    r = load_result(os.path.join(work, "result.json"))
    check_common(r, work, world=8, per_device=8)
    assert r["kind"] == "performance" and r["final_metrics"] == {} and r["logs"]["eval"] is None
    assert r["steps"]["max_steps"] == 12 and r["steps"]["completed"] == 12 and r["steps"]["logged"] == 12
    assert r["step_time_s"]["n"] == 10
    assert r["throughput_samples_per_s"] == pytest.approx(64 / r["step_time_s"]["median"])
    assert sorted(f for f in os.listdir(work) if f.startswith("ak_train_rank")) == \
        sorted(f"ak_train_rank{i}.json" for i in range(8))


def test_multi_server_two_nodes_on_localhost(tmp_path):
    work0, work1 = str(tmp_path / "node0"), str(tmp_path / "node1")
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    common = ["--device", "cpu", "--num-devices", "1", "--nnodes", "2", "--master-addr", "127.0.0.1",
              "--master-port", port, "--mode", "performance", "--max-steps", "6"]
    procs = [start("train_multi_server.sh", *common, "--node-rank", str(rank), "--work-dir", work,
                   env={"TOY_LOG_FORMAT": "kit"}) for rank, work in ((0, work0), (1, work1))]
    done = [finish(p) for p in procs]
    outs = [d.stdout + d.stderr for d in done]
    assert [d.returncode for d in done] == [0, 0], outs[0][-2000:] + outs[1][-2000:]
    r = load_result(os.path.join(work0, "result.json"))
    check_common(r, work0, world=2, per_device=8)
    assert r["device"]["nodes"] == 2 and r["device"]["per_node"] == 1 and r["steps"]["completed"] == 6
    assert not os.path.exists(os.path.join(work1, "result.json"))  # node 0 writes the result
    assert "node 0 writes the result" in outs[1]


def test_training_failure_still_writes_a_failed_result(tmp_path):
    work = str(tmp_path / "fail")
    p = script("train_performance_8p.sh", "--device", "cpu", "--num-devices", "1", "--work-dir", work,
               "--max-steps", "6", env={"TOY_FAIL_AT_STEP": "4", "TOY_LOG_FORMAT": "kit"})
    assert p.returncode != 0
    r = load_result(os.path.join(work, "result.json"))
    assert r["status"] == "failed" and "training exited with status" in r["error"]
    assert [s for s, _ in r["loss_curve"]] == [1, 2, 3]
    assert cli_main(["compare", os.path.join(work, "result.json"), os.path.join(work, "result.json")]) == 2


def launch(capsys, mode, *args):
    """Run the launcher in this process (no torch import cost); returns (status, stdout, stderr)."""
    spec = importlib.util.spec_from_file_location("ak_launch", os.path.join(ROOT, "model_examples", "common", "ak_launch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        rc = module.main([mode, os.path.join(TOY, "adapter.py"), *args])
    except SystemExit as e:  # argparse --help / usage errors
        rc = e.code
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("device,expect", [
    ("cpu", ["export ASCEND_KIT_DIST_BACKEND=gloo", "export OMP_NUM_THREADS=1"]),
    ("npu", ["export ASCEND_KIT_DIST_BACKEND=hccl", "export TASK_QUEUE_ENABLE=2", "export CPU_AFFINITY_CONF=1",
             "export HCCL_CONNECT_TIMEOUT=1200"]),
    ("cuda", ["export ASCEND_KIT_DIST_BACKEND=nccl", "export NCCL_ASYNC_ERROR_HANDLING=1"]),
])
def test_dry_run_prints_environment_and_commands(tmp_path, capsys, monkeypatch, device, expect):
    for var in ("OMP_NUM_THREADS", "TASK_QUEUE_ENABLE", "CPU_AFFINITY_CONF", "HCCL_CONNECT_TIMEOUT",
                "NCCL_ASYNC_ERROR_HANDLING"):
        monkeypatch.delenv(var, raising=False)
    work = str(tmp_path / "dry")
    rc, out, err = launch(capsys, "full", "--device", device, "--work-dir", work, "--dry-run", "--batch-size", "6",
                          "--precision", "fast", "--", "--extra-flag")
    assert rc == 0, err
    for line in expect:
        assert line in out.splitlines()
    assert "export ASCEND_KIT_PRECISION=fast" in out
    assert re.search(r"torch\.distributed\.run --nnodes=1 --nproc-per-node=8 .*ak_entry\.py .*toy_train\.py "
                     r".*--batch-size 6 .*--extra-flag", out)
    assert "# eval:" in out and "toy_eval.py" in out
    assert "batch 6/device = 48 global" in out
    assert not os.path.exists(work)  # a dry run writes nothing


def test_user_environment_wins_and_is_recorded(capsys, monkeypatch):
    monkeypatch.setenv("TASK_QUEUE_ENABLE", "1")
    rc, out, _ = launch(capsys, "performance", "--device", "npu", "--dry-run")
    assert rc == 0 and "export TASK_QUEUE_ENABLE=1" in out.splitlines()
    assert "--max-steps 12" in out and "# eval:" not in out


def test_argument_errors_are_named(capsys):
    rc, _, err = launch(capsys, "multi", "--device", "cpu", "--nnodes", "2", "--dry-run")
    assert rc == 2 and "--node-rank is required" in err
    rc, _, err = launch(capsys, "full", "--device", "cpu", "--num-devices", "0", "--dry-run")
    assert rc == 2 and "--num-devices must be >= 1" in err
    rc, _, err = launch(capsys, "full", "--device", "cpu", "--cfg", "novalue", "--dry-run")
    assert rc == 2 and "--cfg expects KEY=VALUE" in err
    rc, _, err = launch(capsys, "full", "--device", "cpu", "--idle-timeout", "-1", "--dry-run")
    assert rc == 2 and "--idle-timeout must be >= 0" in err
    rc, _, err = launch(capsys, "full", "--device", "npu")  # not a dry run: the device must exist
    assert rc == 2 and "--device: device 'npu' was asked for but is not available" in err
    rc, out, _ = launch(capsys, "full", "--help")
    assert rc == 0
    for arg in ("--device", "--num-devices", "--num-npu", "--batch-size", "--max-steps", "--work-dir",
                "--seed", "--dry-run", "--precision", "--nnodes", "--master-addr", "--idle-timeout"):
        assert arg in out


def test_help_through_the_shell_script():
    p = script("train_multi_server.sh", "--help", timeout=120)
    assert p.returncode == 0 and "--node-rank" in p.stdout and "--mode" in p.stdout


def _overrides():
    sys.path.insert(0, os.path.join(ROOT, "model_examples", "common"))
    import ak_overrides
    return ak_overrides


def test_override_helpers_never_touch_the_users_config(tmp_path):
    ov = _overrides()
    assert ov.mmcv_cfg_options({"data.samples_per_gpu": 6, "optimizer.lr": 2e-4, "flag": True,
                                "ids": [1, 2]}) == \
        ["--cfg-options", "data.samples_per_gpu=6", "optimizer.lr=0.0002", "flag=True", "ids=[1,2]"]
    assert ov.mmcv_cfg_options({}) == []
    with pytest.raises(ValueError, match="use write_mmcv_overlay"):
        ov.mmcv_cfg_options({"work_dir": "a b"})
    assert ov.openpcdet_set({"OPTIMIZATION.BATCH_SIZE_PER_GPU": 4}) == ["--set", "OPTIMIZATION.BATCH_SIZE_PER_GPU", "4"]
    base = tmp_path / "user_cfg.py"
    base.write_text("total_batch_size = 48\nnum_gpus = 8\ndata = dict(samples_per_gpu=6, workers_per_gpu=2)\n")
    before = base.read_text()
    overlay = ov.write_mmcv_overlay(str(base), {"num_gpus": 16, "data.samples_per_gpu": 3},
                                    str(tmp_path / "work" / "ak_overlay.py"))
    assert base.read_text() == before
    ns = {}
    exec(open(overlay).read(), ns)  # valid Python that inherits the base and sets the keys
    assert ns["_base_"] == [str(base)] and ns["num_gpus"] == 16 and ns["data"] == {"samples_per_gpu": 3}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ov.write_mmcv_overlay(str(tmp_path / "missing.py"), {"a": 1}, str(tmp_path / "o.py"))
    with pytest.raises(ValueError, match="override key"):
        ov.mmcv_cfg_options({"bad key": 1})


def test_interrupt_stops_the_ranks_and_writes_an_interrupted_result(tmp_path):
    import time
    work = str(tmp_path / "intr")
    proc = start("train_performance_8p.sh", "--device", "cpu", "--num-devices", "1", "--work-dir", work,
                 "--max-steps", "6", env={"TOY_HANG_AT_STEP": "3", "TOY_LOG_FORMAT": "kit"})
    train_log = os.path.join(work, "ak_train.log")  # the launcher flushes every line it captures
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(train_log) and "step=2/" in open(train_log).read():
            break
        time.sleep(0.5)
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGTERM)  # the launcher (bash exec'd into it)
    p = finish(proc, timeout=120)
    assert p.returncode == 130, p.stderr[-2000:]
    r = load_result(os.path.join(work, "result.json"))
    assert r["status"] == "interrupted" and [s for s, _ in r["loss_curve"]] == [1, 2]
    _assert_rank_gone(work)


def test_watchdog_stops_a_silent_run_and_writes_a_failed_result(tmp_path):
    work = str(tmp_path / "hung")
    p = script("train_performance_8p.sh", "--device", "cpu", "--num-devices", "1", "--work-dir", work,
               "--max-steps", "6", "--idle-timeout", "15", env={"TOY_HANG_AT_STEP": "3", "TOY_LOG_FORMAT": "kit"})
    assert p.returncode == 124, p.stderr[-2000:]
    r = load_result(os.path.join(work, "result.json"))
    assert r["status"] == "failed" and "training printed nothing for 15 s (--idle-timeout)" in r["error"]
    assert [s for s, _ in r["loss_curve"]] == [1, 2]
    _assert_rank_gone(work)


def _assert_rank_gone(work):
    import time
    rank_pid = json.load(open(os.path.join(work, "ak_train_rank0.json")))["pid"]
    for _ in range(20):  # the orphaned rank is reaped by init shortly after it dies
        try:
            os.kill(rank_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    pytest.fail(f"rank 0 (pid {rank_pid}) still runs after the launcher stopped the run")
