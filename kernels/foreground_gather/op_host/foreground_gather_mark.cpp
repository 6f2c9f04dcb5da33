// ForegroundGatherMark host side: tiling, shape inference and the op prototype (OpDef).
//   coors int32|int64 [M, 4] (b, z, y, x), valid_mask int32 [B, Y, X]  ->  status int32 [M]:
//   0 drop, 1 keep (valid_mask[b, y, x] > 0), 2 invalid (a coordinate negative or outside the mask).
// The binding turns status into inclusive positions (cumsum of keep) for ForegroundGather.
#include "foreground_gather_mark_tiling.h"
#include "foreground_gather_host.h"

namespace optiling {

static ge::graphStatus TilingForegroundGatherMark(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t coors[2], mask[3];
  if (!fg_host::InputDims(context, 0, 2, coors) || !fg_host::InputDims(context, 1, 3, mask) || coors[1] != 4)
    return ge::GRAPH_FAILED;
  if (coors[0] > 0xFFFFFFFFull || mask[0] * mask[1] * mask[2] > 0xFFFFFFFFull) return ge::GRAPH_FAILED;
  const uint64_t coorBytes = fg_host::InputElemBytes(context, 0);
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  fg_plan::Plan p;
  if (!fg_plan::Make(coors[0], core.coreNum, core.ubSize, fg_plan::MarkBytesPerRow(coorBytes), 4 * coorBytes, p).empty())
    return ge::GRAPH_FAILED;
  ForegroundGatherMarkTilingData t;
  t.set_numRows(static_cast<uint32_t>(coors[0]));
  t.set_batch(static_cast<uint32_t>(mask[0]));
  t.set_height(static_cast<uint32_t>(mask[1]));
  t.set_width(static_cast<uint32_t>(mask[2]));
  t.set_usedCoreNum(p.usedCoreNum); t.set_rowsPerCore(p.rowsPerCore); t.set_rowsRemainder(p.rowsRemainder);
  t.set_tileRows(p.tileRows);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeForegroundGatherMark(gert::InferShapeContext* context) {
  const gert::Shape* coors = context->GetInputShape(0);
  gert::Shape* status = context->GetOutputShape(0);
  if (coors == nullptr || status == nullptr || coors->GetDimNum() != 2) return GRAPH_FAILED;
  status->SetDimNum(1);
  status->SetDim(0, coors->GetDim(0));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeForegroundGatherMark(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, ge::DT_INT32);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class ForegroundGatherMark : public OpDef {
 public:
  explicit ForegroundGatherMark(const char* name) : OpDef(name) {
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Input("coors").ParamType(REQUIRED).DataType({ge::DT_INT32, ge::DT_INT64}).Format(nd).UnknownShapeFormat(nd);
    this->Input("valid_mask").ParamType(REQUIRED).DataType({ge::DT_INT32, ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    this->Output("status").ParamType(REQUIRED).DataType({ge::DT_INT32, ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeForegroundGatherMark).SetInferDataType(ge::InferDataTypeForegroundGatherMark);
    this->AICore().SetTiling(optiling::TilingForegroundGatherMark);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(ForegroundGatherMark);

}  // namespace ops
