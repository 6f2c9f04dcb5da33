// SparseGather / SparseScatterAdd host side shared by both op_host sources.
#ifndef ASCEND_KIT_SPARSE_GS_HOST_H
#define ASCEND_KIT_SPARSE_GS_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "sparse_gs_plan.h"

namespace optiling {
namespace sgs_host {

// Bytes per element of input `i` by its data type (words: int16 / int32 / int64; floats).
inline uint64_t ElemBytes(gert::TilingContext* context, size_t i) {
  switch (context->GetInputDesc(i)->GetDataType()) {
    case ge::DT_INT64: case ge::DT_UINT64: case ge::DT_DOUBLE: return 8;
    case ge::DT_INT16: case ge::DT_UINT16: case ge::DT_FLOAT16: case ge::DT_BF16: return 2;
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

}  // namespace sgs_host
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_GS_HOST_H
