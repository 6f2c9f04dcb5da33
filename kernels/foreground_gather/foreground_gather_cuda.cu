// foreground_gather CUDA kernels (torch-free; launched from the binding). Order-preserving and
// deterministic: a flag pass with per-tile counts, an exclusive scan over tiles, and a compaction
// pass where each tile scans its threads' counts (threads own consecutive rows) and writes its
// kept rows in input order. No atomics except the first-invalid-row minimum. Rows are copied as
// 2, 4 or 8 byte words: every float dtype is kept as it is.
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "foreground_gather/foreground_gather_cuda.h"
#include "foreground_gather/foreground_gather_math.h"

namespace ascend_ops {
namespace foreground_gather {
namespace {

constexpr int kCopyThreads = 256;
constexpr int kWarp = 32;

// Exclusive prefix sum of `v` over the block's threads (blockDim.x == kScanThreads); *total gets
// the block's sum. Warp shuffles, then one warp scans the warp totals.
__device__ int64_t block_exclusive_scan(int64_t v, int64_t* total) {
  __shared__ int64_t warp_sums[kScanThreads / kWarp];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  int64_t inclusive = v;
#pragma unroll
  for (int d = 1; d < kWarp; d *= 2) {
    const int64_t up = __shfl_up_sync(0xffffffffu, inclusive, d);
    if (lane >= d) inclusive += up;
  }
  if (lane == kWarp - 1) warp_sums[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    int64_t w = lane < kScanThreads / kWarp ? warp_sums[lane] : 0;
#pragma unroll
    for (int d = 1; d < kWarp; d *= 2) {
      const int64_t up = __shfl_up_sync(0xffffffffu, w, d);
      if (lane >= d) w += up;
    }
    if (lane < kScanThreads / kWarp) warp_sums[lane] = w;   // inclusive warp totals
  }
  __syncthreads();
  const int64_t before = warp == 0 ? 0 : warp_sums[warp - 1];
  *total = warp_sums[kScanThreads / kWarp - 1];
  __syncthreads();   // warp_sums is reused by the next call
  return before + inclusive - v;
}

template <typename Index, typename Mask>
__global__ void mark_kernel(const Index* __restrict__ coors, const Mask* __restrict__ mask, Grid g, int64_t M,
                            uint8_t* __restrict__ status, int64_t* __restrict__ tile_counts,
                            unsigned long long* first_invalid) {
  const int64_t first = blockIdx.x * kTileRows + static_cast<int64_t>(threadIdx.x) * kRowsPerThread;
  int64_t kept = 0;
  for (int r = 0; r < kRowsPerThread; ++r) {
    const int64_t i = first + r;
    if (i >= M) break;
    const int s = row_status(coors, mask, g, i);
    status[i] = static_cast<uint8_t>(s);
    kept += s == kKeep;
    if (s == kInvalid) atomicMin(first_invalid, static_cast<unsigned long long>(i));
  }
  int64_t total;
  block_exclusive_scan(kept, &total);
  if (threadIdx.x == 0) tile_counts[blockIdx.x] = total;
}

// One block: exclusive scan of tile_counts [tiles] in chunks of kScanThreads; summary[0] = K.
__global__ void scan_tiles_kernel(const int64_t* __restrict__ tile_counts, int64_t tiles,
                                  int64_t* __restrict__ tile_offsets, int64_t* summary) {
  int64_t carry = 0;
  for (int64_t base = 0; base < tiles; base += kScanThreads) {
    const int64_t t = base + threadIdx.x;
    const int64_t v = t < tiles ? tile_counts[t] : 0;
    int64_t total;
    const int64_t before = block_exclusive_scan(v, &total);
    if (t < tiles) tile_offsets[t] = carry + before;
    carry += total;
  }
  if (threadIdx.x == 0) summary[0] = carry;
}

template <typename Index>
__global__ void compact_kernel(const Index* __restrict__ coors, const uint8_t* __restrict__ status,
                               const int64_t* __restrict__ tile_offsets, int64_t M, int64_t K,
                               Index* __restrict__ out_coors, int64_t* __restrict__ index) {
  const int64_t first = blockIdx.x * kTileRows + static_cast<int64_t>(threadIdx.x) * kRowsPerThread;
  int64_t kept = 0;
  for (int r = 0; r < kRowsPerThread && first + r < M; ++r) kept += status[first + r] == kKeep;
  int64_t total;
  int64_t k = tile_offsets[blockIdx.x] + block_exclusive_scan(kept, &total);
  for (int r = 0; r < kRowsPerThread && first + r < M; ++r) {
    const int64_t i = first + r;
    if (status[i] != kKeep || k >= K) continue;   // k < K always for the status of launch_mark
    index[k] = i;
#pragma unroll
    for (int j = 0; j < 4; ++j) out_coors[k * 4 + j] = coors[i * 4 + j];
    ++k;
  }
}

// out[k, c] = in[index[k], c] (gather) for k < K.
template <typename Word>
__global__ void gather_rows_kernel(const Word* __restrict__ in, const int64_t* __restrict__ index, int64_t K,
                                   int64_t C, Word* __restrict__ out) {
  const int64_t n = K * C;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = e / C, c = e % C;
    out[e] = in[index[k] * C + c];
  }
}

// out[index[k], c] = grad[k, c], skipping (and flagging) an index outside [0, M) or not above
// its predecessor.
template <typename Word>
__global__ void scatter_rows_kernel(const Word* __restrict__ grad, const int64_t* __restrict__ index, int64_t K,
                                    int64_t C, int64_t M, Word* __restrict__ out, int32_t* error) {
  const int64_t n = K * C;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = e / C, c = e % C;
    const int64_t i = index[k];
    if (i < 0 || i >= M) {
      if (c == 0) atomicOr(error, 1);
      continue;
    }
    if (c == 0 && k > 0 && index[k - 1] >= i) atomicOr(error, 2);
    out[i * C + c] = grad[e];
  }
}

template <typename Index>
cudaError_t mark_typed(const Index* coors, const void* mask, MaskType mask_type, const Grid& g, int64_t M,
                       uint8_t* status, int64_t* tile_counts, int64_t* tile_offsets, int64_t* summary,
                       cudaStream_t stream) {
  const int64_t tiles = num_tiles(M);
  unsigned long long* first_invalid = reinterpret_cast<unsigned long long*>(summary + 1);
  if (tiles > 0) {
    const dim3 grid(static_cast<unsigned int>(tiles));
    switch (mask_type) {
      case MaskType::kInt32:
        mark_kernel<<<grid, kScanThreads, 0, stream>>>(coors, static_cast<const int32_t*>(mask), g, M, status,
                                                       tile_counts, first_invalid);
        break;
      case MaskType::kInt64:
        mark_kernel<<<grid, kScanThreads, 0, stream>>>(coors, static_cast<const int64_t*>(mask), g, M, status,
                                                       tile_counts, first_invalid);
        break;
      case MaskType::kUInt8:
        mark_kernel<<<grid, kScanThreads, 0, stream>>>(coors, static_cast<const uint8_t*>(mask), g, M, status,
                                                       tile_counts, first_invalid);
        break;
      case MaskType::kBool:
        mark_kernel<<<grid, kScanThreads, 0, stream>>>(coors, static_cast<const bool*>(mask), g, M, status,
                                                       tile_counts, first_invalid);
        break;
      default: return cudaErrorInvalidValue;
    }
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  scan_tiles_kernel<<<1, kScanThreads, 0, stream>>>(tile_counts, tiles, tile_offsets, summary);
  return cudaGetLastError();
}

template <typename Word>
cudaError_t gather_typed(const void* in, const int64_t* index, int64_t K, int64_t C, void* out, cudaStream_t stream) {
  return launch_over(gather_rows_kernel<Word>, K * C, kCopyThreads, stream, static_cast<const Word*>(in), index, K, C,
                     static_cast<Word*>(out));
}

template <typename Word>
cudaError_t scatter_typed(const void* grad, const int64_t* index, int64_t K, int64_t C, int64_t M, void* out,
                          int32_t* error, cudaStream_t stream) {
  return launch_over(scatter_rows_kernel<Word>, K * C, kCopyThreads, stream, static_cast<const Word*>(grad), index, K,
                     C, M, static_cast<Word*>(out), error);
}

}  // namespace

cudaError_t launch_mark(const void* coors, IndexType index_type, const void* mask, MaskType mask_type,
                        const Grid& grid, int64_t M, uint8_t* status, int64_t* tile_counts,
                        int64_t* tile_offsets, int64_t* summary, cudaStream_t stream) {
  if (index_type == IndexType::kInt64)
    return mark_typed(static_cast<const int64_t*>(coors), mask, mask_type, grid, M, status, tile_counts,
                      tile_offsets, summary, stream);
  return mark_typed(static_cast<const int32_t*>(coors), mask, mask_type, grid, M, status, tile_counts, tile_offsets,
                    summary, stream);
}

cudaError_t launch_compact(const void* features, size_t elem_bytes, int64_t C, const void* coors,
                           IndexType index_type, const uint8_t* status, const int64_t* tile_offsets, int64_t M,
                           int64_t K, void* out_features, void* out_coors, int64_t* index, cudaStream_t stream) {
  if (K == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned int>(num_tiles(M)));
  if (index_type == IndexType::kInt64)
    compact_kernel<<<grid, kScanThreads, 0, stream>>>(static_cast<const int64_t*>(coors), status, tile_offsets, M,
                                                      K, static_cast<int64_t*>(out_coors), index);
  else
    compact_kernel<<<grid, kScanThreads, 0, stream>>>(static_cast<const int32_t*>(coors), status, tile_offsets, M,
                                                      K, static_cast<int32_t*>(out_coors), index);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || C == 0) return err;
  switch (elem_bytes) {
    case 2: return gather_typed<uint16_t>(features, index, K, C, out_features, stream);
    case 4: return gather_typed<uint32_t>(features, index, K, C, out_features, stream);
    case 8: return gather_typed<uint64_t>(features, index, K, C, out_features, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t launch_scatter(const void* grad, size_t elem_bytes, int64_t C, const int64_t* index, int64_t K,
                           int64_t M, void* grad_in, int32_t* error, cudaStream_t stream) {
  switch (elem_bytes) {
    case 2: return scatter_typed<uint16_t>(grad, index, K, C, M, grad_in, error, stream);
    case 4: return scatter_typed<uint32_t>(grad, index, K, C, M, grad_in, error, stream);
    case 8: return scatter_typed<uint64_t>(grad, index, K, C, M, grad_in, error, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace foreground_gather
}  // namespace ascend_ops
