"""Sparse4D adapter for the shared launcher (docs/paired-runs.md).

All config changes go into an mmcv overlay config written to the work dir (`_base_` = the
upstream config, untouched). Schedule values that the upstream config derives from
`total_batch_size` (iterations per epoch, checkpoint interval) are recomputed for the actual
global batch. `--cfg ak_overlay=FILE.json` merges a JSON file of dotted overrides first (e.g.
test/smoke_cpu.json); explicit `--cfg KEY=VALUE` options win over it.
"""
import ast
import os

import ak_overrides

MODEL = "Sparse4D"
UPSTREAM_REPO = "https://github.com/HorizonRobotics/Sparse4D"
UPSTREAM_COMMIT = "c41df4bbf7bc82490f11ff55173abfcb3fb91425"
TRAIN_LOG_FORMAT = "mmcv"
EVAL_LOG_FORMAT = "kit"          # the patched tools/test.py prints "[ascend-kit] metric NDS=..."
METRICS = ["mAP", "NDS"]
DEFAULTS = {"batch_size": 6, "performance_batch_size": 12, "performance_max_steps": 500,
            "warmup_steps": 5, "config": "projects/configs/sparse4dv3_temporal_r50_1x8_bs6_256x704.py"}
TRAIN_SAMPLES = 28130            # nuScenes train samples, as in the upstream config
NUM_EPOCHS = 100
CHECKPOINT_EPOCHS = 20


def _value(text):
    if not isinstance(text, str):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _overrides(ctx):
    """Dotted overrides: schedule for the global batch, device-specific, then user's."""
    user = dict(ctx.overrides)
    layered = {}
    overlay = user.pop("ak_overlay", None)
    if overlay:
        path = overlay if os.path.isabs(overlay) else os.path.join(ctx.model_dir, overlay)
        if not os.path.isfile(path):
            raise ValueError(f"--cfg ak_overlay={overlay}: {path} does not exist")
        from ascend_ops._io import JSONFileError, read_json
        try:
            data = read_json(path)
        except JSONFileError as e:
            raise ValueError(f"--cfg ak_overlay={overlay}: {e}") from None
        if not isinstance(data, dict):
            raise ValueError(f"--cfg ak_overlay={overlay}: {path} must hold a JSON object of dotted keys to "
                             f"values, got {type(data).__name__}")
        layered.update({k: v for k, v in data.items() if not k.startswith("_")})
    d = {"data.samples_per_gpu": ctx.batch_size, "data.workers_per_gpu": min(ctx.batch_size, 6)}
    if ctx.max_steps:
        d.update({"runner.max_iters": ctx.max_steps, "checkpoint_config.interval": ctx.max_steps,
                  "evaluation.interval": ctx.max_steps})
    else:
        per_epoch = TRAIN_SAMPLES // ctx.global_batch
        d.update({"runner.max_iters": per_epoch * NUM_EPOCHS,
                  "checkpoint_config.interval": per_epoch * CHECKPOINT_EPOCHS,
                  "evaluation.interval": per_epoch * CHECKPOINT_EPOCHS})
    if ctx.mode == "performance" or (ctx.max_steps and ctx.max_steps < 500):
        d["log_config.interval"] = 1           # every step logged for step-time statistics
    if ctx.device == "cpu":
        d["fp16"] = None                       # mmcv fp16 (half model + GradScaler) needs a GPU/NPU
    d.update(layered)
    d.update({k: _value(v) for k, v in user.items()})
    return d


def overlay_path(ctx):
    return os.path.join(ctx.work_dir, "ak_sparse4d_config.py")


def _base_config(ctx):
    return ctx.config if os.path.isabs(ctx.config) else os.path.join(ctx.upstream_dir or ".", ctx.config)


def train_command(ctx):
    return ["tools/train.py", overlay_path(ctx), "--launcher", "pytorch", "--work-dir", ctx.work_dir,
            "--seed", str(ctx.seed), "--no-validate"] + list(ctx.extra_args)


def eval_command(ctx):
    return ["tools/test.py", overlay_path(ctx), os.path.join(ctx.work_dir, "latest.pth"),
            "--launcher", "pytorch", "--eval", "bbox"]


def cwd(ctx):
    return ctx.upstream_dir or ctx.model_dir


def env(ctx):
    # the plugin is imported as `projects.mmdet3d_plugin` from the checkout root
    root = ctx.upstream_dir or ctx.model_dir
    return {"PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}


def check(ctx):
    """Validate the checkout, then write the overlay config (not done by --dry-run)."""
    if not ctx.upstream_dir:
        raise ValueError("--upstream-dir (or AK_UPSTREAM_DIR) must point to the patched Sparse4D checkout "
                         "(model_examples/Sparse4D/install.sh --upstream DIR)")
    marker = os.path.join(ctx.upstream_dir, "projects", "mmdet3d_plugin", "ops", "__init__.py")
    if not os.path.isfile(marker):
        raise ValueError(f"{ctx.upstream_dir} is not a Sparse4D checkout ({marker} missing)")
    with open(marker, encoding="utf-8") as f:
        if "ascend_ops" not in f.read():
            raise ValueError(f"{ctx.upstream_dir} is not patched: run ascend-kit port Sparse4D --upstream "
                             f"{ctx.upstream_dir}")
    ak_overrides.write_mmcv_overlay(_base_config(ctx), _overrides(ctx), overlay_path(ctx))
