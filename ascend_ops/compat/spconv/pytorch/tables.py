"""`spconv.pytorch.tables` (the classes shared with the 1.x namespace)."""
from ..tables import AddTable, ConcatTable, JoinTable

__all__ = ["AddTable", "ConcatTable", "JoinTable"]
