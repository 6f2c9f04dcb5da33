"""torch.library registration shared by all ops: schema, fake kernel, autograd.

Schemas are defined here in Python (so they exist even when no native library is built);
native kernels are registered from C++ with TORCH_LIBRARY_IMPL(ascend_ops, <Key>, m).
On torch >= 2.4 autograd is registered on the op itself (torch.compile and export see one
op); on older torch `autograd_function()` wraps the forward and backward ops instead.
"""
import torch

from ._dispatch import NAMESPACE

_lib = torch.library.Library(NAMESPACE, "DEF")
HAS_REGISTER_AUTOGRAD = hasattr(torch.library, "register_autograd")


def define(schema):
    """Define `ascend_ops::<schema>` and return the OpOverloadPacket."""
    _lib.define(schema)
    return getattr(torch.ops.ascend_ops, schema.split("(", 1)[0])


def register_fake(op_name, fn):
    """Register the fake (abstract) kernel: torch.library.register_fake (2.4+), impl_abstract
    (2.2-2.3) or torch._custom_ops.impl_abstract (2.1), so data-dependent sizes work everywhere."""
    qualname = f"{NAMESPACE}::{op_name}"
    if hasattr(torch.library, "register_fake"):
        torch.library.register_fake(qualname, fn, lib=_lib)
    elif hasattr(torch.library, "impl_abstract"):
        torch.library.impl_abstract(qualname, fn, lib=_lib)
    else:
        from torch import _custom_ops
        _custom_ops.impl_abstract(qualname)(fn)


def new_dynamic_size():
    """Inside a fake kernel: a new symbolic size for a data-dependent output dimension
    (torch.library.get_ctx().new_dynamic_size(); create_unbacked_symint() on torch 2.1)."""
    get_ctx = getattr(torch.library, "get_ctx", None)
    if get_ctx is None:
        from torch import _custom_ops
        get_ctx = _custom_ops.get_ctx
    ctx = get_ctx()
    make = getattr(ctx, "new_dynamic_size", None) or ctx.create_unbacked_symint
    return make()


def register_autograd(op_name, backward, setup_context):
    """Attach autograd to the op when torch supports it; return whether it did."""
    if HAS_REGISTER_AUTOGRAD:
        torch.library.register_autograd(f"{NAMESPACE}::{op_name}", backward,
                                        setup_context=setup_context, lib=_lib)
    return HAS_REGISTER_AUTOGRAD


def autograd_function(name, forward_op, backward, setup_context):
    """An autograd.Function calling `forward_op`, for torch < 2.4."""

    def fwd(ctx, *args):
        out = forward_op(*args)
        setup_context(ctx, args, out)
        return out

    # `backward` itself, not a wrapper forwarding *grads: dynamo before torch 2.2 fails on that
    return type(name, (torch.autograd.Function,), {"forward": staticmethod(fwd), "backward": staticmethod(backward)})
