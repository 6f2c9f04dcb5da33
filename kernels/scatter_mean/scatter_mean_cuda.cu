// scatter_mean CUDA kernels (torch-free; launched from the binding). See scatter_mean_cuda.h.
#include <cuda_runtime.h>

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include "common/cuda_utils.h"
#include "common/ieee_div.h"
#include "scatter_mean/scatter_mean_cuda.h"

namespace ascend_ops {
namespace scatter_mean {
namespace {

constexpr int kThreads = 256;

inline size_t align256(size_t n) { return (n + 255) / 256 * 256; }

int end_bit(int64_t dim_size) {   // bits of the largest key, dim_size (a bad index)
  int bits = 1;
  while (bits < 63 && (int64_t(1) << bits) <= dim_size) ++bits;
  return bits;
}

// key[i] = index[i], or dim_size for a bad one (flagged); row[i] = i; count[key] += 1.
template <typename I>
__global__ void keys_kernel(const I* __restrict__ index, int64_t N, int64_t dim_size, int64_t* __restrict__ key,
                            int64_t* __restrict__ row, unsigned long long* count, unsigned long long* first_bad) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < N;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t r = static_cast<int64_t>(index[i]);
    if (r < 0 || r >= dim_size) {
      atomicMin(first_bad, static_cast<unsigned long long>(i));
      r = dim_size;
    }
    if (key) key[i] = r;
    if (row) row[i] = i;
    atomicAdd(count + r, 1ULL);
  }
}

// out[r, c] = (sum over the group of r, in input order) / max(1, count[r]).
template <typename T>
__global__ void mean_kernel(const T* __restrict__ src, const int64_t* __restrict__ sorted_rows,
                            const int64_t* __restrict__ offsets, const int64_t* __restrict__ count, int64_t C,
                            int64_t dim_size, T* __restrict__ out) {
  using A = acc_t<T>;
  const int64_t n = dim_size * C;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = e / C, c = e % C;
    A acc = A(0);
    for (int64_t j = offsets[r], stop = offsets[r] + count[r]; j < stop; ++j)
      acc += to_acc<A>(src[sorted_rows[j] * C + c]);
    const int64_t k = count[r] > 0 ? count[r] : 1;
    out[e] = from_acc<T>(div_rn(acc, static_cast<A>(k)));
  }
}

// grad_src[i, c] = grad_out[index[i], c] / max(1, count[index[i]]) (0 for a bad index).
template <typename T, typename I>
__global__ void grad_kernel(const T* __restrict__ grad_out, const I* __restrict__ index,
                            const int64_t* __restrict__ count, int64_t N, int64_t C, int64_t dim_size,
                            T* __restrict__ grad_src) {
  using A = acc_t<T>;
  const int64_t n = N * C;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / C, c = e % C;
    const int64_t r = static_cast<int64_t>(index[i]);
    if (r < 0 || r >= dim_size) {
      grad_src[e] = from_acc<T>(A(0));
      continue;
    }
    const int64_t k = count[r] > 0 ? count[r] : 1;
    grad_src[e] = from_acc<T>(div_rn(to_acc<A>(grad_out[r * C + c]), static_cast<A>(k)));
  }
}

template <typename I>
cudaError_t count_keys(const I* index, int64_t N, int64_t dim_size, int64_t* key, int64_t* row, int64_t* count,
                       int64_t* first_bad, cudaStream_t stream) {
  return launch_over(keys_kernel<I>, N, kThreads, stream, index, N, dim_size, key, row,
                     reinterpret_cast<unsigned long long*>(count), reinterpret_cast<unsigned long long*>(first_bad));
}

cudaError_t count_any(const void* index, IndexType index_type, int64_t N, int64_t dim_size, int64_t* key,
                      int64_t* row, int64_t* count, int64_t* first_bad, cudaStream_t stream) {
  if (index_type == IndexType::kInt64)
    return count_keys(static_cast<const int64_t*>(index), N, dim_size, key, row, count, first_bad, stream);
  return count_keys(static_cast<const int32_t*>(index), N, dim_size, key, row, count, first_bad, stream);
}

}  // namespace

ForwardWork forward_work(int64_t N, int64_t dim_size) {
  ForwardWork w{};
  w.keys = w.sorted_keys = w.rows = w.sorted_rows = align256(sizeof(int64_t) * static_cast<size_t>(N > 0 ? N : 1));
  w.count = w.offsets = align256(sizeof(int64_t) * static_cast<size_t>(dim_size + 1));
  size_t sort_bytes = 0, scan_bytes = 0;
  cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, static_cast<const int64_t*>(nullptr),
                                  static_cast<int64_t*>(nullptr), static_cast<const int64_t*>(nullptr),
                                  static_cast<int64_t*>(nullptr), static_cast<int>(N), 0, end_bit(dim_size));
  cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, static_cast<const int64_t*>(nullptr),
                                static_cast<int64_t*>(nullptr), static_cast<int>(dim_size + 1));
  w.temp = align256(sort_bytes > scan_bytes ? sort_bytes : scan_bytes);
  return w;
}

cudaError_t launch_forward(const void* src, ElementType type, const void* index, IndexType index_type, int64_t N,
                           int64_t C, int64_t dim_size, void* work, int64_t* first_bad, void* out,
                           cudaStream_t stream) {
  if (dim_size == 0 || C == 0) return cudaSuccess;
  const ForwardWork w = forward_work(N, dim_size);
  char* p = static_cast<char*>(work);
  int64_t* keys = reinterpret_cast<int64_t*>(p);
  int64_t* sorted_keys = reinterpret_cast<int64_t*>(p += w.keys);
  int64_t* rows = reinterpret_cast<int64_t*>(p += w.sorted_keys);
  int64_t* sorted_rows = reinterpret_cast<int64_t*>(p += w.rows);
  int64_t* count = reinterpret_cast<int64_t*>(p += w.sorted_rows);
  int64_t* offsets = reinterpret_cast<int64_t*>(p += w.count);
  void* temp = p += w.offsets;
  cudaError_t err = cudaMemsetAsync(count, 0, sizeof(int64_t) * (dim_size + 1), stream);
  if (err != cudaSuccess) return err;
  if ((err = count_any(index, index_type, N, dim_size, keys, rows, count, first_bad, stream)) != cudaSuccess) return err;
  size_t bytes = w.temp;
  if (N > 0) {
    err = cub::DeviceRadixSort::SortPairs(temp, bytes, keys, sorted_keys, rows, sorted_rows, static_cast<int>(N), 0,
                                          end_bit(dim_size), stream);
    if (err != cudaSuccess) return err;
  }
  bytes = w.temp;
  err = cub::DeviceScan::ExclusiveSum(temp, bytes, count, offsets, static_cast<int>(dim_size + 1), stream);
  if (err != cudaSuccess) return err;
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return launch_over(mean_kernel<T>, dim_size * C, kThreads, stream, static_cast<const T*>(src),
                       static_cast<const int64_t*>(sorted_rows), static_cast<const int64_t*>(offsets),
                       static_cast<const int64_t*>(count), C, dim_size, static_cast<T*>(out));
  });
}

cudaError_t launch_backward(const void* grad_out, ElementType type, const void* index, IndexType index_type,
                            int64_t N, int64_t C, int64_t dim_size, int64_t* count, int64_t* first_bad,
                            void* grad_src, cudaStream_t stream) {
  if (N == 0 || C == 0) return cudaSuccess;
  cudaError_t err = count_any(index, index_type, N, dim_size, nullptr, nullptr, count, first_bad, stream);
  if (err != cudaSuccess) return err;
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (index_type == IndexType::kInt64)
      return launch_over(grad_kernel<T, int64_t>, N * C, kThreads, stream, static_cast<const T*>(grad_out),
                         static_cast<const int64_t*>(index), static_cast<const int64_t*>(count), N, C, dim_size,
                         static_cast<T*>(grad_src));
    return launch_over(grad_kernel<T, int32_t>, N * C, kThreads, stream, static_cast<const T*>(grad_out),
                       static_cast<const int32_t*>(index), static_cast<const int64_t*>(count), N, C, dim_size,
                       static_cast<T*>(grad_src));
  });
}

}  // namespace scatter_mean
}  // namespace ascend_ops
