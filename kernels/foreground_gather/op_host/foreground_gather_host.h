// foreground_gather Ascend C host side shared by the three op_host sources: the plan
// (foreground_gather_plan.h) from the platform, and saving it.
#ifndef ASCEND_KIT_FOREGROUND_GATHER_HOST_H
#define ASCEND_KIT_FOREGROUND_GATHER_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "foreground_gather_plan.h"

namespace optiling {
namespace fg_host {

using ascend_kit::InputDims;
using ascend_kit::InputElemBytes;

// Required int attribute `idx`, or -1 when missing.
inline int64_t IntAttr(gert::TilingContext* context, size_t idx) {
  const gert::RuntimeAttrs* attrs = context->GetAttrs();
  const int64_t* v = attrs == nullptr ? nullptr : attrs->GetInt(idx);
  return v == nullptr ? -1 : *v;
}

}  // namespace fg_host
}  // namespace optiling
#endif  // ASCEND_KIT_FOREGROUND_GATHER_HOST_H
