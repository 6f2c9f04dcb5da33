"""torch_scatter 2.1.2 served by the kit (issue 13): scatter_sum, scatter_add, scatter_mul,
scatter_mean, scatter_min, scatter_max and scatter(reduce=) with torch_scatter's signatures, on
the kit's ops (scatter_mean, sparse_scatter_add) and plain torch, on any device. Import it as
`torch_scatter` through `ascend_ops.compat`, or directly as `ascend_ops.compat.torch_scatter`.
Supported names and every known difference: docs/compat-torch-scatter.md."""
from . import utils  # noqa: F401
from .scatter import scatter, scatter_add, scatter_max, scatter_mean, scatter_min, scatter_mul, scatter_sum  # noqa: F401

__version__ = "2.1.2"
KIT_FRONT_END = True

__all__ = ["scatter_sum", "scatter_add", "scatter_mul", "scatter_mean", "scatter_min", "scatter_max", "scatter",
           "__version__"]
