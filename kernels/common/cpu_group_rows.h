// Items grouped by the output row they add into, for deterministic, atomic-free CPU scatters
// (host only). group_rows() is a stable counting sort: the items of row r are
// items[start[r] .. start[r + 1]) in increasing item order, so a task that owns row r and sums
// its items in that order gives bitwise the same result for any thread count.
#pragma once
#include <cstdint>
#include <vector>

namespace ascend_ops {
namespace cpu_group_rows {

struct RowGroups {
  std::vector<int64_t> start;   // [rows + 1]
  std::vector<int64_t> items;   // [start[rows]], ascending within each row
};

// row_of(p) -> the row of item p in [0, rows), or a negative value for an item that adds nowhere.
// The caller has checked every row_of(p) < rows.
template <typename RowOf>
RowGroups group_rows(int64_t rows, int64_t num_items, const RowOf& row_of) {
  RowGroups g;
  g.start.assign(rows + 1, 0);
  for (int64_t p = 0; p < num_items; ++p) {
    const int64_t r = row_of(p);
    if (r >= 0) ++g.start[r + 1];
  }
  for (int64_t r = 0; r < rows; ++r) g.start[r + 1] += g.start[r];
  g.items.resize(g.start[rows]);
  std::vector<int64_t> fill(g.start.begin(), g.start.end() - 1);
  for (int64_t p = 0; p < num_items; ++p) {
    const int64_t r = row_of(p);
    if (r >= 0) g.items[fill[r]++] = p;
  }
  return g;
}

}  // namespace cpu_group_rows
}  // namespace ascend_ops
