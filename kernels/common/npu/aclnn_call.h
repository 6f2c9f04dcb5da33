// Calling an aclnn operator (a CANN built-in or a custom Ascend C op) from a torch binding, the
// way DrivingSDK's EXEC_NPU_CMD does, in a small readable form (header-only):
//   1. resolve aclnn<Op>GetWorkspaceSize and aclnn<Op> with dlsym, from libcust_opapi.so (custom
//      OPP packages) and then libopapi.so (CANN built-ins);
//   2. wrap each at::Tensor argument as an aclTensor (same sizes, strides, offset, storage);
//   3. phase 1 on the calling thread: workspace size and executor;
//   4. allocate the workspace as an NPU byte tensor (torch's caching allocator);
//   5. phase 2 queued on torch_npu's current stream through OpCommand; the aclTensors, the
//      tensors and the workspace stay alive until it has run.
// Usage (with a device guard for the tensors' NPU set by the caller):
//   ascend_ops::npu::call_aclnn("aclnnDeformableAggregation", in0, in1, ..., out0, ...);
// Non-tensor arguments (bool, int64_t, double, ...) are passed through unchanged.
#pragma once
#include <ATen/ATen.h>
#include <dlfcn.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "common/npu/aclnn_types.h"
#include "torch_npu/csrc/core/npu/NPUFunctions.h"
#include "torch_npu/csrc/core/npu/NPUStream.h"
#include "torch_npu/csrc/framework/OpCommand.h"

namespace ascend_ops {
namespace npu {

// Address of `name` in libcust_opapi.so, libopapi.so or libnnopbase.so (first found), or nullptr.
inline void* find_api(const char* name) {
  static void* const libs[] = {dlopen("libcust_opapi.so", RTLD_LAZY), dlopen("libopapi.so", RTLD_LAZY),
                               dlopen("libnnopbase.so", RTLD_LAZY)};
  for (void* lib : libs) {
    if (lib == nullptr) continue;
    if (void* fn = dlsym(lib, name)) return fn;
  }
  return nullptr;
}

inline void* require_api(const std::string& name) {
  void* fn = find_api(name.c_str());
  TORCH_CHECK(fn != nullptr, "ascend_ops: ", name, " was not found in libcust_opapi.so or libopapi.so. Build and "
              "install the kit's Ascend C operators (kernels/build_ascendc.sh) and source CANN's set_env.sh, or set "
              "ASCEND_OPS_BACKEND=reference.");
  return fn;
}

inline aclDataType acl_dtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return ACL_FLOAT;
    case at::kHalf: return ACL_FLOAT16;
    case at::kBFloat16: return ACL_BF16;
    case at::kDouble: return ACL_DOUBLE;
    case at::kInt: return ACL_INT32;
    case at::kLong: return ACL_INT64;
    case at::kShort: return ACL_INT16;
    case at::kChar: return ACL_INT8;
    case at::kByte: return ACL_UINT8;
    case at::kBool: return ACL_BOOL;
    default: TORCH_CHECK(false, "ascend_ops: no aclDataType for torch dtype ", type);
  }
}

// aclTensor views of at::Tensors; destroys them (and drops the tensor references) when the last
// shared_ptr to it goes, i.e. after the queued launch has run.
class AclTensors {
 public:
  AclTensors() = default;
  AclTensors(const AclTensors&) = delete;
  AclTensors& operator=(const AclTensors&) = delete;
  ~AclTensors() {
    static const auto destroy = reinterpret_cast<AclDestroyTensorFn>(find_api("aclDestroyTensor"));
    if (destroy != nullptr)
      for (aclTensor* h : handles_) destroy(h);
  }

  aclTensor* add(const at::Tensor& t) {
    static const auto create = reinterpret_cast<AclCreateTensorFn>(require_api("aclCreateTensor"));
    TORCH_CHECK(t.defined(), "ascend_ops: undefined tensor passed to an aclnn call");
    const std::vector<int64_t> storage_dims = {static_cast<int64_t>(t.storage().nbytes() / t.itemsize())};
    aclTensor* h = create(t.sizes().data(), t.dim(), acl_dtype(t.scalar_type()), t.strides().data(),
                          t.storage_offset(), ACL_FORMAT_ND, storage_dims.data(), storage_dims.size(),
                          const_cast<void*>(t.storage().data()));
    TORCH_CHECK(h != nullptr, "ascend_ops: aclCreateTensor failed for a tensor of shape ", t.sizes());
    handles_.push_back(h);
    kept_.push_back(t);
    return h;
  }

  void keep(const at::Tensor& t) { kept_.push_back(t); }

 private:
  std::vector<aclTensor*> handles_;
  std::vector<at::Tensor> kept_;
};

namespace detail {
template <typename T>
T convert(AclTensors&, T value) { return value; }
inline aclTensor* convert(AclTensors& owner, const at::Tensor& t) { return owner.add(t); }
}  // namespace detail

template <typename... Args>
void call_aclnn(const std::string& api, const Args&... args) {
  auto owner = std::make_shared<AclTensors>();
  const std::string ws_api = api + "GetWorkspaceSize";
  using GetWorkspaceFn = aclnnStatus (*)(decltype(detail::convert(*owner, args))..., uint64_t*, aclOpExecutor**);
  const auto get_workspace = reinterpret_cast<GetWorkspaceFn>(require_api(ws_api));
  const auto run = reinterpret_cast<AclnnRunFn>(require_api(api));

  uint64_t workspace_size = 0;
  aclOpExecutor* executor = nullptr;
  const aclnnStatus status = std::apply(
      get_workspace, std::make_tuple(detail::convert(*owner, args)..., &workspace_size, &executor));
  TORCH_CHECK(status == 0, "ascend_ops: ", ws_api, " failed with aclnn status ", status,
              " (see the CANN plog for the reason)");

  void* workspace = nullptr;
  if (workspace_size > 0) {
    const auto device = c10::Device(c10::DeviceType::PrivateUse1, c10_npu::current_device());
    at::Tensor ws = at::empty({static_cast<int64_t>(workspace_size)}, at::TensorOptions().dtype(at::kByte).device(device));
    workspace = ws.data_ptr();
    owner->keep(ws);
  }
  const aclrtStream stream = c10_npu::getCurrentNPUStream().stream(false);
  at_npu::native::OpCommand cmd;
  cmd.Name(api);
  cmd.SetCustomHandler([api, run, workspace, workspace_size, executor, stream, owner]() -> int {
    const aclnnStatus ret = run(workspace, workspace_size, executor, stream);
    TORCH_CHECK(ret == 0, "ascend_ops: ", api, " failed with aclnn status ", ret, " (see the CANN plog)");
    return ret;
  });
  cmd.Run();
}

}  // namespace npu
}  // namespace ascend_ops
