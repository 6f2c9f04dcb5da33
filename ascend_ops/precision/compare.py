"""Compare two LayerDump folders (e.g. NPU vs GPU) module by module.

Per tensor: cosine similarity, max abs error, max rel error (|a - b| / max(|b|, 1e-6), b = the
reference side B), NaN/Inf counts. A tensor passes when cosine > cos_min and max abs < abs_max
(fp32 defaults 0.99 and 1e-3, the msProbe acceptance rule) and its non-finite values match B's
exactly: the same elements are NaN, +inf and -inf on both sides (a NaN against an inf, +inf
against -inf or a finite value against a non-finite one is a mismatch, named in `problem`);
the metrics are then taken over the elements finite on both sides. Complex tensors are
compared as complex numbers: |a - b| is the complex modulus and the cosine is
Re(<a, b>) / (|a| |b|) (the cosine of the tensors seen as real (re, im) pairs); a complex
element is finite when both its parts are.
Rows are ordered by step, then forward execution order, then gradient arrival order, so the first
failing row names the first module where the two runs part.
"""
import dataclasses
import glob
import math
import os
import re

import torch

__all__ = ["DumpError", "Row", "compare_dumps", "DEFAULT_TOLERANCES"]

DEFAULT_TOLERANCES = {"cos_min": 0.99, "abs_max": 1e-3}
REL_FLOOR = 1e-6


class DumpError(ValueError):
    """Dump folders that cannot be compared (missing, empty, unreadable, disjoint).
    `argument`: which input it is about ('A', 'B', 'A B' or '--rank')."""

    def __init__(self, message, argument=None):
        super().__init__(message)
        self.argument = argument


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


def _steps(folder, rank, side):
    if not os.path.isdir(folder):
        what = "not a folder" if os.path.exists(folder) else "no such folder"
        raise DumpError(f"{folder}: {what}, so no rank{rank}/ dumps", side)
    d = os.path.join(folder, f"rank{rank}")
    if not os.path.isdir(d):
        raise DumpError(f"{folder}: no rank{rank}/ folder (not a LayerDump output, or another --rank?)", side)
    files = {}
    for path in glob.glob(os.path.join(d, "step*.pt")):
        m = re.fullmatch(r"step(\d+)\.pt", os.path.basename(path))
        if m:
            files[int(m.group(1))] = path
    if not files:
        raise DumpError(f"{d}: no step*.pt dump files", side)
    return files


def _load(path, side):
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated or foreign file
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
        raise DumpError(f"{path}: cannot load dump ({type(e).__name__}: {first})", side) from None
    if not isinstance(data, dict) or "order" not in data or "tensors" not in data:
        raise DumpError(f"{path}: not a LayerDump step file (expected keys 'order' and 'tensors')", side)
    order, tensors = data["order"], data["tensors"]
    if not isinstance(order, (list, tuple)) or not all(isinstance(k, str) for k in order) or \
            not isinstance(tensors, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                     for k, v in tensors.items()):
        raise DumpError(f"{path}: not a LayerDump step file ('order' must be a list of names, 'tensors' a "
                        f"dict of names to tensors)", side)
    return data


def _split(key):
    for kind in ("forward", "backward"):
        marker = f".{kind}."
        if marker in key:
            return key.rsplit(marker, 1)[0], kind
    return key, "?"


def _as_real(t):
    """(float64 view of t's values, flattened; complex -> interleaved (re, im)), is_complex."""
    if t.is_complex():
        return torch.view_as_real(t.detach().to(torch.complex128)).flatten(), True
    return t.detach().double().flatten(), False


def _nonfinite_mismatch(a64, b64):
    """Elements (of the real views) where the non-finite values of A and B differ."""
    bad_a, bad_b = ~torch.isfinite(a64), ~torch.isfinite(b64)
    same = (torch.isnan(a64) & torch.isnan(b64)) | (torch.isinf(a64) & torch.isinf(b64) & (a64 == b64))
    return (bad_a | bad_b) & ~same


def _metrics(a, b):
    """(cosine, max_abs, max_rel, problem) of A against the reference B (same shape and dtype)."""
    a64, cplx = _as_real(a)
    b64, _ = _as_real(b)
    mismatch = _nonfinite_mismatch(a64, b64)
    if bool(mismatch.any()):
        i = int(torch.nonzero(mismatch)[0])
        where = f"element {i // 2} ({'re' if i % 2 == 0 else 'im'})" if cplx else f"element {i}"
        return None, None, None, (f"non-finite values differ at {int(mismatch.sum())} "
                                  f"{'part(s)' if cplx else 'element(s)'} (first: {where}, "
                                  f"A {float(a64[i])} vs B {float(b64[i])})")
    finite = torch.isfinite(a64) & torch.isfinite(b64)
    if cplx:   # an element counts when both of its parts are finite on both sides
        finite = finite.view(-1, 2).all(dim=1)
        a64 = torch.view_as_complex(a64.view(-1, 2))[finite]
        b64 = torch.view_as_complex(b64.view(-1, 2))[finite]
    else:
        a64, b64 = a64[finite], b64[finite]
    if a64.numel() == 0:
        return 1.0, 0.0, 0.0, None
    diff = (a64 - b64).abs()
    na, nb = torch.linalg.vector_norm(a64), torch.linalg.vector_norm(b64)
    if na == 0 and nb == 0:
        cos = 1.0
    elif na == 0 or nb == 0:
        cos = 0.0
    else:
        dot = (a64 * b64.conj()).sum()
        cos = float(dot.real if cplx else dot) / float(na * nb)
        if not math.isfinite(cos):   # norms overflow float64 (|x| ~ 1e300): compute on scaled values
            scale = max(float(a64.abs().max()), float(b64.abs().max()))
            sa, sb = a64 / scale, b64 / scale
            d = (sa * sb.conj()).sum()
            cos = float(d.real if cplx else d) / float(torch.linalg.vector_norm(sa) * torch.linalg.vector_norm(sb))
        cos = max(-1.0, min(1.0, cos))
    rel = diff / b64.abs().clamp_min(REL_FLOOR)
    return cos, float(diff.max()), float(rel.max()), None


def compare_dumps(dir_a, dir_b, rank=0, cos_min=0.99, abs_max=1e-3):
    """Rows for every tensor of every step present in both dumps. Raises DumpError when the
    folders share no step or no tensor."""
    sa, sb = _steps(dir_a, rank, "A"), _steps(dir_b, rank, "B")
    common = sorted(set(sa) & set(sb))
    if not common:
        raise DumpError(f"the dumps share no step (A: {sorted(sa)}, B: {sorted(sb)})", "A B")
    rows, shared = [], 0
    for step in common:
        da, db = _load(sa[step], "A"), _load(sb[step], "B")
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
        raise DumpError("the dumps share no tensor key (different models or module selections?)", "A B")
    return rows


def first_bad(rows):
    return next((r for r in rows if not r.ok), None)
