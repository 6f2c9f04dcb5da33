// SparseScatterAdd host side: tiling, shape inference and the OpDef.
//   values [P, C] float32 | float16, order int32 [P], row_ptr int32 [num_rows + 1]
//   -> out [num_rows, C] (values' dtype): out[r] = sum of values[order[j]] over
//      row_ptr[r] <= j < row_ptr[r + 1], in j order, in float32.
// The binding passes the pairs sorted by (output row, pair number) (order, and row_ptr = the CSR
// offsets), so every row sums its pairs in pair order and one core owns each row:
// deterministic, no atomics, every output element written (no zero-filled output needed).
// Entries of order outside [0, P) and row_ptr ranges outside [0, P] are skipped / clamped.
#include "sparse_scatter_add_tiling.h"
#include "sparse_gs_host.h"

namespace optiling {

static ge::graphStatus TilingSparseScatterAdd(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t values[2], order[1], rowPtr[1];
  if (!sgs_host::InputDims(context, 0, 2, values) || !sgs_host::InputDims(context, 1, 1, order) ||
      !sgs_host::InputDims(context, 2, 1, rowPtr) || order[0] != values[0] || rowPtr[0] < 1)
    return ge::GRAPH_FAILED;
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  sgs_plan::Plan p;
  if (!sgs_plan::MakeScatterAdd(rowPtr[0] - 1, values[0], values[1], sgs_host::InputElemBytes(context, 0), core.coreNum,
                                core.ubSize, p).empty())
    return ge::GRAPH_FAILED;
  SparseScatterAddTilingData t;
  t.set_numRows(static_cast<uint32_t>(rowPtr[0] - 1));
  t.set_numPairs(static_cast<uint32_t>(values[0]));
  t.set_channels(static_cast<uint32_t>(values[1]));
  t.set_usedCoreNum(p.usedCoreNum); t.set_rowsPerCore(p.rowsPerCore); t.set_rowsRemainder(p.rowsRemainder);
  t.set_tileRows(p.tileRows);
  t.set_orderChunk(static_cast<uint32_t>(sgs_plan::kOrderChunk));
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static const ascend_kit::OpIO kSparseScatterAddIO(
    {{"values", ascend_kit::kFloat}, {"order", ascend_kit::kIndex}, {"row_ptr", ascend_kit::kIndex}},
    {{"out", ascend_kit::kFloat}});

static ge::graphStatus InferShapeSparseScatterAdd(gert::InferShapeContext* context) {
  const gert::Shape* values = context->GetInputShape(0);
  const gert::Shape* rowPtr = context->GetInputShape(2);
  gert::Shape* out = context->GetOutputShape(0);
  if (values == nullptr || rowPtr == nullptr || out == nullptr || values->GetDimNum() != 2 ||
      rowPtr->GetDimNum() != 1 || rowPtr->GetDim(0) < 1)
    return GRAPH_FAILED;
  out->SetDimNum(2);
  out->SetDim(0, rowPtr->GetDim(0) - 1);
  out->SetDim(1, values->GetDim(1));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeSparseScatterAdd(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, kSparseScatterAddIO);
}

}  // namespace ge

namespace ops {

class SparseScatterAdd : public OpDef {
 public:
  explicit SparseScatterAdd(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::kSparseScatterAddIO);
    this->SetInferShape(ge::InferShapeSparseScatterAdd).SetInferDataType(ge::InferDataTypeSparseScatterAdd);
    this->AICore().SetTiling(optiling::TilingSparseScatterAdd);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(SparseScatterAdd);

}  // namespace ops
