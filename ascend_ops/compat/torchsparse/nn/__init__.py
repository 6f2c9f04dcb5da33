"""torchsparse.nn (torchsparse 2.1) served by the kit: Conv3d, BatchNorm, GroupNorm, InstanceNorm,
ReLU, LeakyReLU, SiLU, GlobalAvgPool, GlobalMaxPool; submodules functional and utils."""
from . import functional, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
