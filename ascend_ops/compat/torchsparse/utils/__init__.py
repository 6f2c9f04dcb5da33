"""torchsparse.utils (torchsparse 2.1, torchsparse/utils/__init__.py): make_ntuple, make_tensor,
make_divisible, to_dense; submodules quantize, collate, tensor_cache."""
from .to_dense import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
