"""Benchmark: ascend_ops.anchors.kmeans vs sklearn KMeans with Sparse4D's upstream settings.

Upstream (tools/anchor_generator.py) runs KMeans(n_clusters=900) with sklearn's defaults:
init="k-means++", max_iter=300, tol=1e-4, n_init="auto" (one run with k-means++ in
sklearn >= 1.4), Lloyd. Both get the same points; inertia is recomputed for both with the same
float64 function (sum of squared distances to the nearest centre).

Point sets: "road" (nuScenes-like box centres along roads, ascend_ops.nuscenes.synthetic) and
"uniform" (uniform in [-55, 55]^2 x [-3, 1]); both keep points within 55 m (3-D), as upstream.

    python bench/kmeans_vs_sklearn.py --sizes 100000,1000000 --dists road,uniform --json out.json

End to end (`--end-to-end N`): N street-like boxes (road centres, positive sizes) in an info pkl;
the wall (and CPU) time of the whole `python -m ascend_ops anchors` process (start-up, pkl load, K-means,
save) against sklearn's KMeans(900).fit alone on the same kept centres; inertia of both
recomputed with the same function from the saved anchors.

    python bench/kmeans_vs_sklearn.py --end-to-end 600000

Reports wall time and process CPU time (all threads): on a shared machine CPU time is the
steadier measure of work. Ratios are sklearn / ours (time) and ours / sklearn (inertia).
"""
import argparse
import json
import platform
import time

import numpy as np


def points(dist, n, seed):
    from ascend_ops.nuscenes.synthetic import road_centres
    if dist == "road":
        x = road_centres(int(n * 1.05) + 100, seed=seed)
    elif dist == "uniform":
        rng = np.random.default_rng(seed)
        x = np.concatenate([rng.uniform(-55, 55, (int(n * 1.35) + 100, 2)),
                            rng.uniform(-3, 1, (int(n * 1.35) + 100, 1))], axis=1)
    else:
        raise ValueError(f"--dists: unknown distribution {dist!r} (road, uniform)")
    x = x[np.linalg.norm(x, axis=1) <= 55.0]
    if len(x) < n:
        raise RuntimeError(f"generated only {len(x)} of {n} points for {dist}")
    return np.ascontiguousarray(x[:n])


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def run_case(dist, n, k, seed, n_init):
    from sklearn.cluster import KMeans
    from ascend_ops.anchors.kmeans import inertia, kmeans
    x = points(dist, n, seed)
    ours, ours_wall, ours_cpu = timed(lambda: kmeans(x, k, seed=seed))
    skl, skl_wall, skl_cpu = timed(lambda: KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit(x))
    ours_inertia = inertia(x, ours.centers)
    skl_inertia = inertia(x, skl.cluster_centers_)
    return dict(dist=dist, n=n, k=k, seed=seed, sklearn_n_init=n_init,
                ours=dict(wall_s=ours_wall, cpu_s=ours_cpu, inertia=ours_inertia, n_iter=ours.n_iter,
                          converged=ours.converged),
                sklearn=dict(wall_s=skl_wall, cpu_s=skl_cpu, inertia=skl_inertia, n_iter=int(skl.n_iter_)),
                time_ratio_wall=skl_wall / ours_wall, time_ratio_cpu=skl_cpu / ours_cpu,
                inertia_ratio=ours_inertia / skl_inertia)


def end_to_end(n, k, seed, n_init, detection_range=55.0):
    """Wall time of `python -m ascend_ops anchors` on n street-like boxes vs sklearn's fit alone."""
    import os
    import pickle
    import subprocess
    import sys
    import tempfile
    from sklearn.cluster import KMeans
    from ascend_ops.anchors.kmeans import inertia
    x = points("road", n, seed)
    rng = np.random.default_rng(seed)
    boxes = np.concatenate([x, rng.uniform(0.5, 5.0, (n, 3)), rng.uniform(-np.pi, np.pi, (n, 1))], axis=1)
    with tempfile.TemporaryDirectory() as d:
        ann, out = os.path.join(d, "infos.pkl"), os.path.join(d, "anchors.npy")
        infos = [dict(token=str(i), gt_boxes=boxes[i:i + 40]) for i in range(0, n, 40)]
        with open(ann, "wb") as f:
            pickle.dump(dict(infos=infos, metadata=dict(version="v1.0-trainval")), f)
        cmd = [sys.executable, "-m", "ascend_ops", "anchors", "--ann_file", ann, "--num_anchor", str(k),
               "--detection_range", str(detection_range), "--output_file_name", out, "--seed", str(seed),
               "--no_progress"]
        import resource
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        e2e_wall = time.perf_counter() - w0
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        e2e_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        if proc.returncode != 0:
            raise RuntimeError(f"ascend-kit anchors failed: {proc.stderr}")
        centres = np.load(out)[:, :3]
    w0 = time.perf_counter()
    import_ok = subprocess.run([sys.executable, "-c", "import ascend_ops"], capture_output=True).returncode == 0
    import_wall = time.perf_counter() - w0
    w0 = time.perf_counter()
    help_ok = subprocess.run([sys.executable, "-m", "ascend_ops", "anchors", "--help"], capture_output=True).returncode == 0
    help_wall = time.perf_counter() - w0
    skl, skl_wall, skl_cpu = timed(lambda: KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit(x))
    ours_inertia, skl_inertia = inertia(x, centres), inertia(x, skl.cluster_centers_)
    return dict(n=n, k=k, seed=seed, e2e_wall_s=e2e_wall, e2e_cpu_s=e2e_cpu, time_ratio_cpu=skl_cpu / e2e_cpu, import_ascend_ops_wall_s=import_wall if import_ok else None,
                anchors_help_wall_s=help_wall if help_ok else None, sklearn_fit_wall_s=skl_wall,
                sklearn_fit_cpu_s=skl_cpu, time_ratio_wall=skl_wall / e2e_wall,
                inertia_ours=ours_inertia, inertia_sklearn=skl_inertia, inertia_ratio=ours_inertia / skl_inertia,
                command_output=proc.stdout.strip().splitlines()[-2:])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100000", help="comma-separated point counts")
    p.add_argument("--dists", default="road,uniform")
    p.add_argument("--k", type=int, default=900)
    p.add_argument("--seeds", default="0", help="comma-separated seeds (data and both K-means)")
    p.add_argument("--n-init", default="auto", help="sklearn n_init ('auto' = upstream on sklearn>=1.4)")
    p.add_argument("--json", default=None, help="write results here")
    p.add_argument("--end-to-end", type=int, default=None, metavar="N",
                   help="time the whole `ascend-kit anchors` process on N street-like boxes instead")
    args = p.parse_args(argv)
    import sklearn
    n_init = args.n_init if args.n_init == "auto" else int(args.n_init)
    if args.end_to_end:
        r = end_to_end(args.end_to_end, args.k, int(args.seeds.split(",")[0]), n_init)
        print(json.dumps(r, indent=2))
        return [r]
    results = []
    for dist in args.dists.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            for seed in (int(s) for s in args.seeds.split(",")):
                r = run_case(dist, n, args.k, seed, n_init)
                results.append(r)
                print(f"{dist:8s} n={n:>8d} k={args.k} seed={seed}: "
                      f"ours {r['ours']['wall_s']:.1f}s wall / {r['ours']['cpu_s']:.1f}s cpu, "
                      f"sklearn {r['sklearn']['wall_s']:.1f}s wall / {r['sklearn']['cpu_s']:.1f}s cpu -> "
                      f"x{r['time_ratio_wall']:.1f} wall, x{r['time_ratio_cpu']:.1f} cpu; inertia ratio "
                      f"{r['inertia_ratio']:.5f} (ours {r['ours']['n_iter']} it, sklearn "
                      f"{r['sklearn']['n_iter']} it)", flush=True)
    from ascend_ops.cli.bench import environment
    meta = dict(environment(["cpu"]), sklearn=sklearn.__version__, numpy=np.__version__,
                machine=platform.processor() or platform.machine())
    if args.json:
        from ascend_ops._io import atomic_write
        with atomic_write(args.json, "w") as f:
            json.dump(dict(meta=meta, results=results), f, indent=2)
    return results


if __name__ == "__main__":
    main()
