// Tiling data of the attribute / optional input / integer output probe op (test/ascendc only).
#ifndef ATTR_PROBE_TILING_H
#define ATTR_PROBE_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(AttrProbeTilingData)
TILING_DATA_FIELD_DEF(uint32_t, n);        // elements of x
TILING_DATA_FIELD_DEF(uint32_t, m);        // elements of idx
TILING_DATA_FIELD_DEF(uint32_t, hasBias);  // the optional input is present
TILING_DATA_FIELD_DEF(uint32_t, negate);   // attr flag
TILING_DATA_FIELD_DEF(int64_t, k);         // attr k
TILING_DATA_FIELD_DEF(float, scale);       // attr alpha * weights[0] * len(dims)
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(AttrProbe, AttrProbeTilingData)
}  // namespace optiling
#endif
