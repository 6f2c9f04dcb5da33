// DeformableAggregation host side: tiling, shape inference and the op prototype (OpDef).
// Inputs (no attributes; every size comes from the input shapes):
//   mc_ms_feat [bs, num_feat, C] fp32|fp16, spatial_shape int32 [cams, scales, 2] (H, W),
//   scale_start_index int32 [cams, scales], sampling_location [bs, A, P, cams, 2],
//   weights [bs, A, P, cams, scales, G] (same float dtype as mc_ms_feat)  ->  out [bs, A, C].
#include "deformable_aggregation_tiling.h"
#include "deformable_aggregation_plan.h"
#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace optiling {

static ge::graphStatus TilingDeformableAggregation(gert::TilingContext* context) {
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
  if (!da_plan::Make(s, elem, ubSize, coreNum, false, p).empty()) return ge::GRAPH_FAILED;

  DeformableAggregationTilingData t;
  t.set_bs(s.bs); t.set_numFeat(s.numFeat); t.set_numEmbeds(s.channels); t.set_numAnchors(s.anchors);
  t.set_numPoints(s.points); t.set_numCams(s.cams); t.set_numScales(s.scales); t.set_numGroups(s.groups);
  t.set_usedCoreNum(p.usedCoreNum); t.set_tasksPerCore(p.tasksPerCore); t.set_tasksRemainder(p.tasksRemainder);
  t.set_cTile(p.cTile); t.set_numChunks(p.numChunks); t.set_cTail(p.cTail);
  t.set_ptsPerBlock(p.ptsPerBlock); t.set_numPtBlocks(p.numPtBlocks); t.set_ptsTail(p.ptsTail);
  t.set_gAlign(p.gAlign);
  context->SetBlockDim(p.usedCoreNum);
  context->SetTilingKey(0);
  t.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
  context->GetRawTilingData()->SetDataSize(t.GetDataSize());
  size_t* ws = context->GetWorkspaceSizes(1);
  ws[0] = ascendc.GetLibApiWorkSpaceSize();   // system workspace only
  return ge::GRAPH_SUCCESS;
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeDeformableAggregation(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  const gert::Shape* loc = context->GetInputShape(3);
  gert::Shape* out = context->GetOutputShape(0);
  if (feat == nullptr || loc == nullptr || out == nullptr) return GRAPH_FAILED;
  if (feat->GetDimNum() != 3 || loc->GetDimNum() != 5) return GRAPH_FAILED;
  out->SetDimNum(3);
  out->SetDim(0, feat->GetDim(0));
  out->SetDim(1, loc->GetDim(1));
  out->SetDim(2, feat->GetDim(2));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeDeformableAggregation(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, context->GetInputDataType(0));
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class DeformableAggregation : public OpDef {
 public:
  explicit DeformableAggregation(const char* name) : OpDef(name) {
    const std::vector<ge::DataType> f = {ge::DT_FLOAT, ge::DT_FLOAT16};
    const std::vector<ge::DataType> i = {ge::DT_INT32, ge::DT_INT32};
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Input("mc_ms_feat").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("spatial_shape").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("scale_start_index").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("sampling_location").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("weights").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Output("out").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeDeformableAggregation).SetInferDataType(ge::InferDataTypeDeformableAggregation);
    this->AICore().SetTiling(optiling::TilingDeformableAggregation);
    this->AICore().AddConfig("ascend910b");
    this->AICore().AddConfig("ascend950");
  }
};

OP_ADD(DeformableAggregation);

}  // namespace ops
