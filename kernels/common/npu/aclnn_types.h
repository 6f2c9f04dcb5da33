// Minimal aclnn declarations the kit's NPU bindings need. CANN's aclnn headers
// (aclnn/acl_meta.h) are not in the torch_npu wheel, so these opaque types and the two-phase
// call signatures are declared here, matching the official CANN aclnn API:
//   aclTensor* aclCreateTensor(const int64_t* viewDims, uint64_t viewDimsNum, aclDataType dataType,
//                              const int64_t* stride, int64_t offset, aclFormat format,
//                              const int64_t* storageDims, uint64_t storageDimsNum, void* tensorData);
//   aclnnStatus aclDestroyTensor(const aclTensor* tensor);
//   aclScalar* aclCreateScalar(void* value, aclDataType dataType);
//   aclIntArray* aclCreateIntArray(const int64_t* value, uint64_t size);
//   aclFloatArray* aclCreateFloatArray(const float* value, uint64_t size);
//   aclBoolArray* aclCreateBoolArray(const bool* value, uint64_t size);
//   aclnnStatus aclDestroyScalar(const aclScalar*);  aclDestroyIntArray(const aclIntArray*);
//   aclnnStatus aclDestroyFloatArray(const aclFloatArray*);  aclDestroyBoolArray(const aclBoolArray*);
//   (CANN's aclnn/acl_meta.h; the create functions copy the host values they are given)
//   aclnnStatus aclnnXxxGetWorkspaceSize(<inputs>, <outputs>, uint64_t* workspaceSize, aclOpExecutor** executor);
//   aclnnStatus aclnnXxx(void* workspace, uint64_t workspaceSize, aclOpExecutor* executor, aclrtStream stream);
// Functions are resolved at run time with dlsym (see aclnn_call.h), never linked.
#pragma once
#include <acl/acl_base.h>  // aclDataType, aclFormat, aclrtStream (shipped in the torch_npu wheel)

#include <cstdint>

typedef struct aclTensor aclTensor;
typedef struct aclOpExecutor aclOpExecutor;
typedef struct aclScalar aclScalar;
typedef struct aclIntArray aclIntArray;
typedef struct aclFloatArray aclFloatArray;
typedef struct aclBoolArray aclBoolArray;
typedef int32_t aclnnStatus;

namespace ascend_ops {
namespace npu {

using AclCreateTensorFn = aclTensor* (*)(const int64_t*, uint64_t, aclDataType, const int64_t*, int64_t, aclFormat,
                                         const int64_t*, uint64_t, void*);
using AclDestroyTensorFn = aclnnStatus (*)(const aclTensor*);
using AclCreateScalarFn = aclScalar* (*)(void*, aclDataType);
using AclCreateIntArrayFn = aclIntArray* (*)(const int64_t*, uint64_t);
using AclCreateFloatArrayFn = aclFloatArray* (*)(const float*, uint64_t);
using AclCreateBoolArrayFn = aclBoolArray* (*)(const bool*, uint64_t);
using AclDestroyScalarFn = aclnnStatus (*)(const aclScalar*);
using AclDestroyIntArrayFn = aclnnStatus (*)(const aclIntArray*);
using AclDestroyFloatArrayFn = aclnnStatus (*)(const aclFloatArray*);
using AclDestroyBoolArrayFn = aclnnStatus (*)(const aclBoolArray*);
using AclnnRunFn = aclnnStatus (*)(void*, uint64_t, aclOpExecutor*, aclrtStream);

}  // namespace npu
}  // namespace ascend_ops
