// msmv_sampling CPU kernels.
// Arithmetic in A = acc_t<scalar_t> (common/hd.h, = at::opmath_type): float32 for float32,
// float16 and bfloat16, float64 for float64.
// Forward: one task per query row (b, q), accumulating its C x P outputs in A; no atomics,
// deterministic. Backward, in two passes with one owner task per output element (no atomics;
// bitwise the same run to run and for any thread count): (1) the feature gradient is cut into
// blocks of rows, the samples are bucketed by block (common/cpu_row_scatter.h), and one task per
// block adds its samples in sample order, also taking the dot products of grad_output with the
// feature rows of its block; (2) one task per query row combines those into its location and
// weight gradients.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/cpu_buffer_cache.h"
#include "common/cpu_row_scatter.h"
#include "msmv_sampling/msmv_sampling_check.h"
#include "msmv_sampling/msmv_sampling_math.h"

namespace ascend_ops {
namespace msmv_sampling {
namespace {

at::Tensor forward_cpu(const at::Tensor& feat_in, const at::Tensor& spatial_shapes,
                       const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                       const at::Tensor& scale_weights) {
  check_inputs(feat_in, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const auto feat = feat_in.contiguous(), loc = sampling_locations.contiguous(), w = scale_weights.contiguous();
  const auto shape = spatial_shapes.contiguous(), start = level_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  auto out = at::empty({d.batch, d.queries, d.channels, d.points}, feat.options());  // every row written
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "msmv_sampling_cpu", [&] {
    const scalar_t* F = feat.data_ptr<scalar_t>();
    const scalar_t* L = loc.data_ptr<scalar_t>();
    const scalar_t* Wt = w.data_ptr<scalar_t>();
    const int* S = shape.data_ptr<int>();
    const int* I = start.data_ptr<int>();
    scalar_t* O = out.data_ptr<scalar_t>();
    using A = acc_t<scalar_t>;
    at::parallel_for(0, d.batch * d.queries, 1, [&](int64_t begin, int64_t end) {
      std::vector<A> acc(d.points * d.channels);          // [P][C]: the channel loop is contiguous
      const std::vector<scalar_t> zeros(d.channels, scalar_t(0));  // what an invalid corner reads
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / d.queries, q = row % d.queries;
        std::fill(acc.begin(), acc.end(), A(0));
        for (int64_t p = 0; p < d.points; ++p) {
          const int64_t li = location_index(d, b, q, p);
          const int64_t view = view_index(d, to_acc<A>(L[li + 2]));
          if (view < 0) continue;
          const A x = to_acc<A>(L[li]), y = to_acc<A>(L[li + 1]);
          A* a = acc.data() + p * d.channels;
          for (int64_t l = 0; l < d.levels; ++l) {
            Corners<A> k;
            if (!make_corners(x, y, S[2 * l], S[2 * l + 1], I[l], d, b, view, k)) continue;
            const A wl = to_acc<A>(Wt[weight_index(d, b, q, p, l)]);
            // interpolate() with the corner pointers hoisted (same arithmetic and order)
            const scalar_t* f[4];
            for (int i = 0; i < 4; ++i) f[i] = k.valid[i] ? F + k.offset[i] : zeros.data();
            const A w0 = k.weight[0], w1 = k.weight[1], w2 = k.weight[2], w3 = k.weight[3];
            for (int64_t c = 0; c < d.channels; ++c) {
              a[c] += (w0 * to_acc<A>(f[0][c]) + w1 * to_acc<A>(f[1][c]) + w2 * to_acc<A>(f[2][c]) +
                       w3 * to_acc<A>(f[3][c])) * wl;
            }
          }
        }
        scalar_t* orow = O + row * d.channels * d.points;
        for (int64_t c = 0; c < d.channels; ++c)
          for (int64_t p = 0; p < d.points; ++p) orow[c * d.points + p] = static_cast<scalar_t>(acc[p * d.channels + c]);
      }
    });
  });
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_cpu(
    const at::Tensor& grad_output, const at::Tensor& feat_in, const at::Tensor& spatial_shapes,
    const at::Tensor& level_start_index, const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  check_inputs(feat_in, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const auto feat = feat_in.contiguous(), loc = sampling_locations.contiguous(), w = scale_weights.contiguous();
  const auto shape = spatial_shapes.contiguous(), start = level_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  check_grad_output(grad_output, feat, d);
  if (grad_output.numel() == 0 || d.levels == 0 || d.views == 0)
    return {at::zeros(feat.sizes(), feat.options()), at::zeros(loc.sizes(), loc.options()),
            at::zeros(w.sizes(), w.options())};
  // grad_output as [B, Q, P, C] in the accumulation dtype (acc_t below: float32, float64 for
  // float64): one contiguous channel row per point.
  const auto acc_dtype = feat.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const auto gout = cpu_buffer_cache::empty_recycled({d.batch, d.queries, d.points, d.channels},
                                                     feat.options().dtype(acc_dtype));
  gout.copy_(grad_output.transpose(2, 3));
  // Every element of the three gradients is written below (zeros included).
  auto grad_feat = cpu_buffer_cache::empty_recycled(feat.sizes(), feat.options());  // ~100 MB-1 GB
  auto grad_loc = at::empty(loc.sizes(), loc.options());
  auto grad_w = at::empty(w.sizes(), w.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "msmv_sampling_backward_cpu", [&] {
    const scalar_t* F = feat.data_ptr<scalar_t>();
    const scalar_t* L = loc.data_ptr<scalar_t>();
    const scalar_t* Wt = w.data_ptr<scalar_t>();
    const int* S = shape.data_ptr<int>();
    const int* I = start.data_ptr<int>();
    using A = acc_t<scalar_t>;
    const A* GO = gout.data_ptr<A>();
    // A sample s = (b, q, p, l) in weight_index order: one point on one level of its view.
    auto corners_of = [&](int64_t s, Corners<A>& k) -> bool {
      const int64_t l = s % d.levels, bqp = s / d.levels;
      const int64_t li = bqp * 3;                            // location_index of (b, q, p)
      const int64_t view = view_index(d, to_acc<A>(L[li + 2]));
      if (view < 0) return false;
      const int64_t b = bqp / (d.queries * d.points);
      return make_corners(to_acc<A>(L[li]), to_acc<A>(L[li + 1]), S[2 * l], S[2 * l + 1], I[l], d, b, view, k);
    };
    auto touch = [&](int64_t s, int64_t rows[4]) -> int {
      Corners<A> k;
      if (!corners_of(s, k)) return 0;
      int n = 0;
      for (int i = 0; i < 4; ++i)
        if (k.valid[i]) rows[n++] = k.offset[i] / d.channels;
      return n;
    };
    const int64_t num_samples = d.batch * d.queries * d.points * d.levels;
    const auto plan = cpu_row_scatter::plan_blocks(d.batch * d.views * d.num_feat, d.channels, num_samples, touch);

    // 1. Feature gradient, block by block: sample s adds w_i * (go[c] * scale_weight) to corner
    //    row i; meanwhile, with that feature row in cache, dots[slot][i] = sum_c go[c] *
    //    feat[row i][c] (each (sample, corner) has one owner block).
    std::unique_ptr<A[]> dots(new A[std::max<int64_t>(1, plan.num_slots * 4)]);
    auto add = [&](int64_t s, int64_t lo, int64_t hi, A* block) {
      Corners<A> k;
      if (!corners_of(s, k)) return;
      const A* go = GO + (s / d.levels) * d.channels;
      const A weight = to_acc<A>(Wt[s]);                     // weight_index(b, q, p, l)
      A* dot = dots.get() + plan.slot[s] * 4;
      for (int i = 0; i < 4; ++i) {
        if (!k.valid[i]) continue;
        const int64_t r = k.offset[i] / d.channels;
        if (r < lo || r >= hi) continue;
        dot[i] = cpu_row_scatter::scatter_and_dot(block + (r - lo) * d.channels, F + k.offset[i], go, k.weight[i],
                                                  weight, d.channels);
      }
    };
    cpu_row_scatter::scatter_rows(plan, grad_feat.data_ptr<scalar_t>(), add);

    // 2. Location and weight gradients: one task per query row (b, q) owns its entries. With the
    //    corner dots s_i (0 for an invalid corner): grad_weight = sum_i w_i s_i, and the
    //    pixel-space location gradient is weight * d(bilinear)/dw applied to s, summed over levels.
    scalar_t* GL = grad_loc.data_ptr<scalar_t>();
    scalar_t* GW = grad_w.data_ptr<scalar_t>();
    at::parallel_for(0, d.batch * d.queries, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bqp = begin * d.points; bqp < end * d.points; ++bqp) {
        const int64_t li = bqp * 3;
        A gx = A(0), gy = A(0);
        for (int64_t l = 0; l < d.levels; ++l) {
          const int64_t s = bqp * d.levels + l;
          Corners<A> k;
          if (!corners_of(s, k)) {
            GW[s] = scalar_t(0);
            continue;
          }
          const int64_t slot = plan.slot[s];
          A sg[4];
          for (int i = 0; i < 4; ++i) sg[i] = (slot >= 0 && k.valid[i]) ? dots[slot * 4 + i] : A(0);
          const A weight = to_acc<A>(Wt[s]);
          GW[s] = static_cast<scalar_t>(interpolate(k, sg));
          gx += static_cast<A>(S[2 * l + 1] - 1) * (d_dw(k, sg) * weight);
          gy += static_cast<A>(S[2 * l] - 1) * (d_dh(k, sg) * weight);
        }
        GL[li] = static_cast<scalar_t>(gx);
        GL[li + 1] = static_cast<scalar_t>(gy);
        GL[li + 2] = scalar_t(0);
      }
    });
  });
  return {grad_feat, grad_loc, grad_w};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("msmv_sampling", &forward_cpu);
  m.impl("msmv_sampling_backward", &backward_cpu);
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
