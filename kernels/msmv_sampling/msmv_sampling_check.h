// msmv_sampling: argument checks and sizes shared by the CPU, CUDA and NPU bindings (ATen, host
// only). The Python wrapper (ascend_ops/ops/msmv_sampling.py) checks first with friendlier
// messages; these guard direct torch.ops.ascend_ops calls.
#pragma once
#include <ATen/ATen.h>

#include "common/check_utils.h"
#include "msmv_sampling/msmv_sampling_math.h"

namespace ascend_ops {
namespace msmv_sampling {

inline Dims dims_of(const at::Tensor& feat, const at::Tensor& loc, const at::Tensor& weights) {
  return Dims{feat.size(0), feat.size(1), feat.size(2), feat.size(3), loc.size(1), loc.size(2), weights.size(3)};
}

inline void check_inputs(const at::Tensor& feat, const at::Tensor& shape, const at::Tensor& start,
                         const at::Tensor& loc, const at::Tensor& weights) {
  TORCH_CHECK(feat.dim() == 4 && shape.dim() == 2 && start.dim() == 1 && loc.dim() == 4 && weights.dim() == 4,
              "msmv_sampling: expected feat [B,N,num_feat,C], spatial_shapes [L,2], level_start_index [L], "
              "sampling_locations [B,Q,P,3], scale_weights [B,Q,P,L]");
  TORCH_CHECK(shape.scalar_type() == at::kInt && start.scalar_type() == at::kInt,
              "msmv_sampling: spatial_shapes and level_start_index must be int32");
  TORCH_CHECK(loc.scalar_type() == feat.scalar_type() && weights.scalar_type() == feat.scalar_type(),
              "msmv_sampling: feat, sampling_locations and scale_weights must share a dtype");
  TORCH_CHECK(shape.size(1) == 2 && start.size(0) == shape.size(0) && weights.size(3) == shape.size(0),
              "msmv_sampling: spatial_shapes [L,2], level_start_index [L] and scale_weights [B,Q,P,L] disagree on L");
  TORCH_CHECK(loc.size(0) == feat.size(0) && weights.size(0) == feat.size(0) && loc.size(3) == 3 &&
                  weights.size(1) == loc.size(1) && weights.size(2) == loc.size(2),
              "msmv_sampling: inconsistent B / Q / P between feat, sampling_locations and scale_weights");
  const char* names[] = {"spatial_shapes", "level_start_index", "sampling_locations", "scale_weights"};
  const at::Tensor* tensors[] = {&shape, &start, &loc, &weights};
  for (int k = 0; k < 4; ++k)
    TORCH_CHECK(tensors[k]->device() == feat.device(), "msmv_sampling: all tensors must be on one device: ",
                names[k], " is on ", tensors[k]->device(), ", feat on ", feat.device());
  check_level_layout("msmv_sampling", "spatial_shapes", "level_start_index", shape, start, feat.size(2));
}

inline void check_grad_output(const at::Tensor& grad_output, const at::Tensor& feat, const Dims& d) {
  TORCH_CHECK(grad_output.device() == feat.device(), "msmv_sampling_backward: grad_output must be on feat's device");
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({d.batch, d.queries, d.channels, d.points}),
              "msmv_sampling_backward: grad_output must be [B, Q, C, P] = [", d.batch, ", ", d.queries, ", ",
              d.channels, ", ", d.points, "], got ", grad_output.sizes());
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
