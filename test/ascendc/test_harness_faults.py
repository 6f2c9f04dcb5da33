"""Planted faults in test/ascendc/kernels/probe_custom are each caught with kernel, core and line."""
import re
from pathlib import Path

import pytest
import torch

from ascend_ops.ascendc_sim import AscendCSimError, run_op

PROBE = Path(__file__).parent / "kernels" / "probe_custom"
KERNEL_SRC = PROBE / "op_kernel" / "probe_custom.cpp"
CORES = 4
N = 256 * CORES


def marker_line(mode: int) -> tuple[int, str]:
    for i, line in enumerate(KERNEL_SRC.read_text().splitlines(), start=1):
        m = re.search(rf"// FAULT {mode} (\w+)", line)
        if m:
            return i, m.group(1)
    raise AssertionError(f"no FAULT {mode} marker in {KERNEL_SRC}")


def run(mode: int, **kw):
    torch.manual_seed(0)
    x = torch.randn(N)
    kw.setdefault("check_coverage", ["y"])
    return x, run_op(PROBE, "ProbeCustom", {"x": x}, ["y", "s"], {"mode": mode}, core_num=CORES, **kw)


def test_correct_copy_passes_and_reports():
    x, res = run(0)
    assert torch.equal(res.outputs["y"], x)
    rep = res.report
    assert rep["block_dim"] == CORES and rep["tiling_key"] == 0
    assert rep["elements_written"]["y"] == [N // CORES] * CORES
    assert rep["imbalance"]["elements_written"] == 0.0
    assert rep["ub_peak_max"] == 2 * 1024 + 2 * 1024 + 4096  # two double-buffered queues + TBuf
    assert rep["unwritten_elements"]["s"] == 8  # s is not written in mode 0 (exempted)


@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19])
def test_planted_fault_is_caught(mode):
    line, check = marker_line(mode)
    with pytest.raises(AscendCSimError) as ei:
        run(mode)
    e = ei.value
    assert e.check == check, str(e)
    assert e.core == CORES - 1, str(e)
    assert e.kernel == "probe_custom"
    assert Path(e.file).resolve() == KERNEL_SRC.resolve(), str(e)
    assert e.line == line, str(e)
    msg = str(e)
    assert f"core {CORES - 1}/{CORES}" in msg and f"probe_custom.cpp:{line}" in msg


def test_unwritten_output_is_reported():
    with pytest.raises(AscendCSimError) as ei:
        run(11)
    assert ei.value.check == "coverage"
    assert f"{N // CORES} of {N} elements" in str(ei.value)


def test_multi_writer_can_be_allowed_and_is_reported():
    _, res = run(7, allow_multi_writer=True)
    assert res.report["multi_writer_elements"]["y"] == 8


def test_ub_overflow_depends_on_profile():
    # 200 KiB fits nowhere on 910B (192 KiB) but the probe's fault also fails on 950 (248 KiB) only
    # when the earlier buffers are counted: 12 KiB + 200 KiB = 212 KiB < 248 KiB -> no error there.
    with pytest.raises(AscendCSimError):
        run(2, profile="ascend910b")
    with pytest.raises(AscendCSimError) as ei:
        run(2, profile="ascend950")
    assert ei.value.check == "coverage"  # the fault core then writes nothing, caught by coverage
