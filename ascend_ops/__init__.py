"""ascend_ops: ops, device layer and tools for porting 3D perception models to Ascend NPUs.

Importing it defines the `torch.ops.ascend_ops` schemas and loads the built kernel libraries;
it does not touch torch's global state (no CUDA-to-NPU redirection; see
`ascend_ops.device.enable_cuda_to_npu`).

One exception: when the process is the kit's command line (`ascend-kit ...` or
`python -m ascend_ops ...`), the package starts without torch and loads the ops on first use
(an attribute of the package, or `import ascend_ops.ops`), so that `--help` and the commands
that need no torch start fast. Importing `ascend_ops.ops` (or any module that uses an op)
always loads the kernel libraries too.
"""
import os as _os
import sys as _sys

from .version import __version__

_LAZY_NAMES = ("device", "AscendOpsFallbackWarning", "MissingKernelError", "fallback_report")


def _load():
    """Import the ops and the device layer into the package namespace (idempotent). Submodules
    are imported by name: `from . import x` would ask this module's __getattr__ first."""
    import importlib
    device = importlib.import_module(__name__ + ".device")
    dispatch = importlib.import_module(__name__ + "._dispatch")
    ops = importlib.import_module(__name__ + ".ops")
    importlib.import_module(__name__ + "._ext").load()
    AscendOpsFallbackWarning, MissingKernelError = dispatch.AscendOpsFallbackWarning, dispatch.MissingKernelError
    fallback_report = dispatch.fallback_report
    names = {"device": device, "AscendOpsFallbackWarning": AscendOpsFallbackWarning,
             "MissingKernelError": MissingKernelError, "fallback_report": fallback_report}
    names.update({n: getattr(ops, n) for n in ops.__all__})
    globals().update(names)
    globals()["__all__"] = ["__version__"] + list(_LAZY_NAMES) + list(ops.__all__)


def _started_as_command_line():
    """True while the kit's own command line imports this package: `python -m ascend_ops[.x]`
    (sys.orig_argv names it; before Python 3.10, sys.argv[0] is '-m' while the -m target loads)
    or the `ascend-kit` console script."""
    argv0 = _sys.argv[0] if _sys.argv else ""
    if _os.path.basename(argv0) in ("ascend-kit", "ascend-kit.exe", "ascend-kit-script.py"):
        return True
    if argv0 != "-m":
        return False
    orig = list(getattr(_sys, "orig_argv", ()))
    if "-m" not in orig:
        return not hasattr(_sys, "orig_argv")
    target = orig[orig.index("-m") + 1] if orig.index("-m") + 1 < len(orig) else ""
    return target == __name__ or target.startswith(__name__ + ".")


if _started_as_command_line():
    __all__ = ["__version__"]

    _loading = []

    def __getattr__(name):
        # private names and names asked for while loading are submodules being imported
        # (`from . import x` asks here first): let the import system find them
        if name.startswith("_") or _loading:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        _loading.append(name)
        try:
            _load()
        finally:
            _loading.pop()
        try:
            return globals()[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
else:
    _load()
