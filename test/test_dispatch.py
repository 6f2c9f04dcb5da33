"""Backend choice: ASCEND_OPS_BACKEND, strict mode, and the once-per-(op, device) fallback report."""
import warnings

import pytest
import torch

import ascend_ops
from ascend_ops import AscendOpsFallbackWarning, MissingKernelError
from ascend_ops.opcases import deformable_aggregation as case

OP = "deformable_aggregation"


def _no_kernel_for(monkeypatch, dispatch, device_type):
    """Simulate a device without a native kernel for the op (e.g. an NPU without the Ascend C op)."""
    real = dispatch.has_native_kernel
    monkeypatch.setattr(dispatch, "has_native_kernel",
                        lambda op, dev: False if (op, dev) == (OP, device_type) else real(op, dev))


def _count_calls(monkeypatch, module, name):
    """Record the calls of `module.name` (a module function or an OpSpec's reference / forward_op)."""
    calls = []
    fn = getattr(module, name)

    def wrapped(*args):
        calls.append(args)
        return fn(*args)
    monkeypatch.setattr(module, name, wrapped)
    return calls


def test_cpu_kernel_is_registered(fresh_dispatch):
    assert fresh_dispatch.has_native_kernel(OP, "cpu")
    assert fresh_dispatch.has_native_kernel(OP + "_backward", "cpu")
    assert not fresh_dispatch.has_native_kernel(OP, "no-such-device")


def test_auto_uses_native_kernel(fresh_dispatch, monkeypatch):
    daf = __import__("ascend_ops.ops.deformable_aggregation", fromlist=["x"])
    calls = _count_calls(monkeypatch, daf.SPEC, "reference")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AscendOpsFallbackWarning)
        out = daf.deformable_aggregation(*case.small("cpu"))
    assert not calls and out.shape == (2, 5, 16)


def test_backend_reference_runs_the_reference(fresh_dispatch, monkeypatch):
    daf = __import__("ascend_ops.ops.deformable_aggregation", fromlist=["x"])
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    calls = _count_calls(monkeypatch, daf.SPEC, "reference")
    native_calls = _count_calls(monkeypatch, daf.SPEC, "forward_op")
    args = case.small("cpu")
    out = daf.deformable_aggregation(*args)
    assert len(calls) == 1 and not native_calls
    torch.testing.assert_close(out, daf.deformable_aggregation_reference(*args))
    assert fresh_dispatch.fallback_report() == []          # chosen, not a fallback


def test_bad_backend_value(fresh_dispatch, monkeypatch):
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "fastest")
    with pytest.raises(ValueError, match="ASCEND_OPS_BACKEND must be auto, native or reference"):
        ascend_ops.deformable_aggregation(*case.small("cpu"))


@pytest.mark.parametrize("env", [("ASCEND_OPS_STRICT", "1"), ("ASCEND_OPS_BACKEND", "native")])
def test_strict_mode_raises_for_missing_kernel(fresh_dispatch, monkeypatch, env):
    monkeypatch.setenv(*env)
    _no_kernel_for(monkeypatch, fresh_dispatch, "cpu")
    with pytest.raises(MissingKernelError, match="deformable_aggregation: no native kernel for device 'cpu'"):
        ascend_ops.deformable_aggregation(*case.small("cpu"))
    assert fresh_dispatch.fallback_report() == []


def test_fallback_warns_once_per_op_and_device(fresh_dispatch, monkeypatch):
    _no_kernel_for(monkeypatch, fresh_dispatch, "cpu")
    args = case.small("cpu")
    with pytest.warns(AscendOpsFallbackWarning) as record:
        out1 = ascend_ops.deformable_aggregation(*args)
        out2 = ascend_ops.deformable_aggregation(*args)
    fallbacks = [w for w in record if issubclass(w.category, AscendOpsFallbackWarning)]
    assert len(fallbacks) == 1
    assert "no native kernel for device 'cpu'" in str(fallbacks[0].message)
    assert "ASCEND_OPS_STRICT=1" in str(fallbacks[0].message)
    torch.testing.assert_close(out1, out2)
    report = fresh_dispatch.fallback_report()
    assert [(r["op"], r["device"]) for r in report] == [(OP, "cpu")]
    # another (op, device) pair is reported separately, and again only once
    with pytest.warns(AscendOpsFallbackWarning, match="device 'meta'"):
        assert fresh_dispatch.use_native(OP, "meta") is False
    with warnings.catch_warnings():
        warnings.simplefilter("error", AscendOpsFallbackWarning)
        assert fresh_dispatch.use_native(OP, "meta") is False
        assert fresh_dispatch.use_native(OP, "cpu") is False
    assert [(r["op"], r["device"]) for r in fresh_dispatch.fallback_report()] == [(OP, "cpu"), (OP, "meta")]


def test_fallback_result_is_the_reference(fresh_dispatch, monkeypatch):
    _no_kernel_for(monkeypatch, fresh_dispatch, "cpu")
    args = case.small("cpu")
    with pytest.warns(AscendOpsFallbackWarning):
        out = ascend_ops.deformable_aggregation(*args)
    assert torch.equal(out, ascend_ops.deformable_aggregation_reference(*args))
