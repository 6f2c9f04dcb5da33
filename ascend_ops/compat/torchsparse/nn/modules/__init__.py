"""torchsparse.nn modules (torchsparse 2.1) served by the kit."""
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
