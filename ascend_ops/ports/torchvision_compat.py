"""Make `import torchvision` work when its compiled ops cannot load (e.g. PyPI's CUDA-linked
torchvision next to a CPU-only torch).

torchvision then cannot load `_C` (it links libtorch_cuda) and its import fails in
`_meta_registrations` with "operator torchvision::nms does not exist", which also breaks
`import mmcv.runner` (mmcv 1.x imports torchvision for checkpoint URLs). `ensure_importable()`
defines the schemas of the two ops that registration needs (torchvision::nms, torchvision::qnms),
without kernels, and imports torchvision again. torchvision.ops functions keep raising their own
"Couldn't load custom C++ ops" error when called; calling the bare schemas raises torch's
"no kernel" error. Nothing is done when torchvision imports normally.
"""
import sys

_SCHEMAS = ("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
            "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_lib = None


def ensure_importable():
    """Import torchvision; returns (status, detail): 'ok', 'absent' or 'schemas-defined'."""
    global _lib
    try:
        import torchvision  # noqa: F401
        return "ok", f"torchvision {torchvision.__version__}"
    except ModuleNotFoundError:
        return "absent", "torchvision is not installed"
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
        first_error = str(exc)
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    import torch
    _lib = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _SCHEMAS:
        _lib.define(schema)
    import torchvision
    from torchvision import extension
    if extension._has_ops():
        raise RuntimeError("torchvision_compat: torchvision ops loaded after the schemas were defined; "
                           "this shim must not be used with a working torchvision")
    return "schemas-defined", (f"torchvision {torchvision.__version__} compiled ops unavailable ({first_error}); "
                               f"defined torchvision::nms/qnms schemas (no kernels) so it imports")
