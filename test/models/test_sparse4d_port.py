"""Sparse4D port: patch file, manifest, port machinery, install script, run scripts, kit glue.

Optional parts (skipped with a message when missing):
  ASCEND_KIT_SPARSE4D_UPSTREAM=DIR   a Sparse4D git repository (clone or mirror) holding the
                                     pinned commit: `git apply --check`, port and install.sh runs.
  ASCEND_KIT_SPARSE4D_PYTHON=PY      interpreter with mmcv-full 1.7.2 + mmdet 2.28.2 (default
                                     $ASCEND_KIT_CACHE/sparse4d-venv/bin/python) and
  ASCEND_KIT_SPARSE4D_DATA=DIR       optional: a folder made by test/prepare_smoke_data.sh (else
                                     the smoke test makes one, ~2 min): the 2-process CPU smoke run.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ascend_ops.cache import cache_path

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "model_examples" / "Sparse4D"
PATCH = MODEL_DIR / "Sparse4D.patch"
PINNED = "c41df4bbf7bc82490f11ff55173abfcb3fb91425"
UPSTREAM_ENV = "ASCEND_KIT_SPARSE4D_UPSTREAM"


# ------------------------------------------------------------------ patch file and manifest

def _parse_patch(text):
    """{path: [(old_start, old_len, new_start, new_len, lines)]}; raises AssertionError if malformed."""
    files, current, hunk = {}, None, None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^diff --git a/(\S+) b/(\S+)$", line)
        if m:
            assert m.group(1) == m.group(2), f"renames are not expected: {line}"
            current = files.setdefault(m.group(1), [])
            i += 1
            continue
        m = re.match(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
        if m:
            assert current is not None, f"hunk before any file header: {line}"
            old_len = int(m.group(2) or 1)
            new_len = int(m.group(4) or 1)
            body, n_old, n_new = [], 0, 0
            i += 1
            while i < len(lines) and (n_old < old_len or n_new < new_len):
                b = lines[i]
                assert b[:1] in (" ", "+", "-", "\\"), f"bad hunk line {i + 1}: {b!r}"
                if b[:1] in (" ", "-"):
                    n_old += 1
                if b[:1] in (" ", "+"):
                    n_new += 1
                body.append(b)
                i += 1
            assert (n_old, n_new) == (old_len, new_len), f"hunk {line} counts {n_old}/{n_new}"
            current.append((int(m.group(1)), old_len, int(m.group(3)), new_len, body))
            continue
        i += 1
    return files


def test_manifest_names_the_pinned_commit_and_patch():
    manifest = json.loads((MODEL_DIR / "port.json").read_text())
    assert manifest["commit"] == PINNED
    assert manifest["upstream"] == "https://github.com/HorizonRobotics/Sparse4D"
    assert manifest["patches"] == ["Sparse4D.patch"]
    from ascend_ops import ports
    assert ports.load_manifest("Sparse4D")["patches"] == [PATCH.resolve()]
    adapter = (MODEL_DIR / "test" / "adapter.py").read_text()
    assert f'UPSTREAM_COMMIT = "{PINNED}"' in adapter


def test_patch_is_well_formed_small_and_routes_the_op_to_the_kit():
    text = PATCH.read_text()
    assert f"base-commit: {PINNED}" in text.split("diff --git")[0]
    files = _parse_patch(text)
    assert set(files) == {
        "projects/mmdet3d_plugin/apis/mmdet_train.py", "projects/mmdet3d_plugin/apis/test.py",
        "projects/mmdet3d_plugin/datasets/nuscenes_3d_det_track_dataset.py",
        "projects/mmdet3d_plugin/datasets/samplers/group_in_batch_sampler.py",
        "projects/mmdet3d_plugin/models/grid_mask.py", "projects/mmdet3d_plugin/models/sparse4d_head.py",
        "projects/mmdet3d_plugin/ops/__init__.py", "tools/dist_test.sh", "tools/dist_train.sh",
        "tools/test.py", "tools/train.py"}
    added = [l[1:] for hunks in files.values() for h in hunks for l in h[4] if l.startswith("+")]
    removed = [l[1:] for hunks in files.values() for h in hunks for l in h[4] if l.startswith("-")]
    assert len(added) <= 60 and len(removed) <= 60, "the patch must stay minimal"
    assert not any(".cuda()" in l or "torch.cuda" in l or '"nccl"' in l for l in added)
    assert any("ascend_ops.ports.sparse4d import deformable_aggregation_function" in l for l in added)
    assert any("torchrun" in l for l in added) and any("torch.distributed.launch" in l for l in removed)
    assert any("print_metrics(results_dict)" in l for l in added)


# ------------------------------------------------------------------ generic port machinery

def _git(cwd, *args):
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def toy_port(tmp_path, monkeypatch):
    repo = tmp_path / "up"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@t")
    _git(repo, "config", "user.name", "t")
    (repo / "a.py").write_text("x = 1\ny = 2\n")
    (repo / "b.py").write_text("z = 3\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    commit = _git(repo, "rev-parse", "HEAD").strip()
    examples = tmp_path / "examples" / "Toy"
    examples.mkdir(parents=True)
    (repo / "a.py").write_text("x = 10\ny = 2\n")
    (examples / "one.patch").write_text(_git(repo, "diff"))
    _git(repo, "checkout", "-q", "--", ".")
    (repo / "b.py").write_text("z = 30\n")
    (examples / "two.patch").write_text(_git(repo, "diff"))
    _git(repo, "checkout", "-q", "--", ".")
    (examples / "port.json").write_text(json.dumps(
        {"model": "Toy", "upstream": "https://example.invalid/toy", "commit": commit,
         "patches": ["one.patch", "two.patch"]}))
    monkeypatch.setenv("ASCEND_KIT_EXAMPLES", str(examples.parent))
    return repo, examples, commit


def test_port_check_apply_and_idempotence(toy_port):
    from ascend_ops import ports
    repo, _, commit = toy_port
    rep = ports.port("Toy", repo, check_only=True)
    assert rep["state"] == "checked" and _git(repo, "status", "--porcelain") == ""
    rep = ports.port("Toy", repo)
    assert rep["state"] == "applied" and rep["commit"] == commit
    assert (repo / "a.py").read_text().startswith("x = 10") and (repo / "b.py").read_text() == "z = 30\n"
    assert ports.port("Toy", repo)["state"] == "already-applied"


def test_port_refuses_wrong_commit_and_leaves_checkout_untouched(toy_port):
    from ascend_ops import ports
    repo, examples, _ = toy_port
    (repo / "c.py").write_text("new\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "later")
    with pytest.raises(ports.PortError, match="pinned to"):
        ports.port("Toy", repo)
    _git(repo, "reset", "-q", "--hard", "HEAD~1")
    (repo / "b.py").write_text("z = 99\n")            # local edit: two.patch no longer applies
    with pytest.raises(ports.PortError, match="two.patch does not apply"):
        ports.port("Toy", repo)
    assert (repo / "a.py").read_text() == "x = 1\ny = 2\n"   # one.patch was not applied either
    (examples / "port.json").write_text('{"model": "Toy"}')
    with pytest.raises(ports.PortError, match="'upstream' must be"):
        ports.port("Toy", repo)


def test_port_cli_reports(toy_port, capsys):
    from ascend_ops.cli import main
    repo, _, _ = toy_port
    assert main(["port", "Toy", "--upstream", str(repo), "--check"]) == 0
    assert "checked" in capsys.readouterr().out
    assert main(["port", "Toy", "--upstream", str(repo / "missing")]) == 2   # unusable input: one line
    err = capsys.readouterr().err
    assert err.startswith("ascend-kit port: error: --upstream: ") and "is not a folder" in err
    assert err.count("\n") == 1


# ------------------------------------------------------------------ against the real upstream

@pytest.fixture
def upstream(tmp_path):
    src = os.environ.get(UPSTREAM_ENV)
    if not src:
        pytest.skip(f"set {UPSTREAM_ENV}=<Sparse4D git repo or clone holding {PINNED[:8]}> to check the "
                    f"patch against the real upstream")
    dst = tmp_path / "Sparse4D"
    subprocess.run(["git", "clone", "-q", "--no-checkout", src, str(dst)], check=True)
    _git(dst, "checkout", "-q", PINNED)
    return dst


def test_patch_applies_to_pinned_upstream(upstream):
    subprocess.run(["git", "-C", str(upstream), "apply", "--check", str(PATCH)], check=True)
    from ascend_ops import ports
    assert ports.port("Sparse4D", upstream)["state"] == "applied"
    assert "ascend_ops" in (upstream / "projects/mmdet3d_plugin/ops/__init__.py").read_text()


def test_install_script_checks_before_applying(upstream):
    sh = MODEL_DIR / "install.sh"
    target = upstream / "tools" / "dist_train.sh"
    target.write_text(target.read_text().replace("torch.distributed.launch", "torch.distributed.run"))
    r = subprocess.run(["bash", str(sh), "--upstream", str(upstream), "--skip-deps"], capture_output=True, text=True)
    assert r.returncode == 1 and "does not apply" in r.stderr
    assert _git(upstream, "status", "--porcelain").strip() == "M tools/dist_train.sh"   # nothing else touched
    _git(upstream, "checkout", "-q", "--", ".")
    r = subprocess.run(["bash", str(sh), "--upstream", str(upstream), "--skip-deps"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["bash", str(sh), "--upstream", str(upstream), "--check"], capture_output=True, text=True)
    assert r.returncode == 0 and "already applied" in r.stdout


# ------------------------------------------------------------------ scripts and adapter

def test_install_script_help_and_missing_checkout(tmp_path):
    sh = MODEL_DIR / "install.sh"
    r = subprocess.run(["bash", str(sh), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--upstream DIR" in r.stdout
    r = subprocess.run(["bash", str(sh), "--upstream", str(tmp_path / "none"), "--check"], capture_output=True, text=True)
    assert r.returncode == 1 and "not a git checkout" in r.stderr


def _script(name, *args):
    return subprocess.run(["bash", str(MODEL_DIR / "test" / name), *args], capture_output=True, text=True,
                          env={**os.environ, "AK_PYTHON": sys.executable}, cwd=str(ROOT))


@pytest.mark.parametrize("name", ["train_full_8p.sh", "train_performance_8p.sh", "train_multi_server.sh"])
def test_run_scripts_help(name):
    r = _script(name, "--help")
    assert r.returncode == 0, r.stderr
    assert "--num-devices" in r.stdout and "--device" in r.stdout


def test_run_scripts_dry_run(tmp_path):
    r = _script("train_performance_8p.sh", "--device", "cpu", "--num-devices", "2", "--max-steps", "3",
                "--upstream-dir", str(tmp_path), "--work-dir", str(tmp_path / "w"), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "--nproc-per-node=2" in r.stdout and "tools/train.py" in r.stdout and "--no-validate" in r.stdout
    assert "ak_sparse4d_config.py" in r.stdout and "ASCEND_KIT_DIST_BACKEND=gloo" in r.stdout
    assert not (tmp_path / "w").exists()                   # dry run writes nothing
    r = _script("train_full_8p.sh", "--device", "cpu", "--num-devices", "2", "--upstream-dir", str(tmp_path),
                "--dry-run")
    assert r.returncode == 0 and "tools/test.py" in r.stdout and "--eval bbox" in r.stdout
    r = _script("train_multi_server.sh", "--device", "cpu", "--nnodes", "2", "--node-rank", "1",
                "--master-addr", "10.0.0.1", "--upstream-dir", str(tmp_path), "--dry-run")
    assert r.returncode == 0 and "--nnodes=2" in r.stdout and "--node-rank=1" in r.stdout


def _adapter():
    sys.path.insert(0, str(ROOT / "model_examples" / "common"))
    import importlib.util
    spec = importlib.util.spec_from_file_location("sparse4d_adapter", MODEL_DIR / "test" / "adapter.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _ctx(tmp_path, **kw):
    from types import SimpleNamespace
    base = dict(mode="full", device="npu", batch_size=6, global_batch=48, max_steps=None, overrides={},
                model_dir=str(MODEL_DIR), work_dir=str(tmp_path / "w"), upstream_dir=str(tmp_path / "up"),
                config="projects/configs/sparse4dv3_temporal_r50_1x8_bs6_256x704.py", dry_run=False)
    base.update(kw)
    return SimpleNamespace(**base)


def test_adapter_schedule_and_overrides(tmp_path):
    a = _adapter()
    d = a._overrides(_ctx(tmp_path))
    assert d["runner.max_iters"] == 586 * 100 and d["checkpoint_config.interval"] == 586 * 20
    assert "fp16" not in d and d["data.samples_per_gpu"] == 6
    d = a._overrides(_ctx(tmp_path, device="cpu", max_steps=4, mode="performance",
                          overrides={"ak_overlay": "test/smoke_cpu.json", "data.workers_per_gpu": "0"}))
    assert d["fp16"] is None and d["runner.max_iters"] == 4 and d["log_config.interval"] == 1
    assert d["data.workers_per_gpu"] == 0                  # explicit --cfg wins over the overlay
    with pytest.raises(ValueError, match="does not exist"):
        a._overrides(_ctx(tmp_path, overrides={"ak_overlay": "nope.json"}))


def test_adapter_check_writes_overlay_inheriting_upstream(tmp_path):
    a = _adapter()
    ctx = _ctx(tmp_path, max_steps=2)
    with pytest.raises(ValueError, match="not a Sparse4D checkout"):
        a.check(ctx)
    ops = tmp_path / "up" / "projects" / "mmdet3d_plugin" / "ops"
    ops.mkdir(parents=True)
    (ops / "__init__.py").write_text("from .deformable_aggregation import X\n")
    with pytest.raises(ValueError, match="not patched"):
        a.check(ctx)
    (ops / "__init__.py").write_text("from ascend_ops.ports.sparse4d import deformable_aggregation_function\n")
    cfg = tmp_path / "up" / ctx.config
    cfg.parent.mkdir(parents=True)
    cfg.write_text("x = 1\n")
    a.check(ctx)
    ns = {}
    exec(Path(a.overlay_path(ctx)).read_text(), ns)
    assert ns["_base_"] == [str(cfg)] and ns["runner"]["max_iters"] == 2
    assert ns["data"]["samples_per_gpu"] == 6
    assert cfg.read_text() == "x = 1\n"


# ------------------------------------------------------------------ kit glue

def test_print_metrics_lines():
    from ascend_ops.ports.sparse4d import print_metrics
    out = []
    found = print_metrics({"img_bbox_NuScenes/NDS": 0.5636, "img_bbox_NuScenes/mAP": 0.4647,
                           "img_bbox_NuScenes/amota": 0.477, "img_bbox_NuScenes/car_AP_dist_1.0": 0.5}, out.append)
    assert out == ["[ascend-kit] metric NDS=56.3600", "[ascend-kit] metric mAP=46.4700",
                   "[ascend-kit] metric AMOTA=47.7000"]
    from ascend_ops.results.parsers import _kit_metrics
    assert _kit_metrics(out, "x") == {"NDS": 56.36, "mAP": 46.47, "AMOTA": 47.7}
    assert found["NDS"] == pytest.approx(56.36)
    with pytest.raises(ValueError, match="no '\\*/NDS'"):
        print_metrics({"img_bbox_NuScenes/amota": 0.4}, out.append)


def test_deformable_aggregation_function_casts_to_float32():
    from ascend_ops import deformable_aggregation_reference
    from ascend_ops.ports.sparse4d import deformable_aggregation_function
    g = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[[4, 6], [2, 3]]] * 2)                          # int64, as upstream builds it
    sizes = shapes.prod(-1).flatten()
    starts = (torch.cumsum(sizes, 0) - sizes).reshape(2, 2)
    feat = torch.rand(1, int(sizes.sum()), 8, generator=g).half()
    loc = torch.rand(1, 3, 2, 2, 2, generator=g)
    w = torch.rand(1, 3, 2, 2, 2, 4, generator=g)
    out = deformable_aggregation_function(feat, shapes, starts, loc, w)
    assert out.dtype == torch.float32 and out.shape == (1, 3, 8)
    ref = deformable_aggregation_reference(feat.float(), shapes, starts, loc, w)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ patched-model smoke run

def _stack_python():
    py = os.environ.get("ASCEND_KIT_SPARSE4D_PYTHON", str(cache_path("sparse4d-venv", "bin", "python")))
    if not os.path.exists(py):
        return None, f"no interpreter {py}"
    probe = ("from ascend_ops.ports.sparse4d import prepare_imports; prepare_imports(); "
             "import mmcv.ops, mmdet.models, nuscenes")
    r = subprocess.run([py, "-c", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{py} lacks mmcv-full/mmdet/nuscenes ({r.stderr.strip().splitlines()[-1:]})"
    return py, ""


def test_patched_model_smoke_cpu(upstream, tmp_path):
    py, why = _stack_python()
    if py is None:
        pytest.skip(f"patched-model smoke run needs the mmcv stack: {why}; build it as in "
                    f"model_examples/Sparse4D/README.md ('CPU smoke run') or set ASCEND_KIT_SPARSE4D_PYTHON")
    from ascend_ops import ports
    ports.port("Sparse4D", upstream)
    data = os.environ.get("ASCEND_KIT_SPARSE4D_DATA")     # a folder made by prepare_smoke_data.sh
    if data:
        os.symlink(os.path.join(data, "data"), upstream / "data")
    else:
        subprocess.run(["bash", str(MODEL_DIR / "test" / "prepare_smoke_data.sh"), str(upstream), py],
                       check=True, capture_output=True, timeout=900)
    work = tmp_path / "run"
    r = subprocess.run(["bash", str(MODEL_DIR / "test" / "train_full_8p.sh"), "--device", "cpu",
                        "--num-devices", "2", "--batch-size", "1", "--max-steps", "2",
                        "--upstream-dir", str(upstream), "--work-dir", str(work),
                        "--cfg", "ak_overlay=test/smoke_cpu.json"],
                       capture_output=True, text=True, env={**os.environ, "AK_PYTHON": py}, timeout=1800)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    result = json.loads((work / "result.json").read_text())
    assert result["status"] == "ok" and result["device"]["world_size"] == 2
    assert {"NDS", "mAP"} <= set(result["final_metrics"])
    assert "applied  mmcv.init_dist_pytorch" in r.stdout
