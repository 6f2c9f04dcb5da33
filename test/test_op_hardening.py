"""Issue 10, "Ops": the known reproducers and the rules every op keeps, for every op with a spec
(from `ascend_ops.opcases.load_all()`, so ops added later are covered) and the kmeans ops:

- the dispatcher (`torch.ops.ascend_ops.*`, forward and backward) refuses the reproducer that
  once crashed and malformed last dims, naming the argument;
- second-order gradients raise naming the op (never zeros);
- mixed devices, meta tensors included, raise at the Python API and at the dispatcher;
- under torch.compile (eager and aot_eager) out-of-range index values still raise, on the native
  kernels and on the reference;
- NaN / Inf in skipped samples: reference and native kernels agree (nothing reaches the output
  or the gradients);
- kmeanspp / kmeans_bounds_step / kmeans refuse NaN, +-inf, +-1e300 and out-of-range labels.
The random exploration of the same space is test/test_fuzz_ops.py."""
import importlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ascend_ops  # noqa: F401  (registers the ops)
from ascend_ops import _library, opcases
from ascend_ops.opcases import _harness as h
from ascend_ops.ops import _contract

OPCASES = opcases.load_all()
DIFFERENTIABLE = [oc for oc in OPCASES if oc.differentiable]
OPS = torch.ops.ascend_ops
da_module = importlib.import_module("ascend_ops.ops.deformable_aggregation")
msmv_module = importlib.import_module("ascend_ops.ops.msmv_sampling")
kmeanspp_module = importlib.import_module("ascend_ops.ops.kmeanspp")
bounds_module = importlib.import_module("ascend_ops.ops.kmeans_bounds_step")
kmeans_module = importlib.import_module("ascend_ops.anchors.kmeans")


def _small(oc, dtype=torch.float32):
    return oc.cases()["small"]("cpu", dtype=dtype, seed=0, quick=True)


# -- (a) the reproducer of the issue and malformed last dims, at the dispatcher ------------------
def _da_layout():
    f = torch.rand(1, 52, 8)
    s = torch.tensor([[[4, 5], [2, 3]]] * 2, dtype=torch.int32)
    i = torch.tensor([[0, 20], [26, 46]], dtype=torch.int32)
    return f, s, i


def test_issue_reproducer_is_refused_by_the_dispatcher_without_a_crash():
    """Once SIGSEGV (forward read, backward wrote out of bounds): run in a child process so a
    crash fails this test instead of killing the run."""
    code = textwrap.dedent("""
        import torch, ascend_ops
        f = torch.rand(1, 52, 8)
        s = torch.tensor([[[4, 5], [2, 3]]] * 2, dtype=torch.int32)
        i = torch.tensor([[0, 20], [26, 46]], dtype=torch.int32)
        loc, w = torch.rand(1, 2000, 64, 2, 2), torch.rand(1, 1, 1, 2, 2, 2)
        for call in (lambda: torch.ops.ascend_ops.deformable_aggregation(f, s, i, loc, w),
                     lambda: torch.ops.ascend_ops.deformable_aggregation_backward(
                         torch.rand(1, 2000, 8), f, s, i, loc, w)):
            try:
                call()
                print("NO ERROR")
            except RuntimeError as e:
                print("REFUSED", str(e).splitlines()[0])
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"child died (rc {run.returncode}): {run.stderr[-2000:]}"
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 2 and all(l.startswith("REFUSED") and "weights" in l for l in lines), run.stdout


@pytest.mark.parametrize("which", ["forward", "backward"])
@pytest.mark.parametrize("case,name", [("location_last_1", "sampling_location"),
                                       ("spatial_shape_last_1", "spatial_shape"),
                                       ("scale_start_index_cams_1", "scale_start_index")])
def test_dispatcher_refuses_malformed_last_dims(case, name, which):
    f, s, i = _da_layout()
    loc, w = torch.rand(1, 3, 4, 2, 2), torch.rand(1, 3, 4, 2, 2, 2)
    if case == "location_last_1":
        loc = loc[..., :1].contiguous()
    elif case == "spatial_shape_last_1":
        s = s[..., :1].contiguous()
    else:
        i = i[:, :1].contiguous()
    with pytest.raises(RuntimeError, match=name):
        if which == "forward":
            OPS.deformable_aggregation(f, s, i, loc, w)
        else:
            OPS.deformable_aggregation_backward(torch.rand(1, 3, 8), f, s, i, loc, w)


@pytest.mark.parametrize("case,name", [("locations_last_2", "sampling_locations"),
                                       ("spatial_shapes_last_1", "spatial_shapes"),
                                       ("level_start_index_short", "level_start_index")])
def test_msmv_dispatcher_refuses_malformed_last_dims(case, name):
    oc = opcases.load("msmv_sampling")
    feat, ss, lsi, loc, w = oc.spec.prepare(_small(oc))
    if case == "locations_last_2":
        loc = loc[..., :2].contiguous()
    elif case == "spatial_shapes_last_1":
        ss = ss[..., :1].contiguous()
    else:
        lsi = lsi[:1].contiguous()
    with pytest.raises(RuntimeError, match=name):
        OPS.msmv_sampling(feat, ss, lsi, loc, w)


# -- (b) second-order gradients -----------------------------------------------------------------
def _second_order(oc, fn):
    spec = oc.spec
    args = h.leaves(_small(oc, torch.float64), spec.differentiable)
    outs = h.as_tuple(fn(*args))
    loss = sum((outs[i].double() ** 2).sum() for i in spec.float_outputs)
    grads = torch.autograd.grad(loss, [args[i] for i in spec.differentiable], create_graph=True)
    total = sum((g ** 2).sum() for g in grads)
    torch.autograd.grad(total, [args[i] for i in spec.differentiable], allow_unused=True)


@pytest.mark.parametrize("opcase", DIFFERENTIABLE, ids=[oc.OP for oc in DIFFERENTIABLE])
def test_second_order_gradients_raise_naming_the_op(opcase, native_only):
    with pytest.raises(RuntimeError, match=f"{opcase.OP}: second-order gradients"):
        _second_order(opcase, opcase.native)


@pytest.mark.parametrize("opcase", DIFFERENTIABLE, ids=[oc.OP for oc in DIFFERENTIABLE])
def test_second_order_gradients_raise_on_the_torch_before_2_4_path(opcase, native_only, monkeypatch):
    """The autograd.Function path (torch < 2.4) wraps the backward's results under create_graph."""
    spec = opcase.spec
    monkeypatch.setattr(_library, "HAS_REGISTER_AUTOGRAD", False)
    setup_context, backward = _contract._make_autograd(spec)
    function = _library.autograd_function(f"{spec.name}_compat2", spec.forward_op, backward, setup_context)
    with pytest.raises(RuntimeError, match=f"{opcase.OP}: second-order gradients"):
        _second_order(opcase, lambda *a: function.apply(*spec.prepare(a)))


def test_first_order_gradients_with_create_graph_still_work(native_only):
    oc = opcases.load("deformable_aggregation")
    spec = oc.spec
    args = h.leaves(_small(oc, torch.float64), spec.differentiable)
    out = oc.native(*args)
    g = torch.autograd.grad(out.square().sum(), args[0], create_graph=True)[0]
    ref_args = h.leaves(_small(oc, torch.float64), spec.differentiable)
    ref = oc.reference(*ref_args)
    g_ref = torch.autograd.grad(ref.square().sum(), ref_args[0])[0]
    torch.testing.assert_close(g.detach(), g_ref)


# -- (c) mixed devices, meta tensors included -----------------------------------------------------
def _mixed_params():
    out = []
    for oc in OPCASES:
        if len(oc.spec.tensor_inputs) > 1:
            for i in oc.spec.tensor_inputs:
                out.append(pytest.param(oc, i, id=f"{oc.OP}-{oc.spec.inputs[i].name}"))
    return out


@pytest.mark.parametrize("opcase,index", _mixed_params())
def test_mixed_devices_raise_at_api_and_dispatcher(opcase, index):
    spec = opcase.spec
    good = _small(opcase)
    name = spec.inputs[index].name
    bad = [a.to("meta") if j == index else a for j, a in enumerate(good)]
    with pytest.raises(ValueError, match=f"one device.*{name} on meta"):
        opcase.native(*bad)
    prepared = list(spec.prepare(good))
    prepared[index] = prepared[index].to("meta")
    with pytest.raises((RuntimeError, ValueError), match=f"one device.*{name} on meta"):
        spec.forward_op(*prepared)
    if spec.backward:
        outs = h.as_tuple(spec.forward_op(*spec.prepare(good)))
        grads = [torch.ones_like(outs[i]) for i in spec.float_outputs]
        saved = [outs[[o.name for o in spec.outputs].index(n)] for n in spec.backward_saves]
        with pytest.raises((RuntimeError, ValueError), match=f"one device.*{name} on meta"):
            spec.backward_op(*grads, *prepared, *saved)


@pytest.mark.parametrize("opcase", OPCASES, ids=[oc.OP for oc in OPCASES])
def test_all_meta_dispatcher_call_gives_shapes_or_a_clear_error(opcase):
    """All tensors on meta: the fake kernel gives the output shapes, or (data-dependent sizes)
    PyTorch's own error; malformed ranks are refused naming the argument."""
    spec = opcase.spec
    prepared = [a.to("meta") if isinstance(a, torch.Tensor) else a for a in spec.prepare(_small(opcase))]
    try:
        outs = h.as_tuple(spec.forward_op(*prepared))
        assert all(o.device.type == "meta" for o in outs)
    except RuntimeError as e:
        assert "meta" in str(e).lower() or "dynamic" in str(e).lower(), e
    i = spec.tensor_inputs[0]
    bad = list(prepared)
    bad[i] = bad[i].unsqueeze(0)
    with pytest.raises((RuntimeError, ValueError), match=spec.inputs[i].name):
        spec.forward_op(*bad)


def test_kmeans_ops_mixed_devices():
    x, r = torch.rand(20, 3, dtype=torch.float64), torch.rand(3, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="r must be on x's device"):
        kmeanspp_module.kmeanspp(x, 0, r.to("meta"))
    with pytest.raises(NotImplementedError, match="kmeanspp"):
        OPS.kmeanspp(x, 0, r.to("meta"))
    args = _bounds_args()
    args[4] = args[4].to("meta")
    with pytest.raises(ValueError, match="centers must be on x's device"):
        bounds_module.kmeans_bounds_step(*args)
    with pytest.raises(NotImplementedError, match="kmeans_bounds_step"):
        OPS.kmeans_bounds_step(*args)


# -- (d) value checks under torch.compile --------------------------------------------------------
def _index_params():
    out = []
    for oc in OPCASES:
        idx = [i for i in oc.spec.tensor_inputs if oc.spec.inputs[i].kind == "index"]
        if idx:
            for backend in ("eager", "aot_eager"):
                for mode in ("native", "reference"):
                    out.append(pytest.param(oc, idx[-1], backend, mode, id=f"{oc.OP}-{backend}-{mode}"))
    return out


@pytest.mark.parametrize("opcase,index,backend,mode", _index_params())
def test_out_of_range_index_values_raise_under_torch_compile(opcase, index, backend, mode, monkeypatch):
    import torch._dynamo
    monkeypatch.setenv("ASCEND_OPS_BACKEND", mode)
    args = list(_small(opcase))
    args[index] = args[index] + 1000
    try:
        opcase.native(*args)
    except (RuntimeError, ValueError):
        pass
    else:
        pytest.skip(f"{opcase.OP} accepts any value of {opcase.spec.inputs[index].name} (eager raised nothing)")
    torch._dynamo.reset()
    compiled = torch.compile(lambda *a: opcase.native(*a), backend=backend)
    with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True, capture_scalar_outputs=True):
        with pytest.raises((RuntimeError, ValueError), match=f"{opcase.OP}: .*{opcase.spec.inputs[index].name}"):
            compiled(*args)


@pytest.mark.parametrize("backend", ["eager", "aot_eager"])
def test_scale_start_index_just_past_the_end_raises_under_compile_on_the_reference(backend, monkeypatch):
    """start + H*W = num_feat + 1: the reference's gathers alone would stay in bounds (a silent
    read of the next level); the traced assert refuses it."""
    import torch._dynamo
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    f, s, i = _da_layout()
    i = i.clone()
    i[1, 1] = 52 - 6 + 1
    loc, w = torch.rand(1, 3, 4, 2, 2), torch.rand(1, 3, 4, 2, 2, 2)
    torch._dynamo.reset()
    compiled = torch.compile(lambda *a: ascend_ops.deformable_aggregation(*a), backend=backend)
    with pytest.raises(RuntimeError, match="scale_start_index"):
        compiled(f, s, i, loc, w)


# -- (e) NaN / Inf in skipped samples --------------------------------------------------------------
def _agree(spec, fn_native, fn_ref, args):
    with h.backend("native"):
        outs, grads = h.forward_backward(spec, fn_native, args)
    with h.backend("reference"):
        ref_outs, ref_grads = h.forward_backward(spec, fn_ref, args)
    for a, b in zip(list(outs) + list(grads), list(ref_outs) + list(ref_grads)):
        torch.testing.assert_close(a, b, equal_nan=True, rtol=1e-4, atol=1e-4)
    return outs


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", ["weights_of_skipped", "location", "feature_under_outside_corner"])
def test_deformable_aggregation_non_finite_in_skipped_samples(value, where):
    oc = opcases.load("deformable_aggregation")
    f, s, i = _da_layout()
    loc, w = torch.rand(1, 3, 4, 2, 2), torch.rand(1, 3, 4, 2, 2, 2)
    if where == "weights_of_skipped":
        loc[0, 0, 0, 0, 0] = 1.5                     # u outside (0, 1): skipped
        w[0, 0, 0, 0] = value
    elif where == "location":
        loc[0, 0, 0, 0, 1] = value
    else:
        # the last pixel of (cam 0, level 0) is read only by clamped, outside corners of samples
        # at the top-left border; a NaN / Inf there must not reach the output
        f[0, 19] = value
        loc[..., 0] = 0.01
        loc[..., 1] = 0.01
    out = _agree(oc.spec, oc.native, oc.reference, (f, s, i, loc, w))[0]
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
@pytest.mark.parametrize("where", ["x", "view", "weight_of_skipped"])
def test_msmv_sampling_non_finite_in_skipped_samples(value, where):
    oc = opcases.load("msmv_sampling")
    feat, ss, lsi, loc, w = _small(oc)
    loc, w = loc.clone(), w.clone()
    if where == "x":
        loc[0, 0, 0, 0] = value
    elif where == "view":
        loc[0, 0, 0, 2] = value
    else:
        loc[0, 0, 0, 0] = 5.0
        w[0, 0, 0] = value
    out = _agree(oc.spec, oc.native, msmv_module._reference_flat, (feat, ss, lsi, loc, w))[0]
    assert torch.isfinite(out).all()


# -- (f) kmeans ops: NaN, +-1e300, out-of-range labels -------------------------------------------
BAD_VALUES = [float("nan"), float("inf"), -float("inf"), 1e300, -1e300]


def _bounds_args(labels=None):
    n, k, d = 20, 4, 3
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, d, dtype=torch.float64, generator=g)
    centers = torch.rand(k, d, dtype=torch.float64, generator=g)
    labels = torch.randint(0, k, (n,), generator=g) if labels is None else labels
    nb = torch.stack([torch.arange(k), (torch.arange(k) + 1) % k], 1)
    inf = torch.full((k,), float("inf"), dtype=torch.float64)
    small = torch.rand(k, dtype=torch.float64, generator=g)
    return [x, labels, torch.full((n,), 1e9, dtype=torch.float64), torch.zeros(n, dtype=torch.float64), centers,
            small, small.clone(), inf, 0.5, nb, inf.clone(), small.clone()]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_kmeanspp_refuses_non_finite_and_overflowing_points(value):
    x, r = torch.rand(20, 3, dtype=torch.float64), torch.rand(3, 2, dtype=torch.float64)
    x[3, 1] = value
    with pytest.raises(ValueError, match="kmeanspp: x must be finite"):
        kmeanspp_module.kmeanspp(x, 0, r)
    with pytest.raises(RuntimeError, match="kmeanspp: x must be finite"):
        OPS.kmeanspp(x, 0, r)


@pytest.mark.parametrize("value", [float("nan"), 1.5, -0.1])
def test_kmeanspp_refuses_random_numbers_outside_0_1(value):
    x, r = torch.rand(20, 3, dtype=torch.float64), torch.rand(3, 2, dtype=torch.float64)
    r[1, 0] = value
    with pytest.raises(ValueError, match="kmeanspp: r must"):
        kmeanspp_module.kmeanspp(x, 0, r)
    with pytest.raises(RuntimeError, match="kmeanspp: r must"):
        OPS.kmeanspp(x, 0, r)


def test_kmeanspp_coordinate_limit_is_tight():
    """Points at the limit still give finite squared distances (and are accepted)."""
    limit = kmeanspp_module.coordinate_limit(3, 3)
    x = torch.tensor([[limit] * 3, [-limit] * 3, [0.0] * 3], dtype=torch.float64)
    assert torch.isfinite(((x[:, None] - x[None]) ** 2).sum())
    idx = OPS.kmeanspp(x, 0, torch.full((1, 1), 0.5, dtype=torch.float64))
    assert idx.tolist() == kmeanspp_module.kmeanspp_reference(x, 0, torch.full((1, 1), 0.5, dtype=torch.float64)).tolist()


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name,index", [("x", 0), ("centers", 4)])
def test_kmeans_bounds_step_refuses_bad_coordinates(name, index, value):
    args = _bounds_args()
    args[index] = args[index].clone()
    args[index][1, 1] = value
    with pytest.raises((ValueError, RuntimeError), match=f"kmeans_bounds_step: {name} must be finite"):
        bounds_module.kmeans_bounds_step(*args)


@pytest.mark.parametrize("label", [-1, 4, 2 ** 40])
def test_kmeans_bounds_step_refuses_out_of_range_labels(label):
    labels = torch.zeros(20, dtype=torch.int64)
    labels[5] = label
    with pytest.raises((ValueError, RuntimeError), match="labels must lie in"):
        bounds_module.kmeans_bounds_step(*_bounds_args(labels.clone()))
    with pytest.raises(RuntimeError, match="labels must lie in"):
        OPS.kmeans_bounds_step(*_bounds_args(labels.clone()))


@pytest.mark.parametrize("name,index", [("shift", 5), ("half", 11), ("upper", 2)])
def test_kmeans_bounds_step_refuses_nan_bounds(name, index):
    args = _bounds_args()
    args[index] = args[index].clone()
    args[index][0] = float("nan")
    with pytest.raises((ValueError, RuntimeError), match=f"{name}.* NaN"):
        bounds_module.kmeans_bounds_step(*args)


def test_kmeans_bounds_step_refuses_nan_max_shift():
    args = _bounds_args()
    args[8] = float("nan")
    with pytest.raises(ValueError, match="max_shift"):
        bounds_module.kmeans_bounds_step(*args)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_kmeans_refuses_non_finite_and_overflowing_points(value):
    points = np.random.default_rng(0).random((50, 3))
    points[3, 1] = value
    with pytest.raises(ValueError, match="kmeans: points"):
        kmeans_module.kmeans(points, 4, seed=0)


@pytest.mark.parametrize("mutate,match", [(("x", 0, 1e300), "x must be finite"), (("centers", 4, float("nan")), "centers"),
                                          (("upper", 2, float("nan")), "upper holds NaN"),
                                          (("labels", 1, 9), "labels must lie in")])
def test_kmeans_bounds_step_reference_path_checks_the_same_values(mutate, match, monkeypatch):
    """The native kernel checks the point-sized values itself; the reference path checks them in
    Python before computing."""
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    name, index, value = mutate
    args = _bounds_args()
    args[index] = args[index].clone()
    args[index].view(-1)[1] = value
    with pytest.raises(ValueError, match=match):
        bounds_module.kmeans_bounds_step(*args)
