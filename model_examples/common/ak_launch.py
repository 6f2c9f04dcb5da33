"""Shared launcher behind every model's test/train_*.sh (see docs/paired-runs.md).

    python ak_launch.py {full|performance|multi} ADAPTER.py [named arguments] [-- upstream args]

It resolves the device, sets the per-device environment (one place: device_env), runs the
adapter's training (and, for accuracy runs, evaluation) command under torchrun through
ak_entry.py, parses the logs with ascend_ops.results.parsers and writes one JSON result.
"""
import argparse
import glob
import importlib.util
import json
import math
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ENTRY = os.path.join(HERE, "ak_entry.py")
KIT_ROOT = os.path.dirname(os.path.dirname(HERE))
REQUIRED = ("MODEL", "UPSTREAM_REPO", "UPSTREAM_COMMIT", "TRAIN_LOG_FORMAT", "EVAL_LOG_FORMAT",
            "METRICS", "DEFAULTS", "train_command", "eval_command")

# Per-device environment, the only place it is set. A variable already exported wins.
DEVICE_ENV = {
    "npu": {"TASK_QUEUE_ENABLE": "2", "CPU_AFFINITY_CONF": "1", "HCCL_CONNECT_TIMEOUT": "1200",
            "HCCL_EXEC_TIMEOUT": "1200", "HCCL_WHITELIST_DISABLE": "1", "COMBINED_ENABLE": "1"},
    "cuda": {"NCCL_ASYNC_ERROR_HANDLING": "1", "NCCL_DEBUG": "WARN"},
    "cpu": {"OMP_NUM_THREADS": "1"},
}


class LaunchError(RuntimeError):
    """A launcher argument or adapter problem; the message says what to fix."""


class Context:
    """What an adapter sees (read-only by convention); see docs/paired-runs.md."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items()}


# ------------------------------------------------------------------ arguments

class _Parser(argparse.ArgumentParser):
    """Usage errors are one line (`prog: error: message`), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(mode, model):
    p = _Parser(
        prog=f"{model} {mode}",
        description={"full": "Accuracy run: full schedule (or --max-steps), then evaluation.",
                     "performance": "Throughput run: bounded steps, no evaluation.",
                     "multi": "Run on several nodes; start the same command on every node."}[mode],
        epilog="Every run writes one JSON result (docs/results-schema.md). Arguments after '--' "
               "go unchanged to the upstream training script.")
    a = p.add_argument
    a("--device", default="auto", choices=["npu", "cuda", "cpu", "auto"],
      help="device type; auto = npu, else cuda, else cpu (default auto)")
    a("--num-devices", "--num-npu", dest="num_devices", type=int, default=8,
      help="processes (devices) per node (default 8)")
    a("--batch-size", type=int, default=None, help="batch per device (default: the adapter's)")
    a("--max-steps", type=int, default=None,
      help="optimizer steps to run (performance default: the adapter's; full default: the schedule)")
    a("--work-dir", default=None, help="output folder (default work_dirs/<model>_<mode>_<device>)")
    a("--seed", type=int, default=0, help="seed for python, numpy and torch on every rank (default 0)")
    a("--precision", default="strict", choices=["strict", "fast"],
      help="strict = fp32 (NPU allow_hf32 and GPU TF32 off, default); fast = hf32/TF32 on")
    a("--warmup-steps", type=int, default=None, help="logged steps left out of step-time statistics")
    a("--config", default=None, help="upstream config file (default: the adapter's); never edited")
    a("--upstream-dir", default=os.environ.get("AK_UPSTREAM_DIR"),
      help="upstream checkout to run in (default $AK_UPSTREAM_DIR)")
    a("--cfg", action="append", default=[], metavar="KEY=VALUE",
      help="config override passed through the framework's override mechanism (repeatable)")
    a("--nnodes", type=int, default=1, help="number of nodes (default 1)")
    a("--node-rank", type=int, default=0 if mode != "multi" else None, help="this node's rank (0-based)")
    a("--master-addr", default="127.0.0.1" if mode != "multi" else None, help="address of node 0")
    a("--master-port", type=int, default=None, help="rendezvous port (default: a free port; multi: 29500)")
    a("--result", default=None, help="result file (default <work-dir>/result.json)")
    a("--idle-timeout", type=float, default=3600, metavar="SECONDS",
      help="stop the run when the ranks print nothing for this long (a hang); 0 = never (default 3600)")
    a("--dry-run", action="store_true", help="print environment and commands, run nothing")
    if mode == "multi":
        a("--mode", default="full", choices=["full", "performance"], help="run kind (default full)")
    return p


def _positive(name, value, minimum=1):
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise LaunchError(f"--{name} must be a finite number >= {minimum}, got {value}")
    if value < minimum:
        raise LaunchError(f"--{name} must be >= {minimum}, got {value}")


def _parse_cfg(items):
    out = {}
    for item in items:
        if "=" not in item or not item.split("=", 1)[0]:
            raise LaunchError(f"--cfg expects KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def load_adapter(path):
    if not os.path.isfile(path):
        raise LaunchError(f"adapter {path!r} does not exist")
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    spec = importlib.util.spec_from_file_location("ak_adapter", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [n for n in REQUIRED if not hasattr(module, n)]
    if missing:
        raise LaunchError(f"adapter {path} lacks {', '.join(missing)} (see docs/paired-runs.md)")
    return module


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_context(mode, adapter_path, argv):
    adapter = load_adapter(adapter_path)
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    else:
        extra = []
    args = build_parser(mode, adapter.MODEL).parse_args(argv)
    run_mode = args.mode if mode == "multi" else mode
    if mode == "multi":
        for name in ("node_rank", "master_addr"):
            if getattr(args, name) is None:
                raise LaunchError(f"--{name.replace('_', '-')} is required for a multi-node run")
        if args.master_port is None:
            args.master_port = 29500
    for name in ("num_devices", "nnodes", "batch_size", "max_steps"):
        _positive(name.replace("_", "-"), getattr(args, name))
    _positive("warmup-steps", args.warmup_steps, 0)
    _positive("seed", args.seed, 0)
    _positive("idle-timeout", args.idle_timeout, 0)
    if not 0 <= args.node_rank < args.nnodes:
        raise LaunchError(f"--node-rank must be in [0, {args.nnodes}), got {args.node_rank}")

    from ascend_ops import device as akdev
    if args.device == "auto" or not args.dry_run:
        try:
            device = akdev.resolve_device_type(args.device)
        except (ValueError, RuntimeError) as e:
            raise LaunchError(f"--device: {e}") from None
    else:
        device = args.device
    d = adapter.DEFAULTS
    perf = run_mode == "performance"
    batch = args.batch_size or (d.get("performance_batch_size") if perf else None) or d.get("batch_size")
    if not batch:
        raise LaunchError("--batch-size is required (the adapter has no default)")
    max_steps = args.max_steps or (d.get("performance_max_steps") if perf else None)
    if perf and not max_steps:
        raise LaunchError("--max-steps is required for a performance run (the adapter has no default)")
    work_dir = os.path.abspath(args.work_dir or os.path.join(
        "work_dirs", f"{adapter.MODEL}_{run_mode}_{device}"))
    world = args.num_devices * args.nnodes
    ctx = Context(
        mode=run_mode, device=device, backend=akdev.DIST_BACKENDS[device], num_devices=args.num_devices,
        nnodes=args.nnodes, node_rank=args.node_rank, world_size=world, batch_size=batch,
        global_batch=batch * world, max_steps=max_steps,
        warmup_steps=args.warmup_steps if args.warmup_steps is not None else d.get("warmup_steps", 5),
        work_dir=work_dir, seed=args.seed, precision=args.precision,
        config=args.config or d.get("config"),
        upstream_dir=os.path.abspath(args.upstream_dir) if args.upstream_dir else None,
        model_dir=os.path.dirname(os.path.dirname(os.path.abspath(adapter_path))),
        overrides=_parse_cfg(args.cfg), extra_args=extra,
        master_addr=args.master_addr, master_port=args.master_port or free_port(),
        result_path=os.path.abspath(args.result or os.path.join(work_dir, "result.json")),
        idle_timeout=args.idle_timeout or None, dry_run=args.dry_run, model=adapter.MODEL)
    return adapter, ctx


# ------------------------------------------------------------------ environment and commands

def device_env(ctx, base=None):
    """(full environment for the ranks, {name: value actually used} of the kit's variables)."""
    env = dict(os.environ if base is None else base)
    used = {}
    for k, v in DEVICE_ENV[ctx.device].items():
        env.setdefault(k, v)
        used[k] = env[k]
    kit = {"ASCEND_KIT_DEVICE": ctx.device, "ASCEND_KIT_DIST_BACKEND": ctx.backend,
           "ASCEND_KIT_PRECISION": ctx.precision, "ASCEND_KIT_SEED": str(ctx.seed),
           "ASCEND_KIT_WORK_DIR": ctx.work_dir, "ASCEND_KIT_BATCH_SIZE": str(ctx.batch_size),
           "ASCEND_KIT_MAX_STEPS": str(ctx.max_steps or "")}
    env.update(kit)
    used.update(kit)
    env["PYTHONUNBUFFERED"] = "1"
    return env, used


def torchrun(ctx, argv):
    if not isinstance(argv, (list, tuple)) or not argv or not all(isinstance(a, str) for a in argv):
        raise LaunchError(f"adapter command must be a non-empty list of strings, got {argv!r}")
    return [sys.executable, "-m", "torch.distributed.run", f"--nnodes={ctx.nnodes}",
            f"--nproc-per-node={ctx.num_devices}", f"--node-rank={ctx.node_rank}",
            f"--master-addr={ctx.master_addr}", f"--master-port={ctx.master_port}",
            ENTRY] + list(argv)


def adapter_env(adapter, ctx):
    extra = adapter.env(ctx) if hasattr(adapter, "env") else {}
    return {str(k): str(v) for k, v in (extra or {}).items()}


def run_cwd(adapter, ctx):
    if hasattr(adapter, "cwd"):
        return adapter.cwd(ctx)
    return ctx.upstream_dir or ctx.model_dir


class Interrupted(Exception):
    pass


class Hung(Exception):
    """The ranks printed nothing for longer than --idle-timeout; they were stopped."""


def _pump(stream, lines):
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_logged(cmd, env, cwd, log_path, idle_timeout=None):
    """Run cmd in its own process group, echo and capture its output; return the exit status.
    On SIGINT/SIGTERM the whole group is stopped and Interrupted is raised; when it prints
    nothing for idle_timeout seconds (None: no limit) it is stopped and Hung is raised."""
    with open(log_path, "w", encoding="utf-8") as log:
        proc = None
        try:
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    start_new_session=True, text=True, errors="replace", bufsize=1)
            lines = queue.Queue()
            threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
            last = time.monotonic()
            while True:
                try:
                    line = lines.get(timeout=1.0)
                except queue.Empty:
                    if idle_timeout and time.monotonic() - last > idle_timeout:
                        _stop(proc)
                        raise Hung() from None
                    continue
                if line is None:
                    break
                last = time.monotonic()
                sys.stdout.write(line)
                log.write(line)
                log.flush()
            try:  # output closed: the group is exiting
                return proc.wait(timeout=idle_timeout)
            except subprocess.TimeoutExpired:
                _stop(proc)
                raise Hung() from None
        except (KeyboardInterrupt, Interrupted):
            if proc is not None:
                _stop(proc)
            raise Interrupted() from None


def _stop(proc):
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def pick_log(adapter, ctx, which):
    default = os.path.join(ctx.work_dir, f"ak_{which}.log")
    fn = getattr(adapter, f"{which}_log", None)
    if fn is None:
        return default
    pattern = fn(ctx)
    if not any(c in pattern for c in "*?["):
        return pattern
    matches = sorted(glob.glob(pattern), key=os.path.getmtime)
    if not matches:
        raise LaunchError(f"no {which} log matches {pattern!r}")
    return matches[-1]


# ------------------------------------------------------------------ result

def _read_rank0(ctx):
    path = os.path.join(ctx.work_dir, "ak_train_rank0.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def build_result(adapter, ctx, status, error, train, metrics, wall, commands, env_used, logs):
    from ascend_ops import __version__
    from ascend_ops.results import writer
    rank0 = _read_rank0(ctx)
    up_commit, up_dirty = writer.git_commit(ctx.upstream_dir)
    kit_commit, kit_dirty = writer.git_commit(KIT_ROOT)
    steps = train.steps if train else []
    stats = writer.step_time_stats(steps, ctx.warmup_steps) if train and train.step_unit == "step" else None
    env = dict(rank0["environment"]) if rank0 else writer.collect_environment(ctx.device)
    env["launch_env"] = env_used
    flags = rank0["precision_flags"] if rank0 else {}
    precision = {"mode": ctx.precision, "flags": flags,
                 "float32_matmul_precision": rank0.get("float32_matmul_precision") if rank0 else None,
                 "recorded_by": "ak_train_rank0.json" if rank0 else None}
    if rank0 and "precision_flags_at_exit" in rank0:
        precision["flags_at_exit"] = rank0["precision_flags_at_exit"]
        precision["changed_during_run"] = rank0["precision_flags_at_exit"] != flags
    import ascend_ops.device as akdev
    return {
        "schema_version": 1, "status": status, "error": error,
        "kind": "accuracy" if ctx.mode == "full" else "performance",
        "model": adapter.MODEL,
        "upstream": {"repo": adapter.UPSTREAM_REPO, "commit": up_commit or adapter.UPSTREAM_COMMIT,
                     "pinned_commit": adapter.UPSTREAM_COMMIT, "checkout": ctx.upstream_dir,
                     "dirty": up_dirty},
        "kit": {"version": __version__, "commit": kit_commit, "dirty": kit_dirty},
        "device": {"type": ctx.device,
                   "name": rank0["device_name"] if rank0 else akdev.device_name(ctx.device),
                   "per_node": ctx.num_devices, "nodes": ctx.nnodes, "world_size": ctx.world_size,
                   "backend": ctx.backend},
        "batch": {"per_device": ctx.batch_size, "global": ctx.global_batch},
        "steps": {"max_steps": ctx.max_steps, "completed": steps[-1].step if steps else None,
                  "logged": len(steps), "total_in_log": train.total_steps if train else None,
                  "warmup_excluded": ctx.warmup_steps, "unit": train.step_unit if train else "step"},
        "step_time_s": stats,
        "throughput_samples_per_s": ctx.global_batch / stats["median"] if stats and stats["median"] > 0 else None,
        "loss_curve": writer.loss_curve(steps),
        "final_metrics": metrics,
        "metric_units": writer.metric_units(metrics),
        "wall_time_s": wall,
        "environment": env,
        "precision": precision,
        "seed": ctx.seed,
        "logs": logs,
        "command": commands,
        "created_utc": writer.utc_now(),
    }


def _parse(adapter, ctx, logs):
    from ascend_ops.results import parse_train_log, parse_eval_log
    train = parse_train_log(adapter.TRAIN_LOG_FORMAT, logs["train"])
    metrics = {}
    if ctx.mode == "full":
        metrics.update(train.metrics)
        if logs.get("eval"):
            if not adapter.EVAL_LOG_FORMAT:
                raise LaunchError("adapter has an eval_command but EVAL_LOG_FORMAT is None")
            metrics.update(parse_eval_log(adapter.EVAL_LOG_FORMAT, logs["eval"]))
        missing = [m for m in adapter.METRICS if m not in metrics]
        if missing:
            where = logs.get("eval") or logs["train"]
            raise LaunchError(f"{where}: final metrics {missing} not found (found: {sorted(metrics) or 'none'})")
    return train, metrics


# ------------------------------------------------------------------ main

def _one_line(exc):
    """An exception as one line: OS errors with their path, others by their message."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def _check_writable(ctx):
    """Create the work dir and check that the result's folder takes files (before a long run)."""
    try:
        os.makedirs(ctx.work_dir, exist_ok=True)
        os.makedirs(os.path.dirname(ctx.result_path), exist_ok=True)
    except OSError as e:
        raise LaunchError(f"--work-dir/--result: cannot create {e.filename}: {e.strerror}") from None
    for flag, folder in (("--work-dir", ctx.work_dir), ("--result", os.path.dirname(ctx.result_path))):
        if not os.access(folder, os.W_OK):
            raise LaunchError(f"{flag}: {folder} is not writable")
    if os.path.isdir(ctx.result_path):
        raise LaunchError(f"--result: {ctx.result_path} is a folder")


def main(argv):
    if len(argv) < 2 or argv[0] not in ("full", "performance", "multi"):
        print("usage: ak_launch.py {full|performance|multi} ADAPTER.py [arguments]  (--help for all)",
              file=sys.stderr)
        return 2
    mode, adapter_path = argv[0], argv[1]
    try:
        adapter, ctx = make_context(mode, adapter_path, argv[2:])
        env, env_used = device_env(ctx)
        extra_env = adapter_env(adapter, ctx)
        env.update(extra_env)
        env_used.update(extra_env)
        train_cmd = torchrun(ctx, adapter.train_command(ctx))
        eval_argv = adapter.eval_command(ctx) if ctx.mode == "full" else None
        eval_cmd = None
        if eval_argv:
            eval_cmd = (torchrun(ctx, eval_argv) if getattr(adapter, "EVAL_DISTRIBUTED", True)
                        else [sys.executable, ENTRY] + list(eval_argv))
        cwd = run_cwd(adapter, ctx)
    except LaunchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    commands = {"train": train_cmd, "eval": eval_cmd, "cwd": cwd}
    if ctx.dry_run:
        print(f"# {ctx.model} {ctx.mode} run on {ctx.device} ({ctx.backend}), {ctx.nnodes} node(s) x "
              f"{ctx.num_devices} device(s), batch {ctx.batch_size}/device = {ctx.global_batch} global, "
              f"max_steps {ctx.max_steps or 'schedule'}, precision {ctx.precision}, seed {ctx.seed}")
        for k, v in sorted(env_used.items()):
            print(f"export {k}={shlex.quote(v)}")
        print(f"cd {shlex.quote(cwd)}")
        print("# train:\n" + shlex.join(train_cmd))
        if eval_cmd:
            print("# eval:\n" + shlex.join(eval_cmd))
        print(f"# result: {ctx.result_path}")
        return 0
    try:
        _check_writable(ctx)
        if hasattr(adapter, "check"):
            adapter.check(ctx)
    except (ValueError, OSError, LaunchError) as e:   # a missing --config, a malformed overlay, ...
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_term)

    logs = {"train": os.path.join(ctx.work_dir, "ak_train.log"), "eval": None}
    status, error, rc, train, metrics = "ok", None, 0, None, {}
    t0 = time.time()
    phase = "training"
    try:
        rc = run_logged(train_cmd, dict(env, ASCEND_KIT_PHASE="train"), cwd, logs["train"], ctx.idle_timeout)
        if rc != 0:
            status, error = "failed", f"training exited with status {rc} (log: {logs['train']})"
        elif eval_cmd:
            phase = "evaluation"
            logs["eval"] = os.path.join(ctx.work_dir, "ak_eval.log")
            rc = run_logged(eval_cmd, dict(env, ASCEND_KIT_PHASE="eval"), cwd, logs["eval"], ctx.idle_timeout)
            if rc != 0:
                status, error = "failed", f"evaluation exited with status {rc} (log: {logs['eval']})"
    except Hung:
        log = logs["eval"] if phase == "evaluation" else logs["train"]
        status, rc = "failed", 124
        error = (f"{phase} printed nothing for {ctx.idle_timeout:g} s (--idle-timeout): stopped every rank as "
                 f"hung (log: {log})")
    except (Interrupted, KeyboardInterrupt):
        status, error, rc = "interrupted", "interrupted by a signal", 130
    finally:  # from here on a signal ends the launcher; the result is written atomically anyway
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    wall = time.time() - t0
    if ctx.node_rank != 0:
        print(f"node {ctx.node_rank}: done (status {status}); node 0 writes the result")
        return rc
    try:
        logs["train"] = pick_log(adapter, ctx, "train")
        if logs["eval"]:
            logs["eval"] = pick_log(adapter, ctx, "eval")
        train, metrics = _parse(adapter, ctx, logs)
    except (LaunchError, ValueError) as e:  # LogParseError is a ValueError
        if status == "ok":
            status, error, rc = "failed", str(e), 1
        else:
            error = f"{error}; {e}"
    from ascend_ops.results import ResultError, write_result
    result = build_result(adapter, ctx, status, error, train, metrics, wall, commands, env_used, logs)
    try:
        write_result(result, ctx.result_path)
    except (OSError, ResultError) as e:   # a full disk, a folder that became unwritable
        print(f"error: --result: cannot write {ctx.result_path}: {_one_line(e)}", file=sys.stderr)
        return rc or 2
    print(f"result: {ctx.result_path} (status {status})")
    if error:
        print(f"error: {error}", file=sys.stderr)
    if status == "ok" and result["step_time_s"]:
        st = result["step_time_s"]
        print(f"step time median {st['median']:.4f}s (p10 {st['p10']:.4f}, p90 {st['p90']:.4f}), "
              f"throughput {result['throughput_samples_per_s']:.2f} samples/s")
    for k, v in metrics.items():
        print(f"metric {k}: {v:.4f}")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
