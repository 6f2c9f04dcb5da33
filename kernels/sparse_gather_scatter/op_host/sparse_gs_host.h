// SparseGather / SparseScatterAdd host side shared by both op_host sources.
#ifndef ASCEND_KIT_SPARSE_GS_HOST_H
#define ASCEND_KIT_SPARSE_GS_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "sparse_gs_plan.h"

namespace optiling {
namespace sgs_host {

using ascend_kit::InputDims;
using ascend_kit::InputElemBytes;

}  // namespace sgs_host
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_GS_HOST_H
