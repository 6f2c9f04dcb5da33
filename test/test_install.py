"""Install and housekeeping (issue 10): `pip install .` declares every module the kit imports,
the build report says what was built and skipped (shown by `ascend-kit env`), caches live under
one overridable folder, and no test carries a machine-specific path."""
import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# module name -> distribution name, where they differ
DISTRIBUTION = {"nuscenes": "nuscenes-devkit", "PIL": "pillow", "cv2": "opencv-python-headless",
                "sklearn": "scikit-learn", "yaml": "pyyaml"}
# the model stacks the runtime patches act on, and the device plugin: they come with the model's
# (or the NPU machine's) own environment, never from the kit's install
MODEL_STACK = {"torch_npu", "mmcv", "mmdet", "mmdet3d", "torchvision", "spconv", "pcdet", "torchsparse"}


def _pyproject():
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python >= 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement):
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()


def _kit_imports():
    """{top-level module: first file importing it} over ascend_ops/ (function-level imports too)."""
    stdlib = set(getattr(sys, "stdlib_module_names", ()))
    if not stdlib:
        pytest.skip("sys.stdlib_module_names needs Python >= 3.10")
    found = {}
    for path in sorted((ROOT / "ascend_ops").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in ("ascend_ops", "__future__"):
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_pyproject_declares_every_module_the_kit_imports():
    project = _pyproject()["project"]
    core = {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    imports = _kit_imports()
    assert "tqdm" in imports and "tqdm" in core      # the case: `ascend-kit anchors` needs tqdm
    missing = {m: f for m, f in imports.items()
               if m not in MODEL_STACK and DISTRIBUTION.get(m, m).lower() not in core | extras}
    assert not missing, f"imported by the kit but not in pyproject dependencies or extras: {missing}"


def test_requirements_files_cover_pyproject():
    project = _pyproject()["project"]
    runtime = {_name(l) for l in (ROOT / "requirements.txt").read_text().splitlines() if _name(l.split("#")[0])}
    test = {_name(l) for l in (ROOT / "requirements-test.txt").read_text().splitlines() if _name(l.split("#")[0])}
    wanted = {_name(r) for r in project["dependencies"]} - {"torch"}
    wanted |= {_name(r) for r in project["optional-dependencies"]["nuscenes"]}
    assert wanted <= runtime | {"pillow"}, wanted - runtime       # pillow comes with matplotlib
    assert {"pytest", "hypothesis"} <= test


def test_build_report_records_built_and_skipped_backends(tmp_path):
    """setup.py in an empty tree: the report names each backend, built or skipped with a reason."""
    pytest.importorskip("setuptools")
    shutil.copy(ROOT / "setup.py", tmp_path / "setup.py")
    (tmp_path / "ascend_ops").mkdir()
    env = dict(os.environ, ASCEND_OPS_BACKENDS="cpu")
    env.pop("ASCEND_HOME_PATH", None)
    env.pop("ASCEND_TOOLKIT_HOME", None)
    run = subprocess.run([sys.executable, "setup.py", "--name"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "ascend_ops" / "_build_report.json").read_text())
    backends = report["backends"]
    assert backends["cpu"]["built"] is True
    assert backends["npu"]["built"] is False and "ASCEND_HOME_PATH" in backends["npu"]["detail"]
    assert backends["cuda"]["built"] is False and backends["cuda"]["detail"]
    assert report["torch"] and report["requested"] == "cpu"
    assert not list((tmp_path / "ascend_ops").glob("*.tmp"))


def test_env_prints_the_build_report(monkeypatch, capsys):
    from ascend_ops import _ext
    from ascend_ops.cli import env
    report = {"torch": "2.13.0", "time": "t", "backends": {"cpu": {"built": True, "detail": "ascend_ops._C"},
                                                           "cuda": {"built": False, "detail": "no nvcc"}}}
    monkeypatch.setattr(_ext, "build_report", lambda: report)

    class Args:
        json = False
    assert env.run(Args()) == 0
    out = capsys.readouterr().out
    assert "build[cpu]: built - ascend_ops._C" in out and "build[cuda]: skipped - no nvcc" in out
    Args.json = True
    env.run(Args())
    assert json.loads(capsys.readouterr().out)["build_report"] == report


def test_build_report_file_is_packaged():
    project = _pyproject()
    assert "_build_report.json" in project["tool"]["setuptools"]["package-data"]["ascend_ops"]


def test_cache_folder_is_one_overridable_root(monkeypatch, tmp_path):
    from ascend_ops import cache
    from ascend_ops.ascendc_sim import build
    monkeypatch.delenv("ASCEND_KIT_ASCENDC_CACHE", raising=False)
    monkeypatch.setenv("ASCEND_KIT_CACHE", str(tmp_path / "c"))
    assert cache.cache_root() == tmp_path / "c"
    assert build.cache_dir() == tmp_path / "c" / "ascendc"
    monkeypatch.delenv("ASCEND_KIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "ascend-kit"
    monkeypatch.setenv("ASCEND_KIT_ASCENDC_CACHE", str(tmp_path / "own"))
    assert build.cache_dir() == tmp_path / "own"


def _repo_files(*suffixes):
    for top in ("ascend_ops", "test", "kernels", ".ci", "model_examples", "bench"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and (path.suffix in suffixes or (path.parent.name == ".ci" and not path.suffix)):
                yield path


def test_every_cache_path_goes_through_the_one_folder():
    """A script or module naming the default cache folder also honours ASCEND_KIT_CACHE."""
    default = ".cache/" + "ascend-kit"
    offenders = []
    for path in _repo_files(".py", ".sh"):
        text = path.read_text(errors="replace")
        if default in text and "ASCEND_KIT_CACHE" not in text and "cache_path" not in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"cache paths that ignore ASCEND_KIT_CACHE: {offenders}"


def test_no_test_carries_a_machine_specific_path():
    """No literal /root, /work, /home/<user>, /Users or /tmp path in test code (use tmp_path, the
    cache folder or an environment variable)."""
    pattern = re.compile(r"""["'`](/root|/work|/home/|/Users/|/tmp/|/tmp["'])""")
    offenders = []
    for path in _repo_files(".py", ".sh"):
        if "test" not in path.relative_to(ROOT).parts[0] or path == Path(__file__).resolve():
            continue
        for k, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{k}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
