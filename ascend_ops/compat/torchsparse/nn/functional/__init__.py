"""torchsparse.nn.functional (torchsparse 2.1) served by the kit: conv3d and the conv-mode
settings, sphash, sphashquery, spcount, spvoxelize, spdevoxelize, calc_ti_weights, relu / silu /
leaky_relu, global_avg_pool / global_max_pool, conv_config / Dataflow. Names and differences:
docs/compat-torchsparse.md."""
from . import conv_config  # noqa: F401
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .conv_config import Dataflow  # noqa: F401
from .count import *  # noqa: F401,F403
from .devoxelize import *  # noqa: F401,F403
from .hash import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .query import *  # noqa: F401,F403
from .voxelize import *  # noqa: F401,F403
