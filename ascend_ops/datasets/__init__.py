"""Synthetic workloads: seeded, deterministic generators of model inputs (no data download)."""
