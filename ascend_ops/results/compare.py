"""Compare an NPU result with a GPU result: metrics, loss-curve agreement, throughput.

`compare_results(npu, gpu, thresholds)` returns a Verdict; `render_markdown` and
`ascend_ops.results.plots.write_plots` turn it into the report. Thresholds (JSON file keys,
all optional; see docs/results-schema.md):
  metric_abs_points   0.5    max |NPU - GPU| for every score metric (percentage points)
  metrics             {}     per-metric max |delta| (overrides the above; also enables checks
                             of non-score metrics such as mATE)
  loss_rel_mean       0.02   max mean of |l_npu - l_gpu| / |l_gpu| over aligned steps
  loss_rel_max        0.10   max of the same per step; the first step above it is named
  loss_skip_steps     0      aligned steps <= this are left out of the loss comparison
  throughput_ratio_min null  min NPU/GPU throughput ratio (null: report only)
"""
import dataclasses
import math

from .schema import ResultError

DEFAULT_THRESHOLDS = {"metric_abs_points": 0.5, "metrics": {}, "loss_rel_mean": 0.02,
                      "loss_rel_max": 0.10, "loss_skip_steps": 0, "throughput_ratio_min": None}


def check_thresholds(t):
    """Merge a user thresholds dict over the defaults; ResultError on unknown keys or bad values."""
    if not isinstance(t, dict):
        raise ResultError(f"thresholds must be a JSON object, got {type(t).__name__}")
    unknown = sorted(set(t) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise ResultError(f"unknown threshold keys {unknown}; known: {sorted(DEFAULT_THRESHOLDS)}")
    out = dict(DEFAULT_THRESHOLDS, **t)
    for k in ("metric_abs_points", "loss_rel_mean", "loss_rel_max"):
        if not _finite_number(out[k]) or out[k] < 0:
            raise ResultError(f"threshold {k} must be a finite number >= 0, got {_show(out[k])}")
    s = out["loss_skip_steps"]
    if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < 2 ** 63:
        raise ResultError(f"threshold loss_skip_steps must be an int >= 0, got {_show(s)}")
    if not isinstance(out["metrics"], dict) or not all(
            _finite_number(v) and v >= 0 for v in out["metrics"].values()):
        raise ResultError("threshold metrics must map metric names to finite numbers >= 0, got "
                          f"{_show(out['metrics'])}")
    r = out["throughput_ratio_min"]
    if r is not None and (not _finite_number(r) or r <= 0):
        raise ResultError(f"threshold throughput_ratio_min must be null or a finite number > 0, got {_show(r)}")
    out["metrics"] = {k: float(v) for k, v in out["metrics"].items()}
    for k in ("metric_abs_points", "loss_rel_mean", "loss_rel_max", "throughput_ratio_min"):
        out[k] = None if out[k] is None else float(out[k])
    return out


def _finite_number(x):
    """A bool-free int or float that is finite as a float (NaN, +-inf and 400-digit ints are not)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def _show(x, limit=60):
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclasses.dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclasses.dataclass
class Verdict:
    npu: dict
    gpu: dict
    thresholds: dict
    checks: list
    metric_rows: list      # (name, npu, gpu, delta, threshold, ok)
    loss: dict             # steps, npu, gpu, rel, mean, max, first_bad_step
    throughput: dict       # npu, gpu, ratio
    warnings: list

    @property
    def passed(self):
        return all(c.ok for c in self.checks)


def _compare_metrics(npu, gpu, t, warnings):
    rows, checks = [], []
    both_acc = npu["kind"] == "accuracy" and gpu["kind"] == "accuracy"
    if not both_acc:
        if npu["kind"] != gpu["kind"]:
            warnings.append(f"run kinds differ (NPU {npu['kind']}, GPU {gpu['kind']}); metrics not compared")
        return rows, checks
    mn, mg = npu["final_metrics"], gpu["final_metrics"]
    units = dict(gpu.get("metric_units", {}), **npu.get("metric_units", {}))
    names = [k for k in list(mg) + [k for k in mn if k not in mg]
             if k in t["metrics"] or units.get(k, "percent") == "percent"]
    if not names:
        checks.append(Check("metrics", False, "accuracy runs without any final metric to compare"))
    for name in names:
        thr = t["metrics"].get(name, t["metric_abs_points"])
        if name not in mn or name not in mg:
            side = "NPU" if name not in mn else "GPU"
            rows.append((name, mn.get(name), mg.get(name), None, thr, False))
            checks.append(Check(f"metric {name}", False, f"{name} missing from the {side} result"))
            continue
        delta = mn[name] - mg[name]
        ok = abs(delta) <= thr
        rows.append((name, mn[name], mg[name], delta, thr, ok))
        checks.append(Check(f"metric {name}", ok, f"{name}: NPU {mn[name]:.4f} vs GPU {mg[name]:.4f}, "
                                                   f"delta {delta:+.4f} (|delta| <= {thr:g} {'ok' if ok else 'FAILED'})"))
    return rows, checks


def _compare_loss(npu, gpu, t):
    cn = {s: v for s, v in npu["loss_curve"]}
    cg = {s: v for s, v in gpu["loss_curve"]}
    steps = sorted(s for s in set(cn) & set(cg) if s > t["loss_skip_steps"])
    loss = {"steps": steps, "npu": [cn[s] for s in steps], "gpu": [cg[s] for s in steps], "rel": [],
            "mean": None, "max": None, "first_bad_step": None}
    if not cn or not cg:
        return loss, Check("loss curve", False, "a result has an empty loss curve")
    if not steps:
        return loss, Check("loss curve", False, "the loss curves share no logged step "
                                                 f"(NPU {min(cn)}..{max(cn)}, GPU {min(cg)}..{max(cg)})")
    rel, compared = [], 0
    for s in steps:
        a, b = cn[s], cg[s]
        if a is None and b is None:
            r = None                        # no loss on either side (null / NaN): nothing to compare
        elif a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            r = math.inf                    # one side has a loss, the other none
        else:
            r = abs(a - b) / max(abs(b), 1e-12)
        rel.append(r)
        if r is None:
            continue
        compared += 1
        if r > t["loss_rel_max"] and loss["first_bad_step"] is None:
            loss["first_bad_step"] = s
    loss["rel"] = rel
    if not compared:
        return loss, Check("loss curve", False, f"none of the {len(steps)} aligned steps has a finite loss on both "
                                                "sides (every loss is null or NaN): nothing shows the runs agree")
    finite_rel = [r for r in rel if r is not None]
    loss["mean"], loss["max"] = sum(finite_rel) / len(finite_rel), max(finite_rel)
    ok = loss["mean"] <= t["loss_rel_mean"] and loss["max"] <= t["loss_rel_max"]
    skipped = len(steps) - compared
    detail = (f"{compared} aligned steps{f' ({skipped} without a loss on either side left out)' if skipped else ''}, "
              f"relative difference mean {loss['mean']:.3e} (<= {t['loss_rel_mean']:g}), "
              f"max {loss['max']:.3e} (<= {t['loss_rel_max']:g})")
    if loss["first_bad_step"] is not None:
        s = loss["first_bad_step"]
        detail += f"; first bad step {s}: NPU {cn[s]} vs GPU {cg[s]}"
    elif not ok:
        detail += "; the mean exceeds its threshold although no single step exceeds loss_rel_max"
    return loss, Check("loss curve", ok, detail)


def _compare_throughput(npu, gpu, t, warnings):
    tn, tg = npu["throughput_samples_per_s"], gpu["throughput_samples_per_s"]
    out = {"npu": tn, "gpu": tg, "ratio": tn / tg if tn and tg else None}
    if out["ratio"] is None:
        warnings.append("throughput missing on one side (no timed steps after warm-up)")
        if t["throughput_ratio_min"] is not None:
            return out, Check("throughput", False, "throughput_ratio_min is set but a throughput is missing")
        return out, None
    detail = f"NPU {tn:.2f} vs GPU {tg:.2f} samples/s, ratio {out['ratio']:.3f}"
    if t["throughput_ratio_min"] is None:
        return out, Check("throughput", True, detail + " (report only)")
    ok = out["ratio"] >= t["throughput_ratio_min"]
    return out, Check("throughput", ok, detail + f" (>= {t['throughput_ratio_min']:g} {'ok' if ok else 'FAILED'})")


def compare_results(npu, gpu, thresholds=None):
    """Compare two validated result dicts (see load_result). Raises ResultError when the pair
    cannot be compared at all (a run did not finish, different models)."""
    t = check_thresholds(thresholds or {})
    for side, r in (("NPU", npu), ("GPU", gpu)):
        if r["status"] != "ok":
            raise ResultError(f"the {side} result has status {r['status']!r}: {r.get('error')}")
    if npu["model"] != gpu["model"]:
        raise ResultError(f"results are for different models: NPU {npu['model']!r}, GPU {gpu['model']!r}")
    warnings = []
    if npu["device"]["type"] == gpu["device"]["type"]:
        warnings.append(f"both results ran on {npu['device']['type']}")
    if npu["batch"]["global"] != gpu["batch"]["global"]:
        warnings.append(f"global batch differs (NPU {npu['batch']['global']}, GPU {gpu['batch']['global']}): "
                        "loss curves and throughput are not like for like")
    if npu["steps"]["unit"] != gpu["steps"]["unit"]:
        raise ResultError(f"loss curves are logged per {npu['steps']['unit']} (NPU) and per "
                          f"{gpu['steps']['unit']} (GPU); they cannot be aligned")
    if npu["precision"]["mode"] != gpu["precision"]["mode"]:
        warnings.append(f"precision modes differ (NPU {npu['precision']['mode']}, GPU {gpu['precision']['mode']})")
    if npu["upstream"].get("commit") != gpu["upstream"].get("commit"):
        warnings.append("upstream commits differ")
    if npu["seed"] != gpu["seed"]:
        warnings.append(f"seeds differ (NPU {npu['seed']}, GPU {gpu['seed']})")
    rows, checks = _compare_metrics(npu, gpu, t, warnings)
    loss, loss_check = _compare_loss(npu, gpu, t)
    checks.append(loss_check)
    thr, thr_check = _compare_throughput(npu, gpu, t, warnings)
    if thr_check is not None:
        checks.append(thr_check)
    return Verdict(npu, gpu, t, checks, rows, loss, thr, warnings)


def _fmt(v, spec=".4f"):
    return "-" if v is None else format(v, spec)


def render_markdown(v, plots=None, plot_error=None):
    """The report as Markdown text; `plots` = {title: relative png path}."""
    n, g = v.npu, v.gpu
    lines = [f"# {n['model']}: NPU vs GPU", "",
             f"**Verdict: {'PASS' if v.passed else 'FAIL'}**", "",
             "| | NPU | GPU |", "|---|---|---|"]
    for label, fn in (("device", lambda r: f"{r['device']['type']} ({r['device']['name']})"),
                      ("devices x nodes", lambda r: f"{r['device']['per_node']} x {r['device']['nodes']}"),
                      ("batch per device / global", lambda r: f"{r['batch']['per_device']} / {r['batch']['global']}"),
                      ("steps completed", lambda r: str(r["steps"]["completed"])),
                      ("precision", lambda r: f"{r['precision']['mode']} {r['precision']['flags']}"),
                      ("upstream commit", lambda r: str(r["upstream"].get("commit"))[:12]),
                      ("kit", lambda r: f"{r['kit']['version']} {str(r['kit'].get('commit'))[:12]}"),
                      ("torch", lambda r: r["environment"].get("torch", "-")),
                      ("step time median (p10-p90) s", lambda r: "-" if not r["step_time_s"] else
                       f"{r['step_time_s']['median']:.4f} ({r['step_time_s']['p10']:.4f}-{r['step_time_s']['p90']:.4f})"),
                      ("throughput samples/s", lambda r: _fmt(r["throughput_samples_per_s"], ".2f")),
                      ("wall time s", lambda r: _fmt(r["wall_time_s"], ".1f"))):
        lines.append(f"| {label} | {fn(n)} | {fn(g)} |")
    lines += ["", "## Checks", ""] + [f"- {'PASS' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in v.checks]
    if v.metric_rows:
        lines += ["", "## Metrics", "", "| metric | NPU | GPU | delta | max abs delta | result |", "|---|---|---|---|---|---|"]
        for name, a, b, d, thr, ok in v.metric_rows:
            lines.append(f"| {name} | {_fmt(a)} | {_fmt(b)} | {_fmt(d, '+.4f')} | {thr:g} | {'pass' if ok else 'FAIL'} |")
    if v.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in v.warnings]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{t}]({p})" for t, p in plots.items()]
    if plot_error:
        lines += ["", f"Plots not written: {plot_error}"]
    return "\n".join(lines) + "\n"
