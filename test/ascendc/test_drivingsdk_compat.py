"""DrivingSDK's own deformable_aggregation op (op_host + op_kernel, unchanged) on the harness.

Shows that the stand-in API builds real CANN op sources and reproduces their numerics. Needs a
git snapshot of Ascend/DrivingSDK (default $ASCEND_KIT_CACHE/DrivingSDK.git, see ascend_ops/cache.py,
or set DRIVINGSDK_GIT_DIR to a bare or normal .git directory); files are read into a temp dir, never
copied into the repository.
"""
import importlib
import subprocess

import pytest
import torch

from ascend_ops.ascendc_sim import AscendCSimError, run_op
from ascend_ops.cache import cache_path

GIT_DIR = cache_path("DrivingSDK.git", env="DRIVINGSDK_GIT_DIR")
FILES = [
    "kernels/common/op_host/common.h",
    "kernels/common/op_kernel/common.h",
    "kernels/deformable_aggregation/op_host/deformable_aggregation.cpp",
    "kernels/deformable_aggregation/op_host/deformable_aggregation_tiling.h",
    "kernels/deformable_aggregation/op_kernel/deformable_aggregation.cpp",
]


@pytest.fixture(scope="module")
def dsdk(tmp_path_factory):
    if not GIT_DIR.exists():
        pytest.skip(f"no DrivingSDK snapshot at {GIT_DIR}; set DRIVINGSDK_GIT_DIR to a clone's .git dir")
    root = tmp_path_factory.mktemp("dsdk")
    for f in FILES:
        proc = subprocess.run(["git", f"--git-dir={GIT_DIR}", "show", f"HEAD:{f}"], capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"DrivingSDK snapshot lacks {f}")
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_bytes(proc.stdout)
    return root / "kernels"


def case():
    bs, anchors, pts, cams, scales, groups, c = 1, 16, 4, 2, 2, 8, 64
    shapes = torch.tensor([[[16, 16], [8, 8]]] * cams, dtype=torch.int32)
    start = torch.tensor([[0, 256], [320, 576]], dtype=torch.int32)
    feats = int((shapes[..., 0] * shapes[..., 1]).sum())
    torch.manual_seed(0)
    inputs = {"mc_ms_feat": torch.randn(bs, feats, c), "spatial_shape": shapes, "scale_start_index": start,
              "sampling_location": torch.rand(bs, anchors, pts, cams, 2),
              "weights": torch.rand(bs, anchors, pts, cams, scales, groups)}
    attrs = {"batch_size": bs, "num_feat": feats, "num_embeds": c, "num_anchors": anchors, "num_pts": pts,
             "num_cams": cams, "num_scale": scales, "num_groups": groups}
    return inputs, attrs


def test_drivingsdk_deformable_aggregation_matches_kit_reference(dsdk):
    inputs, attrs = case()
    res = run_op(dsdk / "deformable_aggregation", "DeformableAggregation", inputs, ["out"], attrs,
                 include_dirs=[dsdk], core_num=8, gm_read_slack=32)
    da = importlib.import_module("ascend_ops.ops.deformable_aggregation")
    ref = da.deformable_aggregation_reference(*inputs.values())
    assert torch.allclose(res.outputs["out"], ref, rtol=1e-5, atol=1e-5)
    assert res.report["elements_written"]["out"] == [2 * 64] * 8
    # The upstream kernel reads 32 B from the 16 B scale_start_index tensor (relies on padded
    # device allocations); the harness reports it, and rejects it without slack:
    assert res.report["gm_overread_bytes"] > 0
    with pytest.raises(AscendCSimError) as ei:
        run_op(dsdk / "deformable_aggregation", "DeformableAggregation", inputs, ["out"], attrs,
               include_dirs=[dsdk], core_num=8)
    assert ei.value.check == "gm_bounds" and "scale_start_index" in str(ei.value)
