// ForegroundGatherGrad host side (backward row scatter): tiling, shape inference and the OpDef.
//   grad_features [K, C] as 2, 4 or 8 byte words (int16|int32|int64 views of the float dtype),
//   index int64 [K] (strictly increasing, in [0, M); checked by the binding, skipped by the
//   kernel when outside), attr num_rows = M  ->  grad_in [M, C]: row index[k] = grad_features[k].
// Rows not in index are not written: the caller passes grad_in ZEROED.
#include "foreground_gather_grad_tiling.h"
#include "foreground_gather_host.h"

namespace optiling {

static ge::graphStatus TilingForegroundGatherGrad(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t grad[2], index[1];
  if (!fg_host::InputDims(context, 0, 2, grad) || !fg_host::InputDims(context, 1, 1, index) || index[0] != grad[0])
    return ge::GRAPH_FAILED;
  const int64_t rows = fg_host::IntAttr(context, 0);
  if (rows < 0 || rows > 0x7FFFFFFF || grad[0] > static_cast<uint64_t>(rows)) return ge::GRAPH_FAILED;
  const uint64_t word = fg_host::InputElemBytes(context, 0);
  if (grad[1] * word > fg_plan::kMaxBlockLen) return ge::GRAPH_FAILED;
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  fg_plan::Plan p;
  if (!fg_plan::Make(grad[0], core.coreNum, core.ubSize, fg_plan::GradBytesPerRow(grad[1], word), 8, p).empty())
    return ge::GRAPH_FAILED;
  ForegroundGatherGradTilingData t;
  t.set_numRows(static_cast<uint32_t>(rows));
  t.set_numKept(static_cast<uint32_t>(grad[0]));
  t.set_channels(static_cast<uint32_t>(grad[1]));
  t.set_usedCoreNum(p.usedCoreNum); t.set_rowsPerCore(p.rowsPerCore); t.set_rowsRemainder(p.rowsRemainder);
  t.set_tileRows(p.tileRows);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeForegroundGatherGrad(gert::InferShapeContext* context) {
  const gert::Shape* grad = context->GetInputShape(0);
  const gert::RuntimeAttrs* attrs = context->GetAttrs();
  const int64_t* rows = attrs == nullptr ? nullptr : attrs->GetInt(0);
  gert::Shape* out = context->GetOutputShape(0);
  if (grad == nullptr || rows == nullptr || out == nullptr || grad->GetDimNum() != 2) return GRAPH_FAILED;
  out->SetDimNum(2); out->SetDim(0, *rows); out->SetDim(1, grad->GetDim(1));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeForegroundGatherGrad(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, context->GetInputDataType(0));
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class ForegroundGatherGrad : public OpDef {
 public:
  explicit ForegroundGatherGrad(const char* name) : OpDef(name) {
    const std::vector<ge::DataType> words = {ge::DT_INT16, ge::DT_INT32, ge::DT_INT64};
    const std::vector<ge::DataType> i64(3, ge::DT_INT64);
    const std::vector<ge::Format> nd(3, ge::FORMAT_ND);
    this->Input("grad_features").ParamType(REQUIRED).DataType(words).Format(nd).UnknownShapeFormat(nd);
    this->Input("index").ParamType(REQUIRED).DataType(i64).Format(nd).UnknownShapeFormat(nd);
    this->Output("grad_in").ParamType(REQUIRED).DataType(words).Format(nd).UnknownShapeFormat(nd);
    this->Attr("num_rows").AttrType(REQUIRED).Int();
    this->SetInferShape(ge::InferShapeForegroundGatherGrad).SetInferDataType(ge::InferDataTypeForegroundGatherGrad);
    this->AICore().SetTiling(optiling::TilingForegroundGatherGrad);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(ForegroundGatherGrad);

}  // namespace ops
