// ascendc_sim stand-in for CANN's tiling/tiling_api.h (vector-core subset: platform + tiling data).
#pragma once
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"
