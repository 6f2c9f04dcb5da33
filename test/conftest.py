"""Shared test setup: device markers and a clean dispatch state.

Markers: `cuda` tests run only with a CUDA device, `npu` tests only with an NPU (torch_npu
and CANN); elsewhere they are skipped with the reason. `slow` marks real-model shapes.
"""
import pytest
import torch


def pytest_configure(config):
    config.addinivalue_line("markers", "npu: needs an Ascend NPU (torch_npu + CANN)")


def pytest_collection_modifyitems(config, items):
    from ascend_ops import device
    has_cuda, has_npu = torch.cuda.is_available(), None
    for item in items:
        if item.get_closest_marker("cuda") and not has_cuda:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device (run on a GPU machine with a CUDA "
                                                    "build of torch and `pip install --no-build-isolation -e .`)"))
        if item.get_closest_marker("npu"):
            if has_npu is None:
                has_npu = device.npu_available()
            if not has_npu:
                item.add_marker(pytest.mark.skip(reason="needs an Ascend NPU (torch_npu + CANN, kit built with "
                                                        "ASCEND_OPS_BACKENDS=cpu,npu)"))


@pytest.fixture
def fresh_dispatch(monkeypatch):
    """Forget which fallbacks were already reported and clear the backend environment."""
    from ascend_ops import _dispatch
    monkeypatch.delenv("ASCEND_OPS_BACKEND", raising=False)
    monkeypatch.delenv("ASCEND_OPS_STRICT", raising=False)
    monkeypatch.setattr(_dispatch, "_reported", set())
    monkeypatch.setattr(_dispatch, "_fallbacks", [])
    return _dispatch


@pytest.fixture
def native_only(monkeypatch):
    """Make a missing native kernel an error instead of a silent reference run."""
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "native")
