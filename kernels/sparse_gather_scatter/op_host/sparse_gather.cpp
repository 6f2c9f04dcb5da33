// SparseGather host side: tiling, shape inference and the OpDef.
//   features [N, C] as 2, 4 or 8 byte words (int16 | int32 | int64 views of the float dtype),
//   index int32 [P], entries in [0, N) (checked by the binding; the kernel skips others and
//   leaves their rows unwritten)  ->  out [P, C] (features' words): out[p] = features[index[p]].
#include "sparse_gather_tiling.h"
#include "sparse_gs_host.h"

namespace optiling {

static ge::graphStatus TilingSparseGather(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t feat[2], index[1];
  if (!sgs_host::InputDims(context, 0, 2, feat) || !sgs_host::InputDims(context, 1, 1, index)) return ge::GRAPH_FAILED;
  if (feat[0] > 0x7FFFFFFFull || feat[1] > 0xFFFFFFFFull) return ge::GRAPH_FAILED;
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  sgs_plan::Plan p;
  if (!sgs_plan::MakeGather(index[0], feat[1], sgs_host::InputElemBytes(context, 0), core.coreNum, core.ubSize, p).empty())
    return ge::GRAPH_FAILED;
  SparseGatherTilingData t;
  t.set_numRows(static_cast<uint32_t>(feat[0]));
  t.set_numPairs(static_cast<uint32_t>(index[0]));
  t.set_channels(static_cast<uint32_t>(feat[1]));
  t.set_usedCoreNum(p.usedCoreNum); t.set_rowsPerCore(p.rowsPerCore); t.set_rowsRemainder(p.rowsRemainder);
  t.set_tileRows(p.tileRows);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static const ascend_kit::OpIO kSparseGatherIO({{"features", ascend_kit::kFloat}, {"index", ascend_kit::kIndex}},
                                              {{"out", ascend_kit::kFloat}},
                                              {ge::DT_INT16, ge::DT_INT32, ge::DT_INT64}, {ge::DT_INT32});

static ge::graphStatus InferShapeSparseGather(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  const gert::Shape* index = context->GetInputShape(1);
  gert::Shape* out = context->GetOutputShape(0);
  if (feat == nullptr || index == nullptr || out == nullptr || feat->GetDimNum() != 2 || index->GetDimNum() != 1)
    return GRAPH_FAILED;
  out->SetDimNum(2);
  out->SetDim(0, index->GetDim(0));
  out->SetDim(1, feat->GetDim(1));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeSparseGather(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, kSparseGatherIO);
}

}  // namespace ge

namespace ops {

class SparseGather : public OpDef {
 public:
  explicit SparseGather(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::kSparseGatherIO);
    this->SetInferShape(ge::InferShapeSparseGather).SetInferDataType(ge::InferDataTypeSparseGather);
    this->AICore().SetTiling(optiling::TilingSparseGather);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(SparseGather);

}  // namespace ops
