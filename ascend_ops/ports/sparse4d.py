"""Kit side of the Sparse4D port (model_examples/Sparse4D/Sparse4D.patch calls into this).

- `deformable_aggregation_function`: drop-in for Sparse4D's ``ops.deformable_aggregation_function``
  (same 5 arguments, float32 compute like the CUDA extension), backed by
  `ascend_ops.deformable_aggregation` (NPU / CUDA / CPU kernels with one schema).
- `apply_runtime_patches`: the mmcv 1.x runtime patches (ascend_ops.patcher.mmcv1), applied once
  per process, with the report printed on rank 0.
- `print_metrics`: prints NDS / mAP (and AMOTA when tracked) of ``dataset.evaluate`` as
  ``[ascend-kit] metric NAME=VALUE`` lines (percentage points) for ascend_ops.results.
"""
import os

from ascend_ops.results.logline import format_metric

_patcher = None


def deformable_aggregation_function(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights):
    """mc_ms_feat [bs, N, C], spatial_shape int [cams, levels, 2], scale_start_index int
    [cams, levels], sampling_location [bs, A, P, cams, 2], weights [bs, A, P, cams, levels, G]
    -> float32 [bs, A, C]. Floats are cast to float32 as Sparse4D's CUDA op does."""
    from ascend_ops import deformable_aggregation
    return deformable_aggregation(mc_ms_feat.float(), spatial_shape, scale_start_index,
                                  sampling_location.float(), weights.float())


def apply_runtime_patches(fused_optimizers=None):
    """Apply the mmcv 1.x patches once; return the Patcher (call `.undo()` to revert).
    fused_optimizers: default from ASCEND_KIT_FUSED_OPTIMIZERS (1 unless set to 0)."""
    global _patcher
    if _patcher is not None and _patcher.applied:
        return _patcher
    from ascend_ops.patcher import Patcher
    from ascend_ops.patcher.mmcv1 import mmcv1_patches
    if fused_optimizers is None:
        fused_optimizers = os.environ.get("ASCEND_KIT_FUSED_OPTIMIZERS", "1") != "0"
    _patcher = Patcher(mmcv1_patches(fused_optimizers=fused_optimizers))
    _patcher.apply()
    if int(os.environ.get("RANK", "0")) == 0:
        print(_patcher.format_report(), flush=True)
    return _patcher


_METRICS = (("NDS", "/NDS"), ("mAP", "/mAP"), ("AMOTA", "/amota"))


def print_metrics(results_dict, write=print):
    """Print kit metric lines for the nuScenes summary keys of `results_dict` (values in [0, 1]
    are printed x100). Raises ValueError if neither NDS nor mAP is present."""
    found = {}
    for name, suffix in _METRICS:
        keys = [k for k in results_dict if str(k).endswith(suffix)]
        if len(keys) > 1:
            raise ValueError(f"print_metrics: several keys end with {suffix!r}: {keys}")
        if keys:
            found[name] = float(results_dict[keys[0]]) * 100.0
    if "NDS" not in found and "mAP" not in found:
        raise ValueError(f"print_metrics: no '*/NDS' or '*/mAP' key in the evaluation results "
                         f"(keys: {sorted(results_dict)[:10]}...)")
    for name, value in found.items():
        write(format_metric(name, value))
    return found


def prepare_imports():
    """Call before importing mmcv: makes `import torchvision` work when its compiled ops cannot
    load (see ascend_ops.ports.torchvision_compat); prints what it did on rank 0."""
    from ascend_ops.ports.torchvision_compat import ensure_importable
    status, detail = ensure_importable()
    if status != "ok" and int(os.environ.get("RANK", "0")) == 0:
        print(f"[ascend-kit] torchvision: {status}: {detail}", flush=True)
    return status, detail
