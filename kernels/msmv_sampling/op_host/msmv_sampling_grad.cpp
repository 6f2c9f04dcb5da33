// MsmvSamplingGrad host side: tiling, shape inference and the op prototype (OpDef).
// Inputs: feat, spatial_shapes, level_start_index, sampling_locations, scale_weights (as the
// forward) and grad_output [B, Q, C, P] (same float dtype). Outputs, float32 for every input dtype:
//   grad_feat [B, N, num_feat, C]  -- accumulated with atomics: the caller passes it ZEROED;
//   grad_sampling_locations [B, Q, P, 3] (view component written as 0), grad_scale_weights [B, Q, P, L].
#include "msmv_sampling_grad_tiling.h"
#include "msmv_sampling_plan.h"
#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace optiling {

static ge::graphStatus TilingMsmvSamplingGrad(gert::TilingContext* context) {
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
  if (!msmv_plan::Make(s, elem, ubSize, coreNum, true, p).empty()) return ge::GRAPH_FAILED;
  MsmvSamplingGradTilingData t;
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

static ge::graphStatus InferShapeMsmvSamplingGrad(gert::InferShapeContext* context) {
  const size_t src[3] = {0, 3, 4};
  for (size_t k = 0; k < 3; ++k) {
    const gert::Shape* in = context->GetInputShape(src[k]);
    gert::Shape* out = context->GetOutputShape(k);
    if (in == nullptr || out == nullptr) return GRAPH_FAILED;
    *out = *in;
  }
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeMsmvSamplingGrad(gert::InferDataTypeContext* context) {
  for (size_t k = 0; k < 3; ++k) context->SetOutputDataType(k, ge::DT_FLOAT);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class MsmvSamplingGrad : public OpDef {
 public:
  explicit MsmvSamplingGrad(const char* name) : OpDef(name) {
    const std::vector<ge::DataType> f = {ge::DT_FLOAT, ge::DT_FLOAT16};
    const std::vector<ge::DataType> f32 = {ge::DT_FLOAT, ge::DT_FLOAT};
    const std::vector<ge::DataType> i = {ge::DT_INT32, ge::DT_INT32};
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Input("feat").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("spatial_shapes").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("level_start_index").ParamType(REQUIRED).DataType(i).Format(nd).UnknownShapeFormat(nd);
    this->Input("sampling_locations").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("scale_weights").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Input("grad_output").ParamType(REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_feat").ParamType(REQUIRED).DataType(f32).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_sampling_locations").ParamType(REQUIRED).DataType(f32).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_scale_weights").ParamType(REQUIRED).DataType(f32).Format(nd).UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeMsmvSamplingGrad).SetInferDataType(ge::InferDataTypeMsmvSamplingGrad);
    this->AICore().SetTiling(optiling::TilingMsmvSamplingGrad);
    this->AICore().AddConfig("ascend910b");
    this->AICore().AddConfig("ascend950");
  }
};

OP_ADD(MsmvSamplingGrad);

}  // namespace ops
