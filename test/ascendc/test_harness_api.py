"""Numerics of the ascendc_sim API subset (probe_custom API scenarios vs torch)."""
from pathlib import Path

import numpy as np
import torch

from ascend_ops.ascendc_sim import run_op

PROBE = Path(__file__).parent / "kernels" / "probe_custom"
N = 256


def run(mode: int, x: torch.Tensor):
    return run_op(PROBE, "ProbeCustom", {"x": x}, ["y", "s"], {"mode": mode}, core_num=1)


def test_cast_half_round_modes():
    torch.manual_seed(0)
    x = torch.randn(N) * 100
    x[:8] = torch.tensor([1 + 2**-11, 1 + 3 * 2**-11, 70000.0, 6e-8, -2.5e-6, 65519.0, -1e-3, 3.0e-5])
    res = run(100, x)
    assert torch.equal(res.outputs["y"], x.half().float())  # RNE incl. overflow and subnormals
    # CAST_FLOOR: the largest half <= x (70000 -> 65504, not inf)
    h = x[:8].half().numpy()
    down = np.nextafter(h, np.float16(-np.inf))
    floor = torch.from_numpy(np.where(h.astype(np.float64) > x[:8].double().numpy(), down, h)).double()
    assert torch.equal(res.outputs["s"].double(), floor)


def test_compare_select_exp_scalars():
    torch.manual_seed(1)
    x = torch.randn(N) * 3
    res = run(101, x)
    ref = torch.where(x > 0, torch.exp(-x.abs()), torch.clamp(2 * x, -1, 3))
    assert torch.allclose(res.outputs["y"], ref, rtol=1e-6, atol=0)
    assert torch.equal(res.outputs["s"], torch.zeros(8))


def test_axpy_duplicate_reducesum():
    torch.manual_seed(2)
    x = torch.randn(N)
    res = run(102, x)
    assert torch.allclose(res.outputs["y"], 0.5 + 3 * x, rtol=1e-6, atol=1e-6)
    assert abs(res.outputs["s"][0].item() - x.sum().item()) < 1e-4
    assert torch.equal(res.outputs["s"][1:], torch.zeros(7))


def test_repeat_form_brcb_gather():
    torch.manual_seed(3)
    x = torch.randn(N)
    res = run(103, x)
    assert torch.equal(res.outputs["y"], 2 * x)
    assert torch.equal(res.outputs["s"], x[:8])


def test_datacopypad_strides_and_padding():
    torch.manual_seed(4)
    x = torch.randn(N)
    res = run(104, x)
    assert torch.equal(res.outputs["y"], x)
    rows = x.view(-1, 8)
    expected = rows[:, :5].sum().item() - 3 * rows.shape[0]
    assert abs(res.outputs["s"][0].item() - expected) < 1e-3


def test_compare_minmax_sub_div_select_scalar_bf16():
    torch.manual_seed(5)
    x = torch.randn(N)
    res = run(105, x)
    ref = torch.where(x < 0, x.abs(), torch.full_like(x, 3.5))
    assert torch.equal(res.outputs["y"], ref)
    assert torch.equal(res.outputs["s"], x[:8].bfloat16().float())


def test_strided_datacopy_params_and_reducemax():
    torch.manual_seed(6)
    x = torch.randn(N)
    res = run(106, x)
    assert torch.equal(res.outputs["y"], x)
    assert res.outputs["s"][0].item() == x.max().item()
    assert torch.equal(res.outputs["s"][1:], torch.zeros(7))
