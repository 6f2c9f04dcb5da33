// sphashquery CUDA kernel (torch-free): a stable sort of (reference key, row) pairs, then one
// thread per query binary-searching the leftmost equal key. Sorting instead of a GPU hash table
// keeps the result deterministic for duplicate references (torchsparse's GPU table,
// torchsparse@385f5ce backend/hashmap/hashmap_cuda.cuh:124-146, lets racing inserts decide) and
// reserves no key value.
#include <cuda_runtime.h>
#include <thrust/copy.h>
#include <thrust/execution_policy.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/system_error.h>

#include "common/cuda_utils.h"
#include "sphashquery/sphashquery_cuda.h"

namespace ascend_ops {
namespace sphashquery {
namespace {

constexpr int kThreads = 256;

__global__ void search_kernel(const int64_t* __restrict__ keys, const int64_t* __restrict__ order, int64_t R,
                              const int64_t* __restrict__ queries, int64_t Q, int64_t* __restrict__ out) {
  for (int64_t q = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; q < Q;
       q += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t key = queries[q];
    int64_t lo = 0, hi = R;   // first position with keys[pos] >= key
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (keys[mid] < key) lo = mid + 1; else hi = mid;
    }
    out[q] = lo < R && keys[lo] == key ? order[lo] : -1;
  }
}

}  // namespace

cudaError_t launch_query(const int64_t* references, int64_t R, const int64_t* queries, int64_t Q,
                         int64_t* sorted_keys, int64_t* order, int64_t* out, cudaStream_t stream) {
  try {
    const auto policy = thrust::cuda::par.on(stream);
    thrust::copy(policy, references, references + R, sorted_keys);
    thrust::sequence(policy, order, order + R);
    thrust::stable_sort_by_key(policy, sorted_keys, sorted_keys + R, order);
  } catch (const thrust::system_error& e) {
    return static_cast<cudaError_t>(e.code().value());
  }
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  return launch_over(search_kernel, Q, kThreads, stream, static_cast<const int64_t*>(sorted_keys),
                     static_cast<const int64_t*>(order), R, queries, Q, out);
}

}  // namespace sphashquery
}  // namespace ascend_ops
