"""Load the compiled kernel libraries and remember why any is missing."""
import importlib

_status = {}
_MODULES = {"cpu": "ascend_ops._C", "cuda": "ascend_ops._C_cuda", "npu": "ascend_ops._C_npu"}


def load():
    """Import every built backend library once. Their TORCH_LIBRARY_IMPL blocks register the
    native kernels; a library that is absent is recorded, not raised."""
    for device_type, module in _MODULES.items():
        if device_type in _status:
            continue
        if device_type == "npu":
            from .device import npu_available
            if not npu_available():
                _status[device_type] = (False, "torch_npu with an NPU is not available")
                continue
        try:
            importlib.import_module(module)
            _status[device_type] = (True, "")
        except ImportError as e:
            msg = str(e)
            if "No module named" in msg:
                msg = f"{module} was not built (`ascend-kit env` shows the build report: what was built, what was skipped and why)"
            _status[device_type] = (False, msg)
    return status()


def status():
    """{device_type: (loaded: bool, reason_if_not: str)}"""
    return dict(_status)


def why_missing(device_type):
    loaded, why = _status.get(device_type, (False, "unknown device type"))
    return "the op has no kernel in the built library" if loaded else why


def build_info():
    """Build facts reported by the CPU library (compiler, OpenMP), or {} when not built."""
    try:
        from . import _C
        return dict(_C.build_info())
    except ImportError:
        return {}


def build_report():
    """What the last build of the kit built and skipped, with the reasons: the contents of
    ascend_ops/_build_report.json written by setup.py ({} when the kit was not built by it)."""
    import json
    import os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_build_report.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
