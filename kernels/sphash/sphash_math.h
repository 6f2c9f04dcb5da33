// sphash: torchsparse 2.1's word-wise FNV-1a 64 of four int32 coordinates (torch-free; shared by
// the CPU and CUDA kernels). Semantics from mit-han-lab/torchsparse@385f5ce
// torchsparse/backend/hash/hash_cuda.cu:9-22 and :26-54 (see ascend_ops/ops/sphash.py).
#pragma once
#include <cstdint>

#include "common/hd.h"

namespace ascend_ops {
namespace sphash {

constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// One FNV-1a step on a whole 32-bit word (unsigned arithmetic: wraps modulo 2**64).
AO_HD uint64_t fnv1a_step(uint64_t h, uint32_t word) { return (h ^ static_cast<uint64_t>(word)) * kFnvPrime; }

// Hash of the row (c0, c1 + d0, c2 + d1, c3 + d2); the additions wrap modulo 2**32 (as the
// GPU's int32 additions do), done in uint32 so they are defined behaviour.
AO_HD int64_t hash_row(const int32_t* c, int32_t d0, int32_t d1, int32_t d2) {
  uint64_t h = kFnvOffsetBasis;
  h = fnv1a_step(h, static_cast<uint32_t>(c[0]));
  h = fnv1a_step(h, static_cast<uint32_t>(c[1]) + static_cast<uint32_t>(d0));
  h = fnv1a_step(h, static_cast<uint32_t>(c[2]) + static_cast<uint32_t>(d1));
  h = fnv1a_step(h, static_cast<uint32_t>(c[3]) + static_cast<uint32_t>(d2));
  return static_cast<int64_t>(h);   // the same 64 bits (two's complement)
}

}  // namespace sphash
}  // namespace ascend_ops
