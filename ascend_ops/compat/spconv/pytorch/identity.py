"""`spconv.pytorch.identity`."""
from ..identity import Identity

__all__ = ["Identity"]
