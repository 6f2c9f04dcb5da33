"""Argument checks of the served pcdet extension functions. Upstream's C++ reads raw float32 /
int32 / int64 buffers with fixed strides (and exits the process, or reads out of bounds, on a
wrong tensor); here every mismatch raises, naming the function and the argument."""
import torch


def tensor(fn, name, t, dtype, rank=None, last=None):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{fn}: {name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype != dtype:
        raise TypeError(f"{fn}: {name} must be {str(dtype).replace('torch.', '')} as in OpenPCDet's "
                        f"C++ (it reads the raw buffer), got {str(t.dtype).replace('torch.', '')}")
    if rank is not None and t.dim() != rank:
        raise ValueError(f"{fn}: {name} must have {rank} dims, got shape {tuple(t.shape)}")
    if last is not None and t.shape[-1] != last:
        raise ValueError(f"{fn}: {name} must have {last} columns, got shape {tuple(t.shape)}")
    if not t.is_contiguous():
        raise ValueError(f"{fn}: {name} must be contiguous (OpenPCDet's CHECK_CONTIGUOUS)")
    return t


def boxes(fn, name, t, rank=2):
    return tensor(fn, name, t, torch.float32, rank=rank, last=7)


def output(fn, name, t, dtype, numel):
    tensor(fn, name, t, dtype)
    if t.numel() != numel:
        raise ValueError(f"{fn}: {name} must hold {numel} elements, got shape {tuple(t.shape)}")
    return t


def same_device(fn, **tensors):
    devices = {n: t.device for n, t in tensors.items()}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"{n} on {d}" for n, d in devices.items())
        raise ValueError(f"{fn}: inputs must be on one device, got {listing}")


def write(out, values):
    """Store values into out's buffer in row-major order (upstream writes the raw buffer)."""
    out.view(-1).copy_(values.reshape(-1))


def not_served(module, name, why):
    """A function of a served module that the kit does not implement: raises on call."""
    def fn(*args, **kwargs):
        raise NotImplementedError(f"{module}.{name} is not implemented by ascend-kit's pcdet front end "
                                  f"({why}); see docs/compat-pcdet-ops.md")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Not served by ascend-kit: calling it raises NotImplementedError ({why})."
    return fn
