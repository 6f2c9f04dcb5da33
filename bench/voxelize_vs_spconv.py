"""Benchmark: hard_voxelize / dynamic_voxelize / scatter_mean on a KITTI-sized sweep, native
kernel vs the kit's reference vs spconv 2.3.8's CPU PointToVoxel (when installed), at each
thread count in --threads, in one run.

Input: the "real" op cases (ascend_ops/opcases/hard_voxelize.py, scatter_mean.py): a 120k-point
64-beam sweep on OpenPCDet's KITTI grid (voxel 0.05 / 0.05 / 0.1 m, max_points 5, max_voxels
16000); the sweep's points come in random order ("random") and sorted by beam and azimuth as a
sensor delivers them ("scan"); scatter_mean averages C = 32 features of the in-range points per
voxel.

    python bench/voxelize_vs_spconv.py --threads 1,2 --repeat 15

Medians in ms (wall time; on a shared machine the ratios are steadier than the times).
"""
import argparse
import statistics
import time

import torch

import ascend_ops
from ascend_ops.opcases import hard_voxelize as hard_case
from ascend_ops.opcases import scatter_mean as mean_case
from ascend_ops.ops.scatter_mean import scatter_mean_reference
from ascend_ops.ops.voxelize import dynamic_voxelize_reference, hard_voxelize_reference


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def scan_order(points):
    """The sweep sorted by beam (elevation) then azimuth, as a spinning sensor delivers it."""
    xy = points[:, :2].norm(dim=1)
    elevation = torch.round(torch.atan2(points[:, 2], xy) * 1e3)
    azimuth = torch.atan2(points[:, 1], points[:, 0])
    return points[torch.argsort(elevation * 10 + azimuth)].contiguous()


def fwd_bwd(fn, src, index, dim_size, grad):
    def step():
        leaf = src.detach().requires_grad_()
        fn(leaf, index, dim_size).backward(grad)
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    try:
        from spconv.pytorch.utils import PointToVoxel
    except Exception:   # ImportError or a broken cumm
        PointToVoxel = None
        print("spconv not installed (pip install spconv==2.3.8): its column stays empty")
    points, vs, cr, max_points, max_voxels = hard_case.real("cpu")
    clouds = {"random": points, "scan": scan_order(points)}
    src, index, dim_size = mean_case.real("cpu")
    grad = torch.randn(dim_size, src.shape[1], generator=torch.Generator().manual_seed(1))
    rows = []
    saved = torch.get_num_threads()
    try:
        for threads in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(threads)
            for order, cloud in clouds.items():
                gen = (PointToVoxel(vsize_xyz=vs, coors_range_xyz=cr, num_point_features=cloud.shape[1],
                                    max_num_voxels=max_voxels, max_num_points_per_voxel=max_points)
                       if PointToVoxel else None)
                hard = (cloud, vs, cr, max_points, max_voxels)
                rows.append((threads, f"hard_voxelize {order}",
                             median_ms(lambda: ascend_ops.hard_voxelize(*hard), args.repeat),
                             median_ms(lambda: hard_voxelize_reference(*hard), args.repeat),
                             median_ms(lambda: gen(cloud), args.repeat) if gen else None))
                rows.append((threads, f"dynamic_voxelize {order}",
                             median_ms(lambda: ascend_ops.dynamic_voxelize(cloud, vs, cr), args.repeat),
                             median_ms(lambda: dynamic_voxelize_reference(cloud, vs, cr), args.repeat), None))
            with torch.no_grad():
                rows.append((threads, "scatter_mean fwd",
                             median_ms(lambda: ascend_ops.scatter_mean(src, index, dim_size), args.repeat),
                             median_ms(lambda: scatter_mean_reference(src, index, dim_size), args.repeat), None))
            rows.append((threads, "scatter_mean fwd+bwd",
                         median_ms(fwd_bwd(ascend_ops.scatter_mean, src, index, dim_size, grad), args.repeat),
                         median_ms(fwd_bwd(scatter_mean_reference, src, index, dim_size, grad), args.repeat), None))
    finally:
        torch.set_num_threads(saved)
    print(f"points {points.shape[0]}, voxels kept {max_voxels}; scatter_mean src {tuple(src.shape)} -> {dim_size} rows")
    print(f"{'threads':>7}  {'op':<26} {'native ms':>10} {'reference ms':>13} {'spconv ms':>10} {'ref/nat':>8} "
          f"{'spconv/nat':>10}")
    for threads, name, nat, ref, sp in rows:
        sp_s = f"{sp:10.2f}" if sp is not None else f"{'-':>10}"
        ratio = f"{sp / nat:9.2f}x" if sp is not None else f"{'-':>10}"
        print(f"{threads:>7}  {name:<26} {nat:10.2f} {ref:13.2f} {sp_s} {ref / nat:7.2f}x {ratio}")


if __name__ == "__main__":
    main()
