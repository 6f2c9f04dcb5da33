// SparseScatterAdd tiling data (host -> kernel). Field meanings: see sparse_gs_plan.h.
#ifndef ASCEND_KIT_SPARSE_SCATTER_ADD_TILING_H
#define ASCEND_KIT_SPARSE_SCATTER_ADD_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(SparseScatterAddTilingData)
TILING_DATA_FIELD_DEF(uint32_t, numRows);      // output rows (row_ptr has numRows + 1 entries)
TILING_DATA_FIELD_DEF(uint32_t, numPairs);     // P
TILING_DATA_FIELD_DEF(uint32_t, channels);     // C
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);  // output rows per core
TILING_DATA_FIELD_DEF(uint32_t, rowsRemainder);
TILING_DATA_FIELD_DEF(uint32_t, tileRows);
TILING_DATA_FIELD_DEF(uint32_t, orderChunk);
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(SparseScatterAdd, SparseScatterAddTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_SCATTER_ADD_TILING_H
