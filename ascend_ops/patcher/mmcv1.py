"""Runtime patches for the mmcv 1.x / mmdet 2.x stack (Sparse4D and other mmcv-1 models).

Each patch is explicit and has a precondition; `mmcv1_patches()` returns the list for a
`Patcher`. None of them wraps core torch functions or falls back to the original on error.

  mmcv.init_dist_pytorch   all devices  mmcv's `_init_dist_pytorch` calls torch.cuda.set_device
                                        (rank % cuda count: ZeroDivisionError on CPU, wrong on
                                        multi-node); the replacement sets the LOCAL_RANK device
                                        of the kit's device type and checks the backend matches it.
  mmcv.ddp_cpu_train_step  cpu          MMDistributedDataParallel without device_ids passes
  mmcv.ddp_cpu_val_step    cpu          DataContainers unscattered to the model; scatter to CPU.
  mmcv.ddp_run_forward     torch >= 2   MMDistributedDataParallel._run_ddp_forward reads
                                        `_use_replicated_tensor_module`, gone from torch 2 DDP
                                        (AttributeError in every distributed test forward); the
                                        replacement runs `self.module` on scattered inputs.
  mmcv.npu_fused_adamw     npu          AdamW in mmcv's OPTIMIZERS -> torch_npu NpuFusedAdamW.
  mmdet.focal_loss_negative_labels  npu/cpu  mmdet FocalLoss off CUDA one-hot encodes the labels,
                                        which fails on negative labels (Sparse4D's padded
                                        denoising targets are -1); mmcv's CUDA kernel treats a
                                        negative label as "no class", so map it to background.
(mmcv >= 1.7 already picks torch.npu.amp.GradScaler and NPU(Distributed)DataParallel itself.)
"""
import functools
import os

from .core import Patch


def _device_is(*types):
    def check():
        from ascend_ops import device
        dtype = device.default_device_type()
        return (dtype in types, f"device is {dtype}; patch is for {'/'.join(types)} only")
    return check


def _npu_attr(path):
    """Precondition: an NPU is present and torch_npu has `path` (dotted, under torch_npu)."""
    def check():
        ok, why = _device_is("npu")()
        if not ok:
            return ok, why
        import torch_npu
        obj = torch_npu
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return False, f"torch_npu {torch_npu.__version__} has no {path}"
        return True, ""
    return check


def _init_dist_pytorch_factory(original):
    def _init_dist_pytorch(backend, **kwargs):
        import torch.distributed as dist
        from ascend_ops import device
        dtype = device.default_device_type()
        expected = device.dist_backend(dtype)
        if backend != expected:
            raise ValueError(
                f"init_dist: backend {backend!r} does not match device {dtype!r} (expected {expected!r}); "
                f"set cfg.dist_params['backend'] = ascend_ops.device.dist_backend()")
        rank = int(os.environ["RANK"])
        local_rank = int(os.environ.get("LOCAL_RANK", rank))
        if dtype != "cpu":
            device.set_device(f"{dtype}:{local_rank}")
        dist.init_process_group(backend=backend, rank=rank,
                                world_size=int(os.environ["WORLD_SIZE"]), **kwargs)
    _init_dist_pytorch.__wrapped_original__ = original
    return _init_dist_pytorch


def _ddp_cpu_step_factory(original):
    @functools.wraps(original)
    def step(self, *inputs, **kwargs):
        if not self.device_ids:   # CPU: unwrap DataContainers as MMDataParallel does
            inputs, kwargs = self.scatter(inputs, kwargs, [-1])
            inputs, kwargs = inputs[0], kwargs[0]
        return original(self, *inputs, **kwargs)
    return step


def _torch_ddp_lacks_replicated_module():
    import torch
    from torch.nn.parallel import DistributedDataParallel as DDP
    src_has = "_use_replicated_tensor_module" in DDP.__init__.__code__.co_names
    return (not src_has, f"torch {torch.__version__} DDP still sets _use_replicated_tensor_module")


def _ddp_run_forward_factory(original):
    def _run_ddp_forward(self, *inputs, **kwargs):
        if self.device_ids:
            inputs, kwargs = self.to_kwargs(inputs, kwargs, self.device_ids[0])
        else:                        # CPU: unwrap DataContainers as MMDataParallel does
            inputs, kwargs = self.scatter(inputs, kwargs, [-1])
        return self.module(*inputs[0], **kwargs[0])
    return _run_ddp_forward


def _focal_loss_forward_factory(original):
    @functools.wraps(original)
    def forward(self, pred, target, weight=None, avg_factor=None, reduction_override=None):
        if self.use_sigmoid and not getattr(self, "activated", False) and not pred.is_cuda:
            import torch
            target = torch.where(target < 0, torch.full_like(target, pred.size(1)), target)
        return original(self, pred, target, weight, avg_factor, reduction_override)
    return forward


def _npu_fused_adamw(original):
    import torch_npu
    return torch_npu.optim.NpuFusedAdamW


def mmcv1_patches(fused_optimizers=True):
    """The mmcv 1.x patch list. `fused_optimizers=False` leaves mmcv's optimizers alone."""
    patches = [
        Patch("mmcv.init_dist_pytorch", "mmcv.runner.dist_utils:_init_dist_pytorch",
              _init_dist_pytorch_factory,
              "device from ascend_ops.device, LOCAL_RANK device index, backend checked"),
        Patch("mmcv.ddp_cpu_train_step", "mmcv.parallel.distributed:MMDistributedDataParallel.train_step",
              _ddp_cpu_step_factory, "scatter DataContainers to CPU when device_ids is empty",
              when=_device_is("cpu")),
        Patch("mmcv.ddp_cpu_val_step", "mmcv.parallel.distributed:MMDistributedDataParallel.val_step",
              _ddp_cpu_step_factory, "scatter DataContainers to CPU when device_ids is empty",
              when=_device_is("cpu")),
    ]
    patches.append(Patch("mmcv.ddp_run_forward", "mmcv.parallel.distributed:MMDistributedDataParallel._run_ddp_forward",
                         _ddp_run_forward_factory, "torch >= 2 DDP: forward through self.module on scattered inputs",
                         when=_torch_ddp_lacks_replicated_module))
    patches.append(Patch("mmdet.focal_loss_negative_labels", "mmdet.models.losses.focal_loss:FocalLoss.forward",
                         _focal_loss_forward_factory, "negative labels = background, as mmcv's CUDA focal loss",
                         when=_device_is("npu", "cpu"), optional=True))
    if fused_optimizers:
        patches.append(Patch("mmcv.npu_fused_adamw", "mmcv.runner.optimizer.builder:OPTIMIZERS._module_dict.AdamW",
                             _npu_fused_adamw, "AdamW -> torch_npu.optim.NpuFusedAdamW (fused update)",
                             when=_npu_attr("optim.NpuFusedAdamW")))
    return patches
