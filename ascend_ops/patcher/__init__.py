"""Runtime patcher: explicit, reported, reversible import-time patches (see core.py)."""
from .core import APPLIED, FAILED, SKIPPED, UNDONE, Patch, PatchError, Patcher

__all__ = ["Patch", "Patcher", "PatchError", "APPLIED", "SKIPPED", "FAILED", "UNDONE"]
