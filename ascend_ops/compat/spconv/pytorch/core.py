"""`spconv.pytorch.core`: SparseConvTensor (the class shared with the 1.x namespace), scatter_nd,
expand_nd."""
from .._tensor import SparseConvTensor, expand_nd, scatter_nd

__all__ = ["SparseConvTensor", "expand_nd", "scatter_nd"]
