"""ascend_ops.patcher on a toy module tree (no mmcv needed)."""
import sys
import textwrap

import pytest
import torch

from ascend_ops.patcher import APPLIED, FAILED, SKIPPED, UNDONE, Patch, PatchError, Patcher


@pytest.fixture
def toy(tmp_path, monkeypatch):
    pkg = tmp_path / "toypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "runner.py").write_text(textwrap.dedent("""
        REGISTRY = {"AdamW": "torch-adamw"}

        def init_dist(backend):
            return "orig:" + backend

        class Base:
            def step(self):
                return "base"

        class Wrapper(Base):
            def train_step(self, x):
                return ("orig", x)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("toypkg", "toypkg.runner"):
        sys.modules.pop(name, None)
    import toypkg.runner as runner
    yield runner
    for name in ("toypkg", "toypkg.runner"):
        sys.modules.pop(name, None)


def _const(value):
    return lambda original: (lambda *a, **k: value)


def test_apply_report_and_undo_restore_identity(toy):
    orig_fn, orig_method = toy.init_dist, toy.Wrapper.train_step
    p = Patcher([
        Patch("fn", "toypkg.runner:init_dist", lambda o: (lambda b: "new:" + o(b)), "wrap fn"),
        Patch("method", "toypkg.runner:Wrapper.train_step",
              lambda o: (lambda self, x: ("new",) + o(self, x)), "wrap method"),
    ])
    report = p.apply()
    assert [r["status"] for r in report] == [APPLIED, APPLIED]
    assert toy.init_dist("gloo") == "new:orig:gloo"
    assert toy.Wrapper().train_step(3) == ("new", "orig", 3)
    assert "2 applied" in p.format_report()
    p.undo()
    assert toy.init_dist is orig_fn and toy.Wrapper.train_step is orig_method
    assert [r["status"] for r in p.report()] == [UNDONE, UNDONE]


def test_precondition_skips_with_reason(toy):
    p = Patcher([Patch("npu-only", "toypkg.runner:init_dist", _const("x"), "r",
                       when=lambda: (False, "device is cpu; patch is for npu only"))])
    (row,) = p.apply()
    assert row["status"] == SKIPPED and "device is cpu" in row["reason"]
    assert toy.init_dist("gloo") == "orig:gloo"


def test_missing_target_optional_skips_required_raises_and_rolls_back(toy):
    orig = toy.init_dist
    p = Patcher([Patch("opt", "toypkg.nope:thing", _const(1), "r", optional=True)])
    assert p.apply()[0]["status"] == SKIPPED
    p = Patcher([Patch("ok", "toypkg.runner:init_dist", _const("x"), "r"),
                 Patch("bad", "toypkg.runner:Wrapper.missing", _const(1), "r")])
    with pytest.raises(PatchError, match="bad"):
        p.apply()
    assert toy.init_dist is orig                       # the first patch was undone
    statuses = {r["name"]: r["status"] for r in p.report()}
    assert statuses == {"ok": UNDONE, "bad": FAILED}


def test_factory_error_is_not_swallowed(toy):
    def boom(original):
        raise RuntimeError("no npu")
    p = Patcher([Patch("boom", "toypkg.runner:init_dist", boom, "r")])
    with pytest.raises(PatchError, match="no npu"):
        p.apply()
    assert toy.init_dist("gloo") == "orig:gloo"


def test_replacement_error_does_not_fall_back_to_original(toy):
    def factory(original):
        def replacement(backend):
            raise ValueError("replacement failed")
        return replacement
    with Patcher([Patch("strict", "toypkg.runner:init_dist", factory, "r")]):
        with pytest.raises(ValueError, match="replacement failed"):
            toy.init_dist("gloo")
    assert toy.init_dist("gloo") == "orig:gloo"       # context manager undid it


def test_inherited_method_undo_removes_override(toy):
    p = Patcher([Patch("inh", "toypkg.runner:Wrapper.step", lambda o: (lambda self: "patched:" + o(self)), "r")])
    p.apply()
    assert toy.Wrapper().step() == "patched:base"
    p.undo()
    assert "step" not in toy.Wrapper.__dict__ and toy.Wrapper().step() == "base"


def test_registry_entry_replace_and_create(toy):
    p = Patcher([Patch("reg", "toypkg.runner:REGISTRY.AdamW", _const_value("fused"), "r"),
                 Patch("new", "toypkg.runner:REGISTRY.Lamb", _const_value("lamb"), "r", create=True)])
    p.apply()
    assert toy.REGISTRY == {"AdamW": "fused", "Lamb": "lamb"}
    p.undo()
    assert toy.REGISTRY == {"AdamW": "torch-adamw"}


def _const_value(value):
    return lambda original: value


def test_refuses_core_torch_targets():
    for target in ("torch:matmul", "torch:Tensor.__getitem__", "torch.nn.functional:grid_sample"):
        p = Patcher([Patch("core", target, _const(1), "r")])
        with pytest.raises(PatchError, match="refusing"):
            p.apply()
    assert torch.matmul(torch.ones(1, 1), torch.ones(1, 1)).item() == 1.0


def test_duplicate_names_and_targets_rejected(toy):
    p = Patcher([Patch("a", "toypkg.runner:init_dist", _const(1), "r")])
    with pytest.raises(PatchError, match="used twice"):
        p.add(Patch("a", "toypkg.runner:Wrapper.step", _const(1), "r"))
    with pytest.raises(PatchError, match="already patched"):
        p.add(Patch("b", "toypkg.runner:init_dist", _const(1), "r"))
    p.apply()
    with pytest.raises(PatchError, match="already applied"):
        p.apply()
    p.undo()


def test_mmcv1_patch_list_skips_device_specific_patches_on_cpu(monkeypatch):
    from ascend_ops.patcher.mmcv1 import mmcv1_patches
    monkeypatch.setenv("ASCEND_KIT_DEVICE", "cpu")
    patches = {p.name: p for p in mmcv1_patches()}
    assert set(patches) == {"mmcv.init_dist_pytorch", "mmcv.ddp_cpu_train_step", "mmcv.ddp_cpu_val_step",
                            "mmcv.npu_fused_adamw", "mmcv.ddp_run_forward",
                            "mmdet.focal_loss_negative_labels"}
    ok, why = patches["mmcv.npu_fused_adamw"].when()
    assert not ok and "npu" in why
    assert patches["mmcv.ddp_cpu_train_step"].when()[0]
    assert "mmcv.npu_fused_adamw" not in {p.name for p in mmcv1_patches(fused_optimizers=False)}
    report = Patcher([patches["mmcv.npu_fused_adamw"]]).apply()   # skipped before importing mmcv
    assert report[0]["status"] == SKIPPED
