"""Per-rank wrapper that torchrun starts: `ak_entry.py SCRIPT [ARGS...]`.

Before running SCRIPT as `__main__` it seeds every generator (ASCEND_KIT_SEED), selects the
local device, pins the reduced-precision flags for the whole run (ASCEND_KIT_PRECISION:
strict = fp32, fast = NPU hf32 / GPU TF32) with ascend_ops.device.precision, and writes
`$ASCEND_KIT_WORK_DIR/ak_<PHASE>_rank<RANK>.json` (PHASE = ASCEND_KIT_PHASE: train or eval) with the flags at start and at exit, the device
name and the versions. Nothing is patched in the user's code.
"""
import json
import os
import runpy
import sys


def _write(path, record):
    from ascend_ops._io import atomic_write
    text = json.dumps(record, indent=2, default=str)
    with atomic_write(path, "w") as f:
        f.write(text)


def main(argv):
    if not argv:
        sys.exit("usage: ak_entry.py SCRIPT [ARGS...]  (started by the ascend-kit launcher)")
    script = os.path.abspath(argv[0])
    if not os.path.isfile(script):
        sys.exit(f"ak_entry: training script {script!r} does not exist")
    try:
        device_type = os.environ["ASCEND_KIT_DEVICE"]
        mode = os.environ["ASCEND_KIT_PRECISION"]
        seed = int(os.environ["ASCEND_KIT_SEED"])
        work_dir = os.environ["ASCEND_KIT_WORK_DIR"]
    except KeyError as e:
        sys.exit(f"ak_entry: environment variable {e.args[0]} is not set (run through ak_launch.py)")
    if mode not in ("strict", "fast"):
        sys.exit(f"ak_entry: ASCEND_KIT_PRECISION must be strict or fast, got {mode!r}")

    import torch
    from ascend_ops import device as akdev
    from ascend_ops.results.writer import collect_environment, utc_now

    rank, local_rank = int(os.environ.get("RANK", 0)), int(os.environ.get("LOCAL_RANK", 0))
    akdev.seed_all(seed)
    if device_type in ("npu", "cuda"):
        akdev.set_device(f"{device_type}:{local_rank}")
    if mode == "strict":
        torch.set_float32_matmul_precision("highest")
    phase = os.environ.get("ASCEND_KIT_PHASE", "train")
    record_path = os.path.join(work_dir, f"ak_{phase}_rank{rank}.json")
    with akdev.precision(device_type, allow_tf32=(mode == "fast")) as flags:
        record = {"rank": rank, "local_rank": local_rank, "pid": os.getpid(), "world_size": int(os.environ.get("WORLD_SIZE", 1)),
                  "device_type": device_type, "device_name": akdev.device_name(device_type),
                  "precision_mode": mode, "precision_flags": dict(flags),
                  "float32_matmul_precision": torch.get_float32_matmul_precision(),
                  "environment": collect_environment(device_type), "started_utc": utc_now(),
                  "script": script, "argv": argv[1:]}
        _write(record_path, record)
        sys.argv = [script] + list(argv[1:])
        sys.path[0] = os.path.dirname(script)
        try:
            runpy.run_path(script, run_name="__main__")
        finally:
            record["precision_flags_at_exit"] = akdev.precision_flags(device_type)
            record["finished_utc"] = utc_now()
            _write(record_path, record)


if __name__ == "__main__":
    main(sys.argv[1:])
