// sparse2bev CPU kernels. Deterministic: no atomics, and every sum runs in input order whatever
// the thread count.
// 1. One serial pass numbers the occupied BEV columns in ascending cell order, writes the mask and
//    lists each column's voxels in input order (a stable counting sort).
// 2. Forward: one parallel region over (batch item, block of kChanBlock channels): the task
//    zeroes its planes, then per occupied column (ascending cells) sums its voxels' feature
//    slices in input order (float32 for float32 / float16 / bfloat16 input, float64 for float64)
//    and writes the cell once.
// 3. Backward: one parallel region over the occupied columns (ascending cells): a column's C
//    gradients are read from grad_bev (C streams moving forward together) and copied as whole
//    rows into its voxels' rows: grad_features[i, c] = grad_bev[b_i, c, y_i, x_i].
// One region per call keeps the cost of a busy machine (threads waiting for a core at the
// region's barrier) to one wait.
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

// The occupied columns, numbered in ascending cell order: cells[k] = flat cell of column k;
// column[i] = column of voxel i; the voxels of column k are order[start[k] .. start[k + 1]) in
// input order; batch_start[b] = first column of batch item b (batch_start[B] = number of columns).
struct Columns {
  std::vector<int64_t> cells, column, order, start, batch_start;
  int64_t count() const { return static_cast<int64_t>(cells.size()); }
};

template <typename Index>
Columns number_columns(const Index* coors, const Dims& d, int32_t* mask) {
  const int64_t ncell = d.batch * plane_size(d), hw = plane_size(d);
  std::vector<int64_t> of_cell(ncell, -1);
  Columns cols;
  for (int64_t i = 0; i < d.voxels; ++i) of_cell[voxel_cell(coors + 4 * i, d)] = 0;
  cols.batch_start.assign(d.batch + 1, 0);
  for (int64_t cell = 0; cell < ncell; ++cell) {
    if (of_cell[cell] < 0) continue;
    of_cell[cell] = cols.count();
    cols.cells.push_back(cell);
    cols.batch_start[cell / hw + 1] += 1;
    if (mask != nullptr) mask[cell] = 1;
  }
  for (int64_t b = 0; b < d.batch; ++b) cols.batch_start[b + 1] += cols.batch_start[b];
  const int64_t ncol = cols.count();
  cols.column.resize(d.voxels);
  cols.start.assign(ncol + 1, 0);
  for (int64_t i = 0; i < d.voxels; ++i) {
    cols.column[i] = of_cell[voxel_cell(coors + 4 * i, d)];
    cols.start[cols.column[i] + 1] += 1;
  }
  for (int64_t k = 0; k < ncol; ++k) cols.start[k + 1] += cols.start[k];
  cols.order.resize(d.voxels);
  std::vector<int64_t> next(cols.start.begin(), cols.start.end() - 1);
  for (int64_t i = 0; i < d.voxels; ++i) cols.order[next[cols.column[i]]++] = i;
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

// Tasks over (batch item, channel block).
inline int64_t plane_tasks(const Dims& d) { return d.batch * ((d.channels + kChanBlock - 1) / kChanBlock); }

template <typename T>
void forward_typed(const T* F, const Columns& cols, const Dims& d, T* out) {
  using A = acc_t<T>;
  const int64_t C = d.channels, hw = plane_size(d);
  const int64_t nblocks = (C + kChanBlock - 1) / kChanBlock;
  at::parallel_for(0, plane_tasks(d), 1, [&](int64_t begin, int64_t end) {
    A sum[kChanBlock];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / nblocks, c0 = (task % nblocks) * kChanBlock, nc = std::min(C - c0, kChanBlock);
      T* planes = out + (b * C + c0) * hw;
      std::fill(planes, planes + nc * hw, T(0));
      for (int64_t k = cols.batch_start[b]; k < cols.batch_start[b + 1]; ++k) {
        std::fill(sum, sum + kChanBlock, A(0));
        for (int64_t j = cols.start[k]; j < cols.start[k + 1]; ++j) {  // input order
          const T* f = F + cols.order[j] * C + c0;
          for (int64_t c = 0; c < nc; ++c) sum[c] += static_cast<A>(f[c]);
        }
        const int64_t yx = cols.cells[k] - b * hw;
        for (int64_t c = 0; c < nc; ++c) planes[c * hw + yx] = static_cast<T>(sum[c]);
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
  const int64_t C = d.channels, hw = plane_size(d);
  at::parallel_for(0, cols.count(), 256, [&](int64_t begin, int64_t end) {
    std::vector<T> value(C);
    for (int64_t k = begin; k < end; ++k) {
      const int64_t b = cols.cells[k] / hw, yx = cols.cells[k] - b * hw;
      const T* g = G + b * C * hw + yx;
      for (int64_t c = 0; c < C; ++c) value[c] = g[c * hw];   // C streams, ascending over k
      for (int64_t j = cols.start[k]; j < cols.start[k + 1]; ++j)
        std::copy(value.begin(), value.end(), out + cols.order[j] * C);
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
