"""torchsparse 2.1 served by the kit (issue 13): the API of mit-han-lab/torchsparse@385f5ce
(version 2.1.0) on the kit's sparse engine (ascend_ops.sparse) and torchsparse point ops, on any
device. Import it as `torchsparse` through `ascend_ops.compat` (an import hook), or directly as
`ascend_ops.compat.torchsparse`. Supported names and every known difference:
docs/compat-torchsparse.md.

Internal imports are relative, so the package works under either name."""
from . import backend, backends  # noqa: F401
from .operators import *  # noqa: F401,F403
from .tensor import *  # noqa: F401,F403
from . import nn, utils  # noqa: F401,E402
from .utils import collate, quantize, tensor_cache  # noqa: F401,E402

__version__ = "2.1.0"
KIT_FRONT_END = True   # marks the kit's front end (the real torchsparse has no such attribute)
