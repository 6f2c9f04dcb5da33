"""`ascend-kit compare`: pass on identical runs, fail on drifted loss or a metric gap, exit 2 on
unusable input; report and plots written."""
import json
import math
import os
import sys

import pytest

from ascend_ops.cli import main as cli_main
from ascend_ops.results import write_result
from ascend_ops.results.compare import compare_results

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "runs"))
from results_factory import make_result  # noqa: E402


def pair(tmp_path, npu=None, gpu=None):
    a = write_result(npu or make_result("npu"), str(tmp_path / "npu.json"))
    b = write_result(gpu or make_result("cuda", step_time=0.55), str(tmp_path / "gpu.json"))
    return a, b


def test_identical_runs_pass_with_report_and_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="pip install matplotlib to test the PNG plots")
    a, b = pair(tmp_path)
    out = tmp_path / "report"
    assert cli_main(["compare", a, b, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "verdict: PASS" in text and "ratio 1.100" in text
    assert sorted(os.listdir(out)) == ["loss.png", "loss_rel_diff.png", "report.md", "throughput.png"]
    for png in ("loss.png", "loss_rel_diff.png", "throughput.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    assert "**Verdict: PASS**" in md and "| mAP | 45.3400 | 45.3400 | +0.0000 | 0.5 | pass |" in md
    assert "mATE" not in md.split("## Metrics")[1]  # error metrics are not thresholded by default


def test_drifted_loss_fails_naming_first_bad_step(tmp_path, capsys):
    base = lambda s: 10.0 * math.exp(-s / 20.0) + 1.0  # noqa: E731
    drift = lambda s: base(s) * (1.0 + (0.3 if s >= 31 else 0.001))  # noqa: E731
    a, b = pair(tmp_path, npu=make_result("npu", loss=drift))
    assert cli_main(["compare", a, b]) == 1
    text = capsys.readouterr().out
    assert "FAIL loss curve" in text and "first bad step 31" in text and "verdict: FAIL" in text
    v = compare_results(make_result("npu", loss=drift), make_result("cuda"))
    assert v.loss["first_bad_step"] == 31 and v.loss["max"] == pytest.approx(0.3)


def test_small_loss_noise_passes_and_thresholds_file_tightens(tmp_path, capsys):
    noisy = lambda s: (10.0 * math.exp(-s / 20.0) + 1.0) * (1.0 + 0.005 * (-1) ** s)  # noqa: E731
    a, b = pair(tmp_path, npu=make_result("npu", loss=noisy))
    assert cli_main(["compare", a, b]) == 0
    th = tmp_path / "t.json"
    th.write_text(json.dumps({"loss_rel_max": 0.001, "loss_rel_mean": 0.001}))
    assert cli_main(["compare", a, b, "--thresholds", str(th)]) == 1
    assert "first bad step 1" in capsys.readouterr().out


def test_metric_gap_fails(tmp_path, capsys):
    a, b = pair(tmp_path, npu=make_result("npu", metrics={"mAP": 44.7, "NDS": 56.1, "mATE": 0.54}))
    assert cli_main(["compare", a, b]) == 1
    text = capsys.readouterr().out
    assert "FAIL metric mAP" in text and "delta -0.6400" in text and "PASS metric NDS" in text
    th = tmp_path / "t.json"
    th.write_text(json.dumps({"metrics": {"mAP": 1.0}}))
    assert cli_main(["compare", a, b, "--thresholds", str(th)]) == 0


def test_missing_metric_and_throughput_floor_fail(tmp_path, capsys):
    a, b = pair(tmp_path, npu=make_result("npu", metrics={"mAP": 45.34}))
    assert cli_main(["compare", a, b]) == 1
    assert "NDS missing from the NPU result" in capsys.readouterr().out
    a, b = pair(tmp_path)
    th = tmp_path / "t.json"
    th.write_text(json.dumps({"throughput_ratio_min": 1.2}))
    assert cli_main(["compare", a, b, "--thresholds", str(th)]) == 1
    assert "FAIL throughput" in capsys.readouterr().out


def test_unusable_inputs_exit_2(tmp_path, capsys):
    a, b = pair(tmp_path)
    cut = tmp_path / "cut.json"
    text = open(a).read()
    cut.write_text(text[: len(text) // 3])
    assert cli_main(["compare", str(cut), b]) == 2
    assert "cut.json" in capsys.readouterr().err
    failed = make_result("npu")
    failed.update(status="failed", error="training exited with status 1")
    f = write_result(failed, str(tmp_path / "failed.json"))
    assert cli_main(["compare", f, b]) == 2
    assert "status 'failed'" in capsys.readouterr().err
    other = write_result(make_result("npu", model="SparseBEV"), str(tmp_path / "other.json"))
    assert cli_main(["compare", other, b]) == 2
    th = tmp_path / "t.json"
    th.write_text(json.dumps({"loss_tolerance": 1}))
    assert cli_main(["compare", a, b, "--thresholds", str(th)]) == 2
    assert "unknown threshold keys ['loss_tolerance']" in capsys.readouterr().err


def test_warnings_for_unlike_pairs():
    v = compare_results(make_result("npu", global_batch=96), make_result("npu"))
    assert any("global batch differs" in w for w in v.warnings)
    assert any("both results ran on npu" in w for w in v.warnings)
