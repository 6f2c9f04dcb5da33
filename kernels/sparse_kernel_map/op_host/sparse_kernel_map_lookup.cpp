// SparseKernelMapLookup host side: tiling, shape inference and the op prototype (OpDef).
//   out_coords int32 [M, 4] (the output sites), sorted_keys int64 [N] (the input keys, ascending);
//   attrs: sparse_kernel_map_host.h
//   -> lo int32 [K, M]: the first position in sorted_keys of the input key that output site o
//      reads through offset k (0 when that site lies outside the input grid);
//      count int32 [K, M]: how many sorted_keys equal it (0: no pair; > 1 only for input sites
//      given several times, modes 1 / 2).
// The NPU binding expands (k, o, lo, count) into the pairs, k-major then o then input row.
#include "sparse_kernel_map_lookup_tiling.h"
#include "sparse_kernel_map_host.h"

namespace optiling {

// UB per row: output coords row (16 B), lo and count of one offset (4 B each).
constexpr uint64_t kLookupBytesPerRow = 24;

static ge::graphStatus TilingSparseKernelMapLookup(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t coords[2], keys[1];
  skm_host::Geometry g;
  if (!skm_host::InputDims(context, 0, 2, coords) || coords[1] != 4 || !skm_host::InputDims(context, 1, 1, keys) ||
      keys[0] > 0x7FFFFFFFull || !skm_host::ReadGeometry(context, g))
    return ge::GRAPH_FAILED;
  SparseKernelMapTilingData t;
  skm_host::SetGeometry(t, g);
  t.set_numRows(static_cast<uint32_t>(coords[0]));
  t.set_numKeys(static_cast<uint32_t>(keys[0]));
  t.set_candRows(0);
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  if (!skm_host::SplitRows(t, coords[0], core, kLookupBytesPerRow)) return ge::GRAPH_FAILED;
  return ascend_kit::SaveTiling(context, t, t.get_usedCoreNum(), core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeSparseKernelMapLookup(gert::InferShapeContext* context) {
  const gert::Shape* coords = context->GetInputShape(0);
  gert::Shape* lo = context->GetOutputShape(0);
  gert::Shape* count = context->GetOutputShape(1);
  optiling::skm_host::Geometry g;
  if (coords == nullptr || lo == nullptr || count == nullptr || coords->GetDimNum() != 2 ||
      !optiling::skm_host::ReadGeometry(context, g))
    return GRAPH_FAILED;
  for (gert::Shape* s : {lo, count}) {
    s->SetDimNum(2);
    s->SetDim(0, g.numOffsets);
    s->SetDim(1, coords->GetDim(0));
  }
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeSparseKernelMapLookup(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, ge::DT_INT32);
  context->SetOutputDataType(1, ge::DT_INT32);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class SparseKernelMapLookup : public OpDef {
 public:
  explicit SparseKernelMapLookup(const char* name) : OpDef(name) {
    const std::vector<ge::Format> nd = {ge::FORMAT_ND};
    this->Input("out_coords").ParamType(REQUIRED).DataType({ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    this->Input("sorted_keys").ParamType(REQUIRED).DataType({ge::DT_INT64}).Format(nd).UnknownShapeFormat(nd);
    this->Output("lo").ParamType(REQUIRED).DataType({ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    this->Output("count").ParamType(REQUIRED).DataType({ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    optiling::skm_host::AddAttrs(*this);
    this->SetInferShape(ge::InferShapeSparseKernelMapLookup).SetInferDataType(ge::InferDataTypeSparseKernelMapLookup);
    this->AICore().SetTiling(optiling::TilingSparseKernelMapLookup);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(SparseKernelMapLookup);

}  // namespace ops
