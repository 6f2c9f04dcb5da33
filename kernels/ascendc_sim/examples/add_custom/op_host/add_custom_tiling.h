// Tiling data of the example vector add (z = x + y), shared by op_host and (via the build) op_kernel.
#ifndef ADD_CUSTOM_TILING_H
#define ADD_CUSTOM_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(AddCustomTilingData)
TILING_DATA_FIELD_DEF(uint32_t, totalLength);   // elements in x, y, z
TILING_DATA_FIELD_DEF(uint32_t, formerNum);     // cores that take formerLength elements
TILING_DATA_FIELD_DEF(uint32_t, formerLength);  // elements per former core (multiple of alignNum)
TILING_DATA_FIELD_DEF(uint32_t, tailLength);    // elements per remaining core (multiple of alignNum)
TILING_DATA_FIELD_DEF(uint32_t, tileLength);    // elements per UB tile (multiple of alignNum)
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(AddCustom, AddCustomTilingData)
}  // namespace optiling
#endif  // ADD_CUSTOM_TILING_H
