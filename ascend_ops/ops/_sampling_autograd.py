"""Fake kernels and autograd shared by the sampling ops whose inputs are
(features, spatial shapes int, start indices int, sampling locations, weights), with a
`<op>_backward` op returning (grad_features, grad_locations, grad_weights) in the input dtypes."""
from .. import _library


def _setup_context(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def make_backward(backward_op):
    """The autograd backward: gradients for inputs 0, 3 and 4 (None for the index inputs)."""

    def backward(ctx, grad_output):
        feat, shape, start, loc, w = ctx.saved_tensors
        g_feat, g_loc, g_w = backward_op(grad_output.contiguous(), feat, shape, start, loc, w)
        return g_feat, None, None, g_loc, g_w

    return backward


def register(op, forward_op, backward_op, fake, fake_backward, function_name):
    """Register `fake` / `fake_backward` for `op` / `op`_backward and attach autograd.
    Returns (backward, setup_context, function): `function` is an autograd.Function named
    `function_name` for torch without torch.library.register_autograd, else None."""
    backward = make_backward(backward_op)
    _library.register_fake(op, fake)
    _library.register_fake(op + "_backward", fake_backward)
    function = None
    if not _library.register_autograd(op, backward, _setup_context):
        function = _library.autograd_function(function_name, forward_op, backward, _setup_context)
    return backward, _setup_context, function
