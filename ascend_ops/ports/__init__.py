"""Model ports: apply `model_examples/<Model>/` patches to a pinned upstream checkout.

Each model folder has a manifest `port.json`:

    {"model": "Sparse4D",
     "upstream": "https://github.com/HorizonRobotics/Sparse4D",
     "commit": "<40 hex digits>",
     "patches": ["Sparse4D.patch"]}

`port()` checks that the checkout's HEAD is the pinned commit and checks the patches as a
series, in order (`git apply --check` on the patches concatenated: a patch made on top of the
previous one is accepted), before it changes anything. It then records every file the series
touches, applies the series, and restores the recorded files if `git apply` fails or SIGINT /
SIGTERM arrives meanwhile: the checkout is either fully patched or exactly as it was. A
checkout that already carries every patch is reported as such and left alone. A checkout with
local changes gets a warning naming the files (report["warnings"]).
"""
import json
import os
import re
import signal
import stat
import subprocess
import threading
from pathlib import Path

_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class PortError(RuntimeError):
    """The port cannot be applied; the message says why and what to do. `argument`: the input
    it is about ('MODEL' or '--upstream')."""

    def __init__(self, message, argument="--upstream"):
        super().__init__(message)
        self.argument = argument


class PortInterrupted(KeyboardInterrupt):
    """SIGINT / SIGTERM arrived while the patches were applied; the checkout was restored."""

    def __init__(self, signum, upstream):
        super().__init__(f"interrupted by {signal.Signals(signum).name} while applying the patches; "
                         f"{upstream} was restored to its state before the port")
        self.signum = signum


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
        raise PortError(f"no port manifest {path}; models with one: {', '.join(available_models()) or 'none'}",
                        "MODEL")
    from .._io import JSONFileError, read_json
    try:
        manifest = read_json(path)
    except JSONFileError as exc:
        raise PortError(str(exc), "MODEL") from None
    if not isinstance(manifest, dict):
        raise PortError(f"{path}: must be a JSON object", "MODEL")
    for key, kind in (("model", str), ("upstream", str), ("commit", str), ("patches", list)):
        if not isinstance(manifest.get(key), kind):
            raise PortError(f"{path}: '{key}' must be a {kind.__name__}", "MODEL")
    if not _HEX40.match(manifest["commit"]):
        raise PortError(f"{path}: 'commit' must be 40 lowercase hex digits, got {manifest['commit']!r}", "MODEL")
    patches = []
    for name in manifest["patches"]:
        if not isinstance(name, str) or not name:
            raise PortError(f"{path}: 'patches' must list file names, got {name!r}", "MODEL")
        p = (folder / name).resolve()
        if not p.is_file():
            raise PortError(f"{path}: patch {name!r} not found at {p}", "MODEL")
        patches.append(p)
    manifest["patches"] = patches
    manifest["folder"] = folder
    return manifest


def _git(upstream, *args, check=False, stdin=None):
    """Run git in `upstream`; `stdin` (bytes) is fed to it. Returns the CompletedProcess with
    text stdout / stderr."""
    proc = subprocess.run(["git", "-C", str(upstream), *args], capture_output=True, input=stdin,
                          start_new_session=True)   # a Ctrl-C reaches the kit, which stops git itself
    proc.stdout = proc.stdout.decode("utf-8", "replace")
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        raise PortError(f"git {' '.join(args)} failed in {upstream}: {proc.stderr.strip()}")
    return proc


def _series(patches):
    """The patches concatenated in order, as one patch stream (bytes)."""
    parts = []
    for p in patches:
        data = Path(p).read_bytes()
        parts.append(data if data.endswith(b"\n") or not data else data + b"\n")
    return b"".join(parts)


def _applies(upstream, patches, reverse=False):
    """(ok, stderr) of `git apply --check` of the series (reverse: undoing it, last patch first)."""
    args = ["apply", "--check"] + (["--reverse"] if reverse else []) + ["-"]
    proc = _git(upstream, *args, stdin=_series(patches))
    return proc.returncode == 0, proc.stderr.strip()


def _touched_paths(upstream, patches):
    """Paths (relative to the checkout) that the series creates, changes, deletes or renames."""
    proc = _git(upstream, "apply", "--numstat", "-z", "-", stdin=_series(patches))
    if proc.returncode != 0:
        raise PortError(f"git apply --numstat failed in {upstream}: {proc.stderr.strip()}")
    tokens, paths, i = proc.stdout.split("\0"), [], 0
    while i < len(tokens):
        fields = tokens[i].split("\t", 2)
        if len(fields) == 3:
            if fields[2]:
                paths.append(fields[2])
            else:                                  # a rename: old and new path follow
                paths += [t for t in tokens[i + 1:i + 3] if t]
                i += 2
        i += 1
    return sorted(set(paths))


def dirty_files(upstream):
    """Files with local changes (tracked or untracked) in the checkout, as `git status` names them."""
    proc = _git(upstream, "status", "--porcelain", "-z")
    if proc.returncode != 0:
        return []
    out, tokens, i = [], proc.stdout.split("\0"), 0
    while i < len(tokens):
        t = tokens[i]
        if len(t) > 3:
            out.append(t[3:])
            if t[0] in "RC":        # rename / copy: the source path follows
                i += 1
        i += 1
    return out


def _snapshot(root, paths):
    """{path: state} of each path and of every folder above it, to restore exactly."""
    snap, folders = {}, {}
    for rel in paths:
        full = root / rel
        if full.is_symlink():
            snap[rel] = ("link", os.readlink(full))
        elif full.is_file():
            snap[rel] = ("file", full.read_bytes(), stat.S_IMODE(full.stat().st_mode))
        elif full.exists():
            raise PortError(f"{full} is not a file; the patches expect one")
        else:
            snap[rel] = ("absent",)
        for parent in Path(rel).parents:
            if str(parent) != ".":
                folders[str(parent)] = (root / parent).is_dir()
    return snap, folders


def _restore(root, snap, folders):
    for rel, state in snap.items():
        full = root / rel
        if full.is_symlink() or full.is_file():
            full.unlink()
        if state[0] == "file":
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_bytes(state[1])
            os.chmod(full, state[2])
        elif state[0] == "link":
            full.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(state[1], full)
    for rel in sorted((f for f, existed in folders.items() if not existed), key=lambda f: -f.count(os.sep)):
        try:
            (root / rel).rmdir()   # only a folder the series created, and only when empty
        except OSError:
            pass


class _Signal(BaseException):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _apply_all_or_nothing(upstream, patches):
    """Apply the series; on failure or SIGINT / SIGTERM restore every touched file."""
    snap, folders = _snapshot(upstream, _touched_paths(upstream, patches))
    previous = {}
    if threading.current_thread() is threading.main_thread():
        def handler(signum, frame):
            raise _Signal(signum)
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handler)
    try:
        try:
            proc = _git(upstream, "apply", "-", stdin=_series(patches))
            failed = proc.returncode != 0
        except _Signal as sig:
            for signum in previous:          # no second signal may stop the restore half-way
                signal.signal(signum, signal.SIG_IGN)
            _restore(upstream, snap, folders)
            raise PortInterrupted(sig.signum, upstream) from None
        if failed:
            for signum in previous:
                signal.signal(signum, signal.SIG_IGN)
            _restore(upstream, snap, folders)
            raise PortError(f"git apply failed after the check passed; {upstream} was restored: "
                            f"{proc.stderr.strip()}")
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def head_commit(upstream):
    if not Path(upstream).is_dir():
        raise PortError(f"{upstream} is not a folder (clone the upstream there first)")
    if not (Path(upstream) / ".git").exists():
        raise PortError(f"{upstream} is not a git checkout; clone it first: "
                        f"git clone <upstream> {upstream} && git -C {upstream} checkout <commit>")
    return _git(upstream, "rev-parse", "HEAD", check=True).stdout.strip()


def port(model, upstream, check_only=False):
    """Apply (or with check_only, only check) the model's patches. Returns a report dict:
    {model, upstream_dir, commit, state: 'applied'|'already-applied'|'checked', patches: [...],
    warnings: [...]}. Raises PortError (checkout untouched) when the commit is wrong or the
    series does not apply, PortInterrupted (checkout restored) on SIGINT / SIGTERM."""
    manifest = load_manifest(model)
    upstream = Path(upstream).resolve()
    head = head_commit(upstream)
    if head != manifest["commit"]:
        raise PortError(f"{upstream} is at {head}, but {model} is pinned to {manifest['commit']}: "
                        f"run git -C {upstream} checkout {manifest['commit']}")
    patches = manifest["patches"]
    names = [p.name for p in patches]
    report = {"model": model, "upstream_dir": str(upstream), "commit": head, "patches": [], "warnings": []}
    dirty = dirty_files(upstream)
    if dirty:
        shown = ", ".join(dirty[:10]) + (f" and {len(dirty) - 10} more" if len(dirty) > 10 else "")
        report["warnings"].append(f"{upstream} has local changes ({shown}); the patches are checked against "
                                  f"the files as they are now")
    ok, why = _applies(upstream, patches)
    if ok:
        status = "applies"
    elif _applies(upstream, patches, reverse=True)[0]:
        status = "already-applied"
    else:
        for k in range(1, len(patches)):     # the first k patches applied, the rest not
            if _applies(upstream, patches[:k], reverse=True)[0] and _applies(upstream, patches[k:])[0]:
                raise PortError(f"{upstream} carries only some of the {model} patches ({', '.join(names[:k])} "
                                f"applied, {', '.join(names[k:])} not); reset it with git -C {upstream} "
                                f"checkout -- . and retry")
        bad = next((k for k in range(1, len(patches) + 1) if not _applies(upstream, patches[:k])[0]), len(patches))
        detail = _applies(upstream, patches[:bad])[1] if bad < len(patches) else why
        after = f" on top of {', '.join(names[:bad - 1])}" if bad > 1 else ""
        raise PortError(f"{names[bad - 1]} does not apply to {upstream}{after} (nothing was changed):\n{detail}")
    report["patches"] = [{"patch": n, "status": status} for n in names]
    if check_only or status == "already-applied":
        report["state"] = "checked" if status == "applies" else "already-applied"
        return report
    _apply_all_or_nothing(upstream, patches)
    for row in report["patches"]:
        row["status"] = "applied"
    report["state"] = "applied"
    return report
