"""Seeded K-means for low-dimensional points (anchor centres), on cpu, cuda or npu.

    result = kmeans(points, k, seed=0, device="cpu")
    result.centers (k, d) float64, result.labels (n,) int64, result.inertia float,
    result.n_iter int, result.converged bool

Algorithm (same objective as sklearn's KMeans, exact Lloyd iterations):
1. Seeding: greedy k-means++ (sklearn's variant, 2 + ln k candidates per step; the native op
   ascend_ops::kmeanspp on cpu) on a seeded random sample of max(20 k, 20000) points, then Lloyd on it (best of `n_init` seedings).
2. Warm start: Lloyd on nested random subsets growing by `level_factor`, each stopped once
   fewer than `warm_changed` of its points change label.
3. Lloyd on all points until no label changes, `max_iter`, or sklearn's `tol` rule.
   - cpu ("bounds" engine): per point an upper bound to its centre and a lower bound to all
     others; per centre its 16 nearest centres, so only nearby centres' shifts loosen a point's
     bounds (triangle inequality for the rest). The per-point work (bound updates, exact
     re-assignment of the points whose bounds fail, against their centre's neighbour list or
     all centres) is the native op ascend_ops::kmeans_bounds_step (multi-threaded C++; its
     pure-PyTorch reference when not built, reported once); cluster sums are updated
     incrementally from the moved points; the centre neighbourhoods come from a cKDTree.
   - cuda / npu / cpu ("dense" engine, torch): chunked ||x||^2 - 2 x.c + ||c||^2 distances in
     float32 (never n x k at once), cluster sums by one-hot matmul (no atomics).
Determinism: the same seed, input and engine give bit-identical results.
"""
import math
from dataclasses import dataclass

import numpy as np
import torch

from ..ops.kmeans_bounds_step import kmeans_bounds_step
from ..ops.kmeanspp import coordinate_limit, kmeanspp as kmeanspp_op

__all__ = ["KMeansResult", "kmeans", "kmeanspp", "inertia"]


@dataclass
class KMeansResult:
    centers: np.ndarray   # (k, d) float64
    labels: np.ndarray    # (n,) int64
    inertia: float        # sum of squared distances to the assigned centre
    n_iter: int           # Lloyd iterations on the full point set
    converged: bool


def _check_points(points, k):
    if isinstance(points, torch.Tensor):
        points = points.detach().cpu().numpy()
    x = np.asarray(points)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"kmeans: points must be a 2-D array (n, d), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"kmeans: points must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float64, copy=False)
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).any(axis=1).sum())
        raise ValueError(f"kmeans: points contain NaN or inf in {bad} row(s)")
    limit = coordinate_limit(x.shape[1], x.shape[0])
    if x.size and np.abs(x).max() > limit:
        raise ValueError(f"kmeans: points must have |value| <= {limit:.4g} (squared distances must stay "
                         f"finite), got {np.abs(x).max():.4g}")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"kmeans: k must be a positive integer, got {k!r}")
    if x.shape[0] < k:
        raise ValueError(f"kmeans: need at least k = {k} points, got {x.shape[0]}")
    return np.ascontiguousarray(x)


def inertia(points, centers):
    """Sum of squared distances from each point (n, d) to its nearest centre (k, d)."""
    from scipy.spatial import cKDTree
    d, _ = cKDTree(centers).query(points, k=1)
    return float(np.dot(d, d))


def kmeanspp(x, k, rng, n_local_trials=None):
    """Greedy k-means++ seeding (sklearn's variant) drawing from numpy Generator `rng`:
    x (n, d) float64 -> (k, d) float64. The seeding runs in the op ascend_ops::kmeanspp."""
    n = x.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(math.log(k))
    first = int(rng.integers(n))
    r = rng.random((k - 1, n_local_trials))            # the same stream as one draw per step
    x = np.ascontiguousarray(x, np.float64)
    idx = kmeanspp_op(torch.from_numpy(x), first, torch.from_numpy(r)).numpy()
    return x[idx]


def _sums(x, labels, k):
    return np.stack([np.bincount(labels, weights=x[:, j], minlength=k) for j in range(x.shape[1])], 1)


def _relocate_empty(x, centers, counts, dist, labels):
    """Move empty clusters onto the points farthest from their centres (as sklearn does)."""
    empty = np.flatnonzero(counts == 0)
    if empty.size == 0:
        return False
    far = np.argsort(-dist, kind="stable")[: empty.size]
    centers[empty] = x[far]
    return True


class _BoundsLloyd:
    """Bounded Lloyd on cpu (kmeans_bounds_step + scipy cKDTree); exact: the same steps as plain Lloyd.

    Per point: label, upper >= distance to its centre, lower <= distance to every other centre.
    Per centre: its `m` nearest centres `nb` (itself first) and `radius` = distance to the
    farthest of them, so every centre outside the list is at least `radius` away. A centre
    outside the list is then at least radius - upper from the point (triangle inequality),
    which keeps the lower bounds local: only the shifts of nearby centres loosen them, and
    a point whose bound fails is re-assigned against its centre's m neighbours only.
    """

    neighbours = 16

    def __init__(self, x, centers, workers):
        from scipy.spatial import cKDTree
        self._tree = cKDTree
        self.x, self.k, self.workers = np.ascontiguousarray(x, np.float64), centers.shape[0], workers
        self.m = min(self.neighbours, self.k)
        self.centers = centers.copy()
        self.stats = []                                    # per step: (bound fails, re-assigned, moved)
        self._full_assign()

    def _workers(self, m):
        return self.workers if m >= 200_000 else 1         # thread start-up dominates below

    def _neighbourhood(self, centers):
        """nb (k, m) int64 nearest centres (self first), radius (k,), half (k,) half-gap."""
        if self.k == 1:
            return np.zeros((1, 1), np.int64), np.full(1, np.inf), np.full(1, np.inf)
        tree = self._tree(centers)
        d, nb = tree.query(centers, k=self.m)
        nb = nb.astype(np.int64)
        radius = d[:, -1].copy() if self.m < self.k else np.full(self.k, np.inf)
        self_col = nb[:, 0] == np.arange(self.k)
        if not self_col.all():                             # duplicate centres: put self first
            rows = np.flatnonzero(~self_col)
            for r in rows:
                others = nb[r][nb[r] != r]
                nb[r] = np.concatenate([[r], others])[: self.m]
        half = 0.5 * d[:, 1]
        return nb, radius, half

    def _full_assign(self):
        d, i = self._tree(self.centers).query(self.x, k=min(2, self.k),
                                              workers=self._workers(self.x.shape[0]))
        if self.k == 1:
            d, i = np.stack([d, np.full_like(d, np.inf)], 1), np.stack([i, i], 1)
        self.labels, self.upper, self.lower = i[:, 0].astype(np.int64), d[:, 0].copy(), d[:, 1].copy()
        self.sums = _sums(self.x, self.labels, self.k)
        self.counts = np.bincount(self.labels, minlength=self.k)
        self.nb, self.radius, self.half = self._neighbourhood(self.centers)

    def step(self):
        """Move centres to their means, then re-assign. Returns (label changes, centre shift^2)."""
        old = self.centers
        new = old.copy()
        nz = self.counts > 0
        new[nz] = self.sums[nz] / self.counts[nz, None]
        shift = np.sqrt(((new - old) ** 2).sum(1))
        self.centers = new
        if _relocate_empty(self.x, new, self.counts, self.upper, self.labels):
            self._full_assign()
            self.stats.append((self.x.shape[0], self.x.shape[0], self.x.shape[0]))
            return self.x.shape[0], float((shift ** 2).sum())
        # neighbours (old list) moved by at most near[a]; the rest by at most the largest shift
        shift_nb = shift[self.nb]
        shift_nb[:, 0] = 0.0
        near = shift_nb.max(1)
        radius_old = self.radius
        self.nb, self.radius, self.half = self._neighbourhood(new)
        t = torch.from_numpy
        moved, src, counts = kmeans_bounds_step(
            t(self.x), t(self.labels), t(self.upper), t(self.lower), t(new), t(shift), t(near), t(radius_old),
            float(shift.max()), t(self.nb), t(self.radius), t(self.half))
        idx, src = moved.numpy(), src.numpy()
        if idx.size:
            dst = self.labels[idx]
            xm = self.x[idx]
            self.sums -= _sums(xm, src, self.k)
            self.sums += _sums(xm, dst, self.k)
            self.counts += np.bincount(dst, minlength=self.k) - np.bincount(src, minlength=self.k)
        failed, reassigned = (int(c) for c in counts)
        self.stats.append((failed, reassigned, int(idx.size)))
        return int(idx.size), float((shift ** 2).sum())

    def refresh(self):
        """Recompute cluster sums exactly (limits drift of the incremental updates)."""
        self.sums = _sums(self.x, self.labels, self.k)

    def finish(self):
        diff = self.x - self.centers[self.labels]
        return self.labels, float(np.einsum("ij,ij->", diff, diff))


class _DenseLloyd:
    """Chunked dense Lloyd in torch on any device; float32 distances, float64 centres on host."""

    def __init__(self, x, centers, device, chunk_bytes):
        self.device = torch.device(device)
        self.origin = x.mean(0)
        self.x = torch.from_numpy((x - self.origin).astype(np.float32)).to(self.device)
        self.xsq = (self.x * self.x).sum(1)
        self.k = centers.shape[0]
        self.chunk = max(1, int(chunk_bytes // (4 * max(self.k, 1) * 2)))
        self.centers = centers.copy()
        self.labels = None
        self._assign()

    def _assign(self):
        c = torch.from_numpy((self.centers - self.origin).astype(np.float32)).to(self.device)
        csq = (c * c).sum(1)
        labels, dists = [], []
        for s in range(0, self.x.shape[0], self.chunk):
            xs = self.x[s:s + self.chunk]
            d = torch.addmm(csq[None, :], xs, c.T, beta=1.0, alpha=-2.0)
            d.add_(self.xsq[s:s + self.chunk, None])
            val, idx = d.min(1)
            labels.append(idx)
            dists.append(val.clamp_(min=0))
        new = torch.cat(labels)
        changed = self.x.shape[0] if self.labels is None else int((new != self.labels).sum())
        self.labels, self.dist = new, torch.cat(dists)
        return changed

    def _sums(self):
        sums = torch.zeros(self.k, self.x.shape[1], device=self.device)
        counts = torch.zeros(self.k, device=self.device)
        ar = torch.arange(self.k, device=self.device)
        for s in range(0, self.x.shape[0], self.chunk):
            onehot = (self.labels[s:s + self.chunk, None] == ar[None, :]).to(torch.float32)
            sums += onehot.T @ self.x[s:s + self.chunk]
            counts += onehot.sum(0)
        return sums.double().cpu().numpy(), counts.double().cpu().numpy().round().astype(np.int64)

    def step(self):
        sums, counts = self._sums()
        old = self.centers
        new = old.copy()
        nz = counts > 0
        new[nz] = sums[nz] / counts[nz, None] + self.origin
        shift2 = float(((new - old) ** 2).sum())
        if (counts == 0).any():  # rare: copy the points to the host only then
            dist = self.dist.double().cpu().numpy()
            _relocate_empty(self.x.cpu().numpy().astype(np.float64) + self.origin, new, counts, dist, None)
        self.centers = new
        return self._assign(), shift2

    def refresh(self):
        pass

    def finish(self):
        labels = self.labels.cpu().numpy().astype(np.int64)
        return labels, None


def _lloyd(engine, max_iter, tol, progress=None, min_changed=0):
    n_iter, converged = 0, False
    for n_iter in range(1, max_iter + 1):
        changed, shift2 = engine.step()
        if progress is not None:
            progress(n_iter, changed, shift2)
        if n_iter % 25 == 0:
            engine.refresh()
        if changed <= min_changed or shift2 <= tol:
            converged = True
            break
    return n_iter, converged


def kmeans(points, k, seed=0, device="cpu", max_iter=300, tol=1e-5, sample_size=None,
           engine="auto", workers=None, chunk_bytes=256 << 20, progress=None, level_factor=4,
           n_init=3, warm_changed=3e-3):
    """Cluster points (n, d) into k centres; see the module docstring.

    points      array-like or tensor (n, d), finite; n >= k
    seed        int; the whole run is a function of (points, k, seed, engine)
    device      'cpu' | 'cuda' | 'npu' | 'auto' (where the Lloyd iterations run)
    max_iter    Lloyd iterations on the full set (sklearn's default is 300)
    tol         stop when the sum of squared centre shifts <= tol * mean per-dimension
                variance (sklearn's rule; sklearn's default is 1e-4); 0 runs until no label
                changes
    sample_size subsample for seeding + warm start (default min(n, max(20 k, 20000)))
    n_init      k-means++ seedings tried on the sample (best kept after Lloyd on the sample)
    level_factor growth of the nested warm-start subsets
    warm_changed a warm-start level stops once fewer than this fraction of its points change
    engine      'auto' (bounds on cpu, dense elsewhere) | 'bounds' (cpu only) | 'dense'
    chunk_bytes memory for one distance chunk of the dense engine
    progress    optional callable(stage: str, step: int, total: int, info: dict)
    """
    from ..device import resolve_device_type
    x = _check_points(points, k)
    n = x.shape[0]
    dev_type = resolve_device_type(device if device != "auto" else "auto")
    if engine == "auto":
        engine = "bounds" if dev_type == "cpu" else "dense"
    if engine not in ("bounds", "dense"):
        raise ValueError(f"kmeans: engine must be 'auto', 'bounds' or 'dense', got {engine!r}")
    if engine == "bounds" and dev_type != "cpu":
        raise ValueError("kmeans: engine='bounds' runs on cpu only; use engine='dense' on "
                         f"{dev_type}")
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise ValueError(f"kmeans: max_iter must be an int >= 1, got {max_iter!r}")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"kmeans: seed must be an int >= 0, got {seed!r}")
    workers = workers or (torch.get_num_threads() or 1)
    rng = np.random.default_rng(seed)
    tol_abs = float(tol) * float(np.mean(np.var(x, axis=0)))

    def report(stage, step, total, **info):
        if progress is not None:
            progress(stage, step, total, info)

    m = min(n, int(sample_size) if sample_size else max(20 * k, 20000))
    if m < k:
        raise ValueError(f"kmeans: sample_size must be >= k = {k}, got {sample_size}")
    if not (isinstance(n_init, int) and n_init >= 1):
        raise ValueError(f"kmeans: n_init must be an int >= 1, got {n_init!r}")
    order = rng.permutation(n)
    sample = x[np.sort(order[:m])]

    def make(data, init):
        if engine == "bounds":
            return _BoundsLloyd(data, init, workers)
        return _DenseLloyd(data, init, dev_type, chunk_bytes)

    def level(data, init, final):
        """Lloyd on one level; warm levels stop at < warm_changed label changes per step."""
        eng = make(data, init)
        stage = "lloyd" if final else f"warm-{data.shape[0]}"
        it, conv = _lloyd(eng, max_iter, tol_abs,
                          lambda i, ch, sh: report(stage, i, max_iter, changed=ch, shift2=sh),
                          min_changed=0 if final else int(data.shape[0] * warm_changed))
        return eng, it, conv

    # n_init k-means++ seedings on the sample, each refined by Lloyd on it; keep the best
    best = None
    for trial in range(n_init):
        trng = rng if trial == 0 else np.random.default_rng([seed, trial])
        report("seed", 0, k, points=m, trial=trial)
        centers = kmeanspp(sample, k, trng)
        report("seed", k, k, points=m, trial=trial)
        eng, it, conv = level(sample, centers, final=(m == n))
        score = eng.finish()[1] if engine == "bounds" else float(eng.dist.double().sum())
        if best is None or score < best[0]:
            best = (score, eng, it, conv)
    _, full, n_iter, converged = best
    # warm start continued on nested random subsets growing by `level_factor`, then all points
    size = m * level_factor
    while m < n and size < n and size * level_factor <= n * 1.5:
        full, _, _ = level(x[np.sort(order[:size])], full.centers, final=False)
        size *= level_factor
    if m < n:
        full, n_iter, converged = level(x, full.centers, final=True)
    labels, inert = full.finish()
    centers = full.centers
    if engine == "dense":  # recompute with the final centres in float64 on the host
        diff = x - centers[labels]
        inert = float(np.einsum("ij,ij->", diff, diff))
    return KMeansResult(centers=centers, labels=labels, inertia=inert, n_iter=n_iter, converged=converged)
