"""spconv 2.x `spconv.core` names: ConvAlgo (accepted and ignored)."""
from ._conv import ConvAlgo

__all__ = ["ConvAlgo"]
