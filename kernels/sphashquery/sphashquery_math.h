// sphashquery: an open-addressing (linear probing) table from int64 keys to the first row that
// holds them (torch-free; shared by the CPU and CUDA kernels). A slot is empty when its row is
// -1, so every key value (0 included) can be stored, unlike torchsparse's tables, which reserve
// key 0 (torchsparse@385f5ce backend/others/query_cpu.cpp:19, backend/hashmap/hashmap_cuda.cuh:13).
#pragma once
#include <cstdint>

#include "common/hd.h"

namespace ascend_ops {
namespace sphashquery {

// Table size: the smallest power of two >= 2 * entries (at least 16): load factor <= 1/2.
inline int64_t table_capacity(int64_t entries) {
  int64_t cap = 16;
  while (cap < 2 * entries) cap <<= 1;
  return cap;
}

// splitmix64's finaliser: spreads keys that differ in few bits (FNV outputs of nearby
// coordinates) over the table.
AO_HD uint64_t mix(int64_t key) {
  uint64_t z = static_cast<uint64_t>(key);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A slot: key and row side by side (one cache line per probe); row -1 = empty.
struct Slot {
  int64_t key;
  int64_t row;
};

// The row stored for `key`, or -1. mask = capacity - 1.
AO_HD int64_t lookup(const Slot* table, uint64_t mask, int64_t key) {
  for (uint64_t slot = mix(key) & mask;; slot = (slot + 1) & mask) {
    const Slot s = table[slot];
    if (s.row < 0) return -1;
    if (s.key == key) return s.row;
  }
}

// Serial insert keeping the first row of equal keys (host side).
inline void insert_first(Slot* table, uint64_t mask, int64_t key, int64_t row) {
  for (uint64_t slot = mix(key) & mask;; slot = (slot + 1) & mask) {
    if (table[slot].row < 0) {
      table[slot] = Slot{key, row};
      return;
    }
    if (table[slot].key == key) return;
  }
}

}  // namespace sphashquery
}  // namespace ascend_ops
