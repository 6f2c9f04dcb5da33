"""Device layer basics on the CPU (npu/cuda parts are exercised where those devices exist)."""
import random
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from ascend_ops import device


def test_dist_backend_mapping():
    assert device.dist_backend("npu") == "hccl"
    assert device.dist_backend("cuda") == "nccl"
    assert device.dist_backend("cpu") == "gloo"
    assert device.dist_backend() == device.DIST_BACKENDS[device.default_device_type()]


def test_available_and_resolve():
    types = device.available_device_types()
    assert types[-1] == "cpu"
    assert device.resolve_device_type("cpu") == "cpu"
    assert device.resolve_device_type("auto") == types[0]
    with pytest.raises(ValueError, match="device must be one of"):
        device.resolve_device_type("tpu")
    missing = [t for t in ("npu", "cuda") if t not in types]
    for name in missing:
        with pytest.raises(RuntimeError, match="not available here"):
            device.resolve_device_type(name)


def test_default_device_override(monkeypatch):
    monkeypatch.setenv("ASCEND_KIT_DEVICE", "cpu")
    assert device.default_device_type() == "cpu"


def _draw():
    return random.random(), float(np.random.rand()), torch.rand(3)


def test_seed_all_reproducible():
    device.seed_all(123)
    a = _draw()
    device.seed_all(123)
    b = _draw()
    device.seed_all(124)
    c = _draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    assert a[0] != c[0] and not torch.equal(a[2], c[2])


def test_seed_all_deterministic_flag_restored():
    before = torch.are_deterministic_algorithms_enabled()
    try:
        device.seed_all(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(before)


def test_timer_cpu():
    with device.Timer("cpu") as t:
        time.sleep(0.02)
    assert 15 <= t.ms < 2000


def test_precision_flags_restored():
    before = torch.get_float32_matmul_precision()
    with device.precision("cpu") as flags:
        assert flags == {"float32_matmul_precision": before}
    assert torch.get_float32_matmul_precision() == before
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        with device.precision("cuda", allow_tf32=False) as flags:
            assert flags == {"cuda_matmul_allow_tf32": False, "cudnn_allow_tf32": False}
        assert torch.backends.cuda.matmul.allow_tf32 is True
        with pytest.raises(RuntimeError):
            with device.precision("cuda", allow_tf32=True):
                assert torch.backends.cuda.matmul.allow_tf32 is True
                raise RuntimeError("restored even on error")
        assert torch.backends.cuda.matmul.allow_tf32 is True
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_memory_stats_cpu_is_empty():
    assert device.memory_stats("cpu") == {}


def test_import_does_not_patch_torch_cuda():
    """Importing ascend_ops leaves torch.cuda's functions (and torch.Tensor.cuda) untouched."""
    code = (
        "import torch\n"
        "names = ['is_available', 'device_count', 'set_device', 'synchronize', 'current_device']\n"
        "before = {n: getattr(torch.cuda, n) for n in names}\n"
        "tensor_cuda = torch.Tensor.cuda\n"
        "import ascend_ops\n"
        "changed = [n for n in names if getattr(torch.cuda, n) is not before[n]]\n"
        "assert not changed, changed\n"
        "assert torch.Tensor.cuda is tensor_cuda\n"
        "assert 'torch_npu' not in __import__('sys').modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
