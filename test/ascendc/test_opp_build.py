"""The Ascend C OPP build side without CANN: the msopgen IR exported from the OpDefs
(ascend_ops.ascendc_sim.export_ir), the attribute / optional input / int32 output probe op under
the harness, kernels/CMakeLists.txt's op discovery (configured against a fake CANN tree whose
stub msopgen writes a minimal project) and `kernels/build_ascendc.sh --dry-run`."""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")
from ascend_ops.ascendc_sim import export_ir  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels"
PROBES = Path(__file__).resolve().parent / "kernels"
FLOATS = ["float", "float16"]


def _io(names_types, param="required"):
    return [{"name": n, "param_type": param, "format": ["ND"] * len(t), "type": t} for n, t in names_types]


def _sampling_ir(op, inputs, grads):
    """The IR the sampling ops' OpDefs must give: floats fp32|fp16, the two index inputs int32,
    forward out in the input dtype, the grad op's three gradients float32 for both combinations."""
    ins = [(n, ["int32", "int32"] if k in (1, 2) else FLOATS) for k, n in enumerate(inputs)]
    fwd = {"op": op, "language": "cpp", "input_desc": _io(ins), "output_desc": _io([("out", FLOATS)])}
    bwd = {"op": op + "Grad", "language": "cpp", "input_desc": _io(ins + [("grad_output", FLOATS)]),
           "output_desc": _io([(g, ["float", "float"]) for g in grads])}
    return [fwd, bwd]


def _opdef_types(root):
    """OpTypes registered (OP_ADD(<Type>)) by <root>/*/op_host/*.cpp, read from the sources."""
    types = set()
    for src in root.glob("*/op_host/*.cpp"):
        types |= set(re.findall(r"^\s*OP_ADD\((\w+)", src.read_text(), re.M))
    return types


def test_export_ir_kit_sampling_ops():
    entries, where = export_ir.export(KERNELS)
    by_op = {e["op"]: e for e in entries}
    assert set(by_op) == _opdef_types(KERNELS)
    want = _sampling_ir("DeformableAggregation",
                        ["mc_ms_feat", "spatial_shape", "scale_start_index", "sampling_location", "weights"],
                        ["grad_mc_ms_feat", "grad_sampling_location", "grad_weights"])
    want += _sampling_ir("MsmvSampling", ["feat", "spatial_shapes", "level_start_index", "sampling_locations",
                                          "scale_weights"],
                         ["grad_feat", "grad_sampling_locations", "grad_scale_weights"])
    for w in want:
        assert by_op[w["op"]] == w, w["op"]
    assert where["MsmvSamplingGrad"].source == KERNELS / "msmv_sampling" / "op_host" / "msmv_sampling_grad.cpp"


def test_export_ir_probe_attrs_optional_input_int_output():
    entries, _ = export_ir.export(PROBES)
    by_op = {e["op"]: e for e in entries}
    assert set(by_op) == {"AttrProbe", "ProbeCustom"}
    ir = by_op["AttrProbe"]
    # combinations floats x indices: (f32, i32), (f32, i64), (f16, i32), (f16, i64)
    f = ["float", "float", "float16", "float16"]
    i = ["int32", "int64", "int32", "int64"]
    assert ir["input_desc"] == _io([("x", f)]) + _io([("bias", f)], "optional") + _io([("idx", i)])
    assert ir["output_desc"] == _io([("y", f), ("count", ["int32"] * 4)])
    assert ir["attr"] == [
        {"name": "k", "param_type": "required", "type": "int"},
        {"name": "alpha", "param_type": "optional", "type": "float", "default_value": 0.5},
        {"name": "flag", "param_type": "optional", "type": "bool", "default_value": "false"},
        {"name": "dims", "param_type": "optional", "type": "listInt", "default_value": [1, 2]},
        {"name": "weights", "param_type": "optional", "type": "listFloat", "default_value": [0.25]},
        {"name": "mode", "param_type": "optional", "type": "str", "default_value": "sum"},
    ]
    assert by_op["ProbeCustom"]["attr"] == [{"name": "mode", "param_type": "required", "type": "int"}]


def test_export_ir_rejects_inconsistent_combinations():
    desc = {"inputs": [{"name": "a", "param_type": 2, "dtypes": [0, 1], "formats": [2, 2]}],
            "outputs": [{"name": "b", "param_type": 2, "dtypes": [0], "formats": [2]}], "attrs": []}
    with pytest.raises(export_ir.ExportError, match="different numbers of dtype combinations"):
        export_ir.op_ir("Bad", desc)
    desc["outputs"][0].update(dtypes=[0, 5], formats=[2, 2])   # ge dtype 5 has no IR name
    with pytest.raises(export_ir.ExportError, match="output 'b'"):
        export_ir.op_ir("Bad", desc)


def test_export_ir_cli(tmp_path):
    out = tmp_path / "ops.json"
    assert export_ir.main([str(PROBES), "-o", str(out)]) == 0
    assert [e["op"] for e in json.loads(out.read_text())] == ["AttrProbe", "ProbeCustom"]
    (tmp_path / "empty").mkdir()
    assert export_ir.main([str(tmp_path / "empty"), "-o", str(tmp_path / "none.json")]) == 1


@pytest.mark.parametrize("idx_dtype", [torch.int32, torch.int64])
def test_attr_probe_runs_with_defaults_overrides_and_absent_optional(idx_dtype):
    """InferIODataTypes (y follows x, count int32 for either index dtype), the optional input
    absent or present, attribute defaults from the OpDef and overrides from the caller."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, generator=g)
    bias = torch.randn(16, generator=g)
    idx = torch.randint(-5, 5, (11,), generator=g, dtype=torch.int64).to(idx_dtype)
    op_dir = PROBES / "attr_probe"
    r = sim.run_op(op_dir, "AttrProbe", inputs={"x": x, "bias": bias, "idx": idx}, outputs=["y", "count"],
                   attrs={"k": 1})
    assert r.outputs["count"].dtype == torch.int32 and r.outputs["count"].shape == (1,)
    assert int(r.outputs["count"]) == int((idx >= 1).sum())
    torch.testing.assert_close(r.outputs["y"], x * (0.5 * 0.25 * 2) + bias)
    r = sim.run_op(op_dir, "AttrProbe", inputs={"x": x, "bias": None, "idx": idx}, outputs=["y", "count"],
                   attrs={"k": -2, "alpha": 3.0, "flag": True, "dims": [4, 5, 6], "weights": [0.5, 9.0]})
    torch.testing.assert_close(r.outputs["y"], -(x * (3.0 * 0.5 * 3)))
    assert int(r.outputs["count"]) == int((idx >= -2).sum())
    with pytest.raises(sim.AscendCSimError, match="failure status"):   # tiling rejects mode != "sum"
        sim.run_op(op_dir, "AttrProbe", inputs={"x": x, "bias": None, "idx": idx}, outputs=["y", "count"],
                   attrs={"k": 0, "mode": "max"})


# ---- kernels/CMakeLists.txt against a fake CANN tree

_FAKE_MSOPGEN = textwrap.dedent('''\
    #!{python}
    """Stub msopgen: `gen -i IR -c SOC -lan cpp -out DIR` writes a minimal project (one configure
    preset, a build.sh, per-op stub sources that the kit's sources must replace)."""
    import json, os, re, sys
    a = sys.argv[1:]
    assert a[0] == "gen", a
    ir, out = a[a.index("-i") + 1], a[a.index("-out") + 1]
    ops = json.load(open(ir))
    for sub in ("op_host", "op_kernel"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    for op in ops:
        snake = re.sub(r"([a-z0-9])([A-Z])", r"\\1_\\2", op["op"]).lower()
        for sub in ("op_host", "op_kernel"):
            open(os.path.join(out, sub, snake + ".cpp"), "w").write("// msopgen stub\\n")
    preset = {{"version": 1, "configurePresets": [{{"name": "default", "generator": "Unix Makefiles",
              "cacheVariables": {{"ASCEND_CANN_PACKAGE_PATH": {{"type": "PATH", "value": "/usr/local/Ascend/latest"}},
                                  "vendor_name": {{"type": "STRING", "value": "customize"}}}}}}]}}
    json.dump(preset, open(os.path.join(out, "CMakePresets.json"), "w"))
    open(os.path.join(out, "build.sh"), "w").write("#!/bin/bash\\nexit 0\\n")
    with open(os.environ["FAKE_MSOPGEN_LOG"], "a") as log:
        log.write(" ".join(a) + "\\n")
''')


def _fake_cann(tmp_path):
    cann = tmp_path / "cann"
    bin_dir = cann / "tools" / "msopgen" / "bin"
    bin_dir.mkdir(parents=True)
    msopgen = bin_dir / "msopgen"
    msopgen.write_text(_FAKE_MSOPGEN.format(python=sys.executable))
    msopgen.chmod(0o755)
    return cann


def _configure(build, cann, log):
    env = dict(os.environ, FAKE_MSOPGEN_LOG=str(log))
    env.pop("ASCEND_HOME_PATH", None)
    proc = subprocess.run(["cmake", "-S", str(KERNELS), "-B", str(build), f"-DASCEND_CANN_PACKAGE_PATH={cann}",
                           f"-DASCEND_KIT_PYTHON={sys.executable}"], capture_output=True, text=True, env=env,
                          timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def test_cmake_discovers_ops_and_writes_ir(tmp_path):
    if shutil.which("cmake") is None:
        pytest.skip("cmake not found (apt-get install cmake): the OPP CMake discovery is not checked")
    cann, build, log = _fake_cann(tmp_path), tmp_path / "build", tmp_path / "msopgen.log"
    _configure(build, cann, log)
    proj = build / "opp_project"
    # Every op folder (an op_host/*.cpp with OP_ADD) had all its sources copied over the stubs.
    op_dirs = sorted({p.parent.parent for p in KERNELS.glob("*/op_host/*.cpp") if "OP_ADD(" in p.read_text()})
    assert {d.name for d in op_dirs} >= {"deformable_aggregation", "msmv_sampling"}
    for d in op_dirs:
        for sub in ("op_host", "op_kernel"):
            for f in list((d / sub).glob("*.cpp")) + list((d / sub).glob("*.h")):
                copied = proj / sub / f.name
                assert copied.exists() and copied.read_bytes() == f.read_bytes(), copied
    for h in (KERNELS / "common" / "ascendc").glob("*.h"):
        assert (proj / "op_host" / "common" / "ascendc" / h.name).read_bytes() == h.read_bytes()
    # The IR msopgen got lists every OpType, from the OpDefs.
    ir = json.loads((build / "ascend_kit_ops.json").read_text())
    assert {e["op"] for e in ir} == _opdef_types(KERNELS)
    assert all(e["input_desc"] and e["output_desc"] for e in ir)
    # The preset points at this CANN, the SoCs and the vendor.
    cache = json.loads((proj / "CMakePresets.json").read_text())["configurePresets"][0]["cacheVariables"]
    assert cache["ASCEND_CANN_PACKAGE_PATH"]["value"] == str(cann)
    assert cache["ASCEND_COMPUTE_UNIT"]["value"] == "ascend910b;ascend950"
    assert cache["vendor_name"]["value"] == "ascend_kit"
    # Reconfiguring with the same IR keeps the project (msopgen ran once).
    _configure(build, cann, log)
    assert len(log.read_text().splitlines()) == 1


def test_build_ascendc_dry_run_lists_ops(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop("ASCEND_HOME_PATH", None)
    proc = subprocess.run(["bash", str(KERNELS / "build_ascendc.sh"), "--dry-run", "--build-dir", str(tmp_path / "b")],
                          capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for op in _opdef_types(KERNELS):
        assert re.search(rf"^\s+{op} ", proc.stdout, re.M), (op, proc.stdout)
    assert str(tmp_path / "b" / "ascend_kit_ops.json") in proc.stdout
    assert "cmake -S" in proc.stdout and "--target ascendc_opp" in proc.stdout


def test_parity_kernel_helper_any_outputs_and_attrs():
    """_parity.AscendCKernel on an op with three inputs (one absent), two outputs (one int32) and
    attributes; an output declared accumulated is passed zero-filled and not coverage-checked."""
    from _parity import AscendCKernel
    k = AscendCKernel(sim, PROBES / "attr_probe", "AttrProbe", ("x", "bias", "idx"), ("y", "count"),
                      attrs={"k": 2, "alpha": 1.0})
    x = torch.arange(8, dtype=torch.float32)
    idx = torch.tensor([0, 2, 3], dtype=torch.int32)
    (y, count), report = k.run((x, None, idx), attrs={"flag": True})
    torch.testing.assert_close(y, -(x * 0.5))       # alpha 1 * weights[0] 0.25 * len(dims) 2
    assert count.tolist() == [2] and count.dtype == torch.int32
    acc = AscendCKernel(sim, PROBES / "attr_probe", "AttrProbe", ("x", "bias", "idx"), ("y", "count"),
                        accumulated={"y": "x"}, attrs={"k": 0})
    (y, _), _ = acc.run((x, x, idx))
    torch.testing.assert_close(y, x * 0.25 + x)
    with pytest.raises(AssertionError, match="not outputs"):
        AscendCKernel(sim, PROBES / "attr_probe", "AttrProbe", ("x",), ("y",), accumulated={"z": "x"})
