"""The import hook of the drop-in front ends (issue 13). Standard library only: the `.pth` file
that `install` writes loads this file at every interpreter start without importing ascend_ops
(which imports torch), so an interpreter that never imports a served name pays nothing.

A front end serves module names (`spconv`, `spconv.*`, ...) from a kit package
(`ascend_ops.compat.spconv`, ...). The served module IS the kit module (one object under two
names), so `spconv.SubMConv3d is ascend_ops.compat.spconv.SubMConv3d` and isinstance checks
agree whichever name a model imported.

A real installed package is never shadowed silently:
- `install` / `activate` refuse (RefusedError, naming the real package) unless force=True;
- at import time a front end installed without force steps aside, with a warning, when another
  finder finds the real module (a package installed after the front end);
- `status()` says "shadowing" for a front end installed with force over a real package.

State: ONE file `ascend_kit_compat.pth` in a site-packages directory: a comment line holding the
JSON state and one `import` line that loads this file and calls `boot(state)`.
"""
import contextlib
import importlib
import importlib.abc
import importlib.util
import json
import os
import sys
import sysconfig
import tempfile
import warnings

PTH_NAME = "ascend_kit_compat.pth"
_STATE_PREFIX = "# ascend-kit compat state: "
_HOOK_MODULE = "ascend_ops.compat._hook"


class RefusedError(RuntimeError):
    """Installing / activating a front end would shadow a real installed package."""


class FrontEnd:
    """One front end: the module names it serves and the kit package serving them.

    served:  module names served together with their submodules, e.g. ("spconv",) serves
             `spconv` and `spconv.*`.
    package: the kit package of the first served name; `X.rest` is served from `package.rest`.
    modules: optional {served name: kit module} for every served name (when there are several,
             e.g. the compiled extension modules of pcdet); default {served[0]: package}.
    real_dist: the distribution(s) of the real package, named in messages (str or tuple);
             whether the real package is present is decided by finding its module.
    description: one line for `ascend-kit env` / `compat status`.
    """

    def __init__(self, served, package, real_dist=None, modules=None, description=""):
        if isinstance(served, str):
            served = (served,)
        self.served = tuple(served)
        if not self.served:
            raise ValueError("FrontEnd: served must name at least one module")
        self.package = package
        self.real_dist = (real_dist,) if isinstance(real_dist, str) else tuple(real_dist or ())
        self.modules = dict(modules) if modules else {self.served[0]: package}
        missing = [s for s in self.served if s not in self.modules]
        if missing:
            raise ValueError(f"FrontEnd: modules has no kit module for served names {missing}")
        self.description = description

    def to_json(self):
        return {"served": list(self.served), "modules": self.modules}

    def __repr__(self):
        return f"FrontEnd(served={self.served!r}, package={self.package!r}, real_dist={self.real_dist!r})"


def _root_of(fullname, modules):
    """The served name that `fullname` is or lies under (longest match), else None."""
    best = None
    for served in modules:
        if (fullname == served or fullname.startswith(served + ".")) and (best is None or len(served) > len(best)):
            best = served
    return best


class _AliasLoader(importlib.abc.Loader):
    """Loads a served name as the kit module itself (no second copy of the module)."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


def _other_finders():
    return [f for f in sys.meta_path if not isinstance(f, KitFinder) and not getattr(f, "_ascend_kit_finder", False)]


def find_real_spec(fullname, path=None):
    """The spec another (non-kit) finder gives `fullname`, or None. A finder raising ImportError
    (a blocker) hides the module, as it would for the import system."""
    for finder in _other_finders():
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(fullname, path, None)
        except ImportError:
            return None
        if spec is not None:
            return spec
    return None


class KitFinder(importlib.abc.MetaPathFinder):
    """A sys.meta_path finder serving `modules` ({served name: kit module}) and their submodules.

    forced: served names to serve even over a real package. For the others, when another finder
    finds the served name itself, the real package is imported instead (warning once)."""

    _ascend_kit_finder = True

    def __init__(self, modules, forced=()):
        self.modules = dict(modules)
        self.forced = set(forced)
        self.real_wins = {}

    def find_spec(self, fullname, path=None, target=None):
        root = _root_of(fullname, self.modules)
        if root is None:
            return None
        if root in self.real_wins:
            return None
        if fullname == root and root not in self.forced:
            real = find_real_spec(fullname, path)
            if real is not None:
                self.real_wins[root] = real.origin
                warnings.warn(f"ascend-kit compat: a real {root!r} is installed ({real.origin}); the kit's front "
                              f"end steps aside (run `ascend-kit compat install --force` to serve the kit's)",
                              ImportWarning, stacklevel=2)
                return None
        kit_name = self.modules[root] + fullname[len(root):]
        kit_spec = importlib.util.find_spec(kit_name)
        if kit_spec is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(kit_name), origin=kit_spec.origin,
                                               is_package=kit_spec.submodule_search_locations is not None)

    def __repr__(self):
        return f"KitFinder(modules={self.modules!r}, forced={sorted(self.forced)!r})"


# -- interpreter start ------------------------------------------------------------------------
def boot(state):
    """Called by the `.pth` line at interpreter start: put one KitFinder first on sys.meta_path
    for the installed front ends of `state` (see read_state)."""
    modules, forced = {}, []
    for entry in state.get("front_ends", {}).values():
        modules.update(entry["modules"])
        if entry.get("forced"):
            forced.extend(entry["modules"])
    if modules and not any(isinstance(f, KitFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, KitFinder(modules, forced))


# -- the .pth file ------------------------------------------------------------------------------
def default_site_dir():
    """The site-packages directory install() writes to: the running environment's purelib."""
    return sysconfig.get_paths()["purelib"]


def pth_path(site_dir=None):
    return os.path.join(site_dir or default_site_dir(), PTH_NAME)


def read_state(site_dir=None):
    """The state in the `.pth` file: {"front_ends": {name: {"modules", "forced"}}, "hook": path};
    empty front_ends when there is no file."""
    path = pth_path(site_dir)
    if not os.path.exists(path):
        return {"front_ends": {}}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(_STATE_PREFIX):
                return json.loads(line[len(_STATE_PREFIX):])
    raise RuntimeError(f"ascend-kit compat: {path} has no state line; remove it by hand")


def _pth_text(state):
    hook = os.path.abspath(__file__)
    state = dict(state, hook=hook)
    # One line: load this file under its own name (without importing ascend_ops, i.e. torch),
    # unless already loaded, then boot. site executes .pth lines that start with "import".
    line = ("import importlib.util as _u, sys as _s; _n = %r; _m = _s.modules.get(_n); "
            "_sp = None if _m else _u.spec_from_file_location(_n, %r); "
            "_m = _m or _u.module_from_spec(_sp); _s.modules.setdefault(_n, _m); "
            "_sp and _sp.loader.exec_module(_m); _m.boot(%r)" % (_HOOK_MODULE, hook, state))
    return (f"# Written by `ascend-kit compat install`; remove with `ascend-kit compat uninstall`.\n"
            f"{_STATE_PREFIX}{json.dumps(state, sort_keys=True)}\n{line}\n")


def write_state(state, site_dir=None):
    """Write the `.pth` for `state` atomically (a temp file in the same directory, then rename);
    remove it when no front end is left. Returns the path."""
    path = pth_path(site_dir)
    if not state.get("front_ends"):
        if os.path.exists(path):
            os.remove(path)
        return path
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ascend_kit_compat.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_pth_text(state))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return path
