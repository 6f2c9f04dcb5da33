"""Compare two LayerDump folders (e.g. NPU vs GPU) module by module.

Per tensor: cosine similarity, max abs error, max rel error (|a - b| / max(|b|, 1e-6), b = the
reference side B), NaN/Inf counts. A tensor passes when cosine > cos_min and max abs < abs_max
(fp32 defaults 0.99 and 1e-3, the msProbe acceptance rule) and A has no NaN/Inf that B lacks.
Rows are ordered by step, then forward execution order, then gradient arrival order, so the first
failing row names the first module where the two runs part.
"""
import dataclasses
import glob
import os
import re

import torch

__all__ = ["DumpError", "Row", "compare_dumps", "DEFAULT_TOLERANCES"]

DEFAULT_TOLERANCES = {"cos_min": 0.99, "abs_max": 1e-3}
REL_FLOOR = 1e-6


class DumpError(ValueError):
    """Dump folders that cannot be compared (missing, empty, unreadable, disjoint)."""


@dataclasses.dataclass
class Row:
    step: int
    key: str               # "<module>.forward.<i>" or "<module>.backward.<i>"
    module: str
    kind: str              # "forward" or "backward"
    shape: tuple
    cosine: float = None
    max_abs: float = None
    max_rel: float = None
    ok: bool = False
    problem: str = None    # set when the tensors could not be compared (missing, shape, dtype, NaN)


def _steps(folder, rank):
    d = os.path.join(folder, f"rank{rank}")
    if not os.path.isdir(d):
        raise DumpError(f"{folder}: no rank{rank}/ folder (not a LayerDump output?)")
    files = {}
    for path in glob.glob(os.path.join(d, "step*.pt")):
        m = re.fullmatch(r"step(\d+)\.pt", os.path.basename(path))
        if m:
            files[int(m.group(1))] = path
    if not files:
        raise DumpError(f"{d}: no step*.pt dump files")
    return files


def _load(path):
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated or foreign file
        raise DumpError(f"{path}: cannot load dump ({type(e).__name__}: {e})") from None
    if not isinstance(data, dict) or "order" not in data or "tensors" not in data:
        raise DumpError(f"{path}: not a LayerDump step file (expected keys 'order' and 'tensors')")
    return data


def _split(key):
    for kind in ("forward", "backward"):
        marker = f".{kind}."
        if marker in key:
            return key.rsplit(marker, 1)[0], kind
    return key, "?"


def _metrics(a, b):
    a64, b64 = a.double().flatten(), b.double().flatten()
    bad_a, bad_b = ~torch.isfinite(a64), ~torch.isfinite(b64)
    if bool((bad_a & ~bad_b).any()):
        return None, None, None, f"A has {int(bad_a.sum())} NaN/Inf values where B is finite"
    finite = ~(bad_a | bad_b)
    a64, b64 = a64[finite], b64[finite]
    if a64.numel() == 0:
        return 1.0, 0.0, 0.0, None
    diff = (a64 - b64).abs()
    na, nb = a64.norm(), b64.norm()
    if na == 0 and nb == 0:
        cos = 1.0
    elif na == 0 or nb == 0:
        cos = 0.0
    else:
        cos = float((a64 @ b64) / (na * nb))
    rel = diff / b64.abs().clamp_min(REL_FLOOR)
    return cos, float(diff.max()), float(rel.max()), None


def compare_dumps(dir_a, dir_b, rank=0, cos_min=0.99, abs_max=1e-3):
    """Rows for every tensor of every step present in both dumps. Raises DumpError when the
    folders share no step or no tensor."""
    sa, sb = _steps(dir_a, rank), _steps(dir_b, rank)
    common = sorted(set(sa) & set(sb))
    if not common:
        raise DumpError(f"the dumps share no step (A: {sorted(sa)}, B: {sorted(sb)})")
    rows, shared = [], 0
    for step in common:
        da, db = _load(sa[step]), _load(sb[step])
        ta, tb = da["tensors"], db["tensors"]
        order = list(da["order"]) + [k for k in db["order"] if k not in ta]
        for key in order:
            module, kind = _split(key)
            if key not in ta or key not in tb:
                side = "A" if key not in ta else "B"
                rows.append(Row(step, key, module, kind, (), problem=f"missing in {side}"))
                continue
            shared += 1
            a, b = ta[key], tb[key]
            row = Row(step, key, module, kind, tuple(a.shape))
            if a.shape != b.shape:
                row.problem = f"shape {tuple(a.shape)} vs {tuple(b.shape)}"
            elif a.dtype != b.dtype:
                row.problem = f"dtype {a.dtype} vs {b.dtype}"
            else:
                row.cosine, row.max_abs, row.max_rel, row.problem = _metrics(a, b)
                row.ok = row.problem is None and row.cosine > cos_min and row.max_abs < abs_max
            rows.append(row)
    if shared == 0:
        raise DumpError("the dumps share no tensor key (different models or module selections?)")
    return rows


def first_bad(rows):
    return next((r for r in rows if not r.ok), None)
