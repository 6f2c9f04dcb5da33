"""ascend_ops: ops, device layer and tools for porting 3D perception models to Ascend NPUs.

Importing it defines the `torch.ops.ascend_ops` schemas and loads the built kernel libraries;
it does not touch torch's global state (no CUDA-to-NPU redirection; see
`ascend_ops.device.enable_cuda_to_npu`).
"""
from .version import __version__
from . import device
from ._dispatch import AscendOpsFallbackWarning, MissingKernelError, fallback_report
from .ops import *  # noqa: F401,F403  (defines the schemas before the libraries register kernels)
from .ops import __all__ as _ops_all
from . import _ext

_ext.load()

__all__ = ["__version__", "device", "AscendOpsFallbackWarning", "MissingKernelError", "fallback_report"] + _ops_all
