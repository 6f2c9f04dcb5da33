"""Device-neutral replacements for the CUDA-only calls of mmcv 1.x training code.

`wrap_model` replaces ``MMDistributedDataParallel(model.cuda(), device_ids=[cuda current])`` /
``MMDataParallel(model.cuda(...))``; `dist_device` is the device collective tensors must live on
for the current process group (gloo: cpu, nccl: cuda, hccl: npu).
"""
import torch

from ascend_ops import device as _device

_BACKEND_DEVICE = {"gloo": "cpu", "nccl": "cuda", "hccl": "npu"}


def dist_device():
    """torch.device for collective tensors: from the initialised process group's backend, else
    from the kit's default device type."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        backend = str(dist.get_backend()).lower()
        if backend not in _BACKEND_DEVICE:
            raise RuntimeError(f"dist_device: unknown process-group backend {backend!r} "
                               f"(known: {', '.join(_BACKEND_DEVICE)})")
        dtype = _BACKEND_DEVICE[backend]
    else:
        dtype = _device.default_device_type()
    return torch.device(dtype, _current_index(dtype)) if dtype != "cpu" else torch.device("cpu")


def _current_index(dtype):
    if dtype == "cuda":
        return torch.cuda.current_device()
    import torch_npu  # noqa: F401
    return torch.npu.current_device()


def wrap_model(model, distributed, gpu_ids=None, **ddp_kwargs):
    """Move `model` to the kit's device and wrap it in the mmcv (D)DP class for that device.

    distributed=True: npu -> mmcv.device.npu.NPUDistributedDataParallel, cuda -> MMDistributed-
    DataParallel with the current device, cpu -> MMDistributedDataParallel without device_ids
    (needs the patcher's mmcv.ddp_cpu_* patches to scatter DataContainers).
    distributed=False: the single-device MMDataParallel equivalent (gpu_ids[0] or device 0).
    `ddp_kwargs` (broadcast_buffers, find_unused_parameters, ...) go to the DDP constructor.
    """
    dtype = _device.default_device_type()
    if distributed:
        if dtype == "cpu":
            from mmcv.parallel import MMDistributedDataParallel
            return MMDistributedDataParallel(model, **ddp_kwargs)
        index = _current_index(dtype)
        model = model.to(torch.device(dtype, index))
        if dtype == "npu":
            from mmcv.device.npu import NPUDistributedDataParallel
            return NPUDistributedDataParallel(model, device_ids=[index], **ddp_kwargs)
        from mmcv.parallel import MMDistributedDataParallel
        return MMDistributedDataParallel(model, device_ids=[index], **ddp_kwargs)
    if ddp_kwargs:
        raise TypeError(f"wrap_model: {sorted(ddp_kwargs)} only apply with distributed=True")
    ids = list(gpu_ids) if gpu_ids is not None else [0]
    if dtype == "cpu":
        from mmcv.parallel import MMDataParallel
        return MMDataParallel(model, device_ids=None)
    model = model.to(torch.device(dtype, ids[0]))
    if dtype == "npu":
        from mmcv.device.npu import NPUDataParallel
        return NPUDataParallel(model, device_ids=ids)
    from mmcv.parallel import MMDataParallel
    return MMDataParallel(model, device_ids=ids)
