"""Device layer: one place that knows about npu (torch_npu), cuda and cpu.

Importing this module changes nothing in torch. `torch_npu` is imported only when an NPU is
asked for or probed, and CUDA calls are never redirected to the NPU unless
`enable_cuda_to_npu()` is called explicitly.
"""
import contextlib
import os
import random
import time

import numpy as np
import torch

DIST_BACKENDS = {"npu": "hccl", "cuda": "nccl", "cpu": "gloo"}
_npu_probe = None


def npu_available():
    """True when torch_npu imports and sees at least one NPU. Probed once, lazily."""
    global _npu_probe
    if _npu_probe is None:
        try:
            import torch_npu  # noqa: F401
            _npu_probe = bool(torch.npu.is_available())
        except Exception:  # ImportError, or torch_npu failing without CANN
            _npu_probe = False
    return _npu_probe


def available_device_types():
    """Device types usable in this process, fastest first, e.g. ['cuda', 'cpu']."""
    types = []
    if npu_available():
        types.append("npu")
    if torch.cuda.is_available():
        types.append("cuda")
    types.append("cpu")
    return types


def default_device_type():
    """'npu' if present, else 'cuda' if present, else 'cpu'. ASCEND_KIT_DEVICE overrides."""
    forced = os.environ.get("ASCEND_KIT_DEVICE")
    if forced:
        return resolve_device_type(forced)
    return available_device_types()[0]


def resolve_device_type(name):
    """Map 'auto' | 'npu' | 'cuda' | 'cpu' to an available device type, or raise ValueError."""
    if name in (None, "auto"):
        return available_device_types()[0]
    if name not in DIST_BACKENDS:
        raise ValueError(f"device must be one of auto, npu, cuda, cpu; got {name!r}")
    if name not in available_device_types():
        raise RuntimeError(f"device {name!r} was asked for but is not available here "
                           f"(available: {', '.join(available_device_types())})")
    return name


def dist_backend(device_type=None):
    """torch.distributed backend for a device type: npu->hccl, cuda->nccl, cpu->gloo."""
    return DIST_BACKENDS[device_type or default_device_type()]


def _module(device_type):
    if device_type == "npu":
        import torch_npu  # noqa: F401
        return torch.npu
    if device_type == "cuda":
        return torch.cuda
    return None


def set_device(device):
    """Make `device` (e.g. 'npu:3', torch.device('cuda', 1)) current for its backend."""
    device = torch.device(device)
    mod = _module(device.type)
    if mod is not None and device.index is not None:
        mod.set_device(device.index)
    return device


def synchronize(device=None):
    """Wait for all queued work on `device` (default: the default device type)."""
    dtype = torch.device(device).type if device is not None else default_device_type()
    mod = _module(dtype)
    if mod is not None:
        mod.synchronize()


def seed_all(seed, deterministic=False):
    """Seed python, numpy and torch on every device; optionally request deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds cuda and npu generators too
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


class Timer:
    """Device-event timing: `with Timer(device) as t: ...; t.ms`. Falls back to a host clock
    with a device synchronize on cpu (where there are no events)."""

    def __init__(self, device=None):
        self.device_type = torch.device(device).type if device is not None else default_device_type()
        self.ms = None

    def __enter__(self):
        mod = _module(self.device_type)
        if mod is not None:
            self._start, self._end = mod.Event(enable_timing=True), mod.Event(enable_timing=True)
            self._start.record()
        else:
            self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        mod = _module(self.device_type)
        if mod is not None:
            self._end.record()
            self._end.synchronize()
            self.ms = self._start.elapsed_time(self._end)
        else:
            self.ms = (time.perf_counter() - self._t0) * 1e3
        return False


def memory_stats(device=None):
    """{'allocated_mb', 'max_allocated_mb', 'reserved_mb'} for npu/cuda; {} on cpu."""
    dtype = torch.device(device).type if device is not None else default_device_type()
    mod = _module(dtype)
    if mod is None:
        return {}
    mb = 1024.0 ** 2
    return {"allocated_mb": mod.memory_allocated() / mb,
            "max_allocated_mb": mod.max_memory_allocated() / mb,
            "reserved_mb": mod.memory_reserved() / mb}


def device_name(device_type=None):
    dtype = device_type or default_device_type()
    mod = _module(dtype)
    if mod is None:
        import platform
        return platform.processor() or platform.machine()
    return mod.get_device_name()


def enable_cuda_to_npu():
    """Opt-in: let unmodified CUDA code run on NPU (torch_npu's transfer_to_npu).
    Process-wide and irreversible, so never done implicitly."""
    from torch_npu.contrib import transfer_to_npu  # noqa: F401


@contextlib.contextmanager
def precision(device_type, allow_tf32=False):
    """Pin reduced-precision matmul/conv flags for a run (NPU hf32, GPU tf32); restore after."""
    saved = []
    if device_type == "cuda":
        saved = [("cuda.matmul", torch.backends.cuda.matmul.allow_tf32),
                 ("cudnn", torch.backends.cudnn.allow_tf32)]
        torch.backends.cuda.matmul.allow_tf32 = allow_tf32
        torch.backends.cudnn.allow_tf32 = allow_tf32
    elif device_type == "npu":
        import torch_npu
        saved = [("npu.matmul", torch_npu.npu.matmul.allow_hf32), ("npu.conv", torch_npu.npu.conv.allow_hf32)]
        torch_npu.npu.matmul.allow_hf32 = allow_tf32
        torch_npu.npu.conv.allow_hf32 = allow_tf32
    try:
        yield precision_flags(device_type)
    finally:
        for key, value in saved:
            if key == "cuda.matmul":
                torch.backends.cuda.matmul.allow_tf32 = value
            elif key == "cudnn":
                torch.backends.cudnn.allow_tf32 = value
            else:
                import torch_npu
                getattr(torch_npu.npu, key.split(".")[1]).allow_hf32 = value


def precision_flags(device_type):
    """The reduced-precision flags in force, for result files."""
    if device_type == "cuda":
        return {"cuda_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
                "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32}
    if device_type == "npu":
        import torch_npu
        return {"npu_matmul_allow_hf32": bool(torch_npu.npu.matmul.allow_hf32),
                "npu_conv_allow_hf32": bool(torch_npu.npu.conv.allow_hf32)}
    return {"float32_matmul_precision": torch.get_float32_matmul_precision()}
