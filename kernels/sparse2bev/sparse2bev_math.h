// sparse2bev: per-voxel index math shared by the CPU and CUDA kernels (torch-free).
//
// Semantics (Ada3D, SparseBEVTools/SparseBEVTools/ops/src/sparse2bev_cuda.cu lines 3-42 at
// A-suozhang/ada3d@9512743): voxel i with coors[i] = (b, z, y, x) adds features[i, :] to the BEV
// column bev[b, :, y, x] (summed over z) and sets mask[b, y, x] = 1; the backward gathers
// grad_features[i, c] = grad_bev[b, c, y, x]. Upstream does not check coordinates; here a voxel
// outside [0, batch) x [0, Z) x [0, Y) x [0, X) is never used to index memory (the bindings
// raise for it before or after the launch, see sparse2bev_check.h).
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace sparse2bev {

struct Dims {
  int64_t voxels, channels, batch, nz, ny, nx;
};

// Cells of one batch item's BEV plane (Y * X).
AO_HD int64_t plane_size(const Dims& d) { return d.ny * d.nx; }

// Which coordinate of a voxel is out of range: -1 when none, else the column of coors
// (0 batch, 1 z, 2 y, 3 x) that is.
template <typename Index>
AO_HD int bad_column(const Index* coor, const Dims& d) {
  const int64_t limit[4] = {d.batch, d.nz, d.ny, d.nx};
  for (int k = 0; k < 4; ++k) {
    const int64_t v = static_cast<int64_t>(coor[k]);
    if (v < 0 || v >= limit[k]) return k;
  }
  return -1;
}

// Flat BEV cell (b * Y + y) * X + x of a voxel whose coordinates are in range.
template <typename Index>
AO_HD int64_t voxel_cell(const Index* coor, const Dims& d) {
  return (static_cast<int64_t>(coor[0]) * d.ny + static_cast<int64_t>(coor[2])) * d.nx +
         static_cast<int64_t>(coor[3]);
}

// Offset of bev[b, c, y, x] in the [B, C, Y, X] output, for the flat cell (b, y, x).
AO_HD int64_t bev_offset(const Dims& d, int64_t cell, int64_t c) {
  const int64_t hw = plane_size(d);
  const int64_t b = cell / hw;
  return (b * d.channels + c) * hw + (cell - b * hw);
}

}  // namespace sparse2bev
}  // namespace ascend_ops
