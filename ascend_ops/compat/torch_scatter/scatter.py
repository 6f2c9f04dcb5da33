"""torch_scatter's scatter family (torch_scatter 2.1.2, rusty1s/pytorch_scatter@648dda3,
torch_scatter/scatter.py:8-177, csrc/scatter.cpp, csrc/cpu/scatter_cpu.cpp, csrc/cpu/reducer.h),
with its signatures `(src, index, dim=-1, out=None, dim_size=None)` and return conventions.

    out size along dim: dim_size, else index.max() + 1 (0 for an empty index); other dims = src's.
    index: broadcast to src's shape (a 1-D index runs along dim), values in [0, size): anything
           else is a ValueError naming index (torch_scatter writes out of bounds).
    scatter_sum / scatter_add   out[..., index[i], ...] += src[i]          (out given: added to it)
    scatter_mean                sum / max(1, count), count = number of src entries per slot
                                (out given: its values join the sum, not the count); integer
                                dtypes: floor division
    scatter_mul                 product (init 1)
    scatter_max / scatter_min   (out, argmax / argmin): the first index along dim attaining the
                                extreme (the CPU kernel's strict comparison); a slot without
                                entries gets 0 (out not given) and arg = src.size(dim); NaN never
                                wins, as in the CPU kernel's comparison; out given: its values
                                take part, arg stays src.size(dim) where no entry beats them.
                                Gradient: to the arg entry only (csrc/scatter.cpp:199-233).
    scatter(..., reduce="sum" | "add" | "mul" | "mean" | "min" | "max"): the above ([0] of min/max).

Backends: scatter_mean with a float src and an index that runs along dim only (a 1-D index, the
case of SPVNAS and OpenPCDet) runs the kit's op `scatter_mean` (exact integer counts,
deterministic sums); scatter_sum in that case the kit's op `sparse_scatter_add` (rows summed in
input order). Every other case is plain torch (scatter_add_ / scatter_reduce_, deterministic on
the CPU). All on the tensors' device.
"""
from typing import Optional, Tuple

import torch

from ascend_ops.ops.scatter_mean import scatter_mean as _kit_scatter_mean
from ascend_ops.ops.sparse_scatter_add import sparse_scatter_add as _kit_scatter_add

from .utils import broadcast

__all__ = ["scatter_sum", "scatter_add", "scatter_mul", "scatter_mean", "scatter_min", "scatter_max", "scatter"]

_KIT_FLOATS = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _norm_dim(dim, src):
    d = dim + src.dim() if dim < 0 else dim
    if not 0 <= d < max(src.dim(), 1):
        raise ValueError(f"torch_scatter: dim {dim} is out of range for src with {src.dim()} dims")
    return d


def _check(src, index, out):
    if not isinstance(src, torch.Tensor) or not isinstance(index, torch.Tensor):
        raise TypeError("torch_scatter: src and index must be tensors")
    if index.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        raise TypeError(f"torch_scatter: index must be an integer tensor, got {index.dtype}")
    if index.device != src.device:
        raise ValueError(f"torch_scatter: index is on {index.device}, src on {src.device}")
    if out is not None and (out.device != src.device or out.dtype != src.dtype):
        raise ValueError(f"torch_scatter: out ({out.dtype}, {out.device}) must match src ({src.dtype}, {src.device})")


def _out_size(src, index, dim, out, dim_size):
    """Size of the output along dim (scatter_cpu.cpp:28-37), and the range check of index."""
    if out is not None:
        for i in range(src.dim()):
            if i != dim and out.size(i) != src.size(i):
                raise ValueError(f"torch_scatter: out has shape {tuple(out.shape)}, src {tuple(src.shape)}: they "
                                 f"must agree outside dim {dim}")
        size = out.size(dim)
    elif dim_size is not None:
        size = int(dim_size)
    elif index.numel() == 0:
        size = 0
    else:
        size = int(index.max()) + 1
    if index.numel():
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= size:
            raise ValueError(f"torch_scatter: index holds values in [{lo}, {hi}], outside [0, {size}) (the size of "
                             f"the output along dim {dim})")
    return size


def _along_dim_only(index, src, dim):
    """The 1-D index of a broadcast that varies along dim only, else None."""
    if index.dim() == 1 and index.shape[0] == src.size(dim):
        return index
    return None


def _rows_view(t, dim):
    """t with dim moved first and the rest flattened: [t.size(dim), rest]."""
    moved = t.movedim(dim, 0)
    rest = 1
    for v in moved.shape[1:]:
        rest *= v
    return moved.reshape(moved.shape[0], rest), moved.shape


def _from_rows(rows, moved_shape, size, dim):
    return rows.reshape((size,) + tuple(moved_shape[1:])).movedim(0, dim)


def scatter_sum(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
                dim_size: Optional[int] = None) -> torch.Tensor:
    _check(src, index, out)
    dim = _norm_dim(dim, src)
    size = _out_size(src, index, dim, out, dim_size)
    idx1 = _along_dim_only(index, src, dim)
    if idx1 is not None and src.dtype in _KIT_FLOATS and src.dim() >= 1:
        rows, moved = _rows_view(src, dim)
        total = _from_rows(_kit_scatter_add(rows.contiguous(), idx1, size), moved, size, dim)
        return total if out is None else out.add_(total)
    index = broadcast(index.long(), src, dim)
    if out is None:
        shape = list(src.shape)
        shape[dim] = size
        return torch.zeros(shape, dtype=src.dtype, device=src.device).scatter_add_(dim, index, src)
    return out.scatter_add_(dim, index, src)


def scatter_add(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
                dim_size: Optional[int] = None) -> torch.Tensor:
    return scatter_sum(src, index, dim, out, dim_size)


def scatter_mul(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
                dim_size: Optional[int] = None) -> torch.Tensor:
    _check(src, index, out)
    dim = _norm_dim(dim, src)
    size = _out_size(src, index, dim, out, dim_size)
    index = broadcast(index.long(), src, dim)
    if out is None:
        shape = list(src.shape)
        shape[dim] = size
        out = torch.ones(shape, dtype=src.dtype, device=src.device)
        return out.scatter_reduce(dim, index, src, "prod", include_self=True)
    return out.scatter_reduce_(dim, index, src, "prod", include_self=True)


def scatter_mean(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
                 dim_size: Optional[int] = None) -> torch.Tensor:
    _check(src, index, out)
    dim = _norm_dim(dim, src)
    size = _out_size(src, index, dim, out, dim_size)
    idx1 = _along_dim_only(index, src, dim)
    if idx1 is not None and src.dtype in _KIT_FLOATS and out is None:
        rows, moved = _rows_view(src, dim)
        return _from_rows(_kit_scatter_mean(rows.contiguous(), idx1, size), moved, size, dim)
    # scatter.py:44-66: a sum (into out when given), an integer count of the src entries, clamped to 1
    total = scatter_sum(src, index, dim, out, size)
    index_dim = dim if index.dim() > dim else index.dim() - 1
    ones = torch.ones(index.shape, dtype=torch.int64, device=src.device)
    count = torch.zeros([size if i == index_dim else index.size(i) for i in range(index.dim())], dtype=torch.int64,
                        device=src.device).scatter_add_(index_dim, index.long(), ones).clamp_(min=1)
    count = broadcast(count, total, dim)
    if total.is_floating_point():
        result = total / count.to(total.dtype)
    else:
        result = torch.div(total, count, rounding_mode="floor").to(total.dtype)
    if out is not None:
        return out.copy_(result)
    return result


def _lowest(dtype, largest):
    info = torch.finfo(dtype) if dtype.is_floating_point else torch.iinfo(dtype)
    return info.min if largest else info.max


class _ScatterArg(torch.autograd.Function):
    """(out, arg) of scatter_max / scatter_min along dim; gradient to the arg entry
    (csrc/scatter.cpp:163-233)."""

    @staticmethod
    def forward(ctx, src, index, dim, size, out, largest):
        init_value = _lowest(src.dtype, largest)
        shape = list(src.shape)
        shape[dim] = size
        if out is None:
            start = torch.full(shape, init_value, dtype=src.dtype, device=src.device)
        else:
            start = out.detach().clone()
        s = src
        if src.is_floating_point():   # NaN never wins the CPU kernel's strict comparison
            s = torch.where(torch.isnan(src), torch.full_like(src, -float("inf") if largest else float("inf")), src)
        reduce = "amax" if largest else "amin"
        value = start.scatter_reduce(dim, index, s, reduce, include_self=True)
        gathered = value.gather(dim, index)
        beats = (gathered > start.gather(dim, index)) if largest else (gathered < start.gather(dim, index))
        hit = (s == gathered) & beats
        e = torch.arange(src.size(dim), device=src.device).view([-1 if i == dim else 1 for i in range(src.dim())])
        pos = torch.where(hit, e.expand_as(src), torch.full_like(index, src.size(dim)))
        arg = torch.full(shape, src.size(dim), dtype=torch.int64, device=src.device)
        arg = arg.scatter_reduce(dim, index, pos, "amin", include_self=True)
        if out is None:
            value = value.masked_fill(value == init_value, 0)   # scatter_cpu.cpp:81-82
        else:
            out.copy_(value)
            value = out
        ctx.dim, ctx.src_shape = dim, tuple(src.shape)
        ctx.save_for_backward(arg)
        ctx.mark_non_differentiable(arg)
        if out is not None:
            ctx.mark_dirty(out)
        return value, arg

    @staticmethod
    def backward(ctx, grad_out, grad_arg):
        (arg,) = ctx.saved_tensors
        shape = list(ctx.src_shape)
        shape[ctx.dim] += 1
        grad_src = grad_out.new_zeros(shape).scatter_(ctx.dim, arg, grad_out)
        return grad_src.narrow(ctx.dim, 0, shape[ctx.dim] - 1), None, None, None, None, None


def _scatter_arg(src, index, dim, out, dim_size, largest):
    _check(src, index, out)
    dim = _norm_dim(dim, src)
    size = _out_size(src, index, dim, out, dim_size)
    index = broadcast(index.long(), src, dim)
    if src.numel() == 0:
        shape = list(src.shape)
        shape[dim] = size
        arg = torch.full(shape, src.size(dim), dtype=torch.int64, device=src.device)
        return (out if out is not None else src.new_zeros(shape)), arg
    return _ScatterArg.apply(src, index, dim, size, out, largest)


def scatter_min(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
                dim_size: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    return _scatter_arg(src, index, dim, out, dim_size, largest=False)


def scatter_max(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
                dim_size: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    return _scatter_arg(src, index, dim, out, dim_size, largest=True)


def scatter(src: torch.Tensor, index: torch.Tensor, dim: int = -1, out: Optional[torch.Tensor] = None,
            dim_size: Optional[int] = None, reduce: str = "sum") -> torch.Tensor:
    if reduce in ("sum", "add"):
        return scatter_sum(src, index, dim, out, dim_size)
    if reduce == "mul":
        return scatter_mul(src, index, dim, out, dim_size)
    if reduce == "mean":
        return scatter_mean(src, index, dim, out, dim_size)
    if reduce == "min":
        return scatter_min(src, index, dim, out, dim_size)[0]
    if reduce == "max":
        return scatter_max(src, index, dim, out, dim_size)[0]
    raise ValueError(f"torch_scatter.scatter: reduce must be 'sum', 'add', 'mul', 'mean', 'min' or 'max', got "
                     f"{reduce!r}")
