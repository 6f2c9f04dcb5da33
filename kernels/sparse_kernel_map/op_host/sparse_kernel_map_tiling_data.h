// Tiling data shared by the two sparse_kernel_map Ascend C ops (SparseKernelMapKeys,
// SparseKernelMapLookup); each op's <snake>_tiling.h registers it for its OpType.
//   batch, inShape, outShape, kernel, stride, padding, dilation: the geometry (z, y, x), output
//             extent computed on the host as in kernels/sparse_kernel_map/sparse_kernel_map_check.h
//   numOffsets K = kernel volume;  mode 0 submanifold, 1 regular, 2 transposed
//   numRows   rows the op walks: coords rows (Keys) or output sites (Lookup)
//   numKeys   sorted input keys (Lookup); candRows: offsets with candidate rows (Keys: K in modes
//             1 / 2, 0 in mode 0)
//   numRows split over usedCoreNum cores: rowsPerCore (+1 for the first rowsRemainder cores),
//   contiguous ranges, walked in tiles of tileRows rows
#ifndef ASCEND_KIT_SPARSE_KERNEL_MAP_TILING_DATA_H
#define ASCEND_KIT_SPARSE_KERNEL_MAP_TILING_DATA_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(SparseKernelMapTilingData)
TILING_DATA_FIELD_DEF_ARR(int64_t, 3, inShape);
TILING_DATA_FIELD_DEF_ARR(int64_t, 3, outShape);
TILING_DATA_FIELD_DEF_ARR(int64_t, 3, kernel);
TILING_DATA_FIELD_DEF_ARR(int64_t, 3, stride);
TILING_DATA_FIELD_DEF_ARR(int64_t, 3, padding);
TILING_DATA_FIELD_DEF_ARR(int64_t, 3, dilation);
TILING_DATA_FIELD_DEF(int64_t, batch);
TILING_DATA_FIELD_DEF(int64_t, numOffsets);
TILING_DATA_FIELD_DEF(uint32_t, mode);
TILING_DATA_FIELD_DEF(uint32_t, numRows);
TILING_DATA_FIELD_DEF(uint32_t, numKeys);
TILING_DATA_FIELD_DEF(uint32_t, candRows);
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
TILING_DATA_FIELD_DEF(uint32_t, rowsRemainder);
TILING_DATA_FIELD_DEF(uint32_t, tileRows);
END_TILING_DATA_DEF;
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_KERNEL_MAP_TILING_DATA_H
