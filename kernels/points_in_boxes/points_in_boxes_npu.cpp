// points_in_boxes NPU binding: checks, the per-box rotation (at::cos / at::sin of -heading on the
// NPU), then the Ascend C operators through aclnn:
//   PointsInBoxesBev(points [N, C1], boxes [M, C2], rotation [M, 2]) -> mask int32 [M, N]
//   PointsInBoxes3d(points [N, 3], boxes [M, 7], rotation [M, 2]) -> mask int32 [M, N]
//   PointsInBoxesFirst(points [B, N, 3], boxes [B, T, 7], rotation [B*T, 2]) -> box_index int32 [B, N]
// The Ascend C kernels compute in float32 (the upstream's type). float64 input is never narrowed:
// it runs through the kit's CPU kernel of the same op (exact, float64 arithmetic; copies to and
// from the host), found through the dispatcher.
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include "points_in_boxes/points_in_boxes_check.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace points_in_boxes {
namespace {

const char* aclnn_name(Kind kind) {
  switch (kind) {
    case Kind::kBev: return "aclnnPointsInBoxesBev";
    case Kind::k3d: return "aclnnPointsInBoxes3d";
    case Kind::kFirst: return "aclnnPointsInBoxesFirst";
  }
  return "";
}

// float64: the same op's CPU kernel on host copies, result back on the NPU.
at::Tensor float64_via_cpu(Kind kind, const at::Tensor& points, const at::Tensor& boxes) {
  const auto op = c10::Dispatcher::singleton()
                      .findSchemaOrThrow((std::string("ascend_ops::") + op_name(kind)).c_str(), "")
                      .typed<at::Tensor(const at::Tensor&, const at::Tensor&)>();
  return op.call(points.cpu(), boxes.cpu()).to(points.device());
}

at::Tensor run_npu(Kind kind, const at::Tensor& points_in, const at::Tensor& boxes_in) {
  check_inputs(kind, points_in, boxes_in);
  const c10::DeviceGuard guard(points_in.device());
  if (points_in.scalar_type() == at::kDouble) return float64_via_cpu(kind, points_in, boxes_in);
  const auto points = points_in.contiguous(), boxes = boxes_in.contiguous();
  auto out = at::empty(output_shape(kind, points, boxes), points.options().dtype(at::kInt));
  if (out.numel() == 0) return out;
  const auto neg = boxes.select(-1, 6).reshape({-1}).neg();
  const auto rotation = at::stack({at::cos(neg), at::sin(neg)}, 1).contiguous();
  npu::call_aclnn(aclnn_name(kind), points, boxes, rotation, out);
  return out;
}

at::Tensor bev_npu(const at::Tensor& points, const at::Tensor& boxes) { return run_npu(Kind::kBev, points, boxes); }
at::Tensor box3d_npu(const at::Tensor& points, const at::Tensor& boxes) { return run_npu(Kind::k3d, points, boxes); }
at::Tensor first_npu(const at::Tensor& points, const at::Tensor& boxes) { return run_npu(Kind::kFirst, points, boxes); }

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) {
  m.impl("points_in_boxes_bev", &bev_npu);
  m.impl("points_in_boxes_3d", &box3d_npu);
  m.impl("points_in_boxes_first", &first_npu);
}

}  // namespace points_in_boxes
}  // namespace ascend_ops
