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
    qualname = f"{NAMESPACE}::{op_name}"
    if hasattr(torch.library, "register_fake"):
        torch.library.register_fake(qualname, fn, lib=_lib)
    elif hasattr(torch.library, "impl_abstract"):
        torch.library.impl_abstract(qualname, fn, lib=_lib)
    else:
        _lib.impl(op_name, fn, "Meta")


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
