"""Drop-in front ends (issue 13): module names of libraries without an NPU build (spconv,
torchsparse, torch_scatter, OpenPCDet's compiled ops) served by the kit's engine and ops.

Switched on explicitly, never silently over a real package:

    ascend-kit compat install spconv          # writes ONE .pth (import hook) into site-packages
    ascend-kit compat status                  # what is installed, served, shadowing
    ascend-kit compat uninstall spconv
    ascend-kit env                            # lists what the kit serves

or in-process (tests, notebooks):

    from ascend_ops import compat
    with compat.activate(["spconv"]):
        import spconv.pytorch as spconv       # the kit's front end

Each front end is also importable directly as `ascend_ops.compat.<package>`. The registry
FRONT_ENDS maps an install name to its FrontEnd (served module names, kit package, real
distribution). Mechanism: ascend_ops/compat/_hook.py; contract: COMPAT_CONTRACT.md.
"""
import contextlib
import importlib
import importlib.metadata
import sys

from . import _hook
from ._hook import FrontEnd, KitFinder, RefusedError
from .pcdet_ops import SERVED as _pcdet_served

FRONT_ENDS = {
    "spconv": FrontEnd(served=("spconv",), package="ascend_ops.compat.spconv", real_dist="spconv",
                       description="spconv 1.x namespace `spconv` and 2.x `spconv.pytorch` on ascend_ops.sparse"),
    "torchsparse": FrontEnd(served=("torchsparse",), package="ascend_ops.compat.torchsparse", real_dist="torchsparse",
                            description="torchsparse 2.1 (SparseTensor, nn, nn.functional, backend.GPUHashTable) on ascend_ops.sparse"),
    "torch_scatter": FrontEnd(served=("torch_scatter",), package="ascend_ops.compat.torch_scatter",
                              real_dist="torch-scatter", description="torch_scatter 2.1 scatter family on the kit's ops"),
    "pcdet-ops": FrontEnd(served=tuple(_pcdet_served), package="ascend_ops.compat.pcdet_ops", real_dist="pcdet",
                          modules=_pcdet_served,
                          description="OpenPCDet's compiled ops: iou3d_nms_cuda, roiaware_pool3d_cuda (others import, raise on use)"),
}


def _front_end(name):
    try:
        return FRONT_ENDS[name]
    except KeyError:
        raise ValueError(f"unknown front end {name!r}; known: {sorted(FRONT_ENDS)}") from None


def _names(names):
    if isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(names))
    for n in names:
        _front_end(n)
    return names


@contextlib.contextmanager
def _without_kit_finders():
    saved = list(sys.meta_path)
    sys.meta_path[:] = [f for f in saved if not isinstance(f, KitFinder)]
    try:
        yield
    finally:
        sys.meta_path[:] = saved


def _distribution_of(top, fe):
    """'name version' of the distribution providing import name `top` (best effort)."""
    for dist in fe.real_dist:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return f"{dist} {importlib.metadata.version(dist)}"
    with contextlib.suppress(Exception):
        for dist in importlib.metadata.packages_distributions().get(top, []):
            return f"{dist} {importlib.metadata.version(dist)}"
    return None


def real_package(name):
    """A description of the real installed package a front end would shadow ('spconv 2.3.8 at
    /.../spconv/__init__.py'), or None when no finder other than the kit's finds any served
    module (a finder raising ImportError, a blocker, hides it)."""
    fe = _front_end(name)
    with _without_kit_finders():
        for served in fe.served:
            parent, _, _ = served.rpartition(".")
            path = None
            if parent:
                if any(served == s or served.startswith(s + ".") for s in fe.served if s != served):
                    continue
                try:
                    path = getattr(importlib.import_module(parent), "__path__", None)
                except Exception:   # the real parent package is absent or broken: nothing to shadow
                    continue
            spec = _hook.find_real_spec(served, path)
            if spec is not None:
                dist = _distribution_of(served.partition(".")[0], fe)
                where = spec.origin or (list(spec.submodule_search_locations or []) or ["?"])[0]
                return f"{dist or served} at {where}"
    return None


def _refuse(name, real):
    return RefusedError(f"ascend-kit compat: refusing to serve {name!r}: the real package is installed ({real}) and "
                        f"would be shadowed. Uninstall it, or pass force=True (CLI: --force) to serve the kit's "
                        f"front end in its place.")


def install(names, force=False, site_dir=None):
    """Install front ends `names` into `site_dir` (default: this environment's site-packages):
    (re)write the one `.pth` file atomically. Refuses (RefusedError, nothing written) when a real
    installed package would be shadowed, unless force=True. Returns status(site_dir)."""
    names = _names(names)
    state = _hook.read_state(site_dir)
    fronts = dict(state.get("front_ends", {}))
    for n in names:
        real = real_package(n)
        if real is not None and not force:
            raise _refuse(n, real)
        fronts[n] = dict(_front_end(n).to_json(), forced=bool(force))
    _hook.write_state({"front_ends": fronts}, site_dir)
    return status(site_dir)


def uninstall(names=None, site_dir=None):
    """Remove front ends `names` (default: all) from the `.pth` file (removed when none is left).
    Returns status(site_dir)."""
    state = _hook.read_state(site_dir)
    fronts = dict(state.get("front_ends", {}))
    for n in (list(fronts) if names is None else ([names] if isinstance(names, str) else names)):
        if n not in fronts:
            raise ValueError(f"front end {n!r} is not installed in {_hook.pth_path(site_dir)} (installed: "
                             f"{sorted(fronts)})")
        del fronts[n]
    _hook.write_state({"front_ends": fronts}, site_dir)
    return status(site_dir)


def status(site_dir=None):
    """{name: {"served", "package", "installed", "forced", "real", "active", "state"}} for every
    registered or installed front end. state: "not installed", "served" (installed, no real
    package), "shadowing <real>" (installed with force over a real package), "installed, but the
    real package is imported (<real>)" (installed without force, real package added later)."""
    fronts = _hook.read_state(site_dir).get("front_ends", {})
    active = {}
    for f in sys.meta_path:
        if isinstance(f, KitFinder):
            active.update(f.modules)
    out = {}
    for name in sorted(set(FRONT_ENDS) | set(fronts)):
        fe = FRONT_ENDS.get(name)
        entry = fronts.get(name)
        served = list(fe.served if fe else entry["modules"])
        real = real_package(name) if fe else None
        if entry is None:
            state = "not installed"
        elif real is None:
            state = "served"
        elif entry.get("forced"):
            state = f"shadowing {real}"
        else:
            state = f"installed, but the real package is imported ({real})"
        out[name] = {"served": served, "package": fe.package if fe else None, "installed": entry is not None,
                     "forced": bool(entry and entry.get("forced")), "real": real,
                     "active": all(s in active for s in served), "state": state,
                     "description": fe.description if fe else ""}
    return out


@contextlib.contextmanager
def activate(names, force=False):
    """Serve front ends `names` in this process for the duration of the block: a KitFinder goes
    first on sys.meta_path; on exit sys.meta_path is restored and the served modules leave
    sys.modules (modules of those names imported before are put back). Refuses (RefusedError)
    when a real package would be shadowed, unless force=True."""
    names = _names(names)
    modules = {}
    for n in names:
        real = real_package(n)
        if real is not None and not force:
            raise _refuse(n, real)
        modules.update(_front_end(n).modules)

    def served(mod_name):
        return _hook._root_of(mod_name, modules) is not None

    stashed = {k: sys.modules.pop(k) for k in [k for k in sys.modules if served(k)]}
    saved_path = list(sys.meta_path)
    sys.meta_path.insert(0, KitFinder(modules, forced=modules))
    try:
        yield
    finally:
        sys.meta_path[:] = saved_path
        for k in [k for k in sys.modules if served(k)]:
            mod = sys.modules.pop(k)
            parent, _, child = k.rpartition(".")
            if parent in sys.modules and getattr(sys.modules[parent], child, None) is mod:
                delattr(sys.modules[parent], child)   # a real parent package forgets the served child
        sys.modules.update(stashed)
        for k, mod in stashed.items():
            parent, _, child = k.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], child, mod)
        importlib.invalidate_caches()


__all__ = ["FRONT_ENDS", "FrontEnd", "KitFinder", "RefusedError", "activate", "install", "real_package", "status",
           "uninstall"]
