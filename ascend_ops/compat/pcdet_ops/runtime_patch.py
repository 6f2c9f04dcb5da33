"""Runtime patch that lets OpenPCDet's unmodified `pcdet/ops/iou3d_nms/iou3d_nms_utils.py` run on
any device.

Those helpers (commit 8cacccec) allocate outputs with `torch.cuda.FloatTensor(size)` (lines 41, 66,
102, 174), the NMS keep buffer with `torch.LongTensor(n)` (lines 133, 150) and move it with
`keep[:num_out].cuda()` (lines 135, 152). One patch, scoped to that module, replaces the module's
global name `torch` by a proxy that forwards everything to torch except:

    torch.cuda.FloatTensor(*size)  -> torch.zeros(size, float32) on the target device
    torch.LongTensor(n)            -> int64 zeros on the CPU (as upstream: a host buffer), of a
                                      Tensor subclass whose .cuda() moves it to the target device

Nothing else changes: torch itself, torch.Tensor.cuda and every other module are untouched, and
the patch is undone on exit (`with patch_iou3d_nms_utils(): ...`). The target device is the
`device` argument, else ascend_ops.device.default_device_type() ('npu', else 'cuda', else 'cpu').
The helpers' `from . import iou3d_nms_cuda` must resolve to the kit's module (import hook), which
the patch does not do itself.
"""
import numbers
import types

import torch

from ...patcher import Patch, Patcher

UTILS_MODULE = "pcdet.ops.iou3d_nms.iou3d_nms_utils"


def _target_device(device):
    if device is not None:
        return torch.device(device)
    from ...device import default_device_type
    return torch.device(default_device_type())


def _size(ctor, args):
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        args = tuple(args[0])
    if not all(isinstance(a, numbers.Integral) for a in args):
        raise TypeError(f"{ctor}: the kit's patch of {UTILS_MODULE} accepts sizes only, got {args!r}")
    return tuple(int(a) for a in args)


def _host_long_tensor_type(device):
    class HostLongTensor(torch.Tensor):
        """A CPU int64 buffer whose .cuda() goes to the kit's target device (as a plain tensor)."""

        def cuda(self, device_index=None, non_blocking=False, **kwargs):
            target = device
            if device_index is not None and device.type != "cpu":
                index = device_index.index if isinstance(device_index, torch.device) else int(device_index)
                target = torch.device(device.type, index)
            return self.as_subclass(torch.Tensor).to(target, non_blocking=non_blocking)

    return HostLongTensor


class _CudaProxy(types.SimpleNamespace):
    def __init__(self, real_cuda, device):
        super().__init__()
        self._real, self._device = real_cuda, device

    def FloatTensor(self, *size):
        return torch.zeros(_size("torch.cuda.FloatTensor", size), dtype=torch.float32, device=self._device)

    def __getattr__(self, name):
        return getattr(self._real, name)


class _TorchProxy(types.SimpleNamespace):
    """Stands for `torch` inside iou3d_nms_utils only."""

    def __init__(self, real_torch, device):
        super().__init__()
        self._real = real_torch
        self.cuda = _CudaProxy(real_torch.cuda, device)
        self._long_type = _host_long_tensor_type(device)

    def LongTensor(self, *size):
        return torch.zeros(_size("torch.LongTensor", size), dtype=torch.int64).as_subclass(self._long_type)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __repr__(self):
        return f"<ascend-kit proxy of torch for {UTILS_MODULE}>"


def iou3d_nms_utils_patches(device=None):
    """The patch list (one patch) for ascend_ops.patcher.Patcher."""
    target = _target_device(device)
    return [Patch(
        name="pcdet.iou3d_nms_utils.torch",
        target=f"{UTILS_MODULE}:torch",
        factory=lambda real: _TorchProxy(real, target),
        reason=f"torch.cuda.FloatTensor / torch.LongTensor(...).cuda() in iou3d_nms_utils -> {target}")]


def patch_iou3d_nms_utils(device=None):
    """A Patcher (use as a context manager, or apply()/undo()) for OpenPCDet's iou3d_nms_utils."""
    return Patcher(iou3d_nms_utils_patches(device))
