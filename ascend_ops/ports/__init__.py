"""Model ports: apply `model_examples/<Model>/` patches to a pinned upstream checkout.

Each model folder has a manifest `port.json`:

    {"model": "Sparse4D",
     "upstream": "https://github.com/HorizonRobotics/Sparse4D",
     "commit": "<40 hex digits>",
     "patches": ["Sparse4D.patch"]}

`port()` checks that the checkout's HEAD is the pinned commit, runs `git apply --check` on every
patch before applying any, applies them in order, and undoes what it applied if a later one
fails: the checkout is either fully patched or untouched. A checkout that already carries
every patch is reported as such and left alone.
"""
import json
import os
import re
import subprocess
from pathlib import Path

_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class PortError(RuntimeError):
    """The port cannot be applied; the message says why and what to do."""


def examples_dir():
    """model_examples/ of this kit checkout (ASCEND_KIT_EXAMPLES overrides)."""
    env = os.environ.get("ASCEND_KIT_EXAMPLES")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "model_examples"
    if not path.is_dir():
        raise PortError(f"model examples folder {path} not found; set ASCEND_KIT_EXAMPLES")
    return path


def available_models():
    return sorted(p.parent.name for p in examples_dir().glob("*/port.json"))


def load_manifest(model):
    """Read and validate model_examples/<model>/port.json; patch paths become absolute."""
    folder = examples_dir() / model
    path = folder / "port.json"
    if not path.is_file():
        raise PortError(f"no port manifest {path}; models with one: {', '.join(available_models()) or 'none'}")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise PortError(f"{path}: invalid JSON ({exc})") from exc
    for key, kind in (("model", str), ("upstream", str), ("commit", str), ("patches", list)):
        if not isinstance(manifest.get(key), kind):
            raise PortError(f"{path}: '{key}' must be a {kind.__name__}")
    if not _HEX40.match(manifest["commit"]):
        raise PortError(f"{path}: 'commit' must be 40 lowercase hex digits, got {manifest['commit']!r}")
    patches = []
    for name in manifest["patches"]:
        p = (folder / name).resolve()
        if not p.is_file():
            raise PortError(f"{path}: patch {name!r} not found at {p}")
        patches.append(p)
    manifest["patches"] = patches
    manifest["folder"] = folder
    return manifest


def _git(upstream, *args, check=False):
    proc = subprocess.run(["git", "-C", str(upstream), *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise PortError(f"git {' '.join(args)} failed in {upstream}: {proc.stderr.strip()}")
    return proc


def head_commit(upstream):
    if not (Path(upstream) / ".git").exists():
        raise PortError(f"{upstream} is not a git checkout; clone it first: "
                        f"git clone <upstream> {upstream} && git -C {upstream} checkout <commit>")
    return _git(upstream, "rev-parse", "HEAD", check=True).stdout.strip()


def port(model, upstream, check_only=False):
    """Apply (or with check_only, only check) the model's patches. Returns a report dict:
    {model, upstream_dir, commit, state: 'applied'|'already-applied'|'checked', patches: [...]}.
    Raises PortError (checkout untouched) when the commit is wrong or a patch does not apply."""
    manifest = load_manifest(model)
    upstream = Path(upstream).resolve()
    head = head_commit(upstream)
    if head != manifest["commit"]:
        raise PortError(f"{upstream} is at {head}, but {model} is pinned to {manifest['commit']}: "
                        f"run git -C {upstream} checkout {manifest['commit']}")
    rows = []
    for patch in manifest["patches"]:
        fwd = _git(upstream, "apply", "--check", str(patch))
        if fwd.returncode == 0:
            rows.append({"patch": patch.name, "status": "applies"})
            continue
        rev = _git(upstream, "apply", "--check", "--reverse", str(patch))
        if rev.returncode == 0:
            rows.append({"patch": patch.name, "status": "already-applied"})
            continue
        raise PortError(f"{patch.name} does not apply to {upstream} (nothing was changed):\n{fwd.stderr.strip()}")
    report = {"model": model, "upstream_dir": str(upstream), "commit": head, "patches": rows}
    pending = [p for p, r in zip(manifest["patches"], rows) if r["status"] == "applies"]
    if pending and len(pending) != len(rows):
        raise PortError(f"{upstream} carries only some of the {model} patches "
                        f"({', '.join(r['patch'] + ': ' + r['status'] for r in rows)}); "
                        f"reset it with git -C {upstream} checkout -- . and retry")
    if check_only or not pending:
        report["state"] = "checked" if pending else "already-applied"
        return report
    done = []
    for patch in pending:
        proc = _git(upstream, "apply", str(patch))
        if proc.returncode != 0:
            for prev in reversed(done):
                _git(upstream, "apply", "--reverse", str(prev), check=True)
            raise PortError(f"{patch.name} failed to apply after passing --check (undone): {proc.stderr.strip()}")
        done.append(patch)
    for row in rows:
        row["status"] = "applied"
    report["state"] = "applied"
    return report
