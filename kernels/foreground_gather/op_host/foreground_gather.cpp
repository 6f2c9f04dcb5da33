// ForegroundGather host side (the ordered compaction): tiling, shape inference and the OpDef.
//   features [M, C] as 2, 4 or 8 byte words (int16|int32|int64: the binding views any float dtype
//   as the integer of its width, so the kernel moves bytes and float64 stays float64),
//   coors int32|int64 [M, 4], positions int32 [M] (inclusive cumsum of keep from
//   ForegroundGatherMark's status), attr num_kept = K = positions[M - 1]
//   ->  out_features [K, C], out_coors [K, 4], index int64 [K] (the kept input rows, in order).
#include "foreground_gather_tiling.h"
#include "foreground_gather_host.h"

namespace optiling {

static ge::graphStatus TilingForegroundGather(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t feat[2], coors[2], pos[1];
  if (!fg_host::InputDims(context, 0, 2, feat) || !fg_host::InputDims(context, 1, 2, coors) ||
      !fg_host::InputDims(context, 2, 1, pos) || coors[1] != 4 || coors[0] != feat[0] || pos[0] != feat[0])
    return ge::GRAPH_FAILED;
  const int64_t kept = fg_host::IntAttr(context, 0);
  if (kept < 0 || static_cast<uint64_t>(kept) > feat[0] || feat[0] > 0x7FFFFFFFull) return ge::GRAPH_FAILED;
  const uint64_t word = fg_host::InputElemBytes(context, 0), coorBytes = fg_host::InputElemBytes(context, 1);
  if (feat[1] * word > fg_plan::kMaxBlockLen) return ge::GRAPH_FAILED;   // one feature row per DataCopyPad block
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  fg_plan::Plan p;
  if (!fg_plan::Make(feat[0], core.coreNum, core.ubSize, fg_plan::GatherBytesPerRow(feat[1], word, coorBytes), 4, p)
           .empty())
    return ge::GRAPH_FAILED;
  ForegroundGatherTilingData t;
  t.set_numRows(static_cast<uint32_t>(feat[0]));
  t.set_numKept(static_cast<uint32_t>(kept));
  t.set_channels(static_cast<uint32_t>(feat[1]));
  t.set_usedCoreNum(p.usedCoreNum); t.set_rowsPerCore(p.rowsPerCore); t.set_rowsRemainder(p.rowsRemainder);
  t.set_tileRows(p.tileRows);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeForegroundGather(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  const gert::RuntimeAttrs* attrs = context->GetAttrs();
  const int64_t* kept = attrs == nullptr ? nullptr : attrs->GetInt(0);
  gert::Shape* outFeat = context->GetOutputShape(0);
  gert::Shape* outCoors = context->GetOutputShape(1);
  gert::Shape* index = context->GetOutputShape(2);
  if (feat == nullptr || kept == nullptr || outFeat == nullptr || outCoors == nullptr || index == nullptr ||
      feat->GetDimNum() != 2)
    return GRAPH_FAILED;
  outFeat->SetDimNum(2); outFeat->SetDim(0, *kept); outFeat->SetDim(1, feat->GetDim(1));
  outCoors->SetDimNum(2); outCoors->SetDim(0, *kept); outCoors->SetDim(1, 4);
  index->SetDimNum(1); index->SetDim(0, *kept);
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeForegroundGather(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, context->GetInputDataType(0));
  context->SetOutputDataType(1, context->GetInputDataType(1));
  context->SetOutputDataType(2, ge::DT_INT64);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class ForegroundGather : public OpDef {
 public:
  explicit ForegroundGather(const char* name) : OpDef(name) {
    // combinations: feature word {int16, int32, int64} x coors {int32, int64}
    const std::vector<ge::DataType> words = {ge::DT_INT16, ge::DT_INT32, ge::DT_INT64,
                                             ge::DT_INT16, ge::DT_INT32, ge::DT_INT64};
    const std::vector<ge::DataType> coors = {ge::DT_INT32, ge::DT_INT32, ge::DT_INT32,
                                             ge::DT_INT64, ge::DT_INT64, ge::DT_INT64};
    const std::vector<ge::DataType> i32(6, ge::DT_INT32), i64(6, ge::DT_INT64);
    const std::vector<ge::Format> nd(6, ge::FORMAT_ND);
    this->Input("features").ParamType(REQUIRED).DataType(words).Format(nd).UnknownShapeFormat(nd);
    this->Input("coors").ParamType(REQUIRED).DataType(coors).Format(nd).UnknownShapeFormat(nd);
    this->Input("positions").ParamType(REQUIRED).DataType(i32).Format(nd).UnknownShapeFormat(nd);
    this->Output("out_features").ParamType(REQUIRED).DataType(words).Format(nd).UnknownShapeFormat(nd);
    this->Output("out_coors").ParamType(REQUIRED).DataType(coors).Format(nd).UnknownShapeFormat(nd);
    this->Output("index").ParamType(REQUIRED).DataType(i64).Format(nd).UnknownShapeFormat(nd);
    this->Attr("num_kept").AttrType(REQUIRED).Int();
    this->SetInferShape(ge::InferShapeForegroundGather).SetInferDataType(ge::InferDataTypeForegroundGather);
    this->AICore().SetTiling(optiling::TilingForegroundGather);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(ForegroundGather);

}  // namespace ops
