// deformable_aggregation CPU kernels.
// Forward: one task per output row (b, a), accumulating all C channels in float32; no atomics,
// deterministic. Backward: one task per (b, group); feature and weight gradients are written
// by exactly one task, location gradients are summed over groups afterwards (deterministic).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <vector>

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
    const int64_t cpg = d.channels / d.groups;
    at::parallel_for(0, d.bs * d.anchors, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> acc(d.channels);
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / d.anchors, a = row % d.anchors;
        const scalar_t* batch_feat = F + b * d.num_feat * d.channels;
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t p = 0; p < d.points; ++p) {
          for (int64_t cam = 0; cam < d.cams; ++cam) {
            const int64_t li = location_index(d, b, a, p, cam);
            const float u = to_float(L[li]), v = to_float(L[li + 1]);
            if (!location_inside(u, v)) continue;
            for (int64_t l = 0; l < d.scales; ++l) {
              const int64_t cs = cam * d.scales + l;
              Corners k;
              make_corners(u, v, S[2 * cs], S[2 * cs + 1], I[cs], d, k);
              const scalar_t* wrow = Wt + weight_index(d, b, a, p, cam, l, 0);
              for (int64_t g = 0; g < d.groups; ++g) {
                const float wg = to_float(wrow[g]);
                for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
                  float val[4];
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
  const auto gout = grad_output.to(at::kFloat).contiguous();
  const auto f32 = feat.options().dtype(at::kFloat);
  auto grad_feat = at::zeros(feat.sizes(), f32);
  auto grad_w = at::zeros(w.sizes(), f32);
  auto grad_loc_parts = at::zeros({d.groups, loc.numel()}, f32);
  if (gout.numel() > 0 && d.points > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "deformable_aggregation_backward_cpu", [&] {
      const scalar_t* F = feat.data_ptr<scalar_t>();
      const scalar_t* L = loc.data_ptr<scalar_t>();
      const scalar_t* Wt = w.data_ptr<scalar_t>();
      const int* S = shape.data_ptr<int>();
      const int* I = start.data_ptr<int>();
      const float* GO = gout.data_ptr<float>();
      float* GF = grad_feat.data_ptr<float>();
      float* GW = grad_w.data_ptr<float>();
      float* GLP = grad_loc_parts.data_ptr<float>();
      const int64_t cpg = d.channels / d.groups;
      at::parallel_for(0, d.bs * d.groups, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t b = task / d.groups, g = task % d.groups;
          const scalar_t* batch_feat = F + b * d.num_feat * d.channels;
          float* batch_grad = GF + b * d.num_feat * d.channels;
          float* grad_loc = GLP + g * loc.numel();
          for (int64_t a = 0; a < d.anchors; ++a) {
            const float* go = GO + (b * d.anchors + a) * d.channels;
            for (int64_t p = 0; p < d.points; ++p) {
              for (int64_t cam = 0; cam < d.cams; ++cam) {
                const int64_t li = location_index(d, b, a, p, cam);
                const float u = to_float(L[li]), v = to_float(L[li + 1]);
                if (!location_inside(u, v)) continue;
                for (int64_t l = 0; l < d.scales; ++l) {
                  const int64_t cs = cam * d.scales + l;
                  const int H = S[2 * cs], W = S[2 * cs + 1];
                  Corners k;
                  make_corners(u, v, H, W, I[cs], d, k);
                  const int64_t wi = weight_index(d, b, a, p, cam, l, g);
                  const float weight = to_float(Wt[wi]);
                  float gw = 0.f, gx = 0.f, gy = 0.f;
                  for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
                    float fg[4];
                    backward_element(batch_feat, k, c, go[c], weight, fg, gw, gx, gy);
                    for (int i = 0; i < 4; ++i)
                      if (k.valid[i]) batch_grad[k.offset[i] + c] += fg[i];
                  }
                  GW[wi] = gw;
                  grad_loc[li] += W * gx;
                  grad_loc[li + 1] += H * gy;
                }
              }
            }
          }
        }
      });
    });
  }
  auto grad_loc = grad_loc_parts.sum(0).view(loc.sizes());
  return {grad_feat.to(feat.scalar_type()), grad_loc.to(loc.scalar_type()), grad_w.to(w.scalar_type())};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("deformable_aggregation", &forward_cpu);
  m.impl("deformable_aggregation_backward", &backward_cpu);
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
