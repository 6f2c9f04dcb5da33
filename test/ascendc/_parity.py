"""Shared by the Ascend C parity tests: run an op's kernels under the harness with any number of
inputs / outputs / attributes, float64 reference gradients, and an elementwise tolerance check.

`AscendCKernel` is one OpType; `AscendCOp` pairs a forward OpType `name` with its `name`Grad and
the op's pure-PyTorch reference.
"""
import torch


class AscendCKernel:
    """One OpType in `op_dir`, run under the harness.

    inputs       input names, in OpDef order (a case is a sequence of tensors / None in this order)
    outputs      output names, in OpDef order
    accumulated  {output name: input name}: outputs the kernel accumulates into with atomics; they
                 are passed zero-filled, float32, shaped like that input, and (untouched elements
                 legitimately staying 0) not coverage-checked. Every other output is allocated from
                 InferShape / InferDataType and must be fully written.
    attrs        default attribute values (name -> value), overridable per run
    """

    def __init__(self, sim, op_dir, op_type, inputs, outputs, accumulated=None, attrs=None):
        self.sim, self.op_dir, self.op_type = sim, op_dir, op_type
        self.inputs, self.outputs = tuple(inputs), tuple(outputs)
        self.accumulated = dict(accumulated or {})
        self.attrs = dict(attrs or {})
        unknown = set(self.accumulated) - set(self.outputs)
        assert not unknown, f"accumulated: {sorted(unknown)} are not outputs of {op_type}"

    def run(self, args, attrs=None, profile="ascend910b", **kw):
        """(outputs as a tuple in OpDef order, the harness report)."""
        assert len(args) == len(self.inputs), f"{self.op_type}: expected {len(self.inputs)} inputs, got {len(args)}"
        named = dict(zip(self.inputs, args))
        outs = {}
        for name in self.outputs:
            like = self.accumulated.get(name)
            outs[name] = None if like is None else torch.zeros(named[like].shape, dtype=torch.float32)
        covered = [n for n in self.outputs if n not in self.accumulated]
        res = self.sim.run_op(self.op_dir, self.op_type, inputs=named, outputs=outs, attrs={**self.attrs, **(attrs or {})},
                              profile=profile, check_coverage=covered, **kw)
        return tuple(res.outputs[n] for n in self.outputs), res.report


class AscendCOp:
    """An op's Ascend C forward (`name`) and backward (`name`Grad) kernels in `op_dir`.

    inputs        forward input names, in case order
    reference     the pure-PyTorch reference taking a case (and `attrs` as keywords when given)
    outputs       forward output names
    grads         {backward output name: forward input name it is the gradient of}, in the backward's
                  output order; the backward takes the forward inputs then one grad_<output> per name
                  in `grad_inputs`
    accumulated   backward outputs accumulated with atomics (passed zeroed float32, not coverage-checked)
    """

    def __init__(self, sim, op_dir, name, inputs, reference, outputs=("out",), grads=None,
                 grad_inputs=("grad_output",), accumulated=(), attrs=None):
        self.name, self.inputs, self.reference, self.outputs = name, tuple(inputs), reference, tuple(outputs)
        self.grads = dict(grads or {})
        self.attrs = dict(attrs or {})
        self.fwd = AscendCKernel(sim, op_dir, name, inputs, outputs, attrs=attrs)
        self.bwd = AscendCKernel(sim, op_dir, name + "Grad", tuple(inputs) + tuple(grad_inputs), tuple(self.grads),
                                 accumulated={g: self.grads[g] for g in accumulated}, attrs=attrs)

    def forward(self, case, profile="ascend910b", **kw):
        """(the output, or a tuple when there are several; the report)."""
        outs, report = self.fwd.run(case, profile=profile, **kw)
        return (outs[0] if len(outs) == 1 else outs), report

    def backward(self, case, *grad_outs, profile="ascend910b", **kw):
        """(the gradients in `grads` order, the report)."""
        return self.bwd.run(tuple(case) + grad_outs, profile=profile, **kw)

    def reference_out(self, case):
        """The reference output(s) in float64."""
        return self.reference(*(t.double() if t is not None and t.is_floating_point() else t for t in case), **self.attrs)

    def reference_grads(self, case, *grad_outs):
        """(out, *gradients in `grads` order): float64 autograd of the reference, from the (possibly
        low-precision) inputs."""
        wrt = set(self.grads.values())
        args = [t.detach().double().requires_grad_(n in wrt) if t is not None and t.is_floating_point() else t
                for n, t in zip(self.inputs, case)]
        out = self.reference(*args, **self.attrs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        torch.autograd.backward([o for o in outs if o.is_floating_point()], [g.double() for g in grad_outs])
        by_name = dict(zip(self.inputs, args))
        detached = tuple(o.detach() for o in outs)
        return (detached[0] if len(detached) == 1 else detached,
                *(by_name[self.grads[g]].grad for g in self.grads))


def assert_close(name, got, want, rtol, atol):
    """|got - want| <= atol + rtol |want| everywhere, compared in float64."""
    got, want = got.double(), want.double()
    err = (got - want).abs()
    bound = atol + rtol * want.abs()
    assert bool((err <= bound).all()), (f"{name}: max abs err {err.max().item():.3e}, "
                                         f"worst excess {(err - bound).max().item():.3e}")
