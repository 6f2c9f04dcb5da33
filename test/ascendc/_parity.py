"""Shared by the sampling ops' Ascend C parity tests: run an op's forward and backward kernels
under the harness, float64 reference gradients, and an elementwise tolerance check.

A case is the op's five inputs (feat, two int32 index tensors, locations, weights); the
reference takes them in that order and is differentiable in feat, locations and weights.
"""
import torch


class AscendCOp:
    """One op's Ascend C forward (`name`) and backward (`name`Grad) kernels in `op_dir`.

    inputs        the five input names, in case order
    grad_outputs  the backward's output names for feat, locations, weights; the feat gradient is
                  atomic-accumulated into zeros (untouched pixels stay 0), so only the other two
                  (row-owned) outputs are coverage-checked
    reference     the pure-PyTorch reference taking a case
    """

    def __init__(self, sim, op_dir, name, inputs, grad_outputs, reference):
        self.sim, self.op_dir, self.name = sim, op_dir, name
        self.inputs, self.grad_outputs, self.reference = inputs, grad_outputs, reference

    def forward(self, case, profile="ascend910b", **kw):
        res = self.sim.run_op(self.op_dir, self.name, inputs=dict(zip(self.inputs, case)), outputs={"out": None},
                              profile=profile, check_coverage=True, **kw)
        return res.outputs["out"], res.report

    def backward(self, case, grad_out, profile="ascend910b", **kw):
        feat_grad, *row_owned = self.grad_outputs
        outputs = {feat_grad: torch.zeros(case[0].shape, dtype=torch.float32)}   # atomics need zeros
        outputs.update({name: None for name in row_owned})
        inputs = dict(zip(self.inputs, case), grad_output=grad_out)
        res = self.sim.run_op(self.op_dir, self.name + "Grad", inputs=inputs, outputs=outputs, profile=profile,
                              check_coverage=row_owned, **kw)
        return tuple(res.outputs[name] for name in self.grad_outputs), res.report

    def reference_out(self, case):
        """The reference output in float64."""
        return self.reference(*(t.double() if t.is_floating_point() else t for t in case))

    def reference_grads(self, case, grad_out):
        """(out, grad feat, grad locations, grad weights): float64 autograd of the reference, from
        the (possibly low-precision) inputs."""
        feat, a, b, loc, w = case
        f, l, ww = (t.double().requires_grad_(True) for t in (feat, loc, w))
        out = self.reference(f, a, b, l, ww)
        out.backward(grad_out.double())
        return out.detach(), f.grad, l.grad, ww.grad


def assert_close(name, got, want, rtol, atol):
    """|got - want| <= atol + rtol |want| everywhere, compared in float64."""
    got, want = got.double(), want.double()
    err = (got - want).abs()
    bound = atol + rtol * want.abs()
    assert bool((err <= bound).all()), (f"{name}: max abs err {err.max().item():.3e}, "
                                         f"worst excess {(err - bound).max().item():.3e}")
