// sparse_gather / sparse_scatter_add / sparse_max_pool CUDA kernels (torch-free; launched from
// sparse_gather_scatter_cuda_binding.cpp; contract in sparse_gather_scatter_cuda.h). One thread
// per (pair, channel) element, grid-stride loops; index entries are range-checked where read.
#include <cuda_runtime.h>

#include <type_traits>

#include "common/cuda_utils.h"
#include "sparse_gather_scatter/sparse_gather_scatter_cuda.h"
#include "sparse_gather_scatter/sparse_gather_scatter_math.h"

namespace ascend_ops {
namespace sparse_gather_scatter {
namespace {

constexpr int kThreads = 256;

#define AO_GRID_STRIDE(e, n)                                                                     \
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < (n);       \
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)

// Order-preserving integer keys of the accumulation type's values: a < b <=> key(a) < key(b),
// -0.0 keyed as +0.0 (equal values, equal keys), every NaN the largest key, and key 0 used by no
// value ("no pair"). Bit tests instead of comparisons: unaffected by --use_fast_math.
__device__ __forceinline__ unsigned int value_key(float v) {
  unsigned int u = __float_as_uint(v);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0xFFFFFFFFu;   // NaN
  if ((u & 0x7FFFFFFFu) == 0u) u = 0u;                        // -0.0 -> +0.0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ unsigned long long value_key(double v) {
  unsigned long long u = static_cast<unsigned long long>(__double_as_longlong(v));
  const unsigned long long sign = 0x8000000000000000ull, mag = ~sign;
  if ((u & mag) > 0x7FF0000000000000ull) return ~0ull;        // NaN
  if ((u & mag) == 0ull) u = 0ull;
  return (u & sign) ? ~u : (u | sign);
}
__device__ __forceinline__ float key_value(unsigned int k) {
  if (k == 0u) return 0.f;
  if (k == 0xFFFFFFFFu) return __uint_as_float(0x7FC00000u);
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k);
}
__device__ __forceinline__ double key_value(unsigned long long k) {
  const unsigned long long sign = 0x8000000000000000ull;
  if (k == 0ull) return 0.0;
  if (k == ~0ull) return __longlong_as_double(0x7FF8000000000000ll);
  return __longlong_as_double(static_cast<long long>((k & sign) ? (k & ~sign) : ~k));
}

template <typename A>
struct KeyType {
  using type = unsigned int;
};
template <>
struct KeyType<double> {
  using type = unsigned long long;
};

template <typename Word, typename Index>
__global__ void gather_kernel(const Word* __restrict__ src, int64_t rows, int64_t C, const Index* __restrict__ index,
                              int64_t P, Word* __restrict__ out, int32_t* error) {
  AO_GRID_STRIDE(e, P * C) {
    const int64_t p = e / C, c = e - p * C;
    const Index i = index[p];
    if (!index_in_range(i, rows)) {
      *error = kBadFirstIndex;
      continue;
    }
    out[e] = src[static_cast<int64_t>(i) * C + c];
  }
}

template <typename T, typename Index>
__global__ void scatter_add_kernel(const T* __restrict__ values, int64_t C, const Index* __restrict__ index, int64_t P,
                                   int64_t num_rows, acc_t<T>* acc, int32_t* error) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, P * C) {
    const int64_t p = e / C, c = e - p * C;
    const Index r = index[p];
    if (!index_in_range(r, num_rows)) {
      *error = kBadFirstIndex;
      continue;
    }
    atomicAdd(acc + static_cast<int64_t>(r) * C + c, to_acc<A>(values[e]));
  }
}

template <typename T, typename Index>
__global__ void max_pool_keys_kernel(const T* __restrict__ F, int64_t N, int64_t C, const Index* __restrict__ in_index,
                                     const Index* __restrict__ out_index, int64_t P, int64_t num_out,
                                     typename KeyType<acc_t<T>>::type* keys, int32_t* error) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, P * C) {
    const int64_t p = e / C, c = e - p * C;
    const Index i = in_index[p], o = out_index[p];
    if (!index_in_range(i, N)) {
      *error = kBadFirstIndex;
      continue;
    }
    if (!index_in_range(o, num_out)) {
      *error = kBadSecondIndex;
      continue;
    }
    atomicMax(keys + static_cast<int64_t>(o) * C + c, value_key(to_acc<A>(F[static_cast<int64_t>(i) * C + c])));
  }
}

template <typename T>
__global__ void max_pool_decode_kernel(const typename KeyType<acc_t<T>>::type* __restrict__ keys, int64_t n,
                                       T* __restrict__ out) {
  AO_GRID_STRIDE(e, n) out[e] = from_acc<T>(key_value(keys[e]));
}

template <typename T, typename Index>
__global__ void max_pool_winners_kernel(const T* __restrict__ F, int64_t C, const Index* __restrict__ in_index,
                                        const Index* __restrict__ out_index, int64_t P,
                                        const typename KeyType<acc_t<T>>::type* __restrict__ keys,
                                        unsigned long long* winner) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, P * C) {
    const int64_t p = e / C, c = e - p * C;
    const int64_t oc = static_cast<int64_t>(out_index[p]) * C + c;
    if (value_key(to_acc<A>(F[static_cast<int64_t>(in_index[p]) * C + c])) == keys[oc])
      atomicMin(winner + oc, static_cast<unsigned long long>(p));
  }
}

template <typename T, typename Index>
__global__ void max_pool_grad_kernel(const T* __restrict__ grad, int64_t C, const Index* __restrict__ in_index,
                                     int64_t P, int64_t num_out, const unsigned long long* __restrict__ winner,
                                     acc_t<T>* acc) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, num_out * C) {
    const unsigned long long w = winner[e];
    if (w >= static_cast<unsigned long long>(P)) continue;   // no pair
    const int64_t c = e % C;
    atomicAdd(acc + static_cast<int64_t>(in_index[w]) * C + c, to_acc<A>(grad[e]));
  }
}

// f(const Index* ...) with the index pointers cast to the index type's pointer.
template <typename F>
cudaError_t dispatch_index(IndexType type, F&& f) {
  if (type == IndexType::kInt64) return f(static_cast<const int64_t*>(nullptr));
  return f(static_cast<const int32_t*>(nullptr));
}

}  // namespace

cudaError_t launch_gather(const void* src, size_t elem_bytes, int64_t rows, int64_t C, const void* index,
                          IndexType index_type, int64_t P, void* out, int32_t* error, cudaStream_t stream) {
  return dispatch_index(index_type, [&](auto tag) -> cudaError_t {
    using Index = typename std::remove_const<typename std::remove_pointer<decltype(tag)>::type>::type;
    const Index* I = static_cast<const Index*>(index);
    switch (elem_bytes) {
      case 2:
        return launch_over(gather_kernel<uint16_t, Index>, P * C, kThreads, stream, static_cast<const uint16_t*>(src),
                           rows, C, I, P, static_cast<uint16_t*>(out), error);
      case 4:
        return launch_over(gather_kernel<uint32_t, Index>, P * C, kThreads, stream, static_cast<const uint32_t*>(src),
                           rows, C, I, P, static_cast<uint32_t*>(out), error);
      case 8:
        return launch_over(gather_kernel<uint64_t, Index>, P * C, kThreads, stream, static_cast<const uint64_t*>(src),
                           rows, C, I, P, static_cast<uint64_t*>(out), error);
      default: return cudaErrorInvalidValue;
    }
  });
}

cudaError_t launch_scatter_add(ElementType type, const void* values, int64_t C, const void* index,
                               IndexType index_type, int64_t P, int64_t num_rows, void* acc, int32_t* error,
                               cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto ttag) {
    using T = typename decltype(ttag)::type;
    return dispatch_index(index_type, [&](auto itag) {
      using Index = typename std::remove_const<typename std::remove_pointer<decltype(itag)>::type>::type;
      return launch_over(scatter_add_kernel<T, Index>, P * C, kThreads, stream, static_cast<const T*>(values), C,
                         static_cast<const Index*>(index), P, num_rows, static_cast<acc_t<T>*>(acc), error);
    });
  });
}

cudaError_t launch_max_pool_keys(ElementType type, const void* features, int64_t N, int64_t C, const void* in_index,
                                 const void* out_index, IndexType index_type, int64_t P, int64_t num_out, void* keys,
                                 int32_t* error, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto ttag) {
    using T = typename decltype(ttag)::type;
    using Key = typename KeyType<acc_t<T>>::type;
    return dispatch_index(index_type, [&](auto itag) {
      using Index = typename std::remove_const<typename std::remove_pointer<decltype(itag)>::type>::type;
      return launch_over(max_pool_keys_kernel<T, Index>, P * C, kThreads, stream, static_cast<const T*>(features), N,
                         C, static_cast<const Index*>(in_index), static_cast<const Index*>(out_index), P, num_out,
                         static_cast<Key*>(keys), error);
    });
  });
}

cudaError_t launch_max_pool_decode(ElementType type, const void* keys, int64_t num_out, int64_t C, void* out,
                                   cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto ttag) {
    using T = typename decltype(ttag)::type;
    using Key = typename KeyType<acc_t<T>>::type;
    return launch_over(max_pool_decode_kernel<T>, num_out * C, kThreads, stream, static_cast<const Key*>(keys),
                       num_out * C, static_cast<T*>(out));
  });
}

cudaError_t launch_max_pool_winners(ElementType type, const void* features, int64_t C, const void* in_index,
                                    const void* out_index, IndexType index_type, int64_t P, const void* keys,
                                    unsigned long long* winner, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto ttag) {
    using T = typename decltype(ttag)::type;
    using Key = typename KeyType<acc_t<T>>::type;
    return dispatch_index(index_type, [&](auto itag) {
      using Index = typename std::remove_const<typename std::remove_pointer<decltype(itag)>::type>::type;
      return launch_over(max_pool_winners_kernel<T, Index>, P * C, kThreads, stream, static_cast<const T*>(features),
                         C, static_cast<const Index*>(in_index), static_cast<const Index*>(out_index), P,
                         static_cast<const Key*>(keys), winner);
    });
  });
}

cudaError_t launch_max_pool_grad(ElementType type, const void* grad, int64_t C, const void* in_index,
                                 IndexType index_type, int64_t P, int64_t num_out,
                                 const unsigned long long* winner, void* acc, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto ttag) {
    using T = typename decltype(ttag)::type;
    return dispatch_index(index_type, [&](auto itag) {
      using Index = typename std::remove_const<typename std::remove_pointer<decltype(itag)>::type>::type;
      return launch_over(max_pool_grad_kernel<T, Index>, num_out * C, kThreads, stream, static_cast<const T*>(grad), C,
                         static_cast<const Index*>(in_index), P, num_out, winner, static_cast<acc_t<T>*>(acc));
    });
  });
}

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
