// MsmvSampling host side: tiling, shape inference and the op prototype (OpDef).
// Inputs (no attributes; sizes come from the shapes): feat [B, N, num_feat = sum_l H_l*W_l, C]
// fp32|fp16 (channels-last, levels flattened), spatial_shapes int32 [L, 2] (H, W),
// level_start_index int32 [L], sampling_locations [B, Q, P, 3] (x, y, view/(N-1)),
// scale_weights [B, Q, P, L]  ->  out [B, Q, C, P].
#include "msmv_sampling_tiling.h"
#include "msmv_sampling_plan.h"
#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace optiling {

static ge::graphStatus TilingMsmvSampling(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  const gert::StorageShape* featS = context->GetInputShape(0);
  const gert::StorageShape* shapeS = context->GetInputShape(1);
  const gert::StorageShape* locS = context->GetInputShape(3);
  if (featS == nullptr || shapeS == nullptr || locS == nullptr) return ge::GRAPH_FAILED;
  const gert::Shape& feat = featS->GetStorageShape();
  const gert::Shape& loc = locS->GetStorageShape();
  const gert::Shape& ss = shapeS->GetStorageShape();
  if (feat.GetDimNum() != 4 || loc.GetDimNum() != 4 || ss.GetDimNum() != 2) return ge::GRAPH_FAILED;
  msmv_plan::Shape s{static_cast<uint64_t>(feat.GetDim(0)), static_cast<uint64_t>(feat.GetDim(1)),
                     static_cast<uint64_t>(feat.GetDim(2)), static_cast<uint64_t>(feat.GetDim(3)),
                     static_cast<uint64_t>(loc.GetDim(1)), static_cast<uint64_t>(loc.GetDim(2)),
                     static_cast<uint64_t>(ss.GetDim(0))};
  const uint64_t elem = context->GetInputDesc(0)->GetDataType() == ge::DT_FLOAT ? 4 : 2;
  auto ascendc = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
  uint64_t ubSize = 0;
  ascendc.GetCoreMemSize(platform_ascendc::CoreMemType::UB, ubSize);
  const uint32_t coreNum = ascendc.GetCoreNumAiv();
  msmv_plan::Plan p;
  if (!msmv_plan::Make(s, elem, ubSize, coreNum, false, p).empty()) return ge::GRAPH_FAILED;
  MsmvSamplingTilingData t;
  t.set_batch(s.batch); t.set_numViews(s.views); t.set_numFeat(s.numFeat); t.set_numChannels(s.channels);
  t.set_numQueries(s.queries); t.set_numPoints(s.points); t.set_numLevels(s.levels);
  t.set_usedCoreNum(p.usedCoreNum); t.set_tasksPerCore(p.tasksPerCore); t.set_tasksRemainder(p.tasksRemainder);
  t.set_cTile(p.cTile); t.set_numChunks(p.numChunks); t.set_cTail(p.cTail);
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

static ge::graphStatus InferShapeMsmvSampling(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  const gert::Shape* loc = context->GetInputShape(3);
  gert::Shape* out = context->GetOutputShape(0);
  if (feat == nullptr || loc == nullptr || out == nullptr) return GRAPH_FAILED;
  if (feat->GetDimNum() != 4 || loc->GetDimNum() != 4) return GRAPH_FAILED;
  out->SetDimNum(4);
  out->SetDim(0, feat->GetDim(0));
  out->SetDim(1, loc->GetDim(1));
  out->SetDim(2, feat->GetDim(3));
  out->SetDim(3, loc->GetDim(2));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeMsmvSampling(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, context->GetInputDataType(0));
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class MsmvSampling : public OpDef {
 public:
  explicit MsmvSampling(const char* name) : OpDef(name) {
    const std::vector<ge::DataType> f = {ge::DT_FLOAT, ge::DT_FLOAT16};
    const std::vector<ge::DataType> i = {ge::DT_INT32, ge::DT_INT32};
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Input("feat").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("spatial_shapes").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("level_start_index").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("sampling_locations").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("scale_weights").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Output("out").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeMsmvSampling).SetInferDataType(ge::InferDataTypeMsmvSampling);
    this->AICore().SetTiling(optiling::TilingMsmvSampling);
    this->AICore().AddConfig("ascend910b");
    this->AICore().AddConfig("ascend950");
  }
};

OP_ADD(MsmvSampling);

}  // namespace ops
