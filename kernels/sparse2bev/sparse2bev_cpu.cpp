// sparse2bev CPU kernels. Deterministic (no atomics, results independent of the thread count):
// 1. one serial pass numbers the occupied BEV columns in ascending cell order (and writes the
//    mask);
// 2. forward: per block of kChanBlock channels (one task each), every voxel is added, in input
//    order, to its column's row of a compact [columns, C] accumulator (float32 for float32 /
//    float16 / bfloat16 input, float64 for float64), then the task writes its channels of the
//    [B, C, Y, X] output plane by plane, each element exactly once (zeros for empty cells);
// 3. backward: per channel block, the occupied columns' gradients are read from grad_bev in
//    ascending cell order (streaming) into a compact [columns, C] buffer, then every voxel copies
//    its column's row: grad_features[i, c] = grad_bev[b_i, c, y_i, x_i].
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "sparse2bev/sparse2bev_check.h"

namespace ascend_ops {
namespace sparse2bev {
namespace {

constexpr int64_t kChanBlock = 16;

// The occupied columns: column[i] = compact index of voxel i's BEV cell, numbered in ascending
// cell order; cells[k] = the flat cell of compact column k. Optionally sets mask[cell] = 1.
struct Columns {
  std::vector<int64_t> column, cells;
};

template <typename Index>
Columns number_columns(const Index* coors, const Dims& d, int32_t* mask) {
  const int64_t ncell = d.batch * plane_size(d);
  std::vector<int64_t> of_cell(ncell, -1);
  Columns cols;
  cols.column.resize(d.voxels);
  for (int64_t i = 0; i < d.voxels; ++i) of_cell[voxel_cell(coors + 4 * i, d)] = 0;
  for (int64_t cell = 0; cell < ncell; ++cell) {
    if (of_cell[cell] < 0) continue;
    of_cell[cell] = static_cast<int64_t>(cols.cells.size());
    cols.cells.push_back(cell);
    if (mask != nullptr) mask[cell] = 1;
  }
  for (int64_t i = 0; i < d.voxels; ++i) cols.column[i] = of_cell[voxel_cell(coors + 4 * i, d)];
  return cols;
}

Columns columns_of(const char* op, const at::Tensor& coors, const Dims& d, int32_t* mask) {
  check_coors_values(op, coors, d);
  Columns cols;
  AT_DISPATCH_INDEX_TYPES(coors.scalar_type(), "sparse2bev_columns",
                          [&] { cols = number_columns(coors.data_ptr<index_t>(), d, mask); });
  return cols;
}

template <typename T>
using acc_t = typename std::conditional<std::is_same<T, double>::value, double, float>::type;

template <typename T>
void forward_typed(const T* F, const Columns& cols, const Dims& d, T* out) {
  using A = acc_t<T>;
  const int64_t C = d.channels, hw = plane_size(d), ncol = static_cast<int64_t>(cols.cells.size());
  const int64_t nblocks = (C + kChanBlock - 1) / kChanBlock;
  std::vector<A> acc(ncol * C);
  at::parallel_for(0, nblocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t c0 = blk * kChanBlock, c1 = std::min(C, c0 + kChanBlock);
      for (int64_t k = 0; k < ncol; ++k) std::fill(&acc[k * C + c0], &acc[k * C + c1], A(0));
      for (int64_t i = 0; i < d.voxels; ++i) {  // input order: deterministic sums
        A* row = &acc[cols.column[i] * C];
        const T* f = F + i * C;
        for (int64_t c = c0; c < c1; ++c) row[c] += static_cast<A>(f[c]);
      }
      // Write the block's planes: cells in ascending order, each output element once.
      int64_t k = 0;
      for (int64_t b = 0; b < d.batch; ++b) {
        T* planes = out + (b * C + c0) * hw;
        for (int64_t c = c0; c < c1; ++c) std::fill(planes + (c - c0) * hw, planes + (c - c0 + 1) * hw, T(0));
        for (; k < ncol && cols.cells[k] < (b + 1) * hw; ++k) {
          const int64_t yx = cols.cells[k] - b * hw;
          const A* row = &acc[k * C];
          for (int64_t c = c0; c < c1; ++c) planes[(c - c0) * hw + yx] = static_cast<T>(row[c]);
        }
      }
    }
  });
}

std::tuple<at::Tensor, at::Tensor> forward_cpu(const at::Tensor& features, const at::Tensor& coors,
                                               at::IntArrayRef spatial_shape, int64_t batch_size) {
  const Dims d = check_args("sparse2bev", features, coors, spatial_shape, batch_size);
  TORCH_CHECK(features.device().is_cpu(), "sparse2bev: features must be a CPU tensor here, got ", features.device());
  const auto feat = features.contiguous(), idx = coors.contiguous();
  auto mask = at::zeros({d.batch, d.ny, d.nx}, idx.options().dtype(at::kInt));
  const Columns cols = columns_of("sparse2bev", idx, d, mask.data_ptr<int32_t>());
  auto bev = at::empty({d.batch, d.channels, d.ny, d.nx}, feat.options());
  if (bev.numel() == 0) return {bev, mask};
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "sparse2bev_cpu", [&] {
    forward_typed(feat.data_ptr<scalar_t>(), cols, d, bev.data_ptr<scalar_t>());
  });
  return {bev, mask};
}

template <typename T>
void backward_typed(const T* G, const Columns& cols, const Dims& d, T* out) {
  const int64_t C = d.channels, hw = plane_size(d), ncol = static_cast<int64_t>(cols.cells.size());
  const int64_t nblocks = (C + kChanBlock - 1) / kChanBlock;
  std::vector<T> col_grad(ncol * C);
  at::parallel_for(0, nblocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t c0 = blk * kChanBlock, c1 = std::min(C, c0 + kChanBlock);
      for (int64_t k = 0; k < ncol; ++k) {
        const int64_t b = cols.cells[k] / hw, yx = cols.cells[k] - b * hw;
        const T* g = G + (b * C) * hw + yx;
        T* row = &col_grad[k * C];
        for (int64_t c = c0; c < c1; ++c) row[c] = g[c * hw];
      }
      for (int64_t i = 0; i < d.voxels; ++i) {
        const T* row = &col_grad[cols.column[i] * C];
        std::copy(row + c0, row + c1, out + i * C + c0);
      }
    }
  });
}

at::Tensor backward_cpu(const at::Tensor& grad_bev, const at::Tensor& features, const at::Tensor& coors,
                        at::IntArrayRef spatial_shape, int64_t batch_size) {
  const Dims d = check_args("sparse2bev_backward", features, coors, spatial_shape, batch_size);
  check_grad(grad_bev, features, d);
  TORCH_CHECK(features.device().is_cpu(), "sparse2bev_backward: features must be a CPU tensor here, got ",
              features.device());
  const auto idx = coors.contiguous();
  const Columns cols = columns_of("sparse2bev_backward", idx, d, nullptr);
  auto grad = at::empty({d.voxels, d.channels}, features.options());
  if (grad.numel() == 0) return grad;
  const auto g = grad_bev.contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, g.scalar_type(), "sparse2bev_backward_cpu", [&] {
    backward_typed(g.data_ptr<scalar_t>(), cols, d, grad.data_ptr<scalar_t>());
  });
  return grad;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("sparse2bev", &forward_cpu);
  m.impl("sparse2bev_backward", &backward_cpu);
}

}  // namespace sparse2bev
}  // namespace ascend_ops
