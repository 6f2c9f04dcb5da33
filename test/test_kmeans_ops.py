"""The K-means ops kmeans_bounds_step and kmeanspp: native CPU kernels against their pure-PyTorch
references, bound validity, thread-count independence, the fallback report and bad input."""
import importlib

import numpy as np
import pytest
import torch

from ascend_ops import AscendOpsFallbackWarning
from ascend_ops.anchors.kmeans import kmeans, kmeanspp
from ascend_ops.nuscenes.synthetic import road_centres

op_mod = importlib.import_module("ascend_ops.ops.kmeans_bounds_step")
pp_mod = importlib.import_module("ascend_ops.ops.kmeanspp")
km = importlib.import_module("ascend_ops.anchors.kmeans")
NATIVE = torch.ops.ascend_ops.kmeans_bounds_step
NATIVE_PP = torch.ops.ascend_ops.kmeanspp


def _state(n, k, m, dim, seed, move=0.4):
    """A bounded-Lloyd state one step in: exact bounds for the old centres, then moved centres
    and the step's per-centre tables, as _BoundsLloyd.step builds them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)) * 10
    old = kmeanspp(x, k, rng)
    eng = km._BoundsLloyd.__new__(km._BoundsLloyd)
    eng.k, eng.m = k, m
    eng._tree = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree
    d = np.sqrt(((x[:, None] - old[None]) ** 2).sum(-1))
    labels = d.argmin(1)
    upper = d[np.arange(n), labels] * (1 + 0.1 * rng.random(n))           # loose but valid bounds
    d[np.arange(n), labels] = np.inf
    lower = d.min(1) * (1 - 0.1 * rng.random(n)) if k > 1 else np.full(n, np.inf)
    nb_old, radius_old, _ = eng._neighbourhood(old)
    new = old + rng.normal(size=old.shape) * move
    shift = np.sqrt(((new - old) ** 2).sum(1))
    shift_nb = shift[nb_old]
    shift_nb[:, 0] = 0
    nb, radius, half = eng._neighbourhood(new)
    t = torch.from_numpy
    return dict(x=t(x), labels=t(labels.astype(np.int64)), upper=t(upper), lower=t(lower), centers=t(new),
                shift=t(shift), near=t(shift_nb.max(1)), radius_old=t(radius_old), max_shift=float(shift.max()),
                nb=t(nb), radius=t(radius), half=t(half))


def _run(fn, state):
    s = {key: (v.clone() if isinstance(v, torch.Tensor) else v) for key, v in state.items()}
    out = fn(**s)
    return out, s


CASES = [(2000, 40, 4, 3, 0), (2000, 40, 16, 3, 1), (1500, 25, 25, 3, 2), (800, 12, 5, 2, 3),
         (600, 9, 3, 5, 4), (300, 1, 1, 3, 5)]


@pytest.mark.parametrize("n,k,m,dim,seed", CASES)
def test_native_matches_reference(n, k, m, dim, seed):
    state = _state(n, k, m, dim, seed)
    (mv, old, cnt), got = _run(NATIVE, state)
    (mv_r, old_r, cnt_r), want = _run(op_mod.kmeans_bounds_step_reference, state)
    torch.testing.assert_close(got["labels"], want["labels"], rtol=0, atol=0)
    torch.testing.assert_close(got["upper"], want["upper"], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got["lower"], want["lower"], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(mv, mv_r, rtol=0, atol=0)
    torch.testing.assert_close(old, old_r, rtol=0, atol=0)
    torch.testing.assert_close(cnt, cnt_r, rtol=0, atol=0)
    if k > 1 and m < k:
        assert 0 < int(cnt[1]) <= int(cnt[0]) < n         # the case exercises every branch


@pytest.mark.parametrize("n,k,m,dim,seed", CASES)
@pytest.mark.parametrize("fn", ["native", "reference"])
def test_bounds_hold_and_moved_points_are_nearest(n, k, m, dim, seed, fn):
    state = _state(n, k, m, dim, seed)
    step = NATIVE if fn == "native" else op_mod.kmeans_bounds_step_reference
    (moved, old, _), s = _run(step, state)
    x, c = s["x"], s["centers"]
    d = torch.cdist(x, c)
    own = d.gather(1, s["labels"][:, None])[:, 0]
    assert (s["upper"] >= own - 1e-9).all()
    others = d.scatter(1, s["labels"][:, None], float("inf")).min(1).values
    assert (s["lower"] <= others + 1e-9).all()
    # a point keeps its label only where the bounds prove it nearest; so every point is nearest
    assert (own <= others + 1e-9).all()
    torch.testing.assert_close(moved, torch.nonzero(s["labels"] != state["labels"])[:, 0])
    torch.testing.assert_close(old, state["labels"][moved])


def test_native_is_independent_of_thread_count():
    state = _state(60000, 50, 8, 3, 7, move=1.0)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a, sa = _run(NATIVE, state)
        torch.set_num_threads(max(2, threads))
        b, sb = _run(NATIVE, state)
    finally:
        torch.set_num_threads(threads)
    for key in ("labels", "upper", "lower"):
        assert torch.equal(sa[key], sb[key]), key
    assert all(torch.equal(u, v) for u, v in zip(a, b))


def test_kmeans_same_result_with_reference_backend(monkeypatch):
    x = road_centres(6000, seed=2)
    native = kmeans(x, 30, seed=0, tol=0.0)
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    ref = kmeans(x, 30, seed=0, tol=0.0)
    np.testing.assert_array_equal(native.labels, ref.labels)
    np.testing.assert_allclose(native.centers, ref.centers, rtol=0, atol=1e-9)
    assert native.n_iter == ref.n_iter


def test_missing_kernel_is_reported_once(fresh_dispatch, monkeypatch):
    real = fresh_dispatch.has_native_kernel
    monkeypatch.setattr(fresh_dispatch, "has_native_kernel",
                        lambda op, dev: False if op == "kmeans_bounds_step" else real(op, dev))
    x = road_centres(3000, seed=1)
    with pytest.warns(AscendOpsFallbackWarning, match="kmeans_bounds_step") as record:
        kmeans(x, 20, seed=0)
    assert sum(issubclass(w.category, AscendOpsFallbackWarning) for w in record) == 1
    monkeypatch.setenv("ASCEND_OPS_STRICT", "1")
    with pytest.raises(fresh_dispatch.MissingKernelError, match="kmeans_bounds_step"):
        kmeans(x, 20, seed=0)


@pytest.mark.parametrize("key,value,match", [
    ("x", lambda s: s["x"].float(), "x must be float64"),
    ("labels", lambda s: s["labels"].int(), "labels must be int64"),
    ("upper", lambda s: s["upper"][:-1], r"upper must be float64 \[300\]"),
    ("nb", lambda s: s["nb"].repeat(1, 3), "1 <= m <= k"),
    ("half", lambda s: s["half"].repeat(2), "half must be float64"),
])
def test_bad_input_names_the_argument(key, value, match):
    state = _state(300, 10, 4, 3, 0)
    state[key] = value(state)
    with pytest.raises((ValueError, TypeError), match=match):
        op_mod.kmeans_bounds_step(**state)


def test_native_rejects_out_of_range_labels_and_neighbours():
    state = _state(300, 10, 4, 3, 0)
    bad = dict(state, labels=state["labels"].clone())
    bad["labels"][17] = 10
    with pytest.raises(RuntimeError, match=r"labels must lie in \[0, k = 10\), got 10 at 17"):
        NATIVE(**bad)
    bad = dict(state, nb=state["nb"].clone())
    bad["nb"][3, 2] = -1
    with pytest.raises(RuntimeError, match="nb entries"):
        NATIVE(**bad)
    with pytest.raises(RuntimeError, match="must be contiguous"):
        NATIVE(**dict(state, upper=torch.stack([state["upper"]] * 2, 1)[:, 0]))


# ---- kmeanspp ----------------------------------------------------------------------------------

def _pp_inputs(n, k, dim, trials, seed, duplicates=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)) * 10
    if duplicates:  # many identical points: potentials reach 0, sampling hits the pot == 0 path
        x = np.repeat(x[: max(1, n // 50)], 50, axis=0)[:n]
    r = rng.random((k - 1, trials))
    return torch.from_numpy(np.ascontiguousarray(x)), int(rng.integers(n)), torch.from_numpy(r)


@pytest.mark.parametrize("n,k,dim,trials,seed,dup", [
    (5000, 60, 3, 6, 0, False), (3000, 40, 2, 5, 1, False), (2000, 30, 5, 4, 2, False),
    (1000, 20, 1, 3, 3, False), (4097, 25, 3, 1, 4, False), (300, 1, 3, 8, 5, False),
    (500, 40, 3, 5, 6, True), (200, 100, 3, 4, 7, False)])
def test_kmeanspp_native_matches_reference(n, k, dim, trials, seed, dup):
    x, first, r = _pp_inputs(n, k, dim, trials, seed, dup)
    got = NATIVE_PP(x, first, r)
    want = pp_mod.kmeanspp_reference(x, first, r)
    assert got.dtype == torch.int64 and got.shape == (k,)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert int(got[0]) == first
    if not dup:
        assert len(set(got.tolist())) == k               # D^2 sampling never repeats a point


def test_kmeanspp_is_independent_of_thread_count():
    x, first, r = _pp_inputs(30000, 50, 3, 6, 9)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = NATIVE_PP(x, first, r)
        torch.set_num_threads(max(2, threads))
        b = NATIVE_PP(x, first, r)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(a, b)


def test_kmeanspp_public_function_matches_sklearn_seeding_rule():
    # anchors.kmeans.kmeanspp draws `first` then (k - 1) x trials uniforms from the Generator
    x = road_centres(4000, seed=1)
    got = kmeanspp(x, 30, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    first = int(rng.integers(len(x)))
    want = pp_mod.kmeanspp_reference(torch.from_numpy(x), first, torch.from_numpy(rng.random((29, 2 + int(np.log(30))))))
    np.testing.assert_array_equal(got, x[want.numpy()])


@pytest.mark.parametrize("args,match", [
    (lambda x, f, r: (x.float(), f, r), "x must be a float64"),
    (lambda x, f, r: (x, f, r[:, :0]), "r must be a float64"),
    (lambda x, f, r: (x, len(x), r), "first must be an int in"),
    (lambda x, f, r: (x[:10], 0, r), "asks for k = 20 centres from n = 10"),
])
def test_kmeanspp_bad_input(args, match):
    x, first, r = _pp_inputs(100, 20, 3, 4, 0)
    with pytest.raises(ValueError, match=match):
        pp_mod.kmeanspp(*args(x, first, r))
    with pytest.raises(RuntimeError, match="kmeanspp"):
        NATIVE_PP(*args(x, first, r))


def test_kmeanspp_k_equal_n_picks_every_point_once():
    x, first, r = _pp_inputs(64, 64, 3, 4, 7)
    assert sorted(NATIVE_PP(x, first, r).tolist()) == list(range(64))
