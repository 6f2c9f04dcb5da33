// deformable_aggregation CPU kernels.
// Arithmetic in A = acc_t<scalar_t> (common/hd.h, = at::opmath_type): float32 for float32,
// float16 and bfloat16, float64 for float64.
// Forward: one task per output row (b, a), accumulating all C channels in A; no atomics,
// deterministic. Backward, in two passes with one owner task per output element (no atomics;
// bitwise the same run to run and for any thread count): (1) the feature gradient is cut into
// blocks of rows, the samples are bucketed by block (common/cpu_row_scatter.h), and one task per
// block adds its samples in sample order, also taking the dot products of grad_output with the
// feature rows of its block; (2) one task per anchor row combines those into its location and
// weight gradients.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/cpu_buffer_cache.h"
#include "common/cpu_row_scatter.h"
#include "deformable_aggregation/deformable_aggregation_check.h"

namespace ascend_ops {
namespace deformable_aggregation {
namespace {

at::Tensor forward_cpu(const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
                       const at::Tensor& scale_start_index, const at::Tensor& sampling_location,
                       const at::Tensor& weights) {
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  const auto feat = mc_ms_feat.contiguous(), loc = sampling_location.contiguous(), w = weights.contiguous();
  const auto shape = spatial_shape.contiguous(), start = scale_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  auto out = at::empty({d.bs, d.anchors, d.channels}, feat.options());
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "deformable_aggregation_cpu", [&] {
    const scalar_t* F = feat.data_ptr<scalar_t>();
    const scalar_t* L = loc.data_ptr<scalar_t>();
    const scalar_t* Wt = w.data_ptr<scalar_t>();
    const int* S = shape.data_ptr<int>();
    const int* I = start.data_ptr<int>();
    scalar_t* O = out.data_ptr<scalar_t>();
    using A = acc_t<scalar_t>;
    const int64_t cpg = d.channels / d.groups;
    at::parallel_for(0, d.bs * d.anchors, 1, [&](int64_t begin, int64_t end) {
      std::vector<A> acc(d.channels);
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / d.anchors, a = row % d.anchors;
        const scalar_t* batch_feat = F + b * d.num_feat * d.channels;
        std::fill(acc.begin(), acc.end(), A(0));
        for (int64_t p = 0; p < d.points; ++p) {
          for (int64_t cam = 0; cam < d.cams; ++cam) {
            const int64_t li = location_index(d, b, a, p, cam);
            const A u = to_acc<A>(L[li]), v = to_acc<A>(L[li + 1]);
            if (!location_inside(u, v)) continue;
            for (int64_t l = 0; l < d.scales; ++l) {
              const int64_t cs = cam * d.scales + l;
              Corners<A> k;
              make_corners(u, v, S[2 * cs], S[2 * cs + 1], I[cs], d, k);
              const scalar_t* wrow = Wt + weight_index(d, b, a, p, cam, l, 0);
              for (int64_t g = 0; g < d.groups; ++g) {
                const A wg = to_acc<A>(wrow[g]);
                for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
                  A val[4];
                  gather_corners(batch_feat, k, c, val);
                  acc[c] += interpolate(k, val) * wg;
                }
              }
            }
          }
        }
        scalar_t* orow = O + row * d.channels;
        for (int64_t c = 0; c < d.channels; ++c) orow[c] = static_cast<scalar_t>(acc[c]);
      }
    });
  });
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_cpu(
    const at::Tensor& grad_output, const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
    const at::Tensor& scale_start_index, const at::Tensor& sampling_location, const at::Tensor& weights) {
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  const auto feat = mc_ms_feat.contiguous(), loc = sampling_location.contiguous(), w = weights.contiguous();
  const auto shape = spatial_shape.contiguous(), start = scale_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({d.bs, d.anchors, d.channels}),
              "deformable_aggregation_backward: grad_output must be [bs, A, C]");
  if (grad_output.numel() == 0 || d.points == 0)
    return {at::zeros(feat.sizes(), feat.options()), at::zeros(loc.sizes(), loc.options()),
            at::zeros(w.sizes(), w.options())};
  const auto acc_dtype = feat.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;  // acc_t below
  const auto gout = grad_output.to(acc_dtype).contiguous();
  // Every element of the three gradients is written below (zeros included).
  auto grad_feat = cpu_buffer_cache::empty_recycled(feat.sizes(), feat.options());  // ~100 MB-1 GB
  auto grad_loc = at::empty(loc.sizes(), loc.options());
  auto grad_w = at::empty(w.sizes(), w.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "deformable_aggregation_backward_cpu", [&] {
    const scalar_t* F = feat.data_ptr<scalar_t>();
    const scalar_t* L = loc.data_ptr<scalar_t>();
    const scalar_t* Wt = w.data_ptr<scalar_t>();
    const int* S = shape.data_ptr<int>();
    const int* I = start.data_ptr<int>();
    using A = acc_t<scalar_t>;
    const A* GO = gout.data_ptr<A>();
    const int64_t cpg = d.channels / d.groups;
    // A sample s = (b, a, p, cam, l) in weight_index order (without g): one point on one map.
    const int64_t per_row = d.points * d.cams * d.scales;  // samples per anchor row (b, a)
    auto corners_of = [&](int64_t s, Corners<A>& k) -> bool {
      const int64_t l = s % d.scales, cam = (s / d.scales) % d.cams;
      const int64_t li = (s / d.scales) * 2;                 // location_index of (b, a, p, cam)
      const A u = to_acc<A>(L[li]), v = to_acc<A>(L[li + 1]);
      if (!location_inside(u, v)) return false;
      const int64_t cs = cam * d.scales + l;
      make_corners(u, v, S[2 * cs], S[2 * cs + 1], I[cs], d, k);
      return true;
    };
    auto touch = [&](int64_t s, int64_t rows[4]) -> int {
      Corners<A> k;
      if (!corners_of(s, k)) return 0;
      const int64_t base = s / (d.anchors * per_row) * d.num_feat;
      int n = 0;
      for (int i = 0; i < 4; ++i)
        if (k.valid[i]) rows[n++] = base + k.offset[i] / d.channels;
      return n;
    };
    const auto plan = cpu_row_scatter::plan_blocks(d.bs * d.num_feat, d.channels, d.bs * d.anchors * per_row, touch);

    // 1. Feature gradient, block by block: sample s adds w_i * (go[c] * weight[g]) to corner
    //    row i; meanwhile, with that feature row in cache, dots[slot][i][g] = sum over the
    //    group's channels of go[c] * feat[row i][c] (each (sample, corner) has one owner block).
    std::unique_ptr<A[]> dots(new A[std::max<int64_t>(1, plan.num_slots * 4 * d.groups)]);
    auto add = [&](int64_t s, int64_t lo, int64_t hi, A* block) {
      Corners<A> k;
      if (!corners_of(s, k)) return;
      const int64_t b = s / (d.anchors * per_row);
      const scalar_t* batch_feat = F + b * d.num_feat * d.channels;
      const A* go = GO + (s / per_row) * d.channels;
      const scalar_t* wrow = Wt + s * d.groups;              // weight_index(b, a, p, cam, l, 0)
      A* dot = dots.get() + plan.slot[s] * 4 * d.groups;
      for (int i = 0; i < 4; ++i) {
        if (!k.valid[i]) continue;
        const int64_t r = b * d.num_feat + k.offset[i] / d.channels;
        if (r < lo || r >= hi) continue;
        A* dst = block + (r - lo) * d.channels;
        for (int64_t g = 0; g < d.groups; ++g)
          dot[i * d.groups + g] = cpu_row_scatter::scatter_and_dot(
              dst + g * cpg, batch_feat + k.offset[i] + g * cpg, go + g * cpg, k.weight[i], to_acc<A>(wrow[g]), cpg);
      }
    };
    cpu_row_scatter::scatter_rows(plan, grad_feat.data_ptr<scalar_t>(), add);

    // 2. Location and weight gradients: one task per anchor row (b, a) owns its entries. With
    //    the corner dots s_i (0 for an invalid corner): grad_weight = sum_i w_i s_i, and the
    //    pixel-space location gradient is weight * d(bilinear)/dx applied to s.
    scalar_t* GL = grad_loc.data_ptr<scalar_t>();
    scalar_t* GW = grad_w.data_ptr<scalar_t>();
    at::parallel_for(0, d.bs * d.anchors, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        for (int64_t pc = 0; pc < d.points * d.cams; ++pc) {
          const int64_t li = (row * d.points * d.cams + pc) * 2;
          const int64_t s0 = (row * d.points * d.cams + pc) * d.scales;   // sample of level 0
          const int64_t cam = pc % d.cams;
          scalar_t* gw_row = GW + s0 * d.groups;
          const A u = to_acc<A>(L[li]), v = to_acc<A>(L[li + 1]);
          if (!location_inside(u, v)) {
            std::fill(gw_row, gw_row + d.scales * d.groups, scalar_t(0));
            GL[li] = GL[li + 1] = scalar_t(0);
            continue;
          }
          A glx = A(0), gly = A(0);
          for (int64_t l = 0; l < d.scales; ++l) {
            const int64_t cs = cam * d.scales + l;
            const int H = S[2 * cs], W = S[2 * cs + 1];
            Corners<A> k;
            make_corners(u, v, H, W, I[cs], d, k);
            const int64_t slot = plan.slot[s0 + l];
            const A* dot = dots.get() + std::max<int64_t>(slot, 0) * 4 * d.groups;
            for (int64_t g = 0; g < d.groups; ++g) {
              A sg[4];
              for (int i = 0; i < 4; ++i) sg[i] = (slot >= 0 && k.valid[i]) ? dot[i * d.groups + g] : A(0);
              const A weight = to_acc<A>(Wt[(s0 + l) * d.groups + g]);
              gw_row[l * d.groups + g] = static_cast<scalar_t>(interpolate(k, sg));
              glx += W * (d_dx(k, sg) * weight);
              gly += H * (d_dy(k, sg) * weight);
            }
          }
          GL[li] = static_cast<scalar_t>(glx);
          GL[li + 1] = static_cast<scalar_t>(gly);
        }
      }
    });
  });
  return {grad_feat, grad_loc, grad_w};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("deformable_aggregation", &forward_cpu);
  m.impl("deformable_aggregation_backward", &backward_cpu);
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
