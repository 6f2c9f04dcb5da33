// Calling an aclnn operator (a CANN built-in or a custom Ascend C op) from a torch binding, the
// way DrivingSDK's EXEC_NPU_CMD does, in a small readable form (header-only):
//   1. resolve aclnn<Op>GetWorkspaceSize and aclnn<Op> with dlsym, from libcust_opapi.so (custom
//      OPP packages) and then libopapi.so (CANN built-ins);
//   2. convert each argument to the aclnn C type of the generated aclnn<Op>GetWorkspaceSize
//      (see detail::convert below): at::Tensor -> aclTensor* (same sizes, strides, offset,
//      storage), optional tensors -> aclTensor* or nullptr, and the OpDef attribute kinds
//      Int -> int64_t, Float -> double, Bool -> bool, String -> char*, ListInt -> aclIntArray*,
//      ListFloat -> aclFloatArray*, ListBool -> aclBoolArray*, at::Scalar -> aclScalar*;
//   3. phase 1 on the calling thread: workspace size and executor;
//   4. allocate the workspace as an NPU byte tensor (torch's caching allocator);
//   5. phase 2 queued on torch_npu's current stream through OpCommand; the aclTensors, the
//      tensors and the workspace stay alive until it has run.
// Usage (with a device guard for the tensors' NPU set by the caller):
//   ascend_ops::npu::call_aclnn("aclnnDeformableAggregation", in0, in1, ..., out0, ...);
// Arguments in the order of the generated aclnn API: the OpDef's inputs (absent optional input:
// c10::nullopt or an empty c10::optional<at::Tensor>), then its attributes, then its outputs
// (as DrivingSDK calls them, e.g. mx_driving/csrc/Nms3d.cpp: EXEC_NPU_CMD(aclnnNms3d, boxes,
// threshold, mask)):
//   call_aclnn("aclnnSparse2Bev", features, coors, at::IntArrayRef(spatial_shape), batch_size, bev, mask);
// Any integer type is passed as int64_t and float as double (the aclnn types of Int / Float attrs).
#pragma once
#include <ATen/ATen.h>
#include <dlfcn.h>

#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <c10/util/Optional.h>

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

// The aclnn objects (aclTensor, aclIntArray, ...) made for one call; destroys them (and drops the
// tensor references) when the last shared_ptr to it goes, i.e. after the queued launch has run.
class AclArgs {
 public:
  AclArgs() = default;
  AclArgs(const AclArgs&) = delete;
  AclArgs& operator=(const AclArgs&) = delete;
  ~AclArgs() {
    for (auto it = handles_.rbegin(); it != handles_.rend(); ++it) it->destroy(it->handle);
  }

  aclTensor* add(const at::Tensor& t) {
    static const auto create = reinterpret_cast<AclCreateTensorFn>(require_api("aclCreateTensor"));
    TORCH_CHECK(t.defined(), "ascend_ops: undefined tensor passed to an aclnn call (pass c10::nullopt for an "
                "absent optional input)");
    const std::vector<int64_t> storage_dims = {static_cast<int64_t>(t.storage().nbytes() / t.itemsize())};
    aclTensor* h = create(t.sizes().data(), t.dim(), acl_dtype(t.scalar_type()), t.strides().data(),
                          t.storage_offset(), ACL_FORMAT_ND, storage_dims.data(), storage_dims.size(),
                          const_cast<void*>(t.storage().data()));
    TORCH_CHECK(h != nullptr, "ascend_ops: aclCreateTensor failed for a tensor of shape ", t.sizes());
    own(h, "aclDestroyTensor");
    kept_.push_back(t);
    return h;
  }

  aclIntArray* add(at::IntArrayRef values) {
    static const auto create = reinterpret_cast<AclCreateIntArrayFn>(require_api("aclCreateIntArray"));
    aclIntArray* h = create(values.data(), values.size());
    TORCH_CHECK(h != nullptr, "ascend_ops: aclCreateIntArray failed for ", values);
    return own(h, "aclDestroyIntArray");
  }

  // ListFloat attributes hold float (the OpDef's type): each value must be representable.
  aclFloatArray* add(at::ArrayRef<double> values) {
    static const auto create = reinterpret_cast<AclCreateFloatArrayFn>(require_api("aclCreateFloatArray"));
    std::vector<float> f(values.begin(), values.end());
    for (size_t k = 0; k < f.size(); ++k)
      TORCH_CHECK(!std::isfinite(values[k]) || std::isfinite(f[k]), "ascend_ops: float list attribute value ",
                  values[k], " overflows float32");
    aclFloatArray* h = create(f.data(), f.size());
    TORCH_CHECK(h != nullptr, "ascend_ops: aclCreateFloatArray failed");
    return own(h, "aclDestroyFloatArray");
  }

  aclBoolArray* add(at::ArrayRef<bool> values) {
    static const auto create = reinterpret_cast<AclCreateBoolArrayFn>(require_api("aclCreateBoolArray"));
    aclBoolArray* h = create(values.data(), values.size());
    TORCH_CHECK(h != nullptr, "ascend_ops: aclCreateBoolArray failed");
    return own(h, "aclDestroyBoolArray");
  }

  aclScalar* add(const at::Scalar& value) {
    static const auto create = reinterpret_cast<AclCreateScalarFn>(require_api("aclCreateScalar"));
    aclScalar* h = nullptr;
    if (value.isBoolean()) {
      bool v = value.toBool();
      h = create(&v, ACL_BOOL);
    } else if (value.isIntegral(false)) {
      int64_t v = value.toLong();
      h = create(&v, ACL_INT64);
    } else {
      TORCH_CHECK(value.isFloatingPoint(), "ascend_ops: aclScalar from a complex value is not supported");
      double v = value.toDouble();
      h = create(&v, ACL_DOUBLE);
    }
    TORCH_CHECK(h != nullptr, "ascend_ops: aclCreateScalar failed");
    return own(h, "aclDestroyScalar");
  }

  // A String attribute: a NUL-terminated copy that lives as long as the call.
  char* add(const std::string& s) {
    strings_.push_back(std::make_shared<std::string>(s));
    return &(*strings_.back())[0];
  }

  void keep(const at::Tensor& t) { kept_.push_back(t); }

 private:
  struct Handle {
    void* handle;
    void (*destroy)(void*);
  };

  // Records `h` to be destroyed with the aclnn function `destroy_api` (resolved once per type).
  template <typename H>
  H* own(H* h, const char* destroy_api) {
    static const auto destroy = reinterpret_cast<aclnnStatus (*)(const H*)>(find_api(destroy_api));
    static void (*const thunk)(void*) = [](void* p) {
      if (destroy != nullptr) destroy(static_cast<const H*>(p));
    };
    handles_.push_back(Handle{h, thunk});
    return h;
  }

  std::vector<Handle> handles_;
  std::vector<at::Tensor> kept_;
  std::vector<std::shared_ptr<std::string>> strings_;
};

using AclTensors = AclArgs;  // earlier name

namespace detail {
// One call_aclnn argument -> the C type aclnn<Op>GetWorkspaceSize takes for it. The return types
// build the function pointer type, so they must be exactly the generated API's parameter types.
inline aclTensor* convert(AclArgs& owner, const at::Tensor& t) { return owner.add(t); }
inline aclTensor* convert(AclArgs& owner, const c10::optional<at::Tensor>& t) {
  return t.has_value() && t->defined() ? owner.add(*t) : nullptr;
}
inline aclTensor* convert(AclArgs&, c10::nullopt_t) { return nullptr; }
inline aclIntArray* convert(AclArgs& owner, at::IntArrayRef v) { return owner.add(v); }
inline aclIntArray* convert(AclArgs& owner, const std::vector<int64_t>& v) { return owner.add(at::IntArrayRef(v)); }
inline aclFloatArray* convert(AclArgs& owner, at::ArrayRef<double> v) { return owner.add(v); }
inline aclFloatArray* convert(AclArgs& owner, const std::vector<double>& v) { return owner.add(at::ArrayRef<double>(v)); }
inline aclBoolArray* convert(AclArgs& owner, at::ArrayRef<bool> v) { return owner.add(v); }
inline aclScalar* convert(AclArgs& owner, const at::Scalar& v) { return owner.add(v); }
inline char* convert(AclArgs& owner, const std::string& s) { return owner.add(s); }
inline char* convert(AclArgs& owner, const char* s) { return owner.add(std::string(s)); }
inline bool convert(AclArgs&, bool v) { return v; }
// Int attributes: int64_t whatever the integer type given; Float attributes: double.
template <typename T, typename std::enable_if<std::is_integral<T>::value && !std::is_same<T, bool>::value, int>::type = 0>
int64_t convert(AclArgs&, T v) { return static_cast<int64_t>(v); }
template <typename T, typename std::enable_if<std::is_floating_point<T>::value, int>::type = 0>
double convert(AclArgs&, T v) { return static_cast<double>(v); }
}  // namespace detail

template <typename... Args>
void call_aclnn(const std::string& api, const Args&... args) {
  auto owner = std::make_shared<AclArgs>();
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
