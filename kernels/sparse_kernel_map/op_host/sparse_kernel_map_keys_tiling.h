// SparseKernelMapKeys tiling data: the shared SparseKernelMapTilingData (sparse_kernel_map_tiling_data.h).
#ifndef ASCEND_KIT_SPARSE_KERNEL_MAP_KEYS_TILING_H
#define ASCEND_KIT_SPARSE_KERNEL_MAP_KEYS_TILING_H
#include "sparse_kernel_map_tiling_data.h"

namespace optiling {
REGISTER_TILING_DATA_CLASS(SparseKernelMapKeys, SparseKernelMapTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_KERNEL_MAP_KEYS_TILING_H
