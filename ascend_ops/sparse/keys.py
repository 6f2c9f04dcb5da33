"""64-bit keys of sparse sites (issue 12): `key = ((b*Z + z)*Y + y)*X + x` (int64) on a grid
`(B, Z, Y, X)`, unique per site and ordered like the rows (b, z, y, x) lexicographically. The
grid's volume must be < 2**62 (`check_volume`); no dense table of the grid is ever allocated.
The implementation lives in ascend_ops/ops/_sparse_grid.py (shared with the ops)."""
from ..ops._sparse_grid import MAX_VOLUME, check_volume, decode, encode, volume

__all__ = ["MAX_VOLUME", "check_volume", "decode", "encode", "volume"]
