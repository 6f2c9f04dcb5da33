// Tiling data of the harness probe op (planted faults and API scenarios).
#ifndef PROBE_CUSTOM_TILING_H
#define PROBE_CUSTOM_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(ProbeCustomTilingData)
TILING_DATA_FIELD_DEF(uint32_t, totalLength);
TILING_DATA_FIELD_DEF(uint32_t, coreLength);  // elements per core (multiple of 8)
TILING_DATA_FIELD_DEF(uint32_t, faultCore);   // core that misbehaves
TILING_DATA_FIELD_DEF(uint64_t, mode);        // = tiling key
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(ProbeCustom, ProbeCustomTilingData)
}  // namespace optiling
#endif
