"""Platform profiles handed to op_host tiling functions by the Ascend C CPU harness.

Values come from CANN's platform .ini files (see shared notes "perf-anchors-and-ascend-specs" s.1):
Ascend910B2 (Atlas A2): 24 AIC / 48 AIV, UB 192 KiB; Ascend950PR: 28 AIC / 56 AIV, UB 248 KiB.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

MiB = 1024 * 1024


@dataclass(frozen=True)
class Profile:
    """One SoC as PlatformAscendC reports it (sizes in bytes)."""

    name: str
    soc_version: str
    short_soc: str
    aiv: int
    aic: int
    ub: int
    l1: int
    l0a: int
    l0b: int
    l0c: int
    l2: int
    sys_workspace: int = 16 * MiB

    def request_line(self) -> str:
        return (f"platform {self.soc_version} {self.short_soc} {self.aiv} {self.aic} {self.ub} {self.l1} "
                f"{self.l0a} {self.l0b} {self.l0c} {self.l2} {self.sys_workspace}")


PROFILES: dict[str, Profile] = {
    "ascend910b": Profile("ascend910b", "Ascend910B2", "ascend910b", aiv=48, aic=24, ub=196608,
                          l1=524288, l0a=65536, l0b=65536, l0c=131072, l2=192 * MiB),
    "ascend950": Profile("ascend950", "Ascend950PR_957b", "ascend950", aiv=56, aic=28, ub=253952,
                         l1=524288, l0a=65536, l0b=65536, l0c=262144, l2=112 * MiB),
}
DEFAULT_PROFILE = "ascend910b"


def get_profile(profile: "str | Profile" = DEFAULT_PROFILE, core_num: int | None = None) -> Profile:
    """Returns a profile by name (or passes one through); `core_num` overrides the AIV count
    (and AIC = max(1, core_num // 2)) to exercise the work split on fewer cores."""
    if isinstance(profile, Profile):
        p = profile
    else:
        if profile not in PROFILES:
            raise ValueError(f"profile: expected one of {sorted(PROFILES)}, got {profile!r}")
        p = PROFILES[profile]
    if core_num is not None:
        if int(core_num) < 1:
            raise ValueError(f"core_num: expected >= 1, got {core_num}")
        p = replace(p, aiv=int(core_num), aic=max(1, int(core_num) // 2))
    return p
