"""Parsers from each upstream's log format to steps (loss, step time) and final metrics.

Training formats (`parse_train_log(fmt, path)`):
  mmcv       mmcv/mmdet TextLoggerHook: `Iter [51/58600]\\tlr: 2.000e-04, eta: 1 day, 2:03:04,
             time: 1.234, data_time: 0.120, ..., loss: 12.3456` or `Epoch [1][50/3517]\\t...`
  sparsebev  SparseBEV MyTextLoggerHook: `Epoch [1/24][100/3517] loss: 12.34, eta: ...,
             time: 1.23s, data: 45ms, mem: 12345M` (or `Iter [100/9000] loss: ...`)
  openpcdet  OpenPCDet train_utils: `Train:    3/80 (  4%) [  49/928 (  5%)]  Loss: 1.234 (1.30)
             LR: 3.000e-03  Time cost: ...  Acc_iter 1905  ...  Batch time: 0.36(0.38)`
             (`[Predictor] Train:` lines of Ada3D's predictor phase are skipped)
  torchpack  torchpack (SPVNAS): kit step lines, else epoch-level `+ [loss] = 0.1234`
  kit        the kit's own lines (ascend_ops.results.logline), for SparseKD and SPVNAS
Evaluation formats (`parse_eval_log(fmt, path)` -> {name: value}, units in METRIC_UNITS):
  nuscenes   devkit / mmdet3d printout `mAP: 0.4647` ... `NDS: 0.5636` (last block wins)
  kitti      OpenPCDet `Car AP@0.70, 0.70, 0.70:` / `3d   AP:88.61, 78.62, 77.22` blocks ->
             `Car_3d/moderate`, `Car_3d/moderate_R40` (strictest threshold block of each class)
  waymo      `OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2/APH: 0.6312`, `LEVEL_2/APH mAP: 0.6429` ->
             `VEHICLE_LEVEL_2/APH`, `LEVEL_2/mAPH`
  torchpack  `+ [iou/test] = 60.753` -> `mIoU`; also kit metric lines
  kit        `[ascend-kit] metric NAME=VALUE`
Score metrics are returned in percentage points (nuScenes/Waymo fractions are x100); error
metrics (mATE ...) keep their own unit. A line that starts like a known line but does not
parse (a truncated or corrupted log) raises LogParseError naming the file and line.
"""
import dataclasses
import math
import re

__all__ = ["LogParseError", "StepRecord", "TrainLog", "parse_train_log", "parse_eval_log",
           "TRAIN_FORMATS", "EVAL_FORMATS", "METRIC_UNITS"]

NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)"


class LogParseError(ValueError):
    """A log that cannot be turned into a result: names the file and (when known) the line."""

    def __init__(self, path, line_no, message):
        self.path, self.line_no = str(path), line_no
        where = f"{self.path}:{line_no}" if line_no else self.path
        super().__init__(f"{where}: {message}")


@dataclasses.dataclass
class StepRecord:
    step: int                 # 1-based global optimizer step
    loss: float = None        # total loss at that step (None if the format logs none)
    time: float = None        # seconds per step as logged (mmcv: mean over the log interval)
    scalars: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class TrainLog:
    path: str
    format: str
    steps: list               # StepRecord, sorted by step, one per step (the last one logged wins)
    total_steps: int = None   # the schedule's length when the format prints it
    metrics: dict = dataclasses.field(default_factory=dict)  # metrics printed in the train log
    step_unit: str = "step"   # "step", or "epoch" for torchpack logs without kit lines


def _read(path, weak_head):
    """Lines of the log. A last line without its newline that looks like a line of the format
    (`weak_head` matches) is a log cut while being written: LogParseError naming that line."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise LogParseError(path, None, f"cannot read log: {e.strerror}") from None
    lines = text.splitlines()
    if text and not text.endswith(("\n", "\r")) and lines[-1].strip() and weak_head.search(lines[-1]):
        raise LogParseError(path, len(lines), "incomplete last line (no newline at the end of the file; "
                                              f"truncated log?): {lines[-1].strip()[:120]!r}")
    return lines


def _float(text, path, no, what):
    try:
        return float(text)
    except ValueError:
        raise LogParseError(path, no, f"{what} {text!r} is not a number") from None


def _malformed(path, no, what, line):
    return LogParseError(path, no, f"malformed {what} (truncated?): {line.strip()[:120]!r}")


def _records(lines, path, head, full, what):
    """Yield (line number, match of `full`) for every line where `head` finds a record; a line
    that starts a record but does not parse whole raises LogParseError naming FILE:LINE."""
    for no, line in enumerate(lines, 1):
        if head.search(line):
            m = full.search(line)
            if not m:
                raise _malformed(path, no, what, line)
            yield no, m


# ---------------------------------------------------------------- training formats

_MMCV_HEAD = re.compile(r"(?:^|\s)(Iter|Epoch) \[(\d+)")
_MMCV_LINE = re.compile(r"(?:^|\s)(?:Iter \[(\d+)/(\d+)\]|Epoch \[(\d+)\]\[(\d+)/(\d+)\])\s+(.*)$")
_KV = re.compile(r"([A-Za-z_][\w./-]*): (" + NUM + r")(?=,|\s*$)")


def _mmcv(lines, path):
    steps, total = [], None
    for no, m in _records(lines, path, _MMCV_HEAD, _MMCV_LINE, "mmcv training line"):
        if m.group(1):
            step, total = int(m.group(1)), int(m.group(2))
        else:
            epoch, i, per_epoch = int(m.group(3)), int(m.group(4)), int(m.group(5))
            step = (epoch - 1) * per_epoch + i
        values = {k: float(v) for k, v in _KV.findall(m.group(6))}
        if "loss" not in values:
            raise LogParseError(path, no, "mmcv training line has no 'loss:' field (truncated?)")
        loss, t = values.pop("loss"), values.pop("time", None)
        steps.append(StepRecord(step, loss, t, values))
    return steps, total, "step"


_SB_HEAD = re.compile(r"(?:^|\s)(?:Epoch \[\d+/\d+\]\[|Iter \[\d+/\d+\] loss)")
_SB_LINE = re.compile(r"(?:^|\s)(?:Epoch \[(\d+)/(\d+)\]\[(\d+)/(\d+)\]|Iter \[(\d+)/(\d+)\]) "
                      r"loss: (" + NUM + r"),(.*)$")
_SB_TIME = re.compile(r"time: (" + NUM + r")s")
_SB_DATA = re.compile(r"data: (" + NUM + r")ms")


def _sparsebev(lines, path):
    steps, total = [], None
    for no, m in _records(lines, path, _SB_HEAD, _SB_LINE, "SparseBEV training line"):
        if m.group(1):
            epoch, epochs, i, per_epoch = (int(m.group(k)) for k in (1, 2, 3, 4))
            step, total = (epoch - 1) * per_epoch + i, epochs * per_epoch
        else:
            step, total = int(m.group(5)), int(m.group(6))
        rest = m.group(8)
        t = _SB_TIME.search(rest)
        d = _SB_DATA.search(rest)
        if "time:" in rest and not t:
            raise LogParseError(path, no, "SparseBEV line has a malformed 'time:' field (truncated?)")
        scalars = {"data_time": float(d.group(1)) / 1000.0} if d else {}
        steps.append(StepRecord(step, float(m.group(7)), float(t.group(1)) if t else None, scalars))
    return steps, total, "step"


_PCD_HEAD = re.compile(r"(\[Predictor\] )?Train:\s+\d")
_PCD_LINE = re.compile(r"Train:\s+(\d+)/(\d+) \(\s*\d+%\) \[\s*(\d+)/(\d+) \(\s*\d+%\)\]\s+"
                       r"Loss: (" + NUM + r") \((" + NUM + r")\)\s+LR: (" + NUM + r")\s+"
                       r"Time cost: .*?Acc_iter (\d+)\s+Data time: (" + NUM + r")\(" + NUM + r"\)\s+"
                       r"Forward time: (" + NUM + r")\(" + NUM + r"\)\s+Batch time: (" + NUM + r")\(" + NUM + r"\)\s*$")


def _openpcdet(lines, path):
    steps, total = [], None
    for no, line in enumerate(lines, 1):
        h = _PCD_HEAD.search(line)
        if not h:
            continue
        if h.group(1):  # Ada3D predictor phase: a different network, not the detector's curve
            continue
        m = _PCD_LINE.search(line)
        if not m:
            raise _malformed(path, no, "OpenPCDet training line", line)
        epochs, per_epoch = int(m.group(2)), int(m.group(4))
        total = epochs * per_epoch
        step = int(m.group(8))
        steps.append(StepRecord(step, float(m.group(5)), float(m.group(11)),
                                {"lr": float(m.group(7)), "data_time": float(m.group(9)),
                                 "forward_time": float(m.group(10))}))
    return steps, total, "step"


_KIT_STEP_HEAD = re.compile(r"\[ascend-kit\] step=")
_KIT_STEP = re.compile(r"\[ascend-kit\] step=(\d+)(?:/(\d+))? loss=(" + NUM + r") time=(" + NUM + r")((?: [^\s=]+=" + NUM + r")*)\s*$")
_KIT_PAIR = re.compile(r" ([^\s=]+)=(" + NUM + r")")


def _kit_steps(lines, path):
    steps, total = [], None
    for no, m in _records(lines, path, _KIT_STEP_HEAD, _KIT_STEP, "kit step line"):
        if m.group(2):
            total = int(m.group(2))
        scalars = {k: float(v) for k, v in _KIT_PAIR.findall(m.group(5))}
        steps.append(StepRecord(int(m.group(1)), float(m.group(3)), float(m.group(4)), scalars))
    return steps, total, "step"


_TP_EPOCH = re.compile(r"Epoch (\d+)/(\d+) started\.")
_TP_SCALAR_HEAD = re.compile(r"^\s*\+ \[")
_TP_SCALAR = re.compile(r"^\s*\+ \[([^\]]+)\] = (" + NUM + r")\s*$")


def _torchpack_scalars(lines, path):
    """[(line_no, epoch or None, name, value)] from ConsoleWriter lines `+ [name] = value`."""
    out, epoch = [], None
    for no, line in enumerate(lines, 1):
        e = _TP_EPOCH.search(line)
        if e:
            epoch = int(e.group(1))
            continue
        if _TP_SCALAR_HEAD.search(line):
            m = _TP_SCALAR.search(line)
            if not m:
                raise _malformed(path, no, "torchpack scalar line", line)
            out.append((no, epoch, m.group(1), float(m.group(2))))
    return out


def _torchpack(lines, path):
    steps, total, unit = _kit_steps(lines, path)
    if steps:
        return steps, total, unit
    per_epoch = {}
    for no, epoch, name, value in _torchpack_scalars(lines, path):
        if name == "loss":
            if epoch is None:
                raise LogParseError(path, no, "torchpack '[loss]' line before any 'Epoch k/N started.' line")
            per_epoch[epoch] = value
    return [StepRecord(e, v) for e, v in sorted(per_epoch.items())], None, "epoch"


TRAIN_FORMATS = {"mmcv": _mmcv, "sparsebev": _sparsebev, "openpcdet": _openpcdet,
                 "torchpack": _torchpack, "kit": _kit_steps}


def parse_train_log(fmt, path):
    """Parse a training log. fmt: a key of TRAIN_FORMATS. Returns TrainLog; raises LogParseError."""
    if fmt not in TRAIN_FORMATS:
        raise ValueError(f"unknown training log format {fmt!r}; known: {', '.join(TRAIN_FORMATS)}")
    lines = _read(path, _WEAK_HEADS[fmt])
    steps, total, unit = TRAIN_FORMATS[fmt](lines, path)
    if not steps:
        raise LogParseError(path, None, f"no training lines in {fmt!r} format found in {len(lines)} lines "
                                        f"(wrong --log format, or the run died before the first log line?)")
    by_step = {}
    for rec in steps:
        by_step[rec.step] = rec  # a resumed run re-logs steps: keep the last
    metrics = {}
    if fmt == "kit":
        metrics = _kit_metrics(lines, path, required=False)
    elif fmt == "torchpack":
        metrics = _torchpack_eval(lines, path, required=False)
    return TrainLog(str(path), fmt, [by_step[s] for s in sorted(by_step)], total, metrics, unit)


# ---------------------------------------------------------------- evaluation formats

def _pct(fraction):
    """A printed fraction as percentage points, without binary noise (0.7401 -> 74.01)."""
    return round(float(fraction) * 100.0, 10)


_NUSC_KEYS = ("mAP", "mATE", "mASE", "mAOE", "mAVE", "mAAE", "NDS")
_NUSC_HEAD = re.compile(r"(?<![\w/\[])(" + "|".join(_NUSC_KEYS) + r"):")
_NUSC_LINE = re.compile(r"(?<![\w/\[])(" + "|".join(_NUSC_KEYS) + r"): (" + NUM + r")\s*$")
METRIC_UNITS = {"mAP": "percent", "NDS": "percent", "mATE": "m", "mASE": "1-IoU", "mAOE": "rad",
                "mAVE": "m/s", "mAAE": "1-acc"}


def _nuscenes(lines, path):
    found, last_no = {}, {}
    for no, line in enumerate(lines, 1):
        if not _NUSC_HEAD.search(line) or "AP@" in line:
            continue
        m = _NUSC_LINE.search(line)
        if not m:
            if re.search(r"(?<![\w/\[])(mAP|NDS):\s*$", line) or re.search(r"(?<![\w/\[])(mAP|NDS): " + NUM + r"\S", line):
                raise _malformed(path, no, "nuScenes metric line", line)
            continue
        key, value = m.group(1), float(m.group(2))
        found[key] = _pct(value) if METRIC_UNITS[key] == "percent" else value
        last_no[key] = no
    if not found:
        raise LogParseError(path, None, "no nuScenes metric lines ('mAP: ...', 'NDS: ...') found")
    for key in ("mAP", "NDS"):
        if key not in found:
            raise LogParseError(path, len(lines), f"nuScenes '{key}:' line missing; the log ends at line "
                                                  f"{len(lines)} (truncated evaluation?)")
    if last_no["NDS"] < last_no["mAP"]:
        raise LogParseError(path, len(lines), "the last nuScenes block has 'mAP:' but no 'NDS:' after it (truncated?)")
    return found


_KITTI_HEAD = re.compile(r"(\w+) (AP|AP_R40)@(" + NUM + r"), (" + NUM + r"), (" + NUM + r"):\s*$")
_KITTI_ROW_HEAD = re.compile(r"^\s*(bbox|bev|3d|aos)\s+AP:")
_KITTI_ROW = re.compile(r"^\s*(bbox|bev|3d|aos)\s+AP:\s*(" + NUM + r"), (" + NUM + r"), (" + NUM + r")\s*$")


def _kitti(lines, path):
    found, primary, current = {}, {}, None
    rows_seen = 0
    for no, line in enumerate(lines, 1):
        h = _KITTI_HEAD.search(line)
        if h:
            if current is not None and rows_seen == 0:
                raise LogParseError(path, no - 1, "KITTI AP block header without AP rows (truncated?)")
            cls, kind, thr = h.group(1), h.group(2), h.group(3, 4, 5)
            primary.setdefault((cls, kind), thr)
            current = (cls, "_R40" if kind == "AP_R40" else "") if primary[(cls, kind)] == thr else False
            rows_seen = 0
            continue
        if _KITTI_ROW_HEAD.search(line):
            m = _KITTI_ROW.search(line)
            if not m:
                raise _malformed(path, no, "KITTI AP row", line)
            if current is None:
                continue
            rows_seen += 1
            if current:
                cls, suffix = current
                for diff, value in zip(("easy", "moderate", "hard"), m.group(2, 3, 4)):
                    found[f"{cls}_{m.group(1)}/{diff}{suffix}"] = float(value)
    if current is not None and rows_seen == 0:
        raise LogParseError(path, len(lines), "KITTI AP block header without AP rows at the end of the log (truncated?)")
    if not found:
        raise LogParseError(path, None, "no KITTI AP blocks ('Car AP@0.70, 0.70, 0.70:' + '3d   AP:...') found")
    return found


_WAYMO_HEAD = re.compile(r"(LEVEL_[12])/(AP|APH|APL)\b")
_WAYMO_CLASS = re.compile(r"(?:OBJECT_TYPE_TYPE_)?([A-Z]+)_(LEVEL_[12])/(AP|APH|APL): (" + NUM + r")\s*$")
_WAYMO_MEAN = re.compile(r"(?<![\w])(LEVEL_[12])/(AP|APH|APL) mAP: (" + NUM + r")\s*$")


def _waymo(lines, path):
    found = {}
    for no, line in enumerate(lines, 1):
        if not _WAYMO_HEAD.search(line):
            continue
        m = _WAYMO_MEAN.search(line)
        if m:
            found[f"{m.group(1)}/m{m.group(2)}"] = _pct(m.group(3))
            continue
        m = _WAYMO_CLASS.search(line)
        if m:
            found[f"{m.group(1)}_{m.group(2)}/{m.group(3)}"] = _pct(m.group(4))
            continue
        raise _malformed(path, no, "Waymo metric line", line)
    if not found:
        raise LogParseError(path, None, "no Waymo metric lines ('LEVEL_2/APH mAP: ...') found")
    return found


_KIT_METRIC_HEAD = re.compile(r"\[ascend-kit\] metric")
_KIT_METRIC = re.compile(r"\[ascend-kit\] metric ([^\s=]+)=(" + NUM + r")\s*$")


def _kit_metrics(lines, path, required=True):
    found = {}
    for no, m in _records(lines, path, _KIT_METRIC_HEAD, _KIT_METRIC, "kit metric line"):
        found[m.group(1)] = float(m.group(2))
    if required and not found:
        raise LogParseError(path, None, "no kit metric lines ('[ascend-kit] metric NAME=VALUE') found")
    return found


def _torchpack_eval(lines, path, required=True):
    found = {}
    for _no, _epoch, name, value in _torchpack_scalars(lines, path):
        if name == "iou/test":
            found["mIoU"] = value  # ConsoleWriter prints mIoU x 100 already
    found.update(_kit_metrics(lines, path, required=False))
    if required and not found:
        raise LogParseError(path, None, "no torchpack '+ [iou/test] = ...' line and no kit metric line found")
    return found


EVAL_FORMATS = {"nuscenes": _nuscenes, "kitti": _kitti, "waymo": _waymo,
                "torchpack": _torchpack_eval, "kit": _kit_metrics}


# what the start of a line of each format looks like, for detecting a cut-off last line
_WEAK_HEADS = {k: re.compile(v) for k, v in {
    "mmcv": r"\b(Iter|Epoch)\b", "sparsebev": r"\b(Iter|Epoch)\b", "openpcdet": r"Train:|\[Predictor",
    "kit": r"\[ascend-", "torchpack": r"\[ascend-|^\s*\+ \[|Epoch \d",
    "eval_nuscenes": r"\b(mAP|mATE|mASE|mAOE|mAVE|mAAE|NDS)\b", "eval_kitti": r"\bAP|AP:",
    "eval_waymo": r"LEVEL_|mAP", "eval_torchpack": r"^\s*\+ \[|\[ascend-", "eval_kit": r"\[ascend-"}.items()}


def parse_eval_log(fmt, path):
    """Parse final metrics. fmt: a key of EVAL_FORMATS. Returns {name: float}; raises LogParseError."""
    if fmt not in EVAL_FORMATS:
        raise ValueError(f"unknown evaluation log format {fmt!r}; known: {', '.join(EVAL_FORMATS)}")
    metrics = EVAL_FORMATS[fmt](_read(path, _WEAK_HEADS["eval_" + fmt]), path)
    bad = [k for k, v in metrics.items() if not math.isfinite(v)]
    if bad:
        raise LogParseError(path, None, f"non-finite metric values: {', '.join(bad)}")
    return metrics
