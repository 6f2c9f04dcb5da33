// deformable_aggregation: argument checks and sizes shared by the CPU, CUDA and NPU bindings
// (ATen, host only). The Python wrapper (ascend_ops/ops/deformable_aggregation.py) checks first
// with friendlier messages; these guard direct torch.ops.ascend_ops calls.
#pragma once
#include <ATen/ATen.h>

#include "common/check_utils.h"
#include "deformable_aggregation/deformable_aggregation_math.h"

namespace ascend_ops {
namespace deformable_aggregation {

inline Dims dims_of(const at::Tensor& feat, const at::Tensor& loc, const at::Tensor& weights) {
  return Dims{feat.size(0), feat.size(1), feat.size(2), loc.size(1), loc.size(2), loc.size(3),
              weights.size(4), weights.size(5)};
}

inline void check_inputs(const at::Tensor& feat, const at::Tensor& shape, const at::Tensor& start,
                         const at::Tensor& loc, const at::Tensor& weights) {
  TORCH_CHECK(feat.dim() == 3 && loc.dim() == 5 && weights.dim() == 6 && shape.dim() == 3 && start.dim() == 2,
              "deformable_aggregation: expected mc_ms_feat [bs,num_feat,C], spatial_shape [cams,scales,2], "
              "scale_start_index [cams,scales], sampling_location [bs,A,P,cams,2], weights [bs,A,P,cams,scales,G]");
  TORCH_CHECK(shape.scalar_type() == at::kInt && start.scalar_type() == at::kInt,
              "deformable_aggregation: spatial_shape and scale_start_index must be int32");
  TORCH_CHECK(loc.scalar_type() == feat.scalar_type() && weights.scalar_type() == feat.scalar_type(),
              "deformable_aggregation: mc_ms_feat, sampling_location and weights must share a dtype");
  TORCH_CHECK(weights.size(5) > 0 && feat.size(2) % weights.size(5) == 0,
              "deformable_aggregation: C (mc_ms_feat.shape[2]) must be divisible by G (weights.shape[5])");
  TORCH_CHECK(shape.size(2) == 2, "deformable_aggregation: spatial_shape must be [cams, scales, 2], got ",
              shape.sizes());
  TORCH_CHECK(start.size(0) == shape.size(0) && start.size(1) == shape.size(1),
              "deformable_aggregation: scale_start_index must be [cams, scales] = ", shape.sizes().slice(0, 2),
              ", got ", start.sizes());
  TORCH_CHECK(loc.size(4) == 2, "deformable_aggregation: sampling_location must be [bs, A, P, cams, 2], got ",
              loc.sizes());
  TORCH_CHECK(loc.size(0) == feat.size(0) && loc.size(3) == shape.size(0) && weights.size(4) == shape.size(1),
              "deformable_aggregation: sampling_location [bs, A, P, cams, 2] and weights [bs, A, P, cams, scales, G] "
              "must agree with mc_ms_feat (bs) and spatial_shape (cams, scales); got mc_ms_feat ", feat.sizes(),
              ", spatial_shape ", shape.sizes(), ", sampling_location ", loc.sizes(), ", weights ", weights.sizes());
  TORCH_CHECK(weights.size(0) == loc.size(0) && weights.size(1) == loc.size(1) && weights.size(2) == loc.size(2) &&
                  weights.size(3) == loc.size(3),
              "deformable_aggregation: weights must be [bs, A, P, cams, scales, G] matching sampling_location ",
              loc.sizes(), ", got ", weights.sizes());
  const char* names[] = {"spatial_shape", "scale_start_index", "sampling_location", "weights"};
  const at::Tensor* tensors[] = {&shape, &start, &loc, &weights};
  for (int k = 0; k < 4; ++k)
    TORCH_CHECK(tensors[k]->device() == feat.device(), "deformable_aggregation: all tensors must be on one device: ",
                names[k], " is on ", tensors[k]->device(), ", mc_ms_feat on ", feat.device());
  check_level_layout("deformable_aggregation", "spatial_shape", "scale_start_index", shape, start, feat.size(1));
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
