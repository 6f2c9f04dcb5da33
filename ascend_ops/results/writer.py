"""Build and write run results: step-time statistics, environment capture, atomic JSON write."""
import datetime
import json
import math
import os
import platform
import subprocess
from .._io import atomic_write
from .schema import SCHEMA_VERSION, ResultError, metric_unit, validate_result


def step_time_stats(step_records, warmup_steps):
    """{'median','p10','p90','mean','n'} in seconds over logged steps with step > warmup_steps,
    or None when no timed step is left. step_records: parsers.StepRecord list."""
    times = [r.time for r in step_records if r.step > warmup_steps and r.time is not None]
    if not times:
        return None
    import numpy as np
    a = np.asarray(times, dtype=np.float64)
    return {"median": float(np.median(a)), "p10": float(np.percentile(a, 10)),
            "p90": float(np.percentile(a, 90)), "mean": float(a.mean()), "n": int(a.size)}


def loss_curve(step_records):
    """[[step, loss], ...]; non-finite losses become null (JSON has no NaN)."""
    return [[int(r.step), float(r.loss) if r.loss is not None and math.isfinite(r.loss) else None]
            for r in step_records]


def git_commit(path):
    """(HEAD commit, dirty) of the git work tree at `path`, or (None, None) if it is not one."""
    if not path or not os.path.isdir(path):
        return None, None
    try:
        head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=20)
        if head.returncode != 0:
            return None, None
        st = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                            capture_output=True, text=True, timeout=20)
        return head.stdout.strip(), (bool(st.stdout.strip()) if st.returncode == 0 else None)
    except (OSError, subprocess.TimeoutExpired):
        return None, None


def _first_line(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.strip()
    except OSError:
        pass
    return None


def _cann_version():
    home = os.environ.get("ASCEND_TOOLKIT_HOME") or "/usr/local/Ascend/ascend-toolkit/latest"
    for rel in ("version.cfg", "compiler/version.info", "runtime/version.info"):
        text = _first_line(os.path.join(home, rel))
        if text:
            return text.split("=", 1)[-1].strip()
    return None


def _nvidia_driver():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def collect_environment(device_type):
    """Versions of python, torch, torch_npu / CUDA, CANN / driver for a result file."""
    import torch
    env = {"python": platform.python_version(), "torch": torch.__version__, "hostname": platform.node(),
           "platform": platform.platform()}
    if device_type == "npu":
        try:
            import torch_npu
            env["torch_npu"] = torch_npu.__version__
        except Exception as e:  # recorded, not hidden
            env["torch_npu"] = f"unavailable: {e}"
        env["cann"] = _cann_version()
        env["driver"] = _first_line("/usr/local/Ascend/driver/version.info")
    elif device_type == "cuda":
        env["cuda"] = torch.version.cuda
        env["cudnn"] = torch.backends.cudnn.version()
        env["driver"] = _nvidia_driver()
    return env


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def metric_units(metrics):
    return {k: metric_unit(k) for k in metrics}


def write_result(result, path):
    """Validate `result` and write it to `path` atomically (ascend_ops._io.atomic_write).
    Raises ResultError listing every schema problem; the target is then left untouched."""
    result = dict(result)
    result.setdefault("schema_version", SCHEMA_VERSION)
    errs = validate_result(result)
    if errs:
        raise ResultError(f"refusing to write invalid result {path}: " + "; ".join(errs))
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(result, indent=2, sort_keys=False, allow_nan=False) + "\n"
    with atomic_write(path, "w") as f:
        f.write(text)
    return path
