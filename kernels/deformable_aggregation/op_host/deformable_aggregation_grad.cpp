// DeformableAggregationGrad host side: tiling, shape inference and the op prototype (OpDef).
// Inputs: mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights (as the forward)
// and grad_output [bs, A, C] (same float dtype). Outputs, float32 for every input dtype:
//   grad_mc_ms_feat [bs, num_feat, C]  -- accumulated with atomics: the caller passes it ZEROED;
//   grad_sampling_location [bs, A, P, cams, 2], grad_weights [bs, A, P, cams, scales, G].
#include "deformable_aggregation_grad_tiling.h"
#include "deformable_aggregation_plan.h"
#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace optiling {

static ge::graphStatus TilingDeformableAggregationGrad(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  const gert::StorageShape* featS = context->GetInputShape(0);
  const gert::StorageShape* shapeS = context->GetInputShape(1);
  const gert::StorageShape* locS = context->GetInputShape(3);
  const gert::StorageShape* wS = context->GetInputShape(4);
  if (featS == nullptr || shapeS == nullptr || locS == nullptr || wS == nullptr) return ge::GRAPH_FAILED;
  const gert::Shape& feat = featS->GetStorageShape();
  const gert::Shape& loc = locS->GetStorageShape();
  const gert::Shape& w = wS->GetStorageShape();
  const gert::Shape& ss = shapeS->GetStorageShape();
  if (feat.GetDimNum() != 3 || loc.GetDimNum() != 5 || w.GetDimNum() != 6 || ss.GetDimNum() != 3)
    return ge::GRAPH_FAILED;
  da_plan::Shape s{static_cast<uint64_t>(feat.GetDim(0)), static_cast<uint64_t>(feat.GetDim(1)),
                   static_cast<uint64_t>(feat.GetDim(2)), static_cast<uint64_t>(loc.GetDim(1)),
                   static_cast<uint64_t>(loc.GetDim(2)), static_cast<uint64_t>(ss.GetDim(0)),
                   static_cast<uint64_t>(ss.GetDim(1)), static_cast<uint64_t>(w.GetDim(5))};
  const uint64_t elem = context->GetInputDesc(0)->GetDataType() == ge::DT_FLOAT ? 4 : 2;

  auto ascendc = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
  uint64_t ubSize = 0;
  ascendc.GetCoreMemSize(platform_ascendc::CoreMemType::UB, ubSize);
  const uint32_t coreNum = ascendc.GetCoreNumAiv();
  da_plan::Plan p;
  if (!da_plan::Make(s, elem, ubSize, coreNum, true, p).empty()) return ge::GRAPH_FAILED;

  DeformableAggregationGradTilingData t;
  t.set_bs(s.bs); t.set_numFeat(s.numFeat); t.set_numEmbeds(s.channels); t.set_numAnchors(s.anchors);
  t.set_numPoints(s.points); t.set_numCams(s.cams); t.set_numScales(s.scales); t.set_numGroups(s.groups);
  t.set_usedCoreNum(p.usedCoreNum); t.set_tasksPerCore(p.tasksPerCore); t.set_tasksRemainder(p.tasksRemainder);
  t.set_cTile(p.cTile); t.set_numChunks(p.numChunks); t.set_cTail(p.cTail);
  t.set_groupsPerChunk(p.groupsPerChunk); t.set_permCols(p.permCols);
  t.set_ptsPerBlock(p.ptsPerBlock); t.set_numPtBlocks(p.numPtBlocks); t.set_ptsTail(p.ptsTail);
  t.set_gAlign(p.gAlign);
  context->SetBlockDim(p.usedCoreNum);
  context->SetTilingKey(0);
  t.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
  context->GetRawTilingData()->SetDataSize(t.GetDataSize());
  size_t* ws = context->GetWorkspaceSizes(1);
  ws[0] = ascendc.GetLibApiWorkSpaceSize();
  return ge::GRAPH_SUCCESS;
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeDeformableAggregationGrad(gert::InferShapeContext* context) {
  for (size_t k = 0; k < 3; ++k) {
    const gert::Shape* in = context->GetInputShape(k == 0 ? 0 : (k == 1 ? 3 : 4));
    gert::Shape* out = context->GetOutputShape(k);
    if (in == nullptr || out == nullptr) return GRAPH_FAILED;
    *out = *in;
  }
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeDeformableAggregationGrad(gert::InferDataTypeContext* context) {
  for (size_t k = 0; k < 3; ++k) context->SetOutputDataType(k, ge::DT_FLOAT);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class DeformableAggregationGrad : public OpDef {
 public:
  explicit DeformableAggregationGrad(const char* name) : OpDef(name) {
    const std::vector<ge::DataType> f = {ge::DT_FLOAT, ge::DT_FLOAT16};
    const std::vector<ge::DataType> f32 = {ge::DT_FLOAT, ge::DT_FLOAT};
    const std::vector<ge::DataType> i = {ge::DT_INT32, ge::DT_INT32};
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Input("mc_ms_feat").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("spatial_shape").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("scale_start_index").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("sampling_location").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("weights").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("grad_output").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_mc_ms_feat").ParamType(REQUIRED).DataType(f32).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_sampling_location").ParamType(REQUIRED).DataType(f32).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_weights").ParamType(REQUIRED).DataType(f32).Format(nd).UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeDeformableAggregationGrad)
        .SetInferDataType(ge::InferDataTypeDeformableAggregationGrad);
    this->AICore().SetTiling(optiling::TilingDeformableAggregationGrad);
    this->AICore().AddConfig("ascend910b");
    this->AICore().AddConfig("ascend950");
  }
};

OP_ADD(DeformableAggregationGrad);

}  // namespace ops
