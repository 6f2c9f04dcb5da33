"""The generic battery every op of the contract passes (in the spirit of PyTorch's OpInfo tests):
native vs reference on each case and float dtype (integer outputs exactly, unordered outputs as
sets), gradients, float64 gradcheck of reference and native, opcheck, torch.compile(fullgraph),
empty and non-contiguous inputs, bad inputs (the case module's and ones generated from the
spec), the schema, determinism, and the torch < 2.4 autograd.Function path.

Ops come from `ascend_ops.opcases.load_all()`: a new op gets all of this by adding its spec and
its case module. Op-specific semantics are tested in test_<op>.py."""
import copy

import pytest
import torch

import ascend_ops  # noqa: F401  (registers the ops, loads the kernels)
from ascend_ops import _library, opcases
from ascend_ops.ops import _contract
from ascend_ops.opcases import _harness as h

OPCASES = opcases.load_all()
DIFFERENTIABLE = [oc for oc in OPCASES if oc.differentiable]
IDS = [oc.OP for oc in OPCASES]


def _args(opcase, case="small", dtype=torch.float32, seed=0):
    return opcase.cases()[case]("cpu", dtype=dtype, seed=seed, quick=True)


def _parity(opcase, args, dtype):
    with h.backend("native"):
        outs, grads = h.forward_backward(opcase.spec, opcase.native, args)
    with h.backend("reference"):
        ref_outs, ref_grads = h.forward_backward(opcase.spec, opcase.reference, args)
    problems = h.compare(opcase.spec, opcase.tolerance(dtype), outs, ref_outs, grads, ref_grads)
    assert not problems, f"{opcase.OP}: " + "; ".join(problems)
    return outs, grads


def _params(cases, dtypes):
    out = []
    for oc in OPCASES:
        for case in cases:
            if case not in oc.cases():
                continue
            for dtype in dtypes:
                if dtype in oc.spec.float_dtypes:
                    out.append(pytest.param(oc, case, dtype, id=f"{oc.OP}-{case}-{str(dtype)[6:]}"))
    return out


def test_every_registered_op_has_a_case_module():
    assert sorted(oc.OP for oc in OPCASES) == sorted(_contract.specs())


@pytest.mark.parametrize("opcase", OPCASES, ids=IDS)
def test_schema_comes_from_the_spec(opcase):
    spec = opcase.spec
    assert str(spec.forward_op.default._schema) == f"ascend_ops::{spec.schema()}"
    if spec.backward:
        assert str(spec.backward_op.default._schema) == f"ascend_ops::{spec.backward_schema()}"
        assert opcase.OP + "_backward" in dir(torch.ops.ascend_ops)


@pytest.mark.parametrize("opcase,case,dtype",
                         _params(("small", "empty"), (torch.float32, torch.float64, torch.float16)))
def test_native_matches_reference(opcase, case, dtype, native_only):
    _parity(opcase, _args(opcase, case, dtype), dtype)


@pytest.mark.parametrize("opcase,case,dtype", _params(("real",), (torch.float32,)))
def test_native_matches_reference_real_shapes(opcase, case, dtype, native_only):
    _parity(opcase, _args(opcase, case, dtype), dtype)


@pytest.mark.parametrize("device", [pytest.param("cuda", marks=pytest.mark.cuda),
                                    pytest.param("npu", marks=pytest.mark.npu)])
@pytest.mark.parametrize("opcase,case,dtype",
                         _params(("small", "real", "empty"), (torch.float32, torch.float64, torch.float16)))
def test_device_native_matches_reference(opcase, case, dtype, device, native_only):
    """Every op's CUDA / NPU kernels against the reference on the same device (skipped without
    the device; `.ci/gpu_check.sh` runs the cuda ones)."""
    _parity(opcase, opcase.cases()[case](device, dtype=dtype, seed=0, quick=True), dtype)


def _gradcheck_args(opcase):
    builder = getattr(opcase.module, "gradcheck_case", None)
    args = builder("cpu") if builder else _args(opcase, "small", torch.float64)
    return [a.detach().requires_grad_(i in opcase.differentiable) if isinstance(a, torch.Tensor) else a
            for i, a in enumerate(args)]


def _first_float_output(fn, spec):
    def run(*args):
        outs = h.as_tuple(fn(*args))
        return tuple(outs[i] for i in spec.float_outputs)
    return run


@pytest.mark.parametrize("impl", ["reference", "native"])
@pytest.mark.parametrize("opcase", DIFFERENTIABLE, ids=[oc.OP for oc in DIFFERENTIABLE])
def test_gradcheck_float64(opcase, impl, native_only, monkeypatch):
    if impl == "native" and torch.float64 not in opcase.spec.float_dtypes:
        pytest.skip(f"{opcase.OP}'s native kernels take no float64")
    if impl == "reference":
        monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    fn = _first_float_output(opcase.native, opcase.spec)
    assert torch.autograd.gradcheck(fn, tuple(_gradcheck_args(opcase)), eps=1e-6, atol=1e-6)


def _opcheck_or_skip():
    if not hasattr(torch.library, "opcheck"):
        pytest.skip(f"torch.library.opcheck needs torch >= 2.4 (this is {torch.__version__})")


@pytest.mark.parametrize("opcase", OPCASES, ids=IDS)
def test_opcheck_forward(opcase):
    _opcheck_or_skip()
    args = list(opcase.spec.prepare(_args(opcase)))
    for i in opcase.differentiable:
        args[i] = args[i].requires_grad_()
    torch.library.opcheck(opcase.spec.forward_op.default, tuple(args))


@pytest.mark.parametrize("opcase", DIFFERENTIABLE, ids=[oc.OP for oc in DIFFERENTIABLE])
def test_opcheck_backward(opcase):
    _opcheck_or_skip()
    spec = opcase.spec
    args = spec.prepare(_args(opcase))
    outs = h.as_tuple(spec.forward_op(*args))
    grads = [h.grad_output_like(outs[i]) for i in spec.float_outputs]
    saved = [outs[[o.name for o in spec.outputs].index(n)] for n in spec.backward_saves]
    torch.library.opcheck(spec.backward_op.default, (*grads, *args, *saved))


@pytest.mark.parametrize("opcase", OPCASES, ids=IDS)
def test_compile_fullgraph_matches_eager(opcase, native_only):
    import torch._dynamo
    spec = opcase.spec
    if spec.function is not None and (len(spec.tensor_inputs) < len(spec.inputs) or len(spec.outputs) > 1):
        pytest.skip(f"torch {torch.__version__} < 2.4: dynamo of that release cannot trace an autograd.Function "
                    f"taking non-tensor arguments or returning several tensors ({spec.name}) in one graph; "
                    f"without fullgraph it graph-breaks and runs eagerly")
    min_torch = getattr(opcase.module, "COMPILE_MIN_TORCH", None)
    if min_torch and tuple(int(v) for v in torch.__version__.split("+")[0].split(".")[:2]) < min_torch:
        pytest.skip(f"torch {torch.__version__}: {opcase.module.COMPILE_SKIP_REASON}")
    args = _args(opcase)

    def loss_and_outputs(*a):
        outs = h.as_tuple(opcase.native(*a))
        total = sum(outs[i].double().square().sum() for i in spec.float_outputs) if spec.float_outputs else None
        return total, outs

    torch._dynamo.reset()
    compiled = torch.compile(loss_and_outputs, fullgraph=True, backend="aot_eager")
    eager_args, comp_args = h.leaves(args, spec.differentiable), h.leaves(args, spec.differentiable)
    with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True, capture_scalar_outputs=True):
        c_loss, c_outs = compiled(*comp_args)
    e_loss, e_outs = loss_and_outputs(*eager_args)
    problems = h.compare(spec, opcase.tolerance(torch.float32), [o.detach() for o in c_outs],
                         [o.detach() for o in e_outs])
    assert not problems, problems
    if spec.differentiable:
        c_loss.backward()
        e_loss.backward()
        for i in spec.differentiable:
            torch.testing.assert_close(comp_args[i].grad, eager_args[i].grad, rtol=1e-5, atol=1e-5)


def _non_contiguous(t):
    """The same values in a non-contiguous tensor (every other element of a larger buffer)."""
    if t.numel() < 2:
        return t
    buf = torch.empty(t.shape + (2,), dtype=t.dtype, device=t.device)
    buf[..., 0] = t
    out = buf[..., 0]
    assert not out.is_contiguous()
    return out


@pytest.mark.parametrize("opcase", OPCASES, ids=IDS)
def test_non_contiguous_inputs(opcase, native_only):
    spec = opcase.spec
    args = _args(opcase)
    strided = [_non_contiguous(a) if isinstance(a, torch.Tensor) else a for a in args]
    outs, grads = h.forward_backward(spec, opcase.native, args)
    s_outs, s_grads = h.forward_backward(spec, opcase.native, strided)
    assert not h.compare(spec, (0.0, 0.0), s_outs, outs, s_grads, grads)


def _deterministic_params():
    out = []
    for oc in OPCASES:
        if oc.spec.is_deterministic("cpu"):
            for case in ("small", "real", "dense"):
                if case in oc.cases():
                    out.append(pytest.param(oc, case, id=f"{oc.OP}-{case}"))
    return out


@pytest.mark.parametrize("opcase,case", _deterministic_params())
def test_deterministic_native_for_any_thread_count(opcase, case, native_only):
    """Outputs and gradients bitwise equal run to run and for 1, 2 and 3 threads."""
    spec = opcase.spec
    args = _args(opcase, case)
    threads = torch.get_num_threads()
    runs = []
    try:
        for n in (1, 2, 3, 3):
            torch.set_num_threads(n)
            runs.append(h.forward_backward(spec, opcase.native, args))
    finally:
        torch.set_num_threads(threads)
    for outs, grads in runs[1:]:
        assert not h.compare(spec, (0.0, 0.0), outs, runs[0][0], grads, runs[0][1])


def _case_bad_inputs():
    out = []
    for oc in OPCASES:
        if oc.bad_inputs is None:
            continue
        for k, (args, exc, match) in enumerate(oc.bad_inputs("cpu")):
            out.append(pytest.param(oc, args, exc, match, id=f"{oc.OP}-{k}"))
    return out


@pytest.mark.parametrize("opcase,args,exc,match", _case_bad_inputs())
def test_case_bad_inputs(opcase, args, exc, match):
    with pytest.raises(exc, match=match):
        opcase.native(*args)


def _generated_bad_inputs():
    """From the spec alone: a wrong type, a wrong rank and a wrong dtype kind for each argument,
    and each tensor on another device; the message must name the argument."""
    out = []
    for oc in OPCASES:
        spec = oc.spec
        good = _args(oc)
        for i, decl in enumerate(spec.inputs):
            def replaced(value, i=i):
                return tuple(value if j == i else a for j, a in enumerate(good))
            out.append(pytest.param(oc, replaced("not a value"), decl.name, id=f"{oc.OP}-{decl.name}-type"))
            if isinstance(decl, _contract.TensorArg):
                t = good[i]
                if decl.rank is not None:
                    out.append(pytest.param(oc, replaced(t.unsqueeze(0)), decl.name, id=f"{oc.OP}-{decl.name}-rank"))
                wrong = t.to(torch.int32) if decl.kind == "float" else t.to(torch.float32)
                out.append(pytest.param(oc, replaced(wrong), decl.name, id=f"{oc.OP}-{decl.name}-dtype"))
                if len(spec.tensor_inputs) > 1:
                    out.append(pytest.param(oc, replaced(t.to("meta")), decl.name, id=f"{oc.OP}-{decl.name}-device"))
    return out


@pytest.mark.parametrize("opcase,args,name", _generated_bad_inputs())
def test_generated_bad_inputs_name_the_argument(opcase, args, name):
    with pytest.raises((TypeError, ValueError), match=name):
        opcase.native(*args)


@pytest.mark.parametrize("opcase", DIFFERENTIABLE, ids=[oc.OP for oc in DIFFERENTIABLE])
def test_autograd_function_path_matches_registered_autograd(opcase, native_only):
    """The torch < 2.4 path (an autograd.Function around the forward and backward ops) gives
    the gradients of the registered autograd."""
    spec = opcase.spec
    setup_context, backward = _contract._make_autograd(spec)
    function = _library.autograd_function(f"{spec.name}_compat", spec.forward_op, backward, setup_context)
    compat = copy.copy(opcase)
    compat.native = lambda *a: function.apply(*spec.prepare(a))
    args = _args(opcase)
    outs, grads = h.forward_backward(spec, compat.native, args)
    ref_outs, ref_grads = h.forward_backward(spec, opcase.native, args)
    assert not h.compare(spec, (0.0, 0.0), outs, ref_outs, grads, ref_grads)


def test_spec_refuses_inconsistent_declarations():
    with pytest.raises(ValueError, match="only float inputs can be differentiable"):
        _contract.TensorArg("coors", "index", differentiable=True)
    with pytest.raises(ValueError, match="kind must be one of"):
        _contract.TensorArg("x", "complex")
    spec = _contract.OpSpec(name="deformable_aggregation", inputs=(), outputs=(), reference=None, fake=None)
    with pytest.raises(ValueError, match="registered twice"):
        _contract.register(spec)


def test_int64_index_is_narrowed_only_when_it_fits():
    oc = opcases.load("deformable_aggregation")
    args = list(_args(oc))
    wide = [a.long() if not a.is_floating_point() else a for a in args]
    torch.testing.assert_close(oc.native(*wide), oc.native(*args))
    huge = args[2].long() + 2 ** 31
    with pytest.raises(ValueError, match="scale_start_index"):
        oc.native(args[0], args[1], huge, args[3], args[4])


def _dispatcher_bad_inputs():
    """Direct torch.ops.ascend_ops calls (no Python checks) with a wrong rank or a wrong dtype
    kind for each tensor argument: the native kernels must raise, never read out of bounds."""
    out = []
    for oc in OPCASES:
        spec = oc.spec
        good = spec.prepare(_args(oc))
        for i, decl in enumerate(spec.inputs):
            if not isinstance(decl, _contract.TensorArg):
                continue
            t = good[i]
            variants = {"rank": t.unsqueeze(0), "dtype": t.to(torch.int32) if decl.kind == "float" else t.to(torch.float32)}
            for what, bad in variants.items():
                args = tuple(bad if j == i else a for j, a in enumerate(good))
                out.append(pytest.param(oc, args, id=f"{oc.OP}-{decl.name}-{what}"))
    return out


@pytest.mark.parametrize("opcase,args", _dispatcher_bad_inputs())
def test_dispatcher_refuses_malformed_arguments(opcase, args):
    with pytest.raises(RuntimeError):
        opcase.spec.forward_op(*args)


def test_unordered_outputs_compare_as_sets_and_ints_exactly():
    """The harness's comparison rules, on a hand-made unordered spec with an int and a float output."""
    spec = _contract.OpSpec(name="probe", inputs=(), reference=None, fake=None, ordered=False,
                            outputs=(_contract.Output("coors", "int"), _contract.Output("feats", "float")))
    coors = torch.tensor([[0, 2], [0, 1], [1, 0]])
    feats = torch.tensor([[2.0], [1.0], [3.0]])
    perm = torch.tensor([2, 0, 1])
    a = [o.index_select(0, h.row_order(spec, (coors, feats))) for o in (coors, feats)]
    b = [o.index_select(0, h.row_order(spec, (coors[perm], feats[perm]))) for o in (coors[perm], feats[perm])]
    assert not h.compare(spec, (0.0, 0.0), a, b)
    assert h.compare(spec, (0.0, 0.0), a, [b[0], b[1] + 1e-3])              # float values still count
    assert h.compare(spec, (1.0, 1.0), [a[0] + 1, a[1]], b)                  # ints exactly, whatever the tolerance
    assert h.compare(spec, (0.0, 0.0), [a[0][:2], a[1][:2]], b)              # a missing row is a shape problem
    ordered = copy.copy(spec)
    ordered.ordered = True
    assert h.row_order(ordered, (coors, feats)) is None
