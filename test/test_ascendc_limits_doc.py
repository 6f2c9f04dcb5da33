"""The Ascend C kernels' size limits as the README and docs/ascendc-kernels.md state them are the
limits the tiling plans enforce (issue 10: the README claimed "no caps beyond memory" while the
plan refuses cams * scales > 4095). The table between the limits-table markers is recomputed
from the plans (kernels/*/op_host/*_plan.h, compiled into test/ascendc/test_tiling.py's probe)."""
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ascendc-kernels.md"
UB_910B, CORES_910B = 196608, 48
C, G, VIEWS = 256, 8, 6


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        pytest.skip("no C++ compiler (g++) on PATH: install g++ to evaluate the tiling plans")
    spec = importlib.util.spec_from_file_location("tiling_probe", ROOT / "test" / "ascendc" / "test_tiling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    d = tmp_path_factory.mktemp("limits_probe")
    (d / "probe.cpp").write_text(module.PROBE)
    subprocess.run([cxx, "-std=c++17", "-O0", "-I", str(ROOT / "kernels"), str(d / "probe.cpp"), "-o",
                    str(d / "probe")], check=True)

    def error(line):
        out = subprocess.run([str(d / "probe")], input=line + "\n", capture_output=True, text=True, check=True)
        return json.loads(out.stdout)["error"]
    return error


def _da(mode, elem, cams, scales):
    return f"da {mode} {elem} {UB_910B} {CORES_910B} 1 100 {C} 10 13 {cams} {scales} {G}"


def _ms(mode, elem, points, levels):
    return f"ms {mode} {elem} {UB_910B} {CORES_910B} 1 {VIEWS} 100 {C} 10 {points} {levels}"


def _largest(ok):
    lo, hi = 1, 1 << 16
    assert ok(lo)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return lo


ROWS = {
    "DeformableAggregation: cams, at scales = 4": lambda mode, e: (lambda n: _da(mode, e, n, 4)),
    "DeformableAggregation: scales, at cams = 6": lambda mode, e: (lambda n: _da(mode, e, 6, n)),
    "MsmvSampling: points P, at L = 4, N = 6": lambda mode, e: (lambda n: _ms(mode, e, n, 4)),
    "MsmvSampling: levels L, at P = 8, N = 6": lambda mode, e: (lambda n: _ms(mode, e, 8, n)),
}
COLUMNS = [("fwd", 4), ("fwd", 2), ("grad", 4), ("grad", 2)]


def _doc_table():
    text = DOC.read_text()
    block = text.split("<!-- limits-table -->")[1].split("<!-- /limits-table -->")[0]
    rows = {}
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = [int(c) for c in cells[1:]]
    return rows


def test_doc_table_is_what_the_plans_accept(plan):
    table = _doc_table()
    assert sorted(table) == sorted(ROWS)
    for name, make in ROWS.items():
        for (mode, elem), stated in zip(COLUMNS, table[name]):
            line = make(mode, elem)
            assert plan(line(stated)) == "", f"{name} {mode} e={elem}: the plan refuses the stated {stated}"
            assert plan(line(stated + 1)) != "", f"{name} {mode} e={elem}: the plan accepts more than {stated}"


def test_cams_times_scales_cap_is_the_plans(plan):
    """cams * scales = 4095 passes the DataCopyPad check, 4096 fails it, whatever the UB."""
    line = "da fwd 4 {ub} 48 1 100 16 10 1 {cams} {scales} 1"
    assert "too large for one DataCopyPad" not in plan(line.format(ub=1 << 30, cams=5, scales=819))
    assert "too large for one DataCopyPad" in plan(line.format(ub=1 << 30, cams=4, scales=1024))
    header = (ROOT / "kernels" / "deformable_aggregation" / "op_host" / "deformable_aggregation_plan.h").read_text()
    assert re.search(r"kMaxBlockCount = 4095;", header)


def test_readme_states_the_cap_where_it_claims_no_caps():
    readme = (ROOT / "README.md").read_text()
    row = next(l for l in readme.splitlines() if l.startswith("| Sparse sampling"))
    assert "beyond memory" not in row or ("4095" in row and "docs/ascendc-kernels.md#limits" in row)
    table = _doc_table()
    cams = table["DeformableAggregation: cams, at scales = 4"]
    assert f"at most {cams[0]} cameras × 4 scales forward, {cams[2]} backward" in row
    assert "cams × scales ≤ 4095" in DOC.read_text()
