// foreground_gather: per-row logic shared by the CPU and CUDA kernels (torch-free).
//
// Semantics (Ada3D, A-suozhang/ada3d@9512743: SparseBEVTools/SparseBEVTools/functional.py:87-98,
// foreground_gather_pytorch, the path the model runs at openpcdet/pcdet/models/backbones_3d/
// spconv_backbone.py:383): voxel i with coors[i] = (b, z, y, x) is kept iff
// valid_mask[b, y, x] > 0 (every z); kept rows keep their input order. A row whose b, y or x
// lies outside valid_mask [B, Y, X], or with any negative coordinate, is invalid: the kernels
// never read valid_mask for it and the bindings raise.
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace foreground_gather {

// valid_mask [batch, height, width] (contiguous).
struct Grid {
  int64_t batch, height, width;
};

enum RowStatus : int { kDrop = 0, kKeep = 1, kInvalid = 2 };

// Offset of (b, y, x) of one coors row (b, z, y, x) in valid_mask, or -1 when the row is invalid.
template <typename Index>
AO_HD int64_t mask_offset(const Index* coor, const Grid& g) {
  const int64_t b = static_cast<int64_t>(coor[0]), z = static_cast<int64_t>(coor[1]);
  const int64_t y = static_cast<int64_t>(coor[2]), x = static_cast<int64_t>(coor[3]);
  if (b < 0 || z < 0 || y < 0 || x < 0 || b >= g.batch || y >= g.height || x >= g.width) return -1;
  return (b * g.height + y) * g.width + x;
}

// kKeep, kDrop or kInvalid for row `row` of coors [M, 4].
template <typename Index, typename Mask>
AO_HD int row_status(const Index* coors, const Mask* mask, const Grid& g, int64_t row) {
  const int64_t off = mask_offset(coors + row * 4, g);
  if (off < 0) return kInvalid;
  return mask[off] > Mask(0) ? kKeep : kDrop;
}

}  // namespace foreground_gather
}  // namespace ascend_ops
