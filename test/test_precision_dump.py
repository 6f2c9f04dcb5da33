"""LayerDump + dump-compare: two seeded CPU runs agree; a planted perturbation is located."""
import json
import os

import pytest
import torch

from ascend_ops.cli import main as cli_main
from ascend_ops.precision import DumpError, LayerDump, compare_dumps, first_bad


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(8, 16)
        self.act = torch.nn.ReLU()
        self.block = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.Tanh())
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.block(self.act(self.embed(x))))


def train(out_dir, perturb=None, steps=3, dump_steps=(0, 1, 2)):
    """Seeded SGD run with dumps; `perturb` names a module whose output gets a small offset."""
    torch.manual_seed(0)
    model = Net()
    if perturb:
        gen = torch.Generator().manual_seed(7)
        dict(model.named_modules())[perturb].register_forward_hook(
            lambda m, i, o: o + 1e-2 * torch.randn(o.shape, generator=gen))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = torch.Generator().manual_seed(1)
    with LayerDump(model, out_dir, modules=["embed", "act", "block", "block.*", "head"],
                   steps=dump_steps) as dump:
        for step in range(steps):
            dump.step(step)
            x = torch.randn(5, 8, generator=data)
            loss = model(x).square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return out_dir


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    root = tmp_path_factory.mktemp("dumps")
    return {name: train(str(root / name), perturb) for name, perturb in
            (("a", None), ("b", None), ("bad", "block"))}


def test_dump_files_hold_forward_and_backward_in_execution_order(dumps):
    rank = os.path.join(dumps["a"], "rank0")
    assert sorted(f for f in os.listdir(rank) if f.endswith(".pt")) == ["step0000.pt", "step0001.pt", "step0002.pt"]
    data = torch.load(os.path.join(rank, "step0000.pt"), weights_only=True)
    fwd = [k for k in data["order"] if ".forward." in k]
    assert fwd == ["embed.forward.0", "act.forward.0", "block.0.forward.0", "block.1.forward.0",
                   "block.forward.0", "head.forward.0"]
    bwd = [k for k in data["order"] if ".backward." in k]
    assert bwd[0] == "head.backward.0" and "embed.backward.0" in bwd
    assert data["tensors"]["head.forward.0"].shape == (5, 4)
    meta = json.load(open(os.path.join(rank, "meta.json")))
    assert meta["steps_written"] == [0, 1, 2] and meta["grads"] is True


def test_identical_seeded_runs_pass(dumps, capsys):
    rows = compare_dumps(dumps["a"], dumps["b"])
    assert rows and all(r.ok for r in rows)
    assert all(r.cosine == pytest.approx(1.0) and r.max_abs == 0.0 for r in rows)
    assert cli_main(["dump-compare", dumps["a"], dumps["b"]]) == 0
    assert "0 exceed tolerance" in capsys.readouterr().out


def test_planted_perturbation_is_the_first_bad_module(dumps, capsys):
    rows = compare_dumps(dumps["bad"], dumps["a"])
    bad = first_bad(rows)
    assert (bad.module, bad.kind, bad.step) == ("block", "forward", 0)
    ok_before = [r for r in rows if r.step == 0 and r.key in ("embed.forward.0", "act.forward.0",
                                                             "block.0.forward.0", "block.1.forward.0")]
    assert len(ok_before) == 4 and all(r.ok for r in ok_before)
    assert cli_main(["dump-compare", dumps["bad"], dumps["a"]]) == 1
    out = capsys.readouterr().out
    assert "first module exceeding tolerance: block (forward, step 0" in out
    assert cli_main(["dump-compare", dumps["bad"], dumps["a"], "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad"]["module"] == "block"


def test_tolerance_is_configurable(dumps):
    assert cli_main(["dump-compare", dumps["bad"], dumps["a"], "--abs-max", "10", "--cos-min", "0.0"]) == 0


def test_unusable_inputs_exit_2(dumps, tmp_path, capsys):
    assert cli_main(["dump-compare", str(tmp_path / "none"), dumps["a"]]) == 2
    broken = tmp_path / "broken" / "rank0"
    broken.mkdir(parents=True)
    src = open(os.path.join(dumps["a"], "rank0", "step0000.pt"), "rb").read()
    (broken / "step0000.pt").write_bytes(src[: len(src) // 2])  # truncated
    assert cli_main(["dump-compare", str(tmp_path / "broken"), dumps["a"]]) == 2
    assert "step0000.pt: cannot load dump" in capsys.readouterr().err


def test_bad_module_pattern_is_named(tmp_path):
    with pytest.raises(ValueError, match="nope"):
        LayerDump(Net(), str(tmp_path / "unused-dump"), modules=["nope"])
    with pytest.raises(DumpError, match="no rank0"):
        compare_dumps(str(tmp_path / "missing-a"), str(tmp_path / "missing-b"))
