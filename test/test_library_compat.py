"""The torch < 2.4 path of ascend_ops._library: an autograd.Function around the forward and
backward ops must give the same gradients as the torch.library-registered autograd."""
import importlib

import torch

from ascend_ops import _library

# the package re-exports the function under the module's name, so fetch the module itself
daf_module = importlib.import_module("ascend_ops.ops.deformable_aggregation")


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    bs, cams, scales, C, G, A, P = 1, 2, 2, 8, 2, 3, 4
    shape = torch.tensor([[[4, 5], [2, 3]]] * cams, dtype=torch.int32)
    sizes = shape.prod(-1).flatten()
    start = (torch.cumsum(sizes, 0) - sizes).reshape(cams, scales).int()
    feat = torch.randn(bs, int(sizes.sum()), C, generator=g, requires_grad=True)
    loc = torch.rand(bs, A, P, cams, 2, generator=g).requires_grad_()
    w = torch.rand(bs, A, P, cams, scales, G, generator=g).requires_grad_()
    return feat, shape, start, loc, w


def test_autograd_function_path_matches_registered_autograd():
    fn = _library.autograd_function("DAFCompat", daf_module._forward_op, daf_module._backward,
                                    daf_module._setup_context)
    feat, shape, start, loc, w = _inputs()
    out_compat = fn.apply(feat, shape, start, loc, w)
    grads_compat = torch.autograd.grad(out_compat.square().sum(), (feat, loc, w))
    out_ref = daf_module.deformable_aggregation_reference(feat, shape, start, loc, w)
    grads_ref = torch.autograd.grad(out_ref.square().sum(), (feat, loc, w))
    torch.testing.assert_close(out_compat, out_ref, rtol=1e-5, atol=1e-5)
    for got, want in zip(grads_compat, grads_ref):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
