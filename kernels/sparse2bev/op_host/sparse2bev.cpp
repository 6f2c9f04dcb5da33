// Sparse2bev host side: tiling, shape inference and the op prototype (OpDef).
//   features [M, C] fp32|fp16, coors int32 [M, 4] (b, z, y, x);
//   attrs spatial_shape (Z, Y, X), batch_size
//   -> bev [batch_size, C, Y, X] (features' dtype), mask int32 [batch_size, Y, X].
// Every output element is written (no zero-filled outputs needed); voxels with a coordinate out
// of range are skipped (the NPU binding validates coors on the host before the launch).
#include "sparse2bev_tiling.h"
#include "sparse2bev_host.h"

namespace optiling {

static ge::graphStatus TilingSparse2bev(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  s2b_plan::Shape s;
  if (!s2b_host::ReadShape(context, s)) return ge::GRAPH_FAILED;
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  s2b_plan::Plan p;
  if (!s2b_plan::MakeForward(s, ascend_kit::InputElemBytes(context), core.ubSize, core.coreNum, p).empty())
    return ge::GRAPH_FAILED;
  Sparse2bevTilingData t;
  s2b_host::SetCommon(t, s, p);
  t.set_len(p.len); t.set_numChunks(p.numChunks); t.set_lenTail(p.lenTail); t.set_lenAl(p.lenAl);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeSparse2bev(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  gert::Shape* bev = context->GetOutputShape(0);
  gert::Shape* mask = context->GetOutputShape(1);
  uint64_t a[optiling::s2b_host::kNumAttrs];
  if (feat == nullptr || bev == nullptr || mask == nullptr || feat->GetDimNum() != 2 ||
      !optiling::s2b_host::ReadAttrs(context, a))
    return GRAPH_FAILED;
  bev->SetDimNum(4);
  bev->SetDim(0, static_cast<int64_t>(a[0]));
  bev->SetDim(1, feat->GetDim(1));
  bev->SetDim(2, static_cast<int64_t>(a[2]));
  bev->SetDim(3, static_cast<int64_t>(a[3]));
  mask->SetDimNum(3);
  mask->SetDim(0, static_cast<int64_t>(a[0]));
  mask->SetDim(1, static_cast<int64_t>(a[2]));
  mask->SetDim(2, static_cast<int64_t>(a[3]));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeSparse2bev(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, context->GetInputDataType(0));
  context->SetOutputDataType(1, ge::DT_INT32);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class Sparse2bev : public OpDef {
 public:
  explicit Sparse2bev(const char* name) : OpDef(name) {
    optiling::s2b_host::AddInputsAndAttrs(*this, "features");
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Output("bev").ParamType(REQUIRED).DataType({ge::DT_FLOAT, ge::DT_FLOAT16}).Format(nd).UnknownShapeFormat(nd);
    this->Output("mask").ParamType(REQUIRED).DataType({ge::DT_INT32, ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeSparse2bev).SetInferDataType(ge::InferDataTypeSparse2bev);
    this->AICore().SetTiling(optiling::TilingSparse2bev);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(Sparse2bev);

}  // namespace ops
