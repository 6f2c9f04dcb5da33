// foreground_gather CUDA launchers (defined in foreground_gather_cuda.cu, called by
// foreground_gather_cuda_binding.cpp). Torch-free: raw pointers, sizes and a stream; every
// tensor contiguous. Order-preserving compaction in three steps:
//   launch_mark     status[i] (kDrop / kKeep / kInvalid) per row; kept rows per tile of kTileRows
//                   rows; an exclusive scan over the tiles -> tile_offsets; summary[0] = K and
//                   summary[1] = min(first invalid row, its initial value, which the caller sets to M);
//   (the caller reads summary, raises on an invalid row, allocates the [K, ...] outputs)
//   launch_compact  index, coors and feature rows of the kept rows, in input order;
//   launch_scatter  the backward: grad_in[index[k]] = grad[k] (grad_in zero-filled by the caller);
//                   error[0] |= 1 for an index outside [0, M), 2 for one not above its predecessor.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "foreground_gather/foreground_gather_math.h"

namespace ascend_ops {
namespace foreground_gather {

enum class IndexType : int { kInt32 = 0, kInt64 = 1 };
enum class MaskType : int { kInt32 = 0, kInt64 = 1, kUInt8 = 2, kBool = 3 };

constexpr int kScanThreads = 256;
constexpr int kRowsPerThread = 4;
constexpr int64_t kTileRows = kScanThreads * kRowsPerThread;

inline int64_t num_tiles(int64_t rows) { return (rows + kTileRows - 1) / kTileRows; }

// status uint8 [M], tile_counts / tile_offsets int64 [num_tiles(M)], summary int64 [2] (see above).
cudaError_t launch_mark(const void* coors, IndexType index_type, const void* mask, MaskType mask_type,
                        const Grid& grid, int64_t M, uint8_t* status, int64_t* tile_counts,
                        int64_t* tile_offsets, int64_t* summary, cudaStream_t stream);

// features [M, C] of elem_bytes (2, 4 or 8) per element, coors [M, 4] -> out_features [K, C],
// out_coors [K, 4], index int64 [K], for the status and tile_offsets of launch_mark.
cudaError_t launch_compact(const void* features, size_t elem_bytes, int64_t C, const void* coors,
                           IndexType index_type, const uint8_t* status, const int64_t* tile_offsets, int64_t M,
                           int64_t K, void* out_features, void* out_coors, int64_t* index, cudaStream_t stream);

// grad [K, C] -> rows index[k] of grad_in [M, C] (elem_bytes per element); error int32 [1], zeroed.
cudaError_t launch_scatter(const void* grad, size_t elem_bytes, int64_t C, const int64_t* index, int64_t K,
                           int64_t M, void* grad_in, int32_t* error, cudaStream_t stream);

}  // namespace foreground_gather
}  // namespace ascend_ops
