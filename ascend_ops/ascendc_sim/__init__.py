"""CPU execution harness for the kit's Ascend C kernels (no NPU, no CANN needed).

`run_op` compiles an op's op_host + op_kernel sources against header-only stand-ins of the
Ascend C API (kernels/ascendc_sim/include), runs the real tiling function, executes the kernel
per simulated vector core with checks, and returns outputs and a report.
"""
from .build import AscendCSimBuildError, cache_dir
from .profiles import DEFAULT_PROFILE, PROFILES, Profile, get_profile
from .runner import AscendCSimError, RunResult, run_op, snake_case

__all__ = ["AscendCSimBuildError", "AscendCSimError", "DEFAULT_PROFILE", "PROFILES", "Profile", "RunResult",
           "cache_dir", "get_profile", "run_op", "snake_case"]
