"""Layer-level precision diff between two runs (e.g. NPU vs GPU): dump hooks and comparison.
See docs/paired-runs.md ("Layer-level precision diff")."""
from .dump import LayerDump
from .compare import DEFAULT_TOLERANCES, DumpError, Row, compare_dumps, first_bad

__all__ = ["LayerDump", "DEFAULT_TOLERANCES", "DumpError", "Row", "compare_dumps", "first_bad"]
