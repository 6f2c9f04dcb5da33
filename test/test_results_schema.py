"""Result schema: validation, atomic writing, clear errors on unusable files."""
import json
import os
import sys

import pytest

from ascend_ops.results import ResultError, load_result, step_time_stats, validate_result, write_result
from ascend_ops.results.parsers import StepRecord

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "runs"))
from results_factory import make_result  # noqa: E402


def test_valid_result_round_trips(tmp_path):
    r = make_result()
    assert validate_result(r) == []
    path = write_result(r, str(tmp_path / "sub" / "result.json"))
    assert load_result(path) == r
    assert [p for p in os.listdir(tmp_path / "sub")] == ["result.json"]  # no temp file left


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r.pop("loss_curve"), "missing field 'loss_curve'"),
    (lambda r: r.update(schema_version=2), "schema_version must be 1"),
    (lambda r: r.update(status="done"), "status must be one of"),
    (lambda r: r["device"].update(type="tpu"), "device.type"),
    (lambda r: r["device"].update(world_size=7), "world_size must be per_node * nodes"),
    (lambda r: r["batch"].update(per_device=0), "batch must have"),
    (lambda r: r["step_time_s"].pop("p90"), "step_time_s must be null or have"),
    (lambda r: r["loss_curve"].reverse(), "strictly increasing"),
    (lambda r: r["final_metrics"].update(mAP=float("nan")), "finite numbers"),
    (lambda r: r["precision"].update(mode="fp16"), "precision must have mode"),
])
def test_invalid_results_are_refused_and_target_untouched(tmp_path, mutate, message):
    r = make_result()
    mutate(r)
    assert any(message in e for e in validate_result(r))
    target = tmp_path / "result.json"
    target.write_text("previous")
    with pytest.raises(ResultError, match="refusing to write invalid result"):
        write_result(r, str(target))
    assert target.read_text() == "previous" and os.listdir(tmp_path) == ["result.json"]


def test_load_errors_name_the_file(tmp_path):
    good = json.dumps(make_result(), indent=2)
    cut = tmp_path / "cut.json"
    cut.write_text(good[: len(good) // 2])
    with pytest.raises(ResultError, match=r"cut.json:\d+: not valid JSON .*truncated"):
        load_result(str(cut))
    with pytest.raises(ResultError, match="missing.json: cannot read result"):
        load_result(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 1, "model": "x"}))
    with pytest.raises(ResultError, match="bad.json: invalid result: missing field"):
        load_result(str(bad))


def test_step_time_stats_excludes_warmup():
    recs = [StepRecord(s, 1.0, t) for s, t in enumerate([9.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0], start=1)]
    st = step_time_stats(recs, warmup_steps=2)
    assert st["n"] == 5 and st["median"] == 3.0 and st["mean"] == 3.0
    assert st["p10"] == pytest.approx(1.4) and st["p90"] == pytest.approx(4.6)
    assert step_time_stats(recs, warmup_steps=7) is None


def test_result_cli_validate_and_parse_log(tmp_path, capsys):
    from ascend_ops.cli import main as cli_main
    good = write_result(make_result(), str(tmp_path / "good.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert cli_main(["result", "validate", good]) == 0
    assert cli_main(["result", "validate", good, str(bad)]) == 2
    assert "bad.json:1: not valid JSON" in capsys.readouterr().err
    logs = os.path.join(os.path.dirname(__file__), "fixtures", "runs", "logs")
    assert cli_main(["result", "parse-log", "--train-format", "openpcdet",
                     os.path.join(logs, "ada3d_openpcdet_train.log"), "--warmup-steps", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["logged_steps"] == 4 and out["last_step"] == 978 and out["step_time_s"]["n"] == 3
    assert cli_main(["result", "parse-log", "--eval-format", "waymo", os.path.join(logs, "sparsekd_waymo_eval.log")]) == 0
    assert json.loads(capsys.readouterr().out)["LEVEL_2/mAPH"] == 64.49
    assert cli_main(["result", "parse-log", "--eval-format", "kitti", os.path.join(logs, "sparsekd_waymo_eval.log")]) == 2
    assert "no KITTI AP blocks" in capsys.readouterr().err
