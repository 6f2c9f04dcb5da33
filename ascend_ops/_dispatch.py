"""Backend choice for every op: native kernel for the tensor's device, or the reference.

Environment:
  ASCEND_OPS_BACKEND=auto|native|reference  (default auto)
      reference - the pure-PyTorch reference everywhere;
      native    - the native kernel or an error;
      auto      - the native kernel when built for the device, else the reference,
                  reported once per (op, device) with an AscendOpsFallbackWarning.
  ASCEND_OPS_STRICT=1  - same as native: a missing native kernel raises MissingKernelError.
"""
import os
import sys
import warnings

import torch

NAMESPACE = "ascend_ops"
DISPATCH_KEYS = {"cpu": "CPU", "cuda": "CUDA", "npu": "PrivateUse1"}
_reported = set()
_fallbacks = []


class MissingKernelError(RuntimeError):
    """A native kernel was required (strict mode) but is not built for this device."""


class AscendOpsFallbackWarning(UserWarning):
    """An op ran its pure-PyTorch reference because no native kernel is built for the device."""


def backend_mode():
    mode = os.environ.get("ASCEND_OPS_BACKEND", "auto").lower()
    if mode not in ("auto", "native", "reference"):
        raise ValueError(f"ASCEND_OPS_BACKEND must be auto, native or reference; got {mode!r}")
    if os.environ.get("ASCEND_OPS_STRICT", "0") not in ("", "0") and mode == "auto":
        mode = "native"
    return mode


def has_native_kernel(op_name, device_type):
    """True when `ascend_ops::<op_name>` has a kernel registered for `device_type`."""
    key = DISPATCH_KEYS.get(device_type)
    if key is None:
        return False
    return torch._C._dispatch_has_kernel_for_dispatch_key(f"{NAMESPACE}::{op_name}", key)


_compiler_is_compiling = getattr(getattr(torch, "compiler", None), "is_compiling", None)


_fake_depth = 0   # > 0 while an op's fake kernel runs its checks (tensors without readable values)


def is_compiling():
    """True while torch.compile / export traces, or while a fake kernel checks its arguments
    (value checks that read tensors are skipped, or traced as asserts: ops/_checks.py)."""
    if _compiler_is_compiling is not None:
        if _compiler_is_compiling():
            return True
    elif "torch._dynamo" in sys.modules and torch._dynamo.is_compiling():  # torch < 2.3; dynamo 2.1 traces this
        return True
    return _fake_depth > 0


def in_fake_kernel():
    """True while a fake (meta / FakeTensor) kernel checks its arguments."""
    return _fake_depth > 0


def _constant_under_compile(fn):
    """Let torch.compile call `fn` while tracing and keep its result: dispatch reads the
    dispatcher's tables and the environment, which dynamo cannot trace. This sets the flag that
    torch.compiler.assume_constant_result sets, without importing torch._dynamo (seconds) at
    import time; test_deformable_aggregation's fullgraph compile test guards it."""
    fn._dynamo_marked_constant = True
    return fn


@_constant_under_compile
def use_native(op_name, device_type):
    """Decide native (True) or reference (False) for one call; raise or report per the mode."""
    mode = backend_mode()
    if mode == "reference":
        return False
    if has_native_kernel(op_name, device_type):
        return True
    from . import _ext
    why = _ext.why_missing(device_type)
    if mode == "native":
        raise MissingKernelError(
            f"ascend_ops.{op_name}: no native kernel for device '{device_type}' ({why}); "
            f"build it, or unset ASCEND_OPS_STRICT / set ASCEND_OPS_BACKEND=reference")
    if (op_name, device_type) not in _reported:
        _reported.add((op_name, device_type))
        _fallbacks.append({"op": op_name, "device": device_type, "reason": why})
        warnings.warn(
            f"ascend_ops.{op_name}: no native kernel for device '{device_type}' ({why}); using the "
            f"pure-PyTorch reference (slower). Set ASCEND_OPS_STRICT=1 to make this an error.",
            AscendOpsFallbackWarning, stacklevel=3)
    return False


def fallback_report():
    """Every (op, device) that fell back to the reference in this process, with the reason."""
    return list(_fallbacks)
