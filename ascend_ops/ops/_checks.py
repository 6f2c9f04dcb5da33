"""Argument checks shared by the ops: every failure names the argument and what was expected."""
import torch

from .. import _dispatch

FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)
INDEX_DTYPES = (torch.int32, torch.int64)


def tensor(op, name, t, rank=None, kind="float", allowed=None):
    """Check that `t` is a tensor of `rank` dims and a float or integer dtype (or one of `allowed`)."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(t).__name__}")
    if rank is not None and t.dim() != rank:
        raise ValueError(f"{op}: {name} must have {rank} dims, got shape {tuple(t.shape)}")
    allowed = allowed or (FLOAT_DTYPES if kind == "float" else INDEX_DTYPES)
    if t.dtype not in allowed:
        names = ", ".join(str(d).replace("torch.", "") for d in allowed)
        raise TypeError(f"{op}: {name} must have dtype in ({names}), got {str(t.dtype).replace('torch.', '')}")
    return t


def size(op, name, t, dim, expected, what):
    if t.shape[dim] != expected:
        raise ValueError(f"{op}: {name}.shape[{dim}] must equal {what} = {expected}, "
                         f"got shape {tuple(t.shape)}")


def same_device(op, **tensors):
    devices = {name: t.device for name, t in tensors.items()}
    first = next(iter(devices.values()))
    if any(d != first for d in devices.values()):
        listing = ", ".join(f"{n} on {d}" for n, d in devices.items())
        raise ValueError(f"{op}: all tensors must be on one device, got {listing}")
    return first


def compute_dtype(*tensors):
    """The promoted float dtype of the inputs (no silent precision loss on mixed input)."""
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dtype:  # (dynamo before torch 2.2 cannot trace promote_types; equal needs none)
            dtype = torch.promote_types(dtype, t.dtype)
    return dtype


def compiled_value_checks(*tensors):
    """True when value checks on `tensors` must be traced into the graph (torch.compile / export
    tracing, tensors on cpu or cuda), False when they run eagerly (or cannot: meta tensors,
    other devices, whose native kernels check on the host)."""
    return (all(t.device.type in ("cpu", "cuda") for t in tensors) and _dispatch.is_compiling()
            and not _dispatch.in_fake_kernel())


def assert_in_graph(ok, message):
    """Inside torch.compile tracing: keep the value check `ok` (a 0-dim bool tensor) in the
    compiled graph, raising RuntimeError(message) when it is False at run time (eager, aot_eager
    and inductor all keep torch._assert_async). Outside tracing use a plain `if ...: raise`."""
    torch._assert_async(ok, message)
