// foreground_gather NPU binding: checks, then the Ascend C operators through aclnn, chained in an
// order-preserving way:
//   ForegroundGatherMark(coors, valid_mask > 0 as int32) -> status int32 [M] (0 drop, 1 keep, 2 invalid)
//   positions = cumsum(status == 1) (int32, on the NPU); one device -> host read of
//   (K = positions[M - 1], number of invalid rows) sizes the outputs and raises on invalid rows
//   ForegroundGather(features, coors, positions, num_kept = K) -> (features [K, C], coors [K, 4], index int64 [K])
//   ForegroundGatherGrad(grad_features, index, num_rows = M) -> grad_in [M, C] (zero-filled here)
// The kernels move rows as words: features of any float dtype (float64 included) are passed as
// the integer view of their width, so nothing is converted. The backward's index is checked here.
#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include <limits>

#include "foreground_gather/foreground_gather_check.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace foreground_gather {
namespace {

constexpr const char* kOp = "foreground_gather";

// The integer view of a float tensor's element width (the kernels move words, not values).
at::Tensor as_words(const at::Tensor& t) {
  switch (t.element_size()) {
    case 2: return t.view(at::kShort);
    case 4: return t.view(at::kInt);
    default: return t.view(at::kLong);
  }
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> forward_npu(const at::Tensor& features_in, const at::Tensor& coors_in,
                                                           const at::Tensor& valid_mask) {
  check_inputs(kOp, features_in, coors_in, valid_mask);
  const c10::DeviceGuard guard(features_in.device());
  const int64_t M = features_in.size(0), C = features_in.size(1);
  TORCH_CHECK(M <= std::numeric_limits<int32_t>::max(), kOp, ": at most 2^31 - 1 voxels on the NPU, got ", M);
  const auto features = features_in.contiguous(), coors = coors_in.contiguous();
  const auto mask = valid_mask.gt(0).to(at::kInt).contiguous();   // exact for every mask dtype
  auto status = at::empty({M}, coors.options().dtype(at::kInt));
  int64_t K = 0;
  at::Tensor positions;
  if (M > 0) {
    npu::call_aclnn("aclnnForegroundGatherMark", coors, mask, status);
    positions = status.eq(kKeep).cumsum(0, at::kInt);
    const auto summary = at::stack({positions[M - 1].to(at::kLong), status.eq(kInvalid).sum()}).cpu();
    K = summary[0].item<int64_t>();
    if (summary[1].item<int64_t>() > 0) {
      const int64_t row = status.eq(kInvalid).nonzero()[0][0].item<int64_t>();
      TORCH_CHECK_VALUE(false, invalid_row_message(kOp, row, coors, valid_mask));
    }
  }
  auto out_features = at::empty({K, C}, features.options());
  auto out_coors = at::empty({K, 4}, coors.options());
  auto index = at::empty({K}, coors.options().dtype(at::kLong));
  if (K > 0) {
    npu::call_aclnn("aclnnForegroundGather", as_words(features), coors, positions, K, as_words(out_features),
                    out_coors, index);
  }
  return {out_features, out_coors, index};
}

at::Tensor backward_npu(const at::Tensor& grad_features, const at::Tensor& features, const at::Tensor& coors,
                        const at::Tensor& valid_mask, const at::Tensor& index_in) {
  constexpr const char* op = "foreground_gather_backward";
  check_backward(grad_features, features, coors, valid_mask, index_in);
  const c10::DeviceGuard guard(features.device());
  const int64_t M = features.size(0), C = features.size(1), K = index_in.size(0);
  auto grad_in = at::zeros({M, C}, features.options());
  if (K == 0 || C == 0) return grad_in;
  const auto index = index_in.contiguous();
  const auto bad = at::stack({index.lt(0).logical_or(index.ge(M)).any(),
                              index.slice(0, 1).le(index.slice(0, 0, K - 1)).any()}).cpu();
  TORCH_CHECK(!bad[0].item<bool>(), op, ": index has entries outside [0, M = ", M, ") (features.shape[0])");
  TORCH_CHECK(!bad[1].item<bool>(), op, ": index must be strictly increasing (as foreground_gather returns it)");
  const auto grad = grad_features.to(features.scalar_type()).contiguous();
  npu::call_aclnn("aclnnForegroundGatherGrad", as_words(grad), index, M, as_words(grad_in));
  return grad_in;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) {
  m.impl("foreground_gather", &forward_npu);
  m.impl("foreground_gather_backward", &backward_npu);
}

}  // namespace foreground_gather
}  // namespace ascend_ops
