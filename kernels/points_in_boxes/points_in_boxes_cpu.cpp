// points_in_boxes CPU kernels (see points_in_boxes_math.h for the semantics).
//   points_in_boxes_bev   [N, C1 >= 3], [M, C2 >= 7] -> int32 [M, N]   (Ada3D)
//   points_in_boxes_3d    [N, 3],       [M, 7]       -> int32 [M, N]   (OpenPCDet points_in_boxes_cpu)
//   points_in_boxes_first [B, N, 3],    [B, T, 7]    -> int32 [B, N]   (OpenPCDet points_in_boxes_gpu)
// One Frame per box (rotation from std::cos / std::sin on the element type, i.e. glibc cosf/sinf for
// float32 as in upstream's CPU build), then tasks of kChunk points (de-interleaved once): mask ops
// write out[box, chunk] for every box, the first-box op visits the boxes in order and keeps each
// point's first hit. No shared writes: deterministic.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <vector>

// The float32 results must equal upstream's (an x86-64 build without FMA): never contract
// a * b + c * d into a fused multiply-add (GCC contracts by default where FMA exists, e.g. aarch64).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "points_in_boxes/points_in_boxes_check.h"

namespace ascend_ops {
namespace points_in_boxes {
namespace {

constexpr int64_t kChunk = 1024;

template <typename T>
std::vector<Frame<T>> make_frames(const T* boxes, int64_t count, int64_t stride, double margin) {
  std::vector<Frame<T>> frames(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const T* b = boxes + i * stride;
    const T heading = b[6];
    frames[i] = make_frame(b, static_cast<T>(std::cos(-heading)), static_cast<T>(std::sin(-heading)), margin);
  }
  return frames;
}

// x, y, z of points [j0, j1) (row stride c1) into contiguous arrays, so that the per-box loops
// below run over unit-stride data (the compiler vectorizes them; each lane does the same IEEE
// float operations as the scalar expression).
template <typename T>
void load_chunk(const T* P, int64_t c1, int64_t j0, int64_t j1, T* x, T* y, T* z) {
  for (int64_t j = j0; j < j1; ++j) {
    const T* p = P + j * c1;
    x[j - j0] = p[0];
    y[j - j0] = p[1];
    z[j - j0] = p[2];
  }
}

// out[i, j] = test(box i, point j) for the bev and 3d ops; task = (chunk of points, all boxes).
template <typename T, bool WithZ>
void mask_kernel(const T* P, int64_t n, int64_t c1, const T* B, int64_t m, int64_t c2, double margin, int32_t* O) {
  const std::vector<Frame<T>> frames = make_frames(B, m, c2, margin);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    T x[kChunk], y[kChunk], z[kChunk];
    for (int64_t c = begin; c < end; ++c) {
      const int64_t j0 = c * kChunk, len = std::min(n, j0 + kChunk) - j0;
      load_chunk(P, c1, j0, j0 + len, x, y, z);
      for (int64_t i = 0; i < m; ++i) {
        const Frame<T> f = frames[i];
        int32_t* row = O + i * n + j0;
        for (int64_t j = 0; j < len; ++j)
          row[j] = WithZ ? inside_3d(f, x[j], y[j], z[j]) : inside_bev(f, x[j], y[j]);
      }
    }
  });
}

// out[b, j] = index of the first box of batch item b containing point j, else -1: the boxes are
// visited in order and a point keeps the first box that contains it (upstream's loop with break).
template <typename T>
void first_kernel(const T* P, int64_t bs, int64_t n, const T* B, int64_t t, double margin, int32_t* O) {
  const std::vector<Frame<T>> frames = make_frames(B, bs * t, 7, margin);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  at::parallel_for(0, bs * chunks, 1, [&](int64_t begin, int64_t end) {
    T x[kChunk], y[kChunk], z[kChunk];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / chunks, j0 = (task % chunks) * kChunk, len = std::min(n, j0 + kChunk) - j0;
      load_chunk(P + b * n * 3, 3, j0, j0 + len, x, y, z);
      int32_t* found = O + b * n + j0;
      std::fill(found, found + len, -1);
      for (int64_t k = 0; k < t; ++k) {
        const Frame<T> f = frames[b * t + k];
        const int32_t kk = static_cast<int32_t>(k);
        for (int64_t j = 0; j < len; ++j) {   // branch-free, so that it vectorizes
          const bool take = (found[j] < 0) & inside_3d(f, x[j], y[j], z[j]);
          found[j] = take ? kk : found[j];
        }
      }
    }
  });
}

at::Tensor run_cpu(Kind kind, const at::Tensor& points_in, const at::Tensor& boxes_in) {
  check_inputs(kind, points_in, boxes_in);
  TORCH_CHECK(points_in.device().is_cpu(), op_name(kind), ": points must be a CPU tensor for the CPU kernel");
  const auto points = points_in.contiguous(), boxes = boxes_in.contiguous();
  auto out = at::empty(output_shape(kind, points, boxes), points.options().dtype(at::kInt));
  if (out.numel() == 0) return out;
  const double margin = margin_of(kind);
  AT_DISPATCH_FLOATING_TYPES(points.scalar_type(), "points_in_boxes_cpu", [&] {
    const scalar_t* P = points.data_ptr<scalar_t>();
    const scalar_t* B = boxes.data_ptr<scalar_t>();
    int32_t* O = out.data_ptr<int32_t>();
    const int64_t r = points.dim() - 1;
    if (kind == Kind::kFirst) {
      first_kernel(P, points.size(0), points.size(1), B, boxes.size(1), margin, O);
    } else if (kind == Kind::kBev) {
      mask_kernel<scalar_t, false>(P, points.size(0), points.size(r), B, boxes.size(0), boxes.size(r), margin, O);
    } else {
      mask_kernel<scalar_t, true>(P, points.size(0), 3, B, boxes.size(0), 7, margin, O);
    }
  });
  return out;
}

at::Tensor bev_cpu(const at::Tensor& points, const at::Tensor& boxes) { return run_cpu(Kind::kBev, points, boxes); }
at::Tensor box3d_cpu(const at::Tensor& points, const at::Tensor& boxes) { return run_cpu(Kind::k3d, points, boxes); }
at::Tensor first_cpu(const at::Tensor& points, const at::Tensor& boxes) { return run_cpu(Kind::kFirst, points, boxes); }

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("points_in_boxes_bev", &bev_cpu);
  m.impl("points_in_boxes_3d", &box3d_cpu);
  m.impl("points_in_boxes_first", &first_cpu);
}

}  // namespace points_in_boxes
}  // namespace ascend_ops
