// points_in_boxes CUDA binding: checks, the per-box rotation (at::cos / at::sin of -heading on the
// device, i.e. CUDA's cosf / sinf for float32 as in upstream's kernels), output allocation and
// stream, then the torch-free launchers of points_in_boxes_cuda.cu.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "points_in_boxes/points_in_boxes_check.h"

#include "common/cuda_binding.h"
#include "points_in_boxes/points_in_boxes_cuda.h"

namespace ascend_ops {
namespace points_in_boxes {
namespace {

// [K, 2] = (cos(-heading), sin(-heading)) of every box, in the boxes' dtype.
at::Tensor rotation(const at::Tensor& boxes) {
  const auto neg = boxes.select(-1, 6).reshape({-1}).neg();
  return at::stack({at::cos(neg), at::sin(neg)}, 1).contiguous();
}

at::Tensor run_cuda(Kind kind, const at::Tensor& points_in, const at::Tensor& boxes_in) {
  check_inputs(kind, points_in, boxes_in);
  TORCH_CHECK(points_in.is_cuda(), op_name(kind), ": points must be a CUDA tensor for the CUDA kernel");
  const c10::cuda::CUDAGuard guard(points_in.device());
  const auto points = points_in.contiguous(), boxes = boxes_in.contiguous();
  auto out = at::empty(output_shape(kind, points, boxes), points.options().dtype(at::kInt));
  if (out.numel() == 0) return out;
  const auto trig = rotation(boxes);
  const ElementType type = element_type(points.scalar_type(), op_name(kind));
  const auto stream = c10::cuda::getCurrentCUDAStream().stream();
  cudaError_t err;
  if (kind == Kind::kFirst) {
    err = launch_first(type, margin_of(kind), points.data_ptr(), points.size(0), points.size(1), boxes.data_ptr(),
                       trig.data_ptr(), boxes.size(1), out.data_ptr<int32_t>(), stream);
  } else {
    err = launch_mask(type, kind == Kind::k3d, margin_of(kind), points.data_ptr(), points.size(0), points.size(1),
                      boxes.data_ptr(), trig.data_ptr(), boxes.size(0), boxes.size(1), out.data_ptr<int32_t>(), stream);
  }
  C10_CUDA_CHECK(err);
  return out;
}

at::Tensor bev_cuda(const at::Tensor& points, const at::Tensor& boxes) { return run_cuda(Kind::kBev, points, boxes); }
at::Tensor box3d_cuda(const at::Tensor& points, const at::Tensor& boxes) { return run_cuda(Kind::k3d, points, boxes); }
at::Tensor first_cuda(const at::Tensor& points, const at::Tensor& boxes) { return run_cuda(Kind::kFirst, points, boxes); }

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("points_in_boxes_bev", &bev_cuda);
  m.impl("points_in_boxes_3d", &box3d_cuda);
  m.impl("points_in_boxes_first", &first_cuda);
}

}  // namespace points_in_boxes
}  // namespace ascend_ops
