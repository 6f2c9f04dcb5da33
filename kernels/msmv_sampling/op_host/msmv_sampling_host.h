// MsmvSampling / MsmvSamplingGrad host side shared by both op_host sources: reading the input
// shapes, planning (msmv_sampling_plan.h) and filling the tiling data fields (both ops have the
// same ones). C++11 (CANN's opbuild compiles op_host with -std=c++11).
#ifndef ASCEND_KIT_MSMV_SAMPLING_HOST_H
#define ASCEND_KIT_MSMV_SAMPLING_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "msmv_sampling_plan.h"

namespace optiling {
namespace msmv_host {

// Inputs shared by both OpDefs (the grad op appends grad_output); floats are fp32 | fp16.
inline std::vector<ascend_kit::TensorDef> Inputs() {
  using ascend_kit::TensorDef;
  return {TensorDef("feat", ascend_kit::kFloat), TensorDef("spatial_shapes", ascend_kit::kInt32),
          TensorDef("level_start_index", ascend_kit::kInt32), TensorDef("sampling_locations", ascend_kit::kFloat),
          TensorDef("scale_weights", ascend_kit::kFloat)};
}

// Sizes from feat [B, N, num_feat, C], spatial_shapes [L, 2] and sampling_locations [B, Q, P, 3];
// false when one is missing or of the wrong rank.
inline bool ReadShape(gert::TilingContext* context, msmv_plan::Shape& s) {
  const gert::StorageShape* featS = context->GetInputShape(0);
  const gert::StorageShape* shapeS = context->GetInputShape(1);
  const gert::StorageShape* locS = context->GetInputShape(3);
  if (featS == nullptr || shapeS == nullptr || locS == nullptr) return false;
  const gert::Shape& feat = featS->GetStorageShape();
  const gert::Shape& loc = locS->GetStorageShape();
  const gert::Shape& ss = shapeS->GetStorageShape();
  if (feat.GetDimNum() != 4 || loc.GetDimNum() != 4 || ss.GetDimNum() != 2) return false;
  s = msmv_plan::Shape{static_cast<uint64_t>(feat.GetDim(0)), static_cast<uint64_t>(feat.GetDim(1)),
                       static_cast<uint64_t>(feat.GetDim(2)), static_cast<uint64_t>(feat.GetDim(3)),
                       static_cast<uint64_t>(loc.GetDim(1)), static_cast<uint64_t>(loc.GetDim(2)),
                       static_cast<uint64_t>(ss.GetDim(0))};
  return true;
}

// Plans the forward (grad = false) or grad op, fills TilingData and saves it with the block dim
// and the system workspace.
template <typename TilingData>
ge::graphStatus Tiling(gert::TilingContext* context, bool grad) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  msmv_plan::Shape s;
  if (!ReadShape(context, s)) return ge::GRAPH_FAILED;
  const uint64_t elem = ascend_kit::InputElemBytes(context);
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  msmv_plan::Plan p;
  if (!msmv_plan::Make(s, elem, core.ubSize, core.coreNum, grad, p).empty()) return ge::GRAPH_FAILED;
  TilingData t;
  t.set_batch(s.batch); t.set_numViews(s.views); t.set_numFeat(s.numFeat); t.set_numChannels(s.channels);
  t.set_numQueries(s.queries); t.set_numPoints(s.points); t.set_numLevels(s.levels);
  t.set_usedCoreNum(p.usedCoreNum); t.set_tasksPerCore(p.tasksPerCore); t.set_tasksRemainder(p.tasksRemainder);
  t.set_cTile(p.cTile); t.set_numChunks(p.numChunks); t.set_cTail(p.cTail);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace msmv_host
}  // namespace optiling
#endif  // ASCEND_KIT_MSMV_SAMPLING_HOST_H
