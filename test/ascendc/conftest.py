"""Shared fixtures for the Ascend C CPU harness tests (skip when no C++ compiler is available)."""
import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    if shutil.which("g++") is None:
        skip = pytest.mark.skip(reason="needs g++ (apt-get install g++) to build kernels against ascendc_sim")
        for item in items:
            if "test/ascendc" in str(item.fspath):
                item.add_marker(skip)
