"""The run-result JSON schema (version 1; documented in docs/results-schema.md) and its checks."""
import math

SCHEMA_VERSION = 1
STATUSES = ("ok", "failed", "interrupted")
KINDS = ("accuracy", "performance")
DEVICE_TYPES = ("npu", "cuda", "cpu")
# metrics that are not scores in percentage points; everything else is "percent"
NON_PERCENT_UNITS = {"mATE": "m", "mASE": "1-IoU", "mAOE": "rad", "mAVE": "m/s", "mAAE": "1-acc"}


class ResultError(ValueError):
    """A result file that cannot be used (unreadable, truncated, wrong version, bad fields)."""


def metric_unit(name):
    """'percent' for score metrics (mAP, NDS, AP, mAPH, mIoU), else the error metric's unit."""
    return NON_PERCENT_UNITS.get(name, "percent")


def _is_num(x, allow_none=False):
    if x is None:
        return allow_none
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:   # an int too large for a float
        return False


def _is_int(x, allow_none=False, minimum=0):
    if x is None:
        return allow_none
    return isinstance(x, int) and not isinstance(x, bool) and x >= minimum


def validate_result(r):
    """Return a list of problems (empty when `r` is a valid version-1 result dict)."""
    errs = []

    def need(cond, msg):
        if not cond:
            errs.append(msg)

    if not isinstance(r, dict):
        return [f"result must be a JSON object, got {type(r).__name__}"]
    if r.get("schema_version") != SCHEMA_VERSION:
        return [f"schema_version must be {SCHEMA_VERSION}, got {r.get('schema_version')!r}"]
    for key in ("status", "kind", "model", "upstream", "kit", "device", "batch", "steps", "step_time_s",
                "throughput_samples_per_s", "loss_curve", "final_metrics", "metric_units", "wall_time_s",
                "environment", "precision", "seed", "created_utc"):
        need(key in r, f"missing field {key!r}")
    if errs:
        return errs
    need(r["status"] in STATUSES, f"status must be one of {STATUSES}, got {r['status']!r}")
    need(r["kind"] in KINDS, f"kind must be one of {KINDS}, got {r['kind']!r}")
    need(isinstance(r["model"], str) and r["model"], "model must be a non-empty string")
    for sub, keys in (("upstream", ("repo", "commit")), ("kit", ("version", "commit"))):
        need(isinstance(r[sub], dict) and all(k in r[sub] for k in keys), f"{sub} must have {keys}")
    d = r["device"]
    need(isinstance(d, dict) and d.get("type") in DEVICE_TYPES, f"device.type must be one of {DEVICE_TYPES}")
    if isinstance(d, dict):
        need(isinstance(d.get("name"), str), "device.name must be a string")
        for k in ("per_node", "nodes", "world_size"):
            need(_is_int(d.get(k), minimum=1), f"device.{k} must be an int >= 1")
        if all(_is_int(d.get(k), minimum=1) for k in ("per_node", "nodes", "world_size")):
            need(d["per_node"] * d["nodes"] == d["world_size"], "device.world_size must be per_node * nodes")
    b = r["batch"]
    need(isinstance(b, dict) and _is_int(b.get("per_device"), minimum=1) and _is_int(b.get("global"), minimum=1),
         "batch must have int per_device and global >= 1")
    s = r["steps"]
    need(isinstance(s, dict) and _is_int(s.get("completed"), True) and _is_int(s.get("max_steps"), True)
         and _is_int(s.get("warmup_excluded")) and s.get("unit") in ("step", "epoch"),
         "steps must have completed, max_steps (int or null), warmup_excluded (int), unit step|epoch")
    t = r["step_time_s"]
    if t is not None:
        need(isinstance(t, dict) and all(_is_num(t.get(k)) for k in ("median", "p10", "p90", "mean"))
             and _is_int(t.get("n"), minimum=1), "step_time_s must be null or have median, p10, p90, mean, n")
    need(_is_num(r["throughput_samples_per_s"], True), "throughput_samples_per_s must be a number or null")
    lc = r["loss_curve"]
    ok = isinstance(lc, list) and all(isinstance(p, list) and len(p) == 2 and _is_int(p[0])
                                      and (_is_num(p[1]) or p[1] is None) for p in lc)
    need(ok, "loss_curve must be a list of [step, loss] pairs")
    if ok:
        need(all(a[0] < b_[0] for a, b_ in zip(lc, lc[1:])), "loss_curve steps must be strictly increasing")
    fm = r["final_metrics"]
    need(isinstance(fm, dict) and all(isinstance(k, str) and _is_num(v) for k, v in fm.items()),
         "final_metrics must map names to finite numbers")
    need(isinstance(r["metric_units"], dict), "metric_units must be an object")
    need(_is_num(r["wall_time_s"]), "wall_time_s must be a number")
    need(isinstance(r["environment"], dict) and "python" in r["environment"] and "torch" in r["environment"],
         "environment must have python and torch")
    p = r["precision"]
    need(isinstance(p, dict) and p.get("mode") in ("strict", "fast") and isinstance(p.get("flags"), dict),
         "precision must have mode strict|fast and flags")
    need(_is_int(r["seed"]), "seed must be an int >= 0")
    return errs


def load_result(path):
    """Read and validate a result file; raise ResultError naming the file and the problem
    (unreadable, a folder, binary, truncated, nested too deeply, invalid fields)."""
    from .._io import JSONFileError, read_json
    try:
        r = read_json(path, "result file")
    except JSONFileError as e:
        raise ResultError(str(e)) from None
    errs = validate_result(r)
    if errs:
        raise ResultError(f"{path}: invalid result: " + "; ".join(errs))
    return r
