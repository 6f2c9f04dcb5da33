"""The one folder where the kit and its tests keep downloads and build caches.

    ASCEND_KIT_CACHE  (default $XDG_CACHE_HOME/ascend-kit, else ~/.cache/ascend-kit)
      ascendc/              Ascend C harness libraries (ASCEND_KIT_ASCENDC_CACHE overrides)
      npu-venv-<torch>/     torch_npu for the NPU bindings' syntax check (ASCEND_KIT_NPU_VENV)
      torch-<version>-venv/ the old-torch test run (.ci/old_torch.sh)
      sparse4d-venv/        the mmcv-full stack of the Sparse4D smoke tests (ASCEND_KIT_SPARSE4D_PYTHON)
      wheels/               wheels install.sh looks in first (ASCEND_KIT_WHEELS)
      DrivingSDK.git        optional git snapshot of Ascend/DrivingSDK (DRIVINGSDK_GIT_DIR)
      torch-extensions/     small C++ test helpers built with torch.utils.cpp_extension
Shell scripts use the same rule: ${ASCEND_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-kit}.
"""
import os
from pathlib import Path


def cache_root() -> Path:
    """The kit's cache folder (not created here)."""
    explicit = os.environ.get("ASCEND_KIT_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ascend-kit"


def cache_path(*parts, env=None) -> Path:
    """cache_root()/parts, or the environment variable `env` when it is set."""
    if env and os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    return cache_root().joinpath(*parts)
