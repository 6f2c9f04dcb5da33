"""docs/npu-quickstart.md: every command of the page is checked on a CPU machine (issue 10).

The fenced bash blocks are parsed; each command must be one this test knows how to check, else
the test fails (so a new command needs a check here):
- `ascend-kit SUB ...`: every --flag appears in `ascend-kit SUB --help`, and a value given to a
  flag with choices is one of them;
- `bash SCRIPT ...`: the script exists; the launcher scripts and build_ascendc.sh run with the
  page's arguments plus --dry-run (exit 0); install.sh's flags appear in its --help;
- `pip install`: requirement files exist, specs parse, the torch / torch_npu pair matches;
- `python -c CODE` compiles; `python -m pytest` paths and markers exist;
- `git clone`: the URL is the port manifest's upstream; `source`, `export`, `echo`, `npu-smi`:
  CANN's set_env.sh, variables the kit's build or scripts use.
The page must also say that it was not run on an NPU."""
import json
import os
import re
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "npu-quickstart.md"
DRY_RUN_SCRIPTS = ("model_examples/Sparse4D/test/train_full_8p.sh", "model_examples/Sparse4D/test/train_performance_8p.sh",
                   "model_examples/Sparse4D/test/train_multi_server.sh", "kernels/build_ascendc.sh")


def _commands():
    """(block number, command) for every command line of the page's bash blocks."""
    text = PAGE.read_text()
    out = []
    for k, block in enumerate(re.findall(r"```bash\n(.*?)```", text, re.S)):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append((k, line))
    return out


COMMANDS = _commands()


def test_page_says_it_was_not_run_on_an_npu():
    text = PAGE.read_text()
    assert "Not run on an NPU" in text and "has not been executed on an Atlas 800T A2" in text


def test_page_covers_every_step_in_order():
    """environment, torch/torch_npu, kit, Ascend C package, env/check, port, 8-card, compare."""
    flat = [c for _, c in COMMANDS]

    def first(pattern):
        idx = [i for i, c in enumerate(flat) if re.search(pattern, c)]
        assert idx, f"no command matching {pattern!r}"
        return idx[0]
    order = [first(r"set_env\.sh"), first(r"torch_npu=="), first(r"pip install --no-build-isolation -e \."),
             first(r"build_ascendc\.sh .*--install"), first(r"ascend-kit check --backend npu"),
             first(r"ascend-kit port Sparse4D"), first(r"train_full_8p\.sh --device npu"),
             first(r"ascend-kit compare")]
    assert order == sorted(order), order


@lru_cache(maxsize=None)
def _help(*words):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "ascend_ops", *words, "--help"], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, f"ascend-kit {' '.join(words)} --help failed: {run.stderr[-2000:]}"
    return run.stdout


def _check_ascend_kit(args):
    words = [args[0]]
    if args[0] == "nuscenes":
        words.append(args[1])
    text = _help(*words)
    rest = args[len(words):]
    for i, a in enumerate(rest):
        if not a.startswith("--"):
            continue
        flag = a.split("=", 1)[0]
        assert re.search(rf"(^|[\s,\[]){re.escape(flag)}([\s,=\]]|$)", text, re.M), \
            f"ascend-kit {' '.join(words)}: {flag} is not in --help"
        choices = re.search(rf"{re.escape(flag)} \{{([^}}]*)\}}", text)
        if choices and i + 1 < len(rest):
            assert rest[i + 1] in choices.group(1).split(","), f"{flag} {rest[i + 1]}: not in {{{choices.group(1)}}}"


_DRY_RUNS = {}


def _dry_run(script, dry, tmp_path):
    """bash SCRIPT DRY (with --dry-run) in tmp_path; the same command runs once per session."""
    key = (script, tuple(dry))
    if key not in _DRY_RUNS:
        if "--upstream-dir" in dry:
            (tmp_path / dry[dry.index("--upstream-dir") + 1]).mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHON=sys.executable, AK_PYTHON=sys.executable)
        run = subprocess.run(["bash", str(ROOT / script), *dry], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=300)
        wrote = (tmp_path / "work_dirs").exists() and any((tmp_path / "work_dirs").rglob("*.json"))
        _DRY_RUNS[key] = (run.returncode, run.stderr[-3000:], wrote)
    return _DRY_RUNS[key]


def _check_bash(args, tmp_path):
    script = args[0]
    assert (ROOT / script).is_file(), f"{script} does not exist"
    rest = args[1:]
    if script in DRY_RUN_SCRIPTS:
        dry = rest + ([] if "--dry-run" in rest else ["--dry-run"])
        rc, err, wrote = _dry_run(script, dry, tmp_path)
        assert rc == 0, f"bash {script} {' '.join(dry)}: rc {rc}\n{err}"
        assert not wrote, "--dry-run wrote results"
        return
    if script == "model_examples/Sparse4D/install.sh":
        text = subprocess.run(["bash", str(ROOT / script), "--help"], capture_output=True, text=True,
                              timeout=60).stdout
        for i, a in enumerate(rest):
            if a.startswith("--"):
                assert re.search(rf"\[{re.escape(a)}[\] ]", text), f"install.sh: {a} is not in --help"
        if "--torch" in rest:
            line = rest[rest.index("--torch") + 1]
            assert (ROOT / "model_examples" / "Sparse4D" / "requirements" / f"torch-{line}.txt").is_file()
        return
    pytest.fail(f"no check for the script {script}")


def _check_pip(args):
    from packaging.requirements import Requirement
    assert args[:2] == ["pip", "install"], args
    specs, i = {}, 2
    while i < len(args):
        a = args[i]
        if a in ("-r", "--requirement"):
            assert (ROOT / args[i + 1]).is_file(), f"pip -r {args[i + 1]}: no such file"
            i += 2
            continue
        if a == "-e":
            assert args[i + 1] == "." and (ROOT / "pyproject.toml").is_file()
            i += 2
            continue
        if a == "--no-build-isolation":
            i += 1
            continue
        assert not a.startswith("-"), f"pip option {a} has no check"
        req = Requirement(a)
        specs[req.name] = req
        i += 1
    if "torch_npu" in specs:
        torch_v = next(iter(specs["torch"].specifier)).version
        npu_v = next(iter(specs["torch_npu"].specifier)).version
        assert npu_v.split(".post")[0] == torch_v, f"torch {torch_v} does not pair with torch_npu {npu_v}"


def _check_python(args):
    if args[1] == "-c":
        compile(args[2], "<quickstart>", "exec")
        return
    assert args[1:3] == ["-m", "pytest"], args
    rest = args[3:]
    for i, a in enumerate(rest):
        if a == "-m":
            marker = rest[i + 1]
            conftest = (ROOT / "test" / "conftest.py").read_text()
            assert f'"{marker}:' in conftest or marker in (ROOT / "pyproject.toml").read_text()
            assert any(f"mark.{marker}" in p.read_text() for p in (ROOT / "test").glob("test_*.py"))
        elif not a.startswith("-") and (i == 0 or rest[i - 1] != "-m"):
            assert (ROOT / a).exists(), f"pytest path {a} does not exist"


def _check_shell(args):
    word = args[0]
    if word == "source":
        assert args[1].startswith("/usr/local/Ascend/") and args[1].endswith("/set_env.sh")
    elif word == "npu-smi":
        assert args[1:] == ["info"]
    elif word == "echo":
        var = args[1].strip('"${}')
        assert var in (ROOT / "setup.py").read_text(), f"{var}: the build does not read it"
    elif word == "export":
        var = args[1].split("=", 1)[0]
        assert var in (ROOT / "kernels" / "build_ascendc.sh").read_text(), f"{var}: build_ascendc.sh does not name it"
    elif word == "git":
        assert args[1] == "clone"
        manifest = json.loads((ROOT / "model_examples" / "Sparse4D" / "port.json").read_text())
        assert args[2].removesuffix(".git") == manifest["upstream"]
    else:
        pytest.fail(f"no check for the command {word}")


@pytest.mark.parametrize("block,command", COMMANDS, ids=[f"{b}-{c[:60]}" for b, c in COMMANDS])
def test_command(block, command, tmp_path):
    args = shlex.split(command)
    if args[0] == "ascend-kit":
        _check_ascend_kit(args[1:])
    elif args[0] == "bash":
        _check_bash(args[1:], tmp_path)
    elif args[0] == "pip":
        _check_pip(args)
    elif args[0] == "python":
        _check_python(args)
    else:
        _check_shell(args)
