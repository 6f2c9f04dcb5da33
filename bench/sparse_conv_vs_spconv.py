"""Benchmark: the kit's sparse conv engine vs spconv 2.3.8 CPU on OpenPCDet's VoxelResBackBone8x.

Workload (issue 12, "Speed"): the VoxelResBackBone8x stack (`ascend_ops.sparse.backbones`),
batch 1, train mode, on ray-cast LiDAR frames (`ascend_ops.datasets.lidar`): "kitti" (~18k
voxels on [41, 1600, 1408]) and "waymo" (~66k voxels on [41, 1504, 1504]). Both engines get
the same frame and the same weights (seeded, in the kit's layout). Forward, and forward +
backward of `out.features.sum()` (no input gradient: the mean-VFE input has no parameters).

    python bench/sparse_conv_vs_spconv.py --json bench/results/sparse_conv_vs_spconv.json
    python bench/sparse_conv_vs_spconv.py --frames kitti --threads 1 --repeat 3   # quicker

Every (frame, engine, threads, fwd | fwd+bwd) runs in its own subprocess (OMP/MKL threads and
torch.set_num_threads set), so its peak resident memory (getrusage ru_maxrss) belongs to that
configuration alone; `rss_delta_mb` is the peak minus the peak after setup (frame, weights,
imports). Timing: 1 warm-up, then the median of --repeat runs, wall and process CPU time. The
same subprocess times torch.mm at the workload's own per-offset GEMM shapes and at 1024^3
(sgemm), and counts the GEMM FLOPs of the stack from the sites (its own pair count, independent
of either engine: 2 * pairs * Cin * Cout per conv forward; backward counted as 2x forward). Load averages are recorded around each run:
on a shared machine compare the CPU times and read the load.

The kit's engine runs whatever is built: each sparse op's native CPU kernel when registered,
else its pure-PyTorch reference; the JSON records which (`kit_paths`).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPARSE_OPS = ("sparse_kernel_map", "sparse_gather", "sparse_scatter_add", "sparse_max_pool")


def _triple(v):
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * 3


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


# ---------------------------------------------------------------------------------------------
# GEMM work of the stack, counted from coordinates (independent of either engine's kernel map)

def _keys(idx, shape):
    b, z, y, x = (idx[:, a].long() for a in range(4))
    return ((b * shape[0] + z) * shape[1] + y) * shape[2] + x


def count_pairs(in_idx, in_shape, out_idx, kernel_size, stride, padding, dilation, subm):
    """Pairs per kernel offset between input and output sites (list of K ints)."""
    k, s, p, d = (torch.tensor(_triple(v)) for v in (kernel_size, stride, padding, dilation))
    shape = torch.tensor(list(in_shape))
    sorted_keys = torch.sort(_keys(in_idx, list(in_shape))).values
    out_zyx = out_idx[:, 1:].long()
    counts = []
    for iz in range(int(k[0])):
        for iy in range(int(k[1])):
            for ix in range(int(k[2])):
                off = torch.tensor([iz, iy, ix])
                src = out_zyx + (off - k // 2) * d if subm else out_zyx * s - p + off * d
                ok = ((src >= 0) & (src < shape)).all(1)
                cand = torch.cat([out_idx[ok, :1].long(), src[ok]], 1)
                kk = _keys(cand, list(in_shape))
                pos = torch.searchsorted(sorted_keys, kk).clamp(max=max(len(sorted_keys) - 1, 0))
                counts.append(int((sorted_keys[pos] == kk).sum()) if len(sorted_keys) else 0)
    return counts


def gemm_work(stack, frame):
    """Run one forward with hooks; per conv: name, Cin, Cout, active in/out sites, pairs per offset."""
    rows, hooks = [], []
    subm_cls = stack.engine.nn.SubMConv3d
    for name, conv in stack.convs():
        def hook(mod, inp, out, name=name):
            x = inp[0]
            cin, cout = stack.engine.get_weight(mod).shape[1:]
            pairs = count_pairs(x.indices, x.spatial_shape, out.indices, mod.kernel_size, mod.stride,
                                mod.padding, mod.dilation, isinstance(mod, subm_cls))
            rows.append(dict(name=name, cin=int(cin), cout=int(cout), n_in=int(x.indices.shape[0]),
                             n_out=int(out.indices.shape[0]), pairs=pairs))
        hooks.append(conv.register_forward_hook(hook))
    try:
        with torch.no_grad():
            stack(frame["voxel_features"], frame["voxel_coords"], frame["spatial_shape"], frame["batch_size"])
    finally:
        for h in hooks:
            h.remove()
    return rows


def forward_gflop(work):
    return sum(2.0 * sum(r["pairs"]) * r["cin"] * r["cout"] for r in work) / 1e9


# ---------------------------------------------------------------------------------------------
# sgemm in the same process

def time_mm(m, k, n, repeat=5, min_s=0.05):
    """Median GFLOP/s of torch.mm([m, k], [k, n]) float32 per wall second and per process-CPU
    second (each sample loops until >= min_s of wall time): (wall rate, cpu rate)."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
    torch.mm(a, b)
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0, it = time.perf_counter(), time.process_time(), 0
        while True:
            torch.mm(a, b)
            it += 1
            dt = time.perf_counter() - t0
            if dt >= min_s:
                break
        flop = 2.0 * m * k * n * it / 1e9
        wall.append(flop / dt)
        cpu.append(flop / max(time.process_time() - c0, 1e-9))
    return statistics.median(wall), statistics.median(cpu)


def sgemm_at_workload(work):
    """GFLOP/s of torch.mm on the workload's per-offset GEMM shapes, FLOP-weighted (total FLOP /
    sum of each conv's FLOP / its shape's rate): the rate a pure GEMM of the same shapes reaches.
    Returns (wall rate, cpu rate, {shape: (wall rate, cpu rate)})."""
    total, wall_s, cpu_s, shapes = 0.0, 0.0, 0.0, {}
    for r in work:
        busy = [p for p in r["pairs"] if p > 0]
        if not busy:
            continue
        m = int(round(sum(busy) / len(busy)))
        key = (m, r["cin"], r["cout"])
        if key not in shapes:
            shapes[key] = time_mm(*key, repeat=3, min_s=0.02)
        flop = 2.0 * sum(busy) * r["cin"] * r["cout"] / 1e9
        total += flop
        wall_s += flop / shapes[key][0]
        cpu_s += flop / shapes[key][1]
    if not total:
        return None, None, {}
    return total / wall_s, total / cpu_s, {f"{m}x{k}x{n}": v for (m, k, n), v in shapes.items()}


# ---------------------------------------------------------------------------------------------
# One configuration (subprocess)

def kit_paths():
    """Which implementation each sparse op of the kit runs on CPU in this process."""
    from ascend_ops._dispatch import backend_mode, has_native_kernel
    mode = backend_mode()
    return {op: ("reference" if mode == "reference" or not has_native_kernel(op, "cpu") else "native")
            for op in SPARSE_OPS}


def worker(args):
    torch.set_num_threads(args.threads)
    from ascend_ops.datasets.lidar import make_frame
    from ascend_ops.sparse.backbones import VoxelResBackBone8x, init_weights
    from ascend_ops.sparse.engines import engine
    frame = make_frame(args.frame, args.seed)
    eng = engine(args.engine)
    stack = init_weights(VoxelResBackBone8x(eng, frame["voxel_features"].shape[1]), args.seed).train()
    feats, coords = frame["voxel_features"], frame["voxel_coords"]

    def step():
        stack.zero_grad(set_to_none=True)
        with eng.context():
            out, _ = stack(feats, coords, frame["spatial_shape"], frame["batch_size"])
            if args.mode == "fwdbwd":
                out.features.sum().backward()
        return out

    rss_setup = _maxrss_mb()
    load_before = os.getloadavg()
    step()                                   # warm-up (builds nothing persistent: maps are per call)
    walls, cpus, out = [], [], None
    for _ in range(args.repeat):
        out = None                           # the previous run's graph is freed before the next run
        w0, c0 = time.perf_counter(), time.process_time()
        out = step()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    rss_peak = _maxrss_mb()
    load_after = os.getloadavg()
    work = gemm_work(stack, frame)
    sg_work, sg_work_cpu, sg_shapes = sgemm_at_workload(work)
    sg_1024, sg_1024_cpu = time_mm(1024, 1024, 1024, repeat=3)
    res = dict(frame=args.frame, engine=args.engine, engine_version=eng.version(), threads=args.threads,
               mode=args.mode, n_voxels=int(coords.shape[0]), out_sites=int(out.indices.shape[0]),
               out_abs_sum=float(out.features.detach().double().abs().sum()),
               wall_s=statistics.median(walls), cpu_s=statistics.median(cpus), wall_all_s=walls, cpu_all_s=cpus,
               rss_setup_mb=rss_setup, rss_peak_mb=rss_peak, rss_delta_mb=rss_peak - rss_setup,
               loadavg_before=load_before, loadavg_after=load_after, fwd_gflop=forward_gflop(work),
               sgemm_workload_gflops=sg_work, sgemm_workload_gflops_cpu=sg_work_cpu,
               sgemm_shapes_gflops_wall_cpu=sg_shapes, sgemm_1024_gflops=sg_1024, sgemm_1024_gflops_cpu=sg_1024_cpu,
               conv_work=work)
    res["gflop"] = res["fwd_gflop"] * (3.0 if args.mode == "fwdbwd" else 1.0)
    res["gflops"] = res["gflop"] / res["wall_s"]
    res["gflops_cpu"] = res["gflop"] / res["cpu_s"]
    if args.engine == "kit":
        res["kit_paths"] = kit_paths()
    print("RESULT " + json.dumps(res), flush=True)


# ---------------------------------------------------------------------------------------------
# Driver

def run_config(frame, engine_name, threads, mode, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--frames", frame, "--engines", engine_name,
           "--threads", str(threads), "--modes", mode, "--repeat", str(args.repeat), "--seed", str(args.seed)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return dict(frame=frame, engine=engine_name, threads=threads, mode=mode, error=(p.stderr or p.stdout)[-2000:])


def summarize(results):
    """Per (frame, threads, mode): spconv time / kit time (x > 1: the kit is faster) and memory ratio."""
    by = {(r["frame"], r["threads"], r["mode"], r["engine"]): r for r in results if "error" not in r}
    rows = []
    for (frame, threads, mode, eng), kit in sorted(by.items()):
        if eng != "kit" or (frame, threads, mode, "spconv") not in by:
            continue
        sp = by[(frame, threads, mode, "spconv")]
        rows.append(dict(frame=frame, threads=threads, mode=mode, speedup_wall=sp["wall_s"] / kit["wall_s"],
                         speedup_cpu=sp["cpu_s"] / kit["cpu_s"], rss_delta_ratio=kit["rss_delta_mb"] / max(
                             sp["rss_delta_mb"], 1e-9), same_out_sites=kit["out_sites"] == sp["out_sites"],
                         same_fwd_gflop=abs(kit["fwd_gflop"] - sp["fwd_gflop"]) < 1e-9))
    return rows


def print_table(results, file=sys.stdout):
    head = ("frame", "voxels", "thr", "mode", "engine", "wall s", "cpu s", "GFLOP/s wall", "GFLOP/s cpu",
            "sgemm@shapes wall/cpu", "sgemm 1024^3 wall/cpu", "peak RSS MB", "delta MB", "load")
    cells = [head]
    for r in results:
        if "error" in r:
            cells.append((r["frame"], "-", str(r["threads"]), r["mode"], r["engine"], "ERROR") + ("",) * 8)
            continue
        cells.append((r["frame"], str(r["n_voxels"]), str(r["threads"]), r["mode"], r["engine"], f"{r['wall_s']:.3f}",
                      f"{r['cpu_s']:.3f}", f"{r['gflops']:.1f}", f"{r['gflops_cpu']:.1f}",
                      f"{r['sgemm_workload_gflops']:.1f}/{r.get('sgemm_workload_gflops_cpu') or float('nan'):.1f}",
                      f"{r['sgemm_1024_gflops']:.1f}/{r.get('sgemm_1024_gflops_cpu') or float('nan'):.1f}", f"{r['rss_peak_mb']:.0f}", f"{r['rss_delta_mb']:.0f}",
                      f"{r['loadavg_before'][0]:.1f}"))
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for n, c in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip(), file=file)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=file)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", default="kitti,waymo", help="comma-separated LiDAR presets")
    p.add_argument("--engines", default="kit,spconv")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--modes", default="fwd,fwdbwd")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per configuration (median)")
    p.add_argument("--seed", type=int, default=0, help="frame and weights")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per configuration subprocess")
    p.add_argument("--json", help="write results, environment and git commit here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        args.frame, args.engine, args.threads, args.mode = args.frames, args.engines, int(args.threads), args.modes
        return worker(args)
    results = []
    for frame in args.frames.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            for mode in args.modes.split(","):
                for eng in args.engines.split(","):
                    r = run_config(frame, eng, threads, mode, args)
                    results.append(r)
                    if "error" in r:
                        print(f"[bench] {frame} {eng} {threads}t {mode}: ERROR {r['error'][-300:]}", file=sys.stderr)
                    else:
                        print(f"[bench] {frame} {eng} {threads}t {mode}: wall {r['wall_s']:.3f} s, cpu {r['cpu_s']:.3f} s, "
                              f"{r['gflops']:.1f} GFLOP/s, peak RSS {r['rss_peak_mb']:.0f} MB "
                              f"(+{r['rss_delta_mb']:.0f}), load {r['loadavg_before'][0]:.1f}",
                              file=sys.stderr, flush=True)
    print_table(results)
    summary = summarize(results)
    for s in summary:
        print(f"{s['frame']} {s['threads']}t {s['mode']}: spconv/kit wall {s['speedup_wall']:.2f}x, cpu "
              f"{s['speedup_cpu']:.2f}x, kit/spconv peak-RSS delta {s['rss_delta_ratio']:.2f}")
    if args.json:
        sys.path.insert(0, ROOT)
        from ascend_ops.cli.bench import environment
        meta = dict(environment(["cpu"]), machine=platform.processor() or platform.machine(),
                    loadavg_end=os.getloadavg(), argv=sys.argv[1:])
        try:
            import spconv
            import cumm
            meta.update(spconv=spconv.__version__, cumm=cumm.__version__)
        except Exception:
            meta.update(spconv=None)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, results=results, summary=summary), f, indent=2)
        print(f"wrote {args.json}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
