"""kmeans_bounds_step: the per-point part of one bounded Lloyd step (ascend_ops.anchors.kmeans).

After the centres moved, every point updates its bounds, keeps its label when they prove it, and
is otherwise re-assigned exactly (kernels/kmeans_bounds_step/kmeans_bounds_step_math.h has the
rules). In-place on labels / upper / lower; the result is independent of the thread count.

Shapes and dtypes (n points, k centres, d dims, m neighbours per centre, 1 <= m <= k):
    x           float64 [n, d]
    labels      int64   [n]     in/out: assigned centre
    upper       float64 [n]     in/out: >= distance to the assigned centre
    lower       float64 [n]     in/out: <= distance to every other centre
    centers     float64 [k, d]  the new centres
    shift       float64 [k]     distance each centre moved
    near        float64 [k]     largest shift among each centre's old neighbours (self excluded)
    radius_old  float64 [k]     distance to each centre's farthest old neighbour (inf when m == k)
    max_shift   float           largest shift
    nb          int64   [k, m]  each centre's m nearest new centres, itself first
    radius      float64 [k]     distance to the farthest of them (inf when m == k)
    half        float64 [k]     half the distance to the nearest other centre
    returns     (moved int64 [M] point indices whose label changed, ascending;
                 old_label int64 [M] their previous labels;
                 counts int64 [2] = (points whose bound failed, points re-assigned))
"""
import torch

from .. import _dispatch, _library
from .kmeanspp import check_coordinates

OP = "kmeans_bounds_step"

_op = _library.define(
    "kmeans_bounds_step(Tensor x, Tensor(a!) labels, Tensor(b!) upper, Tensor(c!) lower, Tensor centers, "
    "Tensor shift, Tensor near, Tensor radius_old, float max_shift, Tensor nb, Tensor radius, Tensor half) "
    "-> (Tensor, Tensor, Tensor)")


def _check(x, labels, upper, lower, centers, shift, near, radius_old, nb, radius, half):
    def want(name, t, dtype, shape):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{OP}: {name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dtype != dtype or tuple(t.shape) != shape:
            raise ValueError(f"{OP}: {name} must be {str(dtype).replace('torch.', '')} {list(shape)}, "
                             f"got {str(t.dtype).replace('torch.', '')} {list(t.shape)}")
        if t.device != x.device:
            raise ValueError(f"{OP}: {name} must be on x's device {x.device}, got {t.device}")
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"{OP}: x must be a float64 [n, d] tensor")
    if not isinstance(nb, torch.Tensor) or nb.dim() != 2 or not isinstance(centers, torch.Tensor):
        raise ValueError(f"{OP}: nb must be an int64 [k, m] tensor and centers a float64 [k, d] tensor")
    n, d = x.shape
    k, m = nb.shape
    if not 1 <= m <= k:
        raise ValueError(f"{OP}: nb must be [k, m] with 1 <= m <= k, got {list(nb.shape)}")
    want("x", x, torch.float64, (n, d))
    want("labels", labels, torch.int64, (n,))
    want("upper", upper, torch.float64, (n,))
    want("lower", lower, torch.float64, (n,))
    want("centers", centers, torch.float64, (k, d))
    for name, t in (("shift", shift), ("near", near), ("radius_old", radius_old), ("radius", radius),
                    ("half", half)):
        want(name, t, torch.float64, (k,))
    want("nb", nb, torch.int64, (k, m))


def _check_values(x, labels, upper, lower, centers, shift, near, radius_old, nb, radius, half):
    """The value checks the native kernel makes itself (run before the reference): coordinates
    finite and small enough for finite squared distances, no NaN bound (radii may be +inf),
    labels and nb in [0, k)."""
    if x.device.type == "meta":
        return
    k = centers.shape[0]
    check_coordinates(OP, "x", x)
    check_coordinates(OP, "centers", centers)
    for name, t in (("upper", upper), ("lower", lower), ("shift", shift), ("near", near),
                    ("radius_old", radius_old), ("radius", radius), ("half", half)):
        if t.numel() and bool(t.isnan().any()):
            raise ValueError(f"{OP}: {name} holds NaN")
    if labels.numel() and not bool(((labels >= 0) & (labels < k)).all()):
        raise ValueError(f"{OP}: labels must lie in [0, k = {k})")
    if nb.numel() and not bool(((nb >= 0) & (nb < k)).all()):
        raise ValueError(f"{OP}: nb entries must lie in [0, k = {k})")


def kmeans_bounds_step(x, labels, upper, lower, centers, shift, near, radius_old, max_shift, nb, radius, half):
    """One bounded Lloyd step's point updates; see the module docstring."""
    _check(x, labels, upper, lower, centers, shift, near, radius_old, nb, radius, half)
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, float)) or not max_shift == max_shift:
        raise ValueError(f"{OP}: max_shift must be a number (not NaN), got {max_shift!r}")
    if _dispatch.use_native(OP, x.device.type):   # the kernel checks the values (one pass)
        return _op(x, labels, upper, lower, centers, shift, near, radius_old, float(max_shift), nb, radius, half)
    _check_values(x, labels, upper, lower, centers, shift, near, radius_old, nb, radius, half)
    return kmeans_bounds_step_reference(x, labels, upper, lower, centers, shift, near, radius_old, max_shift,
                                        nb, radius, half)


def _two_nearest(x, centers, cand=None, chunk=1 << 15):
    """Nearest centre (first on ties), its squared distance and the second smallest one, for
    points x [c, d] among centres cand [c, m] (per point) or all centres (cand None)."""
    best = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
    d1 = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
    d2 = torch.empty_like(d1)
    for s in range(0, x.shape[0], chunk):
        xs = x[s:s + chunk]
        cs = centers[cand[s:s + chunk]] if cand is not None else centers[None]
        dist = ((cs - xs[:, None, :]) ** 2).sum(-1)                       # [c, m]
        arg = dist.argmin(1, keepdim=True)
        d1[s:s + chunk] = dist.gather(1, arg)[:, 0]
        best[s:s + chunk] = cand[s:s + chunk].gather(1, arg)[:, 0] if cand is not None else arg[:, 0]
        d2[s:s + chunk] = dist.scatter(1, arg, float("inf")).min(1).values if dist.shape[1] > 1 else float("inf")
    return best, d1, d2


def kmeans_bounds_step_reference(x, labels, upper, lower, centers, shift, near, radius_old, max_shift, nb,
                                 radius, half):
    """Pure-PyTorch kmeans_bounds_step (the ground truth for the native kernel)."""
    lab = labels.clone()
    lower.copy_(torch.minimum(lower - near[lab], radius_old[lab] - upper - max_shift))
    upper.add_(shift[lab])
    bound = torch.maximum(lower, half[lab])
    cand = torch.nonzero(upper > bound)[:, 0]
    failed = cand.numel()
    upper[cand] = ((x[cand] - centers[lab[cand]]) ** 2).sum(1).sqrt()
    cand = cand[upper[cand] > bound[cand]]
    local = 2.0 * upper[cand] <= radius[lab[cand]]
    for ids, is_local in ((cand[local], True), (cand[~local], False)):
        if ids.numel() == 0:
            continue
        best, d1, d2 = _two_nearest(x[ids], centers, nb[lab[ids]] if is_local else None)
        lo = d2.sqrt()
        if is_local:  # every centre outside nb is at least radius - upper away
            lo = torch.minimum(lo, radius[lab[ids]] - upper[ids])
        labels[ids], upper[ids], lower[ids] = best, d1.sqrt(), lo
    moved = torch.nonzero(labels != lab)[:, 0]
    counts = torch.tensor([failed, cand.numel()], dtype=torch.int64)
    return moved, lab[moved], counts
