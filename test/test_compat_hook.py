"""The import hook of the drop-in front ends (issue 13, ascend_ops/compat/_hook.py): install
into a temporary site directory (activated in a subprocess by site.addsitedir), refusal to
shadow a real package, uninstall restores, status, the in-process activate()."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ascend_ops import compat
from ascend_ops.compat import _hook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = "kit_demo_frontend_x"   # a module name nothing real provides


def _real_spconv():
    return compat.real_package("spconv")


needs_real_spconv = pytest.mark.skipif(_real_spconv() is None, reason="no real spconv installed")


@pytest.fixture
def demo_front_end(monkeypatch):
    """A registered front end whose served name has no real package (serves the kit's spconv)."""
    monkeypatch.setitem(compat.FRONT_ENDS, "demo", compat.FrontEnd(served=(DEMO,), package="ascend_ops.compat.spconv"))
    return "demo"


def _run(site_dir, code, blocker=False):
    """Run `code` in a fresh interpreter whose site dir `site_dir` is added (its .pth processed)."""
    pre = ""
    if blocker:   # hides the real spconv from the import system (as if not installed)
        pre = textwrap.dedent("""
            import importlib.abc
            class Blocker(importlib.abc.MetaPathFinder):
                def find_spec(self, name, path=None, target=None):
                    if name == "spconv" or name.startswith("spconv."):
                        raise ModuleNotFoundError(name)
            sys.meta_path.insert(0, Blocker())
        """)
    script = "import sys, site\n" + pre + f"site.addsitedir({str(site_dir)!r})\n" + textwrap.dedent(code)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines(), r.stderr


def test_install_status_uninstall(tmp_path, demo_front_end):
    st = compat.install([demo_front_end], site_dir=tmp_path)
    pth = tmp_path / _hook.PTH_NAME
    assert pth.exists() and [p.name for p in tmp_path.iterdir()] == [_hook.PTH_NAME]   # no temp file left
    assert st["demo"]["installed"] and st["demo"]["state"] == "served" and not st["demo"]["forced"]
    out, _ = _run(tmp_path, f"""
        print('torch' in sys.modules)                      # the hook itself imports no torch
        import {DEMO}
        print({DEMO}.__name__)
        import ascend_ops.compat.spconv as kit
        print({DEMO} is kit)
        from ascend_ops.compat import _hook
        print(sum(isinstance(f, _hook.KitFinder) for f in sys.meta_path))   # one finder, one _hook module
    """)
    assert out == ["False", "ascend_ops.compat.spconv", "True", "1"]
    st = compat.uninstall([demo_front_end], site_dir=tmp_path)
    assert not pth.exists() and not st["demo"]["installed"] and st["demo"]["state"] == "not installed"
    out, _ = _run(tmp_path, f"""
        try:
            import {DEMO}
            print("imported")
        except ModuleNotFoundError:
            print("absent")
    """)
    assert out == ["absent"]
    with pytest.raises(ValueError, match="not installed"):
        compat.uninstall(["demo"], site_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown front end 'nope'"):
        compat.install(["nope"], site_dir=tmp_path)


@needs_real_spconv
def test_refuses_to_shadow_then_force_and_uninstall_restores(tmp_path, demo_front_end):
    with pytest.raises(compat.RefusedError, match=r"refusing to serve 'spconv'.*spconv 2\.|refusing to serve 'spconv'"):
        compat.install(["spconv"], site_dir=tmp_path)
    assert not (tmp_path / _hook.PTH_NAME).exists()          # nothing written
    compat.install([demo_front_end], site_dir=tmp_path)
    st = compat.install(["spconv"], force=True, site_dir=tmp_path)
    assert st["spconv"]["forced"] and st["spconv"]["state"].startswith("shadowing spconv")
    assert st["demo"]["state"] == "served"                     # merged into the same .pth
    assert _hook.read_state(tmp_path)["front_ends"].keys() == {"spconv", "demo"}
    out, _ = _run(tmp_path, "import spconv; print(spconv.__name__)")
    assert out == ["ascend_ops.compat.spconv"]
    compat.uninstall(["spconv"], site_dir=tmp_path)
    assert _hook.read_state(tmp_path)["front_ends"].keys() == {"demo"}
    out, _ = _run(tmp_path, "import spconv; print(spconv.__name__, spconv.__file__)")
    assert out[0].split()[0] == "spconv" and "ascend_ops" not in out[0]   # the real one again


@needs_real_spconv
def test_unforced_hook_steps_aside_for_a_real_package(tmp_path):
    """Installed without force (real package absent then), the real package installed later
    wins, with a warning; when the real package is hidden the kit serves."""
    _hook.write_state({"front_ends": {"spconv": dict(compat.FRONT_ENDS["spconv"].to_json(), forced=False)}}, tmp_path)
    st = compat.status(tmp_path)["spconv"]
    assert st["state"].startswith("installed, but the real package is imported")
    out, err = _run(tmp_path, """
        import warnings
        warnings.simplefilter("always")
        import spconv; print(spconv.__name__)
    """)
    assert out == ["spconv"] and "steps aside" in err
    out, _ = _run(tmp_path, "import spconv; print(spconv.__name__)", blocker=True)
    assert out == ["ascend_ops.compat.spconv"]


def test_activate_in_process(demo_front_end):
    before = list(sys.meta_path)
    with compat.activate([demo_front_end]):
        mod = __import__(DEMO)
        import ascend_ops.compat.spconv as kit
        assert mod is kit and DEMO in sys.modules
    assert DEMO not in sys.modules and sys.meta_path == before


@needs_real_spconv
def test_activate_refuses_real_and_force_restores_it():
    import spconv as real
    with pytest.raises(compat.RefusedError, match="spconv"):
        with compat.activate(["spconv"]):
            pass
    with compat.activate(["spconv"], force=True):
        import spconv
        assert spconv.__name__ == "ascend_ops.compat.spconv"
    import spconv
    assert spconv is real and sys.modules["spconv"] is real


def test_cli_status_and_refusal(tmp_path, monkeypatch, capsys):
    from ascend_ops.cli import main
    assert main(["compat", "status", "--json", "--site-dir", str(tmp_path)]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["spconv"]["installed"] is False and st["spconv"]["served"] == ["spconv"]
    if _real_spconv() is not None:
        assert main(["compat", "install", "spconv", "--site-dir", str(tmp_path)]) == 2
        assert "refusing to serve 'spconv'" in capsys.readouterr().err
        assert not (tmp_path / _hook.PTH_NAME).exists()
    assert main(["compat", "install", "nope", "--site-dir", str(tmp_path)]) == 2


def test_dotted_served_name_under_a_real_package(monkeypatch):
    """A served name inside a real package (as pcdet.ops.iou3d_nms.iou3d_nms_cuda inside OpenPCDet):
    the parent stays the real one, the served child is the kit module."""
    import json
    import ascend_ops.compat.spconv.constants as kit_mod
    monkeypatch.setitem(compat.FRONT_ENDS, "dotted", compat.FrontEnd(
        served=("json.kit_fake_ext",), package=None, modules={"json.kit_fake_ext": kit_mod.__name__}))
    assert compat.real_package("dotted") is None
    with compat.activate(["dotted"]):
        import json.kit_fake_ext as m
        assert m is kit_mod and sys.modules["json"] is json
    assert "json.kit_fake_ext" not in sys.modules and not hasattr(json, "kit_fake_ext")
