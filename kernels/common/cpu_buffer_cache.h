// Recycled memory for the large gradient tensors of the CPU sampling kernels (host only).
//
// A backward that returns a ~100 MB-1 GB feature gradient spends most of its time page-faulting
// fresh memory (glibc serves such sizes with mmap, and the kernel maps and zeroes every page
// again on each training step). empty_recycled() returns a tensor whose memory goes back to a
// small process-wide cache when the tensor is freed; the next call of the same byte size takes
// it back, already mapped. Only the memory is reused: callers still write every element.
// At most ASCEND_OPS_CPU_BUFFER_CACHE_MB (default 1024; 0 disables) megabytes stay cached.
#pragma once
#include <ATen/ATen.h>
#include <c10/core/impl/alloc_cpu.h>

#include <cstdlib>
#include <map>
#include <mutex>

namespace ascend_ops {
namespace cpu_buffer_cache {

class Cache {
 public:
  void* take(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end()) {
        void* p = it->second;
        free_.erase(it);
        cached_ -= bytes;
        return p;
      }
    }
    return c10::alloc_cpu(bytes);
  }
  void give(void* p, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= limit_) {
        free_.emplace(bytes, p);
        cached_ += bytes;
        return;
      }
    }
    c10::free_cpu(p);
  }
  size_t limit() const { return limit_; }

 private:
  static size_t limit_from_env() {
    const char* mb = std::getenv("ASCEND_OPS_CPU_BUFFER_CACHE_MB");
    return (mb && *mb ? static_cast<size_t>(std::strtoull(mb, nullptr, 10)) : size_t{1024}) << 20;
  }
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  size_t cached_ = 0;
  const size_t limit_ = limit_from_env();
};

// One cache per process, never destroyed (tensors may be freed during exit).
inline Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

// Uninitialised CPU tensor like at::empty(sizes, options); its memory is recycled when it is at
// least 1 MiB and the cache is enabled.
inline at::Tensor empty_recycled(at::IntArrayRef sizes, const at::TensorOptions& options) {
  int64_t numel = 1;
  for (const int64_t s : sizes) numel *= s;
  const size_t bytes = static_cast<size_t>(numel) * options.dtype().itemsize();
  if (bytes < (size_t{1} << 20) || cache().limit() == 0) return at::empty(sizes, options);
  void* p = cache().take(bytes);
  return at::from_blob(p, sizes, [bytes](void* q) { cache().give(q, bytes); }, options);
}

}  // namespace cpu_buffer_cache
}  // namespace ascend_ops
