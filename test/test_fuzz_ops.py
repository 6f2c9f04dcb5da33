"""Property-based fuzzing of every op (issue 10): random shapes (0-size included), dtypes,
devices (cpu / meta, mixed), out-of-range and non-finite values, non-contiguous inputs, wrong
ranks and wrong scalar arguments, at the Python API, at `torch.ops.ascend_ops.<op>` and at
`torch.ops.ascend_ops.<op>_backward` directly.

Every op with a spec and a case module is fuzzed (`ascend_ops.opcases.load_all()`, so ops added
later are covered without touching this file), plus the kmeans ops (kmeanspp,
kmeans_bounds_step) and `ascend_ops.anchors.kmeans`. The only acceptable outcomes of a call:
- a result equal to the pure-PyTorch reference on the same arguments (float outputs within the
  op's tolerance with the same NaN / Inf positions, integer outputs exactly; meta inputs: meta
  outputs of the reference's shapes), or
- TypeError / ValueError / RuntimeError / NotImplementedError whose message names an argument
  (or, for meta tensors, PyTorch's own meta-tensor error; for sizes beyond memory, PyTorch's own
  allocation error, as torch.zeros gives).
Never a crash, a hang, another exception or a silent wrong answer.

The ops are fuzzed in a child process (this file run as a script, one op after the other), so a
segmentation fault or a hang is reported with the case that caused it instead of killing the
test run; after a crash a new child goes on with the remaining ops. hypothesis runs derandomized
(the same cases every run; CI is deterministic) with FUZZ_EXAMPLES examples per op and entry
point."""
import json
import os
import signal
import subprocess
import sys

import pytest

FUZZ_EXAMPLES = int(os.environ.get("ASCEND_KIT_FUZZ_EXAMPLES", "30"))
CHILD_TIMEOUT_S = int(os.environ.get("ASCEND_KIT_FUZZ_CHILD_TIMEOUT", "120"))   # per op
EXCEPTIONS = (TypeError, ValueError, RuntimeError, NotImplementedError)


def _op_names():
    import ascend_ops  # noqa: F401
    from ascend_ops import opcases
    return [oc.OP for oc in opcases.load_all()] + ["kmeanspp", "kmeans_bounds_step", "kmeans"]


def _run_children(ops):
    """{op: (problems list, cases count) or an error string}: the ops fuzzed in child processes,
    one after the other; a child that dies or hangs is reported against the op it was on, and a
    new child continues with the ops after it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    env.pop("ASCEND_OPS_BACKEND", None)
    results, todo = {}, list(ops)
    while todo:
        timed_out = False
        try:
            run = subprocess.run([sys.executable, os.path.abspath(__file__), *todo], capture_output=True,
                                 text=True, timeout=CHILD_TIMEOUT_S * len(todo) + 120, env=env, cwd=root)
            out, err, rc = run.stdout, run.stderr, run.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err, rc, timed_out = "", None, True
        current = None
        for line in out.splitlines():
            if line.startswith("OP "):
                current = line[3:]
            elif line.startswith("REPORT "):
                report = json.loads(line[7:])
                results[report["op"]] = report
        last_case = [l[5:] for l in out.splitlines() if l.startswith("CASE ")][-1:]
        if current is not None and current not in results:
            hung = timed_out or rc == -signal.SIGALRM
            why = (f"hung (> {CHILD_TIMEOUT_S} s on one op)" if hung else
                   f"died of {signal.Signals(-rc).name}" if rc is not None and rc < 0 else f"exited with {rc}")
            results[current] = f"the fuzz child {why} on case: {last_case}\n{err[-3000:]}"
        elif current is None:
            for op in todo:
                results[op] = f"the fuzz child gave no report (rc {rc}):\n{err[-3000:]}"
        todo = [op for op in todo if op not in results]
    return results


def test_crash_and_hang_are_reported_and_the_rest_still_runs(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHILD_TIMEOUT_S", 3)
    monkeypatch.setenv("ASCEND_KIT_FUZZ_CHILD_TIMEOUT", "3")
    results = _run_children(["_selftest_crash", "_selftest_hang", "_selftest_ok"])
    assert "died of SIGSEGV" in results["_selftest_crash"]
    assert "hung" in results["_selftest_hang"] and "sleeping" in results["_selftest_hang"]
    assert results["_selftest_ok"] == {"op": "_selftest_ok", "cases": 0, "problems": []}


@pytest.fixture(scope="module")
def fuzz_results():
    return _run_children(_op_names())


@pytest.mark.parametrize("op", _op_names())
def test_fuzz(op, fuzz_results):
    result = fuzz_results[op]
    if isinstance(result, str):
        pytest.fail(f"{op}: {result}")
    assert result["cases"] >= FUZZ_EXAMPLES, result
    assert not result["problems"], f"{op}: " + "\n".join(result["problems"][:20])


# ==== the child: fuzz one op ======================================================================
def _child(op):
    import warnings

    import torch
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    import ascend_ops  # noqa: F401
    from ascend_ops import opcases
    from ascend_ops.opcases import _harness as h

    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    problems, count = [], [0]
    fuzz_settings = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                             phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))

    def record(desc, what):
        problems.append(f"[{desc}] {what}")

    def check_error(desc, err, names, meta):
        msg = str(err)
        if not isinstance(err, EXCEPTIONS):
            record(desc, f"unexpected {type(err).__name__}: {msg[:300]}")
        elif (not any(n in msg for n in names) and not (meta and "meta" in msg.lower())
              and not (isinstance(err, RuntimeError) and "can't allocate memory" in msg)):
            record(desc, f"{type(err).__name__} names no argument ({', '.join(names)}): {msg[:300]}")

    if op in ("kmeanspp", "kmeans_bounds_step", "kmeans"):
        _fuzz_kmeans(op, st, given, fuzz_settings, record, check_error, count)
    else:
        _fuzz_spec_op(opcases.load(op), torch, h, st, given, fuzz_settings, record, check_error, count)
    print("REPORT " + json.dumps({"op": op, "cases": count[0], "problems": problems}), flush=True)


def _mutations(spec, torch):
    """Names of the mutations the fuzzer may apply (drawn by hypothesis)."""
    return ["dtype", "rank_up", "rank_down", "shrink", "grow", "meta_one", "meta_all", "noncontig", "value",
            "nonfinite", "scalar"]


_DTYPES = ["float16", "bfloat16", "float32", "float64", "int32", "int64", "uint8", "bool"]
_SCALARS = [-1, 0, 1, 2 ** 40, True, None, 1.5, "x", [], [1, 2], [-1, 2, 3], [0, 0, 0]]
_OFFSETS = [-2 ** 31 - 5, -1000, -1, 1, 7, 1000, 2 ** 31 + 5]
_NONFINITE = [float("nan"), float("inf"), -float("inf"), 1e30, -1e30, 0.0]


def _apply(mutation, data, args, decls, torch, st):
    """args with one mutation applied (list), and a short description."""
    args = list(args)
    tensors = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
    scalars = [i for i, a in enumerate(args) if not isinstance(a, torch.Tensor)]
    if mutation == "scalar":
        if not scalars:
            return args, "scalar: none"
        i = data.draw(st.sampled_from(scalars))
        args[i] = data.draw(st.sampled_from(_SCALARS))
        return args, f"{decls[i]}={args[i]!r}"
    if mutation == "meta_all":
        return [a.to("meta") if isinstance(a, torch.Tensor) else a for a in args], "all meta"
    i = data.draw(st.sampled_from(tensors))
    t, name = args[i], decls[i]
    if mutation == "dtype":
        dtype = getattr(torch, data.draw(st.sampled_from(_DTYPES)))
        args[i] = t.to(dtype)
        return args, f"{name}.to({dtype})"
    if mutation == "rank_up":
        args[i] = t.unsqueeze(data.draw(st.integers(0, t.dim())))
        return args, f"{name} rank+1 {tuple(args[i].shape)}"
    if mutation == "rank_down":
        if t.dim() == 0:
            return args, "rank_down: 0-dim"
        args[i] = t.flatten(0, 1) if t.dim() > 1 else t.sum()
        return args, f"{name} rank-1 {tuple(args[i].shape)}"
    if mutation in ("shrink", "grow"):
        if t.dim() == 0:
            return args, f"{mutation}: 0-dim"
        d = data.draw(st.integers(0, t.dim() - 1))
        if mutation == "shrink":
            size = data.draw(st.integers(0, max(0, t.shape[d] - 1)))
            args[i] = t.narrow(d, 0, size)
        else:
            args[i] = torch.cat([t, t.narrow(d, 0, min(1, t.shape[d]))], d)
        return args, f"{name} {mutation} dim {d} -> {tuple(args[i].shape)}"
    if mutation == "meta_one":
        args[i] = t.to("meta")
        return args, f"{name} on meta"
    if mutation == "noncontig":
        if t.numel() < 2:
            return args, "noncontig: too small"
        buf = torch.zeros(t.shape + (2,), dtype=t.dtype, device=t.device)
        buf[..., 0] = t
        args[i] = buf[..., 0]
        return args, f"{name} non-contiguous"
    if mutation == "value":
        if t.is_floating_point() or t.dtype == torch.bool or t.numel() == 0 or t.device.type == "meta":
            return args, "value: not an integer tensor"
        off = data.draw(st.sampled_from(_OFFSETS))
        k = data.draw(st.integers(0, t.numel() - 1))
        flat = t.clone().long().reshape(-1)
        flat[k] += off
        args[i] = flat.reshape(t.shape).to(t.dtype)
        return args, f"{name}.flat[{k}] += {off}"
    if mutation == "nonfinite":
        if not t.is_floating_point() or t.numel() == 0 or t.device.type == "meta":
            return args, "nonfinite: not a float tensor"
        v = data.draw(st.sampled_from(_NONFINITE))
        k = data.draw(st.integers(0, t.numel() - 1))
        flat = t.clone().reshape(-1)
        flat[k] = v
        args[i] = flat.reshape(t.shape)
        return args, f"{name}.flat[{k}] = {v}"
    raise AssertionError(mutation)


def _same(spec, tol, outs, ref_outs, h, torch):
    """Problems of outs vs ref_outs: same non-finite positions, finite parts within tolerance."""
    outs, ref_outs = h.as_tuple(outs), h.as_tuple(ref_outs)
    if len(outs) != len(ref_outs):
        return [f"{len(outs)} outputs, reference {len(ref_outs)}"]
    if any(o.device.type == "meta" for o in outs + ref_outs):
        return [f"output {k}: {tuple(o.shape)} {o.dtype} != reference {tuple(r.shape)} {r.dtype}"
                for k, (o, r) in enumerate(zip(outs, ref_outs)) if o.shape != r.shape or o.dtype != r.dtype]
    clean, ref_clean, problems = [], [], []
    for k, (o, r) in enumerate(zip(outs, ref_outs)):
        if o.shape == r.shape and o.is_floating_point() and r.is_floating_point():
            o64, r64 = o.detach().double(), r.detach().double()
            if not (torch.equal(o64.isnan(), r64.isnan()) and torch.equal(o64.isinf() * o64.sign(),
                                                                           r64.isinf() * r64.sign())):
                problems.append(f"output {k}: NaN / Inf positions differ from the reference")
            fin = o64.isfinite() & r64.isfinite()
            o, r = torch.where(fin, o64, 0.0).to(o.dtype), torch.where(fin, r64, 0.0).to(r.dtype)
        clean.append(o.detach())
        ref_clean.append(r.detach())
    order, ref_order = h.row_order(spec, clean), h.row_order(spec, ref_clean)
    if order is not None and ref_order is not None and clean[0].shape == ref_clean[0].shape:
        clean = [c.index_select(0, order) for c in clean]
        ref_clean = [c.index_select(0, ref_order) for c in ref_clean]
    return problems + h.compare(spec, tol, clean, ref_clean)


def _fuzz_spec_op(oc, torch, h, st, given, fuzz_settings, record, check_error, count):
    spec = oc.spec
    names = [a.name for a in spec.inputs]
    grad_names = [f"grad_{spec.outputs[i].name}" for i in spec.float_outputs]
    case_names = [c for c in ("small", "empty") if c in oc.cases()]
    entries = ["api", "dispatcher"] + (["backward"] if spec.backward else [])
    float_dtypes = [d for d in (torch.float32, torch.float64, torch.float16, torch.bfloat16) if d in spec.float_dtypes]

    def reference(args):
        with h.backend("reference"):
            return oc.native(*args)

    def tolerance(args):
        floats = [a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]
        dtype = floats[0].dtype if floats else torch.float32
        for f in floats[1:]:
            dtype = torch.promote_types(dtype, f.dtype)
        return oc.tolerance(dtype)

    for entry in entries:
        @fuzz_settings
        @given(st.data())
        def run(data):
            case = data.draw(st.sampled_from(case_names))
            dtype = data.draw(st.sampled_from(float_dtypes))
            seed = data.draw(st.integers(0, 3))
            args = oc.cases()[case]("cpu", dtype=dtype, seed=seed, quick=True)
            if entry != "api":
                args = spec.prepare(args)
            descs = [entry, case, str(dtype)[6:], f"seed {seed}"]
            for mutation in data.draw(st.lists(st.sampled_from(_mutations(spec, torch)), max_size=2)):
                args, desc = _apply(mutation, data, args, names, torch, st)
                descs.append(desc)
            desc = "; ".join(descs)
            count[0] += 1
            print("CASE " + desc, flush=True)
            meta = any(isinstance(a, torch.Tensor) and a.device.type == "meta" for a in args)
            if entry == "backward":
                _run_backward(oc, args, desc, meta, grad_names, names, torch, h, record, check_error, reference,
                              tolerance)
                return
            call = oc.native if entry == "api" else spec.forward_op
            try:
                with h.backend("native"):
                    outs = call(*args)
            except Exception as e:  # judged by check_error
                check_error(desc, e, names, meta)
                return
            try:
                ref = reference(args)
            except Exception as e:
                if meta and all(o.device.type == "meta" for o in h.as_tuple(outs)):
                    return   # shapes from the fake kernel; the reference needs values it cannot read
                if entry == "api":
                    record(desc, f"the API returned, the reference raised {type(e).__name__}: {str(e)[:200]}")
                    return
                try:   # the dispatcher takes what the API may refuse (e.g. no promotion): raw reference
                    ref = spec.reference(*args)
                except Exception as e2:
                    record(desc, f"the dispatcher returned, the reference raised {type(e2).__name__}: {str(e2)[:200]}")
                    return
            for p in _same(spec, tolerance(args), outs, ref, h, torch):
                record(desc, p)

        run()


def _run_backward(oc, args, desc, meta, grad_names, names, torch, h, record, check_error, reference, tolerance):
    """The backward op on (possibly mutated) forward inputs: a clear error, or the gradients of
    the reference's outputs (same seeded output gradients)."""
    spec = oc.spec
    all_names = grad_names + names + list(spec.backward_saves)
    try:
        with h.backend("native"):
            outs = h.as_tuple(spec.forward_op(*args))
    except Exception as e:
        check_error(desc + " (forward)", e, names, meta)
        return
    grads = [h.grad_output_like(outs[i]) for i in spec.float_outputs]
    saved = [outs[[o.name for o in spec.outputs].index(n)] for n in spec.backward_saves]
    try:
        result = h.as_tuple(spec.backward_op(*grads, *args, *saved))
    except Exception as e:
        check_error(desc, e, all_names, meta)
        return
    for i, g in zip(spec.differentiable, result):
        if g.shape != args[i].shape:
            record(desc, f"gradient of {names[i]}: shape {tuple(g.shape)} != input {tuple(args[i].shape)}")
            return
    if meta:
        return
    leaves = h.leaves(args, spec.differentiable)
    try:
        ref_outs = h.as_tuple(reference(leaves))
    except Exception as e:
        try:
            ref_outs = h.as_tuple(spec.reference(*leaves))
        except Exception:
            record(desc, f"the backward op returned, the reference raised {type(e).__name__}: {str(e)[:200]}")
            return
    float_outs = [ref_outs[i] for i in spec.float_outputs]
    if not any(o.requires_grad for o in float_outs):
        return
    ref_grads = torch.autograd.grad(float_outs, [leaves[i] for i in spec.differentiable],
                                    [g.to(o.dtype) for g, o in zip(grads, float_outs)], allow_unused=True)
    ref_grads = [torch.zeros_like(leaves[i]) if g is None else g for i, g in zip(spec.differentiable, ref_grads)]
    grad_spec = _GradSpec(spec)
    for p in _same(grad_spec, tolerance(args), result, ref_grads, h, torch):
        record(desc, p)


class _GradSpec:
    """A spec-like view of the gradients (all float, ordered) for `_same`."""

    def __init__(self, spec):
        from ascend_ops.ops import _contract
        self.outputs = tuple(_contract.Output(f"grad_{spec.inputs[i].name}") for i in spec.differentiable)
        self.inputs, self.differentiable, self.ordered = spec.inputs, (), True


def _fuzz_kmeans(op, st, given, fuzz_settings, record, check_error, count):
    """kmeanspp / kmeans_bounds_step (API and dispatcher) and kmeans(): random sizes, NaN, +-inf,
    +-1e300, out-of-range first / labels / neighbours, wrong dtypes and devices."""
    import importlib

    import numpy as np
    import torch

    kmeanspp = importlib.import_module("ascend_ops.ops.kmeanspp")
    bounds = importlib.import_module("ascend_ops.ops.kmeans_bounds_step")
    kmeans = importlib.import_module("ascend_ops.anchors.kmeans")
    bad_values = [float("nan"), float("inf"), -float("inf"), 1e300, -1e300, 1e150]

    @fuzz_settings
    @given(st.data())
    def run(data):
        n, d = data.draw(st.integers(1, 40)), data.draw(st.integers(1, 4))
        seed = data.draw(st.integers(0, 100))
        g = torch.Generator().manual_seed(seed)
        x = torch.rand(n, d, dtype=torch.float64, generator=g) * 10
        desc = [f"n={n} d={d} seed={seed}"]
        if data.draw(st.booleans()):
            v = data.draw(st.sampled_from(bad_values))
            x[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, d - 1))] = v
            desc.append(f"x has {v}")
        entry = data.draw(st.sampled_from(["api", "dispatcher"]))
        desc.append(entry)
        if op == "kmeans":
            k = data.draw(st.integers(0, n + 1))
            desc.append(f"k={k}")
            count[0] += 1
            print("CASE " + "; ".join(desc), flush=True)
            try:
                res = kmeans.kmeans(x.numpy(), k, seed=0, max_iter=20)
            except Exception as e:
                check_error("; ".join(desc), e, ["points", "k"], False)
                return
            if not (np.isfinite(res.centers).all() and np.isfinite(res.inertia)):
                record("; ".join(desc), f"non-finite result {res.centers} {res.inertia}")
            return
        if op == "kmeanspp":
            k = data.draw(st.integers(1, n + 2))
            r = torch.rand(k - 1, data.draw(st.integers(0, 3)), dtype=torch.float64, generator=g)
            first = data.draw(st.sampled_from([0, n - 1, n, -1, 2 ** 40]))
            if r.numel() and data.draw(st.booleans()):
                r[0, 0] = data.draw(st.sampled_from([float("nan"), 1.5, -0.5, 1.0, 0.0]))
            mut = data.draw(st.sampled_from(["none", "float32", "meta", "noncontig"]))
            if mut == "float32":
                x = x.float()
            elif mut == "meta":
                r = r.to("meta")
            elif mut == "noncontig" and n > 1:
                x = x.t().contiguous().t()
            desc += [f"k={k}", f"r {tuple(r.shape)}", f"first={first}", mut]
            text = "; ".join(desc)
            count[0] += 1
            print("CASE " + text, flush=True)
            call = kmeanspp.kmeanspp if entry == "api" else torch.ops.ascend_ops.kmeanspp
            try:
                idx = call(x, first, r)
            except Exception as e:
                check_error(text, e, ["x", "r", "first", "k ="], mut == "meta")
                return
            try:
                ref = kmeanspp.kmeanspp_reference(x, first, r)
            except Exception as e:
                record(text, f"returned {idx.tolist()}, the reference raised {type(e).__name__}: {e}")
                return
            if not torch.equal(idx, ref):
                record(text, f"indices {idx.tolist()} != reference {ref.tolist()}")
            return
        # kmeans_bounds_step
        k = data.draw(st.integers(1, 6))
        m = data.draw(st.integers(1, k))
        centers = torch.rand(k, d, dtype=torch.float64, generator=g) * 10
        labels = torch.randint(0, k, (n,), generator=g)
        dist = torch.cdist(centers, centers)
        nb = dist.argsort(1)[:, :m].contiguous()
        radius = dist.gather(1, nb[:, -1:])[:, 0] if m < k else torch.full((k,), float("inf"), dtype=torch.float64)
        half = (dist + torch.eye(k, dtype=torch.float64) * 1e300).min(1).values / 2 if k > 1 else torch.full(
            (k,), float("inf"), dtype=torch.float64)
        shift = torch.rand(k, dtype=torch.float64, generator=g)
        upper = ((x - centers[labels]) ** 2).sum(1).sqrt() if bool(torch.isfinite(x).all()) else torch.ones(n, dtype=torch.float64)
        lower = torch.zeros(n, dtype=torch.float64)
        args = [x, labels, upper, lower, centers, shift, shift.clone(), radius.clone(), float(shift.max()), nb,
                radius, half]
        names = ["x", "labels", "upper", "lower", "centers", "shift", "near", "radius_old", "max_shift", "nb",
                 "radius", "half"]
        mut = data.draw(st.sampled_from(["none", "labels", "nb", "nan_bound", "max_shift", "dtype", "shape", "meta"]))
        j = data.draw(st.sampled_from([1, 2, 4, 5, 9, 11]))
        if mut == "labels":
            args[1] = labels.clone()
            args[1][data.draw(st.integers(0, n - 1))] = data.draw(st.sampled_from([-1, k, 2 ** 40]))
        elif mut == "nb":
            args[9] = nb.clone()
            args[9][0, 0] = data.draw(st.sampled_from([-1, k]))
        elif mut == "nan_bound":
            args[5] = shift.clone()
            args[5][0] = float("nan")
        elif mut == "max_shift":
            args[8] = data.draw(st.sampled_from([float("nan"), None, "x"]))
        elif mut == "dtype":
            args[j] = args[j].float() if args[j].is_floating_point() else args[j].int()
        elif mut == "shape":
            args[j] = args[j][:-1]
        elif mut == "meta":
            args[j] = args[j].to("meta")
        desc += [f"k={k} m={m}", f"{mut} on {names[j]}" if mut in ("dtype", "shape", "meta") else mut]
        text = "; ".join(desc)
        count[0] += 1
        print("CASE " + text, flush=True)
        mine = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        theirs = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        call = bounds.kmeans_bounds_step if entry == "api" else torch.ops.ascend_ops.kmeans_bounds_step
        try:
            outs = call(*mine)
        except Exception as e:
            check_error(text, e, names, mut == "meta")
            return
        try:
            ref = bounds.kmeans_bounds_step_reference(*theirs)
        except Exception as e:
            record(text, f"returned, the reference raised {type(e).__name__}: {e}")
            return
        if not (torch.equal(outs[0], ref[0]) and torch.equal(outs[1], ref[1]) and torch.equal(mine[1], theirs[1])):
            record(text, f"moved / labels differ from the reference: {outs[0].tolist()} vs {ref[0].tolist()}")
        elif not all(torch.allclose(mine[i], theirs[i], rtol=1e-9, atol=1e-9, equal_nan=True) for i in (2, 3)):
            record(text, "upper / lower differ from the reference")

    run()


def _selftest(name):
    """Stand-in ops for test_crash_and_hang_are_reported: a segfault, a hang, a clean report."""
    if name == "_selftest_crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if name == "_selftest_hang":
        import time
        print("CASE sleeping", flush=True)
        time.sleep(3600)
    print("REPORT " + json.dumps({"op": name, "cases": 0, "problems": []}), flush=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print("OP " + name, flush=True)
        signal.alarm(CHILD_TIMEOUT_S)   # a hang (even inside a kernel) ends the child with SIGALRM
        if name.startswith("_selftest"):
            _selftest(name)
        else:
            _child(name)
        signal.alarm(0)
