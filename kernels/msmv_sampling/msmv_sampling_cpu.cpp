// msmv_sampling CPU kernels.
// Forward: one task per query row (b, q), accumulating its C x P outputs in float32; no atomics,
// deterministic. Backward: one task per (b, view, channel chunk). A sample reads one view only,
// so each task owns the feature gradient of its (b, view, chunk) slice and the location/weight
// gradient partial of its chunk for every sample of that view; the chunk partials are summed
// afterwards in a fixed order (deterministic, independent of the thread count).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "msmv_sampling/msmv_sampling_check.h"
#include "msmv_sampling/msmv_sampling_math.h"

namespace ascend_ops {
namespace msmv_sampling {
namespace {

// Channels per backward task: at most 4 chunks, so the location/weight partials stay small.
int64_t chunk_channels(int64_t channels) { return std::max<int64_t>(16, (channels + 3) / 4); }

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
    at::parallel_for(0, d.batch * d.queries, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> acc(d.points * d.channels);      // [P][C]: the channel loop is contiguous
      const std::vector<scalar_t> zeros(d.channels, scalar_t(0));  // what an invalid corner reads
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / d.queries, q = row % d.queries;
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t p = 0; p < d.points; ++p) {
          const int64_t li = location_index(d, b, q, p);
          const int64_t view = view_index(d, to_float(L[li + 2]));
          if (view < 0) continue;
          const float x = to_float(L[li]), y = to_float(L[li + 1]);
          float* a = acc.data() + p * d.channels;
          for (int64_t l = 0; l < d.levels; ++l) {
            Corners k;
            if (!make_corners(x, y, S[2 * l], S[2 * l + 1], I[l], d, b, view, k)) continue;
            const float wl = to_float(Wt[weight_index(d, b, q, p, l)]);
            // interpolate() with the corner pointers hoisted (same arithmetic and order)
            const scalar_t* f[4];
            for (int i = 0; i < 4; ++i) f[i] = k.valid[i] ? F + k.offset[i] : zeros.data();
            const float w0 = k.weight[0], w1 = k.weight[1], w2 = k.weight[2], w3 = k.weight[3];
            for (int64_t c = 0; c < d.channels; ++c) {
              a[c] += (w0 * to_float(f[0][c]) + w1 * to_float(f[1][c]) + w2 * to_float(f[2][c]) +
                       w3 * to_float(f[3][c])) * wl;
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
  const auto gout = grad_output.to(at::kFloat).contiguous();
  const auto f32 = feat.options().dtype(at::kFloat);
  const int64_t cchunk = chunk_channels(d.channels);
  const int64_t chunks = std::max<int64_t>(1, (d.channels + cchunk - 1) / cchunk);
  auto grad_feat = at::zeros(feat.sizes(), f32);
  auto grad_loc_parts = at::zeros({chunks, loc.numel()}, f32);
  auto grad_w_parts = at::zeros({chunks, w.numel()}, f32);
  if (gout.numel() > 0 && d.levels > 0 && d.views > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feat.scalar_type(), "msmv_sampling_backward_cpu", [&] {
      const scalar_t* F = feat.data_ptr<scalar_t>();
      const scalar_t* L = loc.data_ptr<scalar_t>();
      const scalar_t* Wt = w.data_ptr<scalar_t>();
      const int* S = shape.data_ptr<int>();
      const int* I = start.data_ptr<int>();
      const float* GO = gout.data_ptr<float>();
      float* GF = grad_feat.data_ptr<float>();
      float* GLP = grad_loc_parts.data_ptr<float>();
      float* GWP = grad_w_parts.data_ptr<float>();
      at::parallel_for(0, d.batch * d.views * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t chunk = task % chunks, bv = task / chunks;
          const int64_t b = bv / d.views, view = bv % d.views;
          const int64_t c0 = chunk * cchunk, c1 = std::min(d.channels, c0 + cchunk);
          float* grad_loc = GLP + chunk * loc.numel();
          float* grad_w = GWP + chunk * w.numel();
          for (int64_t q = 0; q < d.queries; ++q) {
            for (int64_t p = 0; p < d.points; ++p) {
              const int64_t li = location_index(d, b, q, p);
              if (view_index(d, to_float(L[li + 2])) != view) continue;
              const float x = to_float(L[li]), y = to_float(L[li + 1]);
              for (int64_t l = 0; l < d.levels; ++l) {
                const int H = S[2 * l], W = S[2 * l + 1];
                Corners k;
                if (!make_corners(x, y, H, W, I[l], d, b, view, k)) continue;
                const int64_t wi = weight_index(d, b, q, p, l);
                const float weight = to_float(Wt[wi]);
                float gw = 0.f, gx = 0.f, gy = 0.f;
                for (int64_t c = c0; c < c1; ++c) {
                  float fg[4];
                  backward_element(F, k, c, GO[output_index(d, b, q, c, p)], weight, fg, gw, gx, gy);
                  for (int i = 0; i < 4; ++i)
                    if (k.valid[i]) GF[k.offset[i] + c] += fg[i];
                }
                grad_w[wi] = gw;
                grad_loc[li] += static_cast<float>(W - 1) * gx;
                grad_loc[li + 1] += static_cast<float>(H - 1) * gy;
              }
            }
          }
        }
      });
    });
  }
  auto grad_loc = grad_loc_parts.sum(0).view(loc.sizes());
  auto grad_w = grad_w_parts.sum(0).view(w.sizes());
  return {grad_feat.to(feat.scalar_type()), grad_loc.to(loc.scalar_type()), grad_w.to(w.scalar_type())};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("msmv_sampling", &forward_cpu);
  m.impl("msmv_sampling_backward", &backward_cpu);
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
