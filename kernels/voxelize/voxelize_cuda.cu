// hard_voxelize / dynamic_voxelize CUDA kernels (torch-free; launched from the binding). See
// voxelize_cuda.h. The per-point voxel is voxelize_math.h's point_key (IEEE division: the kit
// builds CUDA with --use_fast_math, so div_rn is used instead of `/`).
#include <cuda_runtime.h>

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include "common/cuda_utils.h"
#include "voxelize/voxelize_cuda.h"
#include "voxelize/voxelize_math.h"

namespace ascend_ops {
namespace voxelize {
namespace {

constexpr int kThreads = 256;
constexpr unsigned long long kEmpty = ~0ULL;

#define AO_GRID_STRIDE(i, n)                                                                        \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

inline size_t align256(size_t n) { return (n + 255) / 256 * 256; }

int64_t table_capacity(int64_t N) {
  int64_t cap = 16;
  while (cap < 2 * N) cap <<= 1;
  return cap;
}

int bits_for(int64_t v) {   // bits holding 0 .. v
  int bits = 1;
  while (bits < 63 && (int64_t(1) << bits) <= v) ++bits;
  return bits;
}

__device__ __forceinline__ unsigned long long mix(unsigned long long x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// The work buffer, carved in a fixed order (see hard_work_bytes).
struct Work {
  int64_t* key;                    // [N] voxel key, -1 dropped
  int64_t* pos;                    // [N] table slot of the point's voxel
  unsigned long long* tkey;        // [cap] table keys (kEmpty)
  unsigned long long* tfirst;      // [cap] first point (min)
  unsigned long long* tcount;      // [cap] point count
  int64_t* flag;                   // [N + 1] 1 at the first point of each voxel (flag[N] = 0)
  int64_t* vid;                    // [N + 1] exclusive scan of flag: voxel id at first points
  int64_t* pvid;                   // [N] voxel id of every point (total for dropped ones)
  int64_t* sorted_pvid;            // [N]
  int64_t* rows;                   // [N] 0 .. N-1
  int64_t* sorted_rows;            // [N]
  int64_t* vcount;                 // [N + 1] points per voxel id
  int64_t* vstart;                 // [N + 1] exclusive scan of vcount
  void* temp;                      // CUB temporary storage
  int64_t cap;
  size_t temp_bytes;
};

size_t cub_temp_bytes(int64_t N) {
  size_t sort_bytes = 0, scan_bytes = 0;
  cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, static_cast<const int64_t*>(nullptr),
                                  static_cast<int64_t*>(nullptr), static_cast<const int64_t*>(nullptr),
                                  static_cast<int64_t*>(nullptr), static_cast<int>(N), 0, 63);
  cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, static_cast<const int64_t*>(nullptr),
                                static_cast<int64_t*>(nullptr), static_cast<int>(N + 1));
  return align256(sort_bytes > scan_bytes ? sort_bytes : scan_bytes);
}

// The buffers of `base` (nullptr: sizes only); *bytes gets the total size.
Work carve(void* base, int64_t N, size_t* bytes = nullptr) {
  Work w{};
  w.cap = table_capacity(N);
  w.temp_bytes = cub_temp_bytes(N);
  const size_t n8 = align256(8 * static_cast<size_t>(N > 0 ? N : 1));
  const size_t n1 = align256(8 * static_cast<size_t>(N + 1));
  const size_t c8 = align256(8 * static_cast<size_t>(w.cap));
  size_t offset = 0;
  auto take = [&](size_t size) {
    void* out = base ? static_cast<void*>(static_cast<char*>(base) + offset) : nullptr;
    offset += size;
    return out;
  };
  w.key = static_cast<int64_t*>(take(n8));
  w.pos = static_cast<int64_t*>(take(n8));
  w.tkey = static_cast<unsigned long long*>(take(c8));
  w.tfirst = static_cast<unsigned long long*>(take(c8));
  w.tcount = static_cast<unsigned long long*>(take(c8));
  w.flag = static_cast<int64_t*>(take(n1));
  w.vid = static_cast<int64_t*>(take(n1));
  w.pvid = static_cast<int64_t*>(take(n8));
  w.sorted_pvid = static_cast<int64_t*>(take(n8));
  w.rows = static_cast<int64_t*>(take(n8));
  w.sorted_rows = static_cast<int64_t*>(take(n8));
  w.vcount = static_cast<int64_t*>(take(n1));
  w.vstart = static_cast<int64_t*>(take(n1));
  w.temp = take(w.temp_bytes);
  if (bytes) *bytes = offset;
  return w;
}

template <typename T>
__global__ void dynamic_kernel(const T* __restrict__ points, int64_t N, int64_t F, Grid g, int32_t* __restrict__ out) {
  AO_GRID_STRIDE(i, N) {
    int64_t c[3];
    int32_t* o = out + 3 * i;
    if (point_key(points + i * F, g, c) < 0) {
      o[0] = o[1] = o[2] = -1;
    } else {
      o[0] = static_cast<int32_t>(c[2]);
      o[1] = static_cast<int32_t>(c[1]);
      o[2] = static_cast<int32_t>(c[0]);
    }
  }
}

// Keys, and each valid point's voxel inserted in the table (first point = min index, count).
template <typename T>
__global__ void insert_kernel(const T* __restrict__ points, int64_t N, int64_t F, Grid g, Work w) {
  const unsigned long long mask = static_cast<unsigned long long>(w.cap - 1);
  AO_GRID_STRIDE(i, N) {
    int64_t c[3];
    const int64_t key = point_key(points + i * F, g, c);
    w.key[i] = key;
    if (key < 0) continue;
    const unsigned long long k = static_cast<unsigned long long>(key);
    unsigned long long h = mix(k) & mask;
    while (true) {
      const unsigned long long prev = atomicCAS(w.tkey + h, kEmpty, k);
      if (prev == kEmpty || prev == k) break;
      h = (h + 1) & mask;
    }
    w.pos[i] = static_cast<int64_t>(h);
    atomicMin(w.tfirst + h, static_cast<unsigned long long>(i));
    atomicAdd(w.tcount + h, 1ULL);
  }
}

__global__ void flag_kernel(int64_t N, Work w) {
  AO_GRID_STRIDE(i, N + 1) {
    w.flag[i] = i < N && w.key[i] >= 0 && w.tfirst[w.pos[i]] == static_cast<unsigned long long>(i) ? 1 : 0;
  }
}

// Every point's voxel id (total for dropped points), the count per voxel id, and the coords and
// num of the kept voxels (written by their first points).
__global__ void voxel_ids_kernel(int64_t N, Grid g, int64_t max_points, int64_t V, int64_t total, Work w,
                                 int32_t* __restrict__ coords, int32_t* __restrict__ num) {
  AO_GRID_STRIDE(i, N) {
    w.rows[i] = i;
    if (w.key[i] < 0) {
      w.pvid[i] = total;
      continue;
    }
    const int64_t h = w.pos[i];
    const int64_t first = static_cast<int64_t>(w.tfirst[h]);
    const int64_t v = w.vid[first];
    w.pvid[i] = v;
    if (first != i) continue;
    const int64_t count = static_cast<int64_t>(w.tcount[h]);
    w.vcount[v] = count;
    if (v < V) {
      decode_key(w.key[i], g, coords + 3 * v);
      num[v] = static_cast<int32_t>(count < max_points ? count : max_points);
    }
  }
}

template <typename T>
__global__ void fill_kernel(const T* __restrict__ points, int64_t N, int64_t F, int64_t max_points, int64_t V, Work w,
                            T* __restrict__ voxels) {
  AO_GRID_STRIDE(p, N) {
    const int64_t v = w.sorted_pvid[p];
    if (v >= V) continue;
    const int64_t slot = p - w.vstart[v];
    if (slot >= max_points) continue;
    const T* src = points + w.sorted_rows[p] * F;
    T* dst = voxels + (v * max_points + slot) * F;
    for (int64_t f = 0; f < F; ++f) dst[f] = src[f];
  }
}

template <typename F>
cudaError_t by_type(bool is_double, F&& f) {
  return is_double ? f(TypeTag<double>{}) : f(TypeTag<float>{});
}

}  // namespace

cudaError_t launch_dynamic(const void* points, bool is_double, int64_t N, int64_t F, const Grid& g, int32_t* out,
                           cudaStream_t stream) {
  return by_type(is_double, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return launch_over(dynamic_kernel<T>, N, kThreads, stream, static_cast<const T*>(points), N, F, g, out);
  });
}

size_t hard_work_bytes(int64_t N) {
  size_t bytes = 0;
  carve(nullptr, N, &bytes);
  return bytes;
}

cudaError_t launch_hard_index(const void* points, bool is_double, int64_t N, int64_t F, const Grid& g, void* work,
                              int64_t* total, cudaStream_t stream) {
  Work w = carve(work, N);
  cudaError_t err;
  if ((err = cudaMemsetAsync(w.tkey, 0xff, 8 * w.cap, stream)) != cudaSuccess) return err;
  if ((err = cudaMemsetAsync(w.tfirst, 0xff, 8 * w.cap, stream)) != cudaSuccess) return err;
  if ((err = cudaMemsetAsync(w.tcount, 0, 8 * w.cap, stream)) != cudaSuccess) return err;
  err = by_type(is_double, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return launch_over(insert_kernel<T>, N, kThreads, stream, static_cast<const T*>(points), N, F, g, w);
  });
  if (err != cudaSuccess) return err;
  if ((err = launch_over(flag_kernel, N + 1, kThreads, stream, N, w)) != cudaSuccess) return err;
  size_t bytes = w.temp_bytes;
  err = cub::DeviceScan::ExclusiveSum(w.temp, bytes, w.flag, w.vid, static_cast<int>(N + 1), stream);
  if (err != cudaSuccess) return err;
  return cudaMemcpyAsync(total, w.vid + N, sizeof(int64_t), cudaMemcpyDeviceToDevice, stream);
}

cudaError_t launch_hard_fill(const void* points, bool is_double, int64_t N, int64_t F, const Grid& g,
                             int64_t max_points, int64_t max_voxels, int64_t total, void* work, void* voxels,
                             int32_t* coords, int32_t* num, cudaStream_t stream) {
  Work w = carve(work, N);
  const int64_t V = total < max_voxels ? total : max_voxels;
  if (V == 0) return cudaSuccess;
  cudaError_t err = cudaMemsetAsync(w.vcount, 0, 8 * static_cast<size_t>(total + 1), stream);
  if (err != cudaSuccess) return err;
  err = launch_over(voxel_ids_kernel, N, kThreads, stream, N, g, max_points, V, total, w, coords, num);
  if (err != cudaSuccess) return err;
  size_t bytes = w.temp_bytes;
  err = cub::DeviceRadixSort::SortPairs(w.temp, bytes, w.pvid, w.sorted_pvid, w.rows, w.sorted_rows,
                                        static_cast<int>(N), 0, bits_for(total), stream);
  if (err != cudaSuccess) return err;
  bytes = w.temp_bytes;
  err = cub::DeviceScan::ExclusiveSum(w.temp, bytes, w.vcount, w.vstart, static_cast<int>(total + 1), stream);
  if (err != cudaSuccess) return err;
  return by_type(is_double, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return launch_over(fill_kernel<T>, N, kThreads, stream, static_cast<const T*>(points), N, F, max_points, V, w,
                       static_cast<T*>(voxels));
  });
}

}  // namespace voxelize
}  // namespace ascend_ops
