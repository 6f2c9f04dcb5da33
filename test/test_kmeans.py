"""ascend_ops.anchors.kmeans: exact Lloyd steps, determinism, quality against sklearn, bad input."""
import importlib

import numpy as np
import pytest
import torch

from ascend_ops.anchors.kmeans import inertia, kmeans, kmeanspp
from ascend_ops.nuscenes.synthetic import road_centres

km = importlib.import_module("ascend_ops.anchors.kmeans")


def _road(n, seed=3):
    x = road_centres(n, seed=seed)
    return x[np.linalg.norm(x, axis=1) <= 55]


def _plain_lloyd(x, centers, steps):
    """Textbook Lloyd: assign (argmin of all distances), then move to means (empty: stay)."""
    c = centers.copy()
    labels = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), 1)
    for _ in range(steps):
        for j in range(len(c)):
            if (labels == j).any():
                c[j] = x[labels == j].mean(0)
        labels = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), 1)
    return c, labels


@pytest.mark.parametrize("neighbours", [4, 32])
def test_bounds_engine_is_exact_lloyd(monkeypatch, neighbours):
    # small neighbour lists force the k-d tree fallback and the far-centre bound
    monkeypatch.setattr(km._BoundsLloyd, "neighbours", neighbours)
    x = _road(3000)
    init = kmeanspp(x, 40, np.random.default_rng(0))
    eng = km._BoundsLloyd(x, init, workers=1)
    for _ in range(12):
        eng.step()
    want_c, want_l = _plain_lloyd(x, init, 12)
    np.testing.assert_allclose(eng.centers, want_c, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(eng.labels, want_l)
    # bounds are valid: upper >= own distance, lower <= every other distance
    d = np.sqrt(((x[:, None, :] - eng.centers[None]) ** 2).sum(-1))
    own = d[np.arange(len(x)), eng.labels]
    assert (eng.upper >= own - 1e-9).all()
    d[np.arange(len(x)), eng.labels] = np.inf
    assert (eng.lower <= d.min(1) + 1e-9).all()


def test_deterministic_per_seed_and_seed_matters():
    x = _road(5000)
    a = kmeans(x, 30, seed=7)
    b = kmeans(x, 30, seed=7)
    c = kmeans(x, 30, seed=8)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.centers, c.centers)
    assert a.inertia == pytest.approx(inertia(x, a.centers), rel=1e-12)


def test_multilevel_path_and_convergence():
    # n > sample_size exercises seeding on a subsample + nested warm-start levels
    x = _road(12000)
    stages = []
    r = kmeans(x, 25, seed=0, sample_size=1000, level_factor=3, tol=0.0,
               progress=lambda stage, i, total, info: stages.append(stage))
    assert {"seed", "warm-1000", "warm-3000", "lloyd"} <= set(stages)
    assert r.converged
    # converged with tol=0: centres are the means of their clusters, labels are nearest centres
    for j in range(25):
        np.testing.assert_allclose(r.centers[j], x[r.labels == j].mean(0), atol=1e-9)
    d = ((x[:, None, :] - r.centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(r.labels, d.argmin(1))


def test_quality_not_worse_than_sklearn():
    sklearn_cluster = pytest.importorskip("sklearn.cluster", reason="pip install scikit-learn")
    x = _road(3000)
    ratios = []
    for seed in range(3):
        ours = kmeans(x, 30, seed=seed, n_init=3)
        ref = sklearn_cluster.KMeans(n_clusters=30, random_state=seed).fit(x)  # upstream settings
        ratios.append(ours.inertia / inertia(x, ref.cluster_centers_))
    assert np.mean(ratios) <= 1.0 + 2e-3, ratios
    assert max(ratios) <= 1.02, ratios  # one small run is one local optimum: spread ~ +-2%


def test_dense_engine_matches_bounds_engine_and_chunking():
    x = _road(1500)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matmuls: threads only add contention on a busy machine
    try:
        a = kmeans(x, 12, seed=1, engine="bounds", tol=0.0)
        b = kmeans(x, 12, seed=1, engine="dense", tol=0.0)
        b2 = kmeans(x, 12, seed=1, engine="dense", tol=0.0)
        c = kmeans(x, 12, seed=1, engine="dense", tol=0.0, chunk_bytes=4 * 12 * 2 * 257)  # 257-row chunks
    finally:
        torch.set_num_threads(threads)
    assert b.inertia == pytest.approx(a.inertia, rel=1e-5)
    np.testing.assert_allclose(b.centers, a.centers, atol=1e-3)
    np.testing.assert_array_equal(b.centers, b2.centers)        # deterministic
    np.testing.assert_allclose(c.centers, b.centers, atol=1e-3)  # chunking changes only rounding
    assert c.inertia == pytest.approx(b.inertia, rel=1e-5)


def test_accepts_tensor_and_k_equal_n():
    x = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 5, 0]], dtype=torch.float32)
    r = kmeans(x, 3, seed=0)
    assert r.inertia == pytest.approx(0.0, abs=1e-12)
    assert sorted(map(tuple, r.centers.round(6))) == sorted(map(tuple, x.double().numpy()))


@pytest.mark.parametrize("points,k,kwargs,match", [
    (np.zeros(10), 2, {}, "2-D"),
    (np.array([[0.0, 1.0, np.nan], [1, 2, 3], [4, 5, 6]]), 2, {}, "NaN"),
    (np.zeros((3, 3)), 5, {}, "at least k"),
    (np.zeros((3, 3)), 0, {}, "positive integer"),
    (np.random.rand(20, 3), 2, {"engine": "magic"}, "engine"),
    (np.random.rand(20, 3), 2, {"max_iter": 0}, "max_iter"),
    (np.random.rand(20, 3), 2, {"n_init": 0}, "n_init"),
    (np.random.rand(20, 3), 2, {"seed": -1}, "seed"),
    (np.array([["a", "b", "c"]] * 3), 1, {}, "numeric"),
])
def test_bad_input(points, k, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        kmeans(points, k, **kwargs)


def test_unavailable_device_is_an_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the check needs a device that is absent")
    with pytest.raises(RuntimeError, match="not available"):
        kmeans(np.random.rand(20, 3), 2, device="cuda")
