// ascendc_sim stand-in for CANN's generated kernel_tiling/kernel_tiling.h: the harness entry
// includes the op's tiling header itself, so nothing is needed here.
#pragma once
