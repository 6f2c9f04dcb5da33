"""torchsparse.nn.utils (torchsparse 2.1): fapply, get_kernel_offsets."""
from .apply import *  # noqa: F401,F403
from .kernel import *  # noqa: F401,F403
