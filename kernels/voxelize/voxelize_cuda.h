// hard_voxelize / dynamic_voxelize CUDA launchers (defined in voxelize_cuda.cu, called by
// voxelize_cuda_binding.cpp). Torch-free: raw pointers, sizes and a stream; every tensor
// contiguous; points float (is_double false) or double. Deterministic, spconv's order:
//   launch_hard_index  per-point key (voxelize_math.h), a hash table of 2**k >= 2N slots keyed by
//                      the 64-bit voxel key (atomicCAS) holding each voxel's first point
//                      (atomicMin) and point count (atomicAdd), first-point flags and their
//                      exclusive scan (CUB): the voxel ids in first-appearance order, and
//                      total[0] = the number of voxels;
//   (the caller reads total, allocates voxels [V, max_points, F] zeroed, coords, num)
//   launch_hard_fill   every point gets its voxel id; a stable CUB radix sort of (voxel id, point)
//                      lists each voxel's points in input order, so a point's slot is its position
//                      minus its voxel's start (CUB scan of the counts); slots < max_points of
//                      voxels < max_voxels are copied; first points write coords and num.
// Only integer atomics: the table's layout may vary between runs, its contents do not.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "voxelize/voxelize_math.h"

namespace ascend_ops {
namespace voxelize {

// points [N, F] -> out int32 [N, 3] (z, y, x), -1 rows for dropped points.
cudaError_t launch_dynamic(const void* points, bool is_double, int64_t N, int64_t F, const Grid& g, int32_t* out,
                           cudaStream_t stream);

// Bytes of the work buffer of launch_hard_index / launch_hard_fill for N points.
size_t hard_work_bytes(int64_t N);

// Phase 1 (see above); total int64 [1] on the device.
cudaError_t launch_hard_index(const void* points, bool is_double, int64_t N, int64_t F, const Grid& g, void* work,
                              int64_t* total, cudaStream_t stream);

// Phase 2 for total voxels (the host copy of phase 1's total) and V = min(total, max_voxels):
// voxels [V, max_points, F] (zero-filled by the caller), coords int32 [V, 3], num int32 [V].
cudaError_t launch_hard_fill(const void* points, bool is_double, int64_t N, int64_t F, const Grid& g,
                             int64_t max_points, int64_t max_voxels, int64_t total, void* work, void* voxels,
                             int32_t* coords, int32_t* num, cudaStream_t stream);

}  // namespace voxelize
}  // namespace ascend_ops
