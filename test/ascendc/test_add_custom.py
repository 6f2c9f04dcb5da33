"""The example vector add (kernels/ascendc_sim/examples/add_custom) across 1, 8 and 48 cores."""
import pytest
import torch

from ascend_ops.ascendc_sim import run_op

ADD = "kernels/ascendc_sim/examples/add_custom"


@pytest.mark.parametrize("cores", [1, 8, 48])
@pytest.mark.parametrize("n", [1000, 40000 + 3])
def test_add_fp32_exact_coverage(cores, n):
    torch.manual_seed(n)
    x, y = torch.randn(n), torch.randn(n)
    res = run_op(ADD, "AddCustom", {"x": x, "y": y}, ["z"], core_num=cores)
    assert torch.equal(res.outputs["z"], x + y)
    rep = res.report
    blocks = (n + 7) // 8
    assert rep["block_dim"] == min(cores, blocks)
    written = rep["elements_written"]["z"]
    assert sum(written) == n and len(written) == rep["block_dim"]  # every element by exactly one core
    assert rep["multi_writer_elements"]["z"] == 0 and rep["unwritten_elements"]["z"] == 0
    assert max(written) - min(written) < 16  # aligned split: one 32 B block + the partial tail block
    assert rep["ub_peak_max"] <= rep["ub_limit_bytes"]
    assert rep["tiling_key"] == 1


def test_add_fp16_rounding_matches_torch():
    torch.manual_seed(0)
    n = 4099
    x = (torch.randn(n) * 1000).half()
    y = (torch.randn(n) * 1000).half()
    x[:4] = torch.tensor([65504.0, 6e-8, -6e-8, 1.0]).half()
    y[:4] = torch.tensor([32.0, 6e-8, 1e-7, 2**-11]).half()
    res = run_op(ADD, "AddCustom", {"x": x, "y": y}, ["z"], core_num=48)
    assert res.report["tiling_key"] == 2
    assert torch.equal(res.outputs["z"], x + y)  # inf on overflow, subnormals, ties to even


def test_ascend950_profile_has_bigger_ub_and_more_cores():
    x, y = torch.randn(4096), torch.randn(4096)
    res = run_op(ADD, "AddCustom", {"x": x, "y": y}, ["z"], profile="ascend950")
    assert res.report["ub_limit_bytes"] == 253952
    assert res.report["block_dim"] == 56
    assert torch.equal(res.outputs["z"], x + y)


def test_bad_arguments_are_named():
    x = torch.randn(64)
    with pytest.raises(ValueError, match="inputs: expected names"):
        run_op(ADD, "AddCustom", {"y": x, "x": x}, ["z"])
    with pytest.raises(ValueError, match="profile"):
        run_op(ADD, "AddCustom", {"x": x, "y": x}, ["z"], profile="ascend310")


def test_two_versions_of_one_op_keep_separate_registries(tmp_path):
    """Libraries of the same OpType (here: an extra required attr) must not share OpDef state."""
    import shutil
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / ADD
    host = tmp_path / "add_custom" / "op_host"
    shutil.copytree(src / "op_host", host)
    cpp = host / "add_custom.cpp"
    cpp.write_text(cpp.read_text().replace('this->AICore().AddConfig("ascend950");',
                                           'this->Attr("extra").AttrType(REQUIRED).Int();'))
    x, y = torch.randn(100), torch.randn(100)
    kw = dict(core_num=2, kernel_source=src / "op_kernel" / "add_custom.cpp",
              tiling_header=src / "op_host" / "add_custom_tiling.h")
    run_op(ADD, "AddCustom", {"x": x, "y": y}, ["z"], core_num=2)
    with pytest.raises(ValueError, match="required attr 'extra'"):
        run_op(tmp_path / "add_custom", "AddCustom", {"x": x, "y": y}, ["z"], **kw)
    assert torch.equal(run_op(tmp_path / "add_custom", "AddCustom", {"x": x, "y": y}, ["z"], {"extra": 1},
                              **kw).outputs["z"], x + y)
    assert torch.equal(run_op(ADD, "AddCustom", {"x": x, "y": y}, ["z"], core_num=2).outputs["z"], x + y)
