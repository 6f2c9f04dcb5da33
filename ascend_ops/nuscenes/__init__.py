"""nuScenes data tools: a synthetic dataset generator and the info-pkl converter."""
