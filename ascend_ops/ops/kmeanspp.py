"""kmeanspp: greedy k-means++ seeding (sklearn's variant), given its random numbers.

    centre 0 = x[first]; closest_i = |x_i - x[first]|^2, pot = sum_i closest_i
    for c = 1 .. k - 1, with trials j = 0 .. t - 1:
        cand_j = first i with cumsum(closest)[i] >= r[c - 1, j] * pot   (clipped to n - 1)
        pot_j  = sum_i min(closest_i, |x_i - x[cand_j]|^2)
        centre c = x[cand_j*] for the smallest pot_j (first on ties); closest, pot follow it

Shapes and dtypes:
    x       float64 [n, d]
    first   int in [0, n)
    r       float64 [k - 1, t], uniform in [0, 1) (t = 2 + ln k in sklearn); k <= n
    returns int64 [k] indices into x of the chosen centres
The native CPU kernel sums in fixed blocks (independent of the thread count); the reference sums
with torch, so the two may differ in the last bits of a sum, and only pick different points
when two trials tie to that precision.
"""
import math

import numpy as np
import torch

from .. import _dispatch, _library

OP = "kmeanspp"

_op = _library.define("kmeanspp(Tensor x, int first, Tensor r) -> Tensor")


def _check(x, first, r):
    if not isinstance(x, torch.Tensor) or x.dtype != torch.float64 or x.dim() != 2 or x.shape[0] < 1:
        raise ValueError(f"{OP}: x must be a float64 [n >= 1, d] tensor, got "
                         f"{getattr(x, 'dtype', type(x).__name__)} {list(getattr(x, 'shape', []))}")
    if not isinstance(r, torch.Tensor) or r.dtype != torch.float64 or r.dim() != 2 or r.shape[1] < 1:
        raise ValueError(f"{OP}: r must be a float64 [k - 1, trials >= 1] tensor, got "
                         f"{getattr(r, 'dtype', type(r).__name__)} {list(getattr(r, 'shape', []))}")
    if r.device != x.device:
        raise ValueError(f"{OP}: r must be on x's device {x.device}, got {r.device}")
    if not (isinstance(first, int) and not isinstance(first, bool) and 0 <= first < x.shape[0]):
        raise ValueError(f"{OP}: first must be an int in [0, n = {x.shape[0]}), got {first!r}")
    if r.shape[0] + 1 > x.shape[0]:
        raise ValueError(f"{OP}: r asks for k = {r.shape[0] + 1} centres from n = {x.shape[0]} points")
    if x.device.type != "meta":
        check_coordinates(OP, "x", x)
        if r.numel() and not bool(((r >= 0) & (r <= 1)).all()):
            raise ValueError(f"{OP}: r must hold numbers in [0, 1] (NaN refused)")


def coordinate_limit(d, n=1):
    """Largest |coordinate| (with a small margin for rounding) for which every squared distance
    between d-dim points (d terms of (2 |x|)^2), summed over n points, is finite in float64 (the
    native kernel uses the same bound)."""
    return math.sqrt(torch.finfo(torch.float64).max / (4.0 * max(d, 1) * max(n, 1))) * 0.999


def check_coordinates(op, name, x):
    """ValueError naming `name` when x [n, d] holds NaN, +-inf or a value beyond coordinate_limit(d, n)."""
    if x.numel() == 0:
        return
    limit = coordinate_limit(x.shape[1], x.shape[0])
    worst = x.abs().max()
    if not bool(worst <= limit):   # NaN fails too
        raise ValueError(f"{OP if op is None else op}: {name} must be finite with |value| <= {limit:.4g} "
                         f"(squared distances must stay finite), got {float(worst)}")


def kmeanspp(x, first, r):
    """Indices of the k-means++ centres; see the module docstring."""
    first = int(first) if isinstance(first, np.integer) else first
    _check(x, first, r)
    if _dispatch.use_native(OP, x.device.type):
        return _op(x.contiguous(), first, r.contiguous())
    return kmeanspp_reference(x, first, r)


def kmeanspp_reference(x, first, r):
    """Pure-PyTorch kmeanspp (the ground truth for the native kernel)."""
    n = x.shape[0]
    chosen = torch.empty(r.shape[0] + 1, dtype=torch.int64, device=x.device)
    chosen[0] = first
    closest = ((x - x[first]) ** 2).sum(1)
    pot = closest.sum()
    for c in range(1, r.shape[0] + 1):
        cand = torch.searchsorted(torch.cumsum(closest, 0), r[c - 1] * pot).clamp_(max=n - 1)
        d = torch.minimum(((x[None, :, :] - x[cand][:, None, :]) ** 2).sum(-1), closest[None, :])
        pots = d.sum(1)
        best = int(torch.argmin(pots))
        chosen[c] = cand[best]
        closest, pot = d[best], pots[best]
    return chosen
