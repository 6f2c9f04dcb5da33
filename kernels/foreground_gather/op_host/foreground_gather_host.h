// foreground_gather Ascend C host side shared by the three op_host sources: the plan
// (foreground_gather_plan.h) from the platform, and saving it.
#ifndef ASCEND_KIT_FOREGROUND_GATHER_HOST_H
#define ASCEND_KIT_FOREGROUND_GATHER_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "foreground_gather_plan.h"

namespace optiling {
namespace fg_host {

// Bytes per element of input `i` (1, 2, 4 or 8 by its data type).
inline uint64_t ElemBytes(gert::TilingContext* context, size_t i) {
  switch (context->GetInputDesc(i)->GetDataType()) {
    case ge::DT_INT64: case ge::DT_UINT64: case ge::DT_DOUBLE: return 8;
    case ge::DT_INT16: case ge::DT_UINT16: case ge::DT_FLOAT16: case ge::DT_BF16: return 2;
    case ge::DT_INT8: case ge::DT_UINT8: case ge::DT_BOOL: return 1;
    default: return 4;
  }
}

// Dims of input `i`, or false when it is absent or not of `rank` dims.
inline bool InputDims(gert::TilingContext* context, size_t i, size_t rank, uint64_t* dims) {
  const gert::StorageShape* s = context->GetInputShape(i);
  if (s == nullptr || s->GetStorageShape().GetDimNum() != rank) return false;
  for (size_t d = 0; d < rank; ++d) dims[d] = static_cast<uint64_t>(s->GetStorageShape().GetDim(d));
  return true;
}

// Required int attribute `idx`, or -1 when missing.
inline int64_t IntAttr(gert::TilingContext* context, size_t idx) {
  const gert::RuntimeAttrs* attrs = context->GetAttrs();
  const int64_t* v = attrs == nullptr ? nullptr : attrs->GetInt(idx);
  return v == nullptr ? -1 : *v;
}

}  // namespace fg_host
}  // namespace optiling
#endif  // ASCEND_KIT_FOREGROUND_GATHER_HOST_H
