// DeformableAggregation / DeformableAggregationGrad host side shared by both op_host sources:
// reading the input shapes, planning (deformable_aggregation_plan.h) and filling the tiling data
// fields both ops have; the op's own fields come from a callback.
#ifndef ASCEND_KIT_DEFORMABLE_AGGREGATION_HOST_H
#define ASCEND_KIT_DEFORMABLE_AGGREGATION_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "deformable_aggregation_plan.h"

namespace optiling {
namespace da_host {

// Inputs shared by both OpDefs (the grad op appends grad_output); floats are fp32 | fp16.
inline std::vector<ascend_kit::TensorDef> Inputs() {
  using ascend_kit::TensorDef;
  return {TensorDef("mc_ms_feat", ascend_kit::kFloat), TensorDef("spatial_shape", ascend_kit::kInt32),
          TensorDef("scale_start_index", ascend_kit::kInt32), TensorDef("sampling_location", ascend_kit::kFloat),
          TensorDef("weights", ascend_kit::kFloat)};
}

// Sizes from mc_ms_feat [bs, num_feat, C], spatial_shape [cams, scales, 2], sampling_location
// [bs, A, P, cams, 2] and weights [bs, A, P, cams, scales, G]; false when one is missing or of the wrong rank.
inline bool ReadShape(gert::TilingContext* context, da_plan::Shape& s) {
  const gert::StorageShape* featS = context->GetInputShape(0);
  const gert::StorageShape* shapeS = context->GetInputShape(1);
  const gert::StorageShape* locS = context->GetInputShape(3);
  const gert::StorageShape* wS = context->GetInputShape(4);
  if (featS == nullptr || shapeS == nullptr || locS == nullptr || wS == nullptr) return false;
  const gert::Shape& feat = featS->GetStorageShape();
  const gert::Shape& loc = locS->GetStorageShape();
  const gert::Shape& w = wS->GetStorageShape();
  const gert::Shape& ss = shapeS->GetStorageShape();
  if (feat.GetDimNum() != 3 || loc.GetDimNum() != 5 || w.GetDimNum() != 6 || ss.GetDimNum() != 3) return false;
  s = da_plan::Shape{static_cast<uint64_t>(feat.GetDim(0)), static_cast<uint64_t>(feat.GetDim(1)),
                     static_cast<uint64_t>(feat.GetDim(2)), static_cast<uint64_t>(loc.GetDim(1)),
                     static_cast<uint64_t>(loc.GetDim(2)), static_cast<uint64_t>(ss.GetDim(0)),
                     static_cast<uint64_t>(ss.GetDim(1)), static_cast<uint64_t>(w.GetDim(5))};
  return true;
}

// Plans the forward (grad = false) or grad op, fills TilingData (extra(t, plan), when given, sets
// the fields only that op has) and saves it with the block dim and the system workspace.
// C++11 (CANN's opbuild compiles op_host with -std=c++11): no generic lambdas here.
template <typename TilingData>
ge::graphStatus Tiling(gert::TilingContext* context, bool grad,
                       void (*extra)(TilingData&, const da_plan::Plan&) = nullptr) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  da_plan::Shape s;
  if (!ReadShape(context, s)) return ge::GRAPH_FAILED;
  const uint64_t elem = ascend_kit::InputElemBytes(context);
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  da_plan::Plan p;
  if (!da_plan::Make(s, elem, core.ubSize, core.coreNum, grad, p).empty()) return ge::GRAPH_FAILED;
  TilingData t;
  t.set_bs(s.bs); t.set_numFeat(s.numFeat); t.set_numEmbeds(s.channels); t.set_numAnchors(s.anchors);
  t.set_numPoints(s.points); t.set_numCams(s.cams); t.set_numScales(s.scales); t.set_numGroups(s.groups);
  t.set_usedCoreNum(p.usedCoreNum); t.set_tasksPerCore(p.tasksPerCore); t.set_tasksRemainder(p.tasksRemainder);
  t.set_cTile(p.cTile); t.set_numChunks(p.numChunks); t.set_cTail(p.cTail);
  t.set_ptsPerBlock(p.ptsPerBlock); t.set_numPtBlocks(p.numPtBlocks); t.set_ptsTail(p.ptsTail);
  t.set_gAlign(p.gAlign);
  if (extra != nullptr) extra(t, p);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace da_host
}  // namespace optiling
#endif  // ASCEND_KIT_DEFORMABLE_AGGREGATION_HOST_H
