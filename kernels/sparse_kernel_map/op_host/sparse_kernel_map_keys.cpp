// SparseKernelMapKeys host side: tiling, shape inference and the op prototype (OpDef).
//   coords int32 [N, 4] (b, z, y, x); attrs: sparse_kernel_map_host.h
//   -> in_keys int64 [N]: each row's key ((b * Z + z) * Y + y) * X + x on the input grid, -1 for
//      a row outside batch_size / spatial_shape;
//      cand int64 [C, N], C = K (modes 1, 2) or 0 (mode 0): cand[k, i] = the key on the output
//      grid of the output site that input row i reaches through offset k, -1 if none.
// The NPU binding sorts in_keys and takes the sorted distinct cand keys as the output sites.
#include "sparse_kernel_map_keys_tiling.h"
#include "sparse_kernel_map_host.h"

namespace optiling {

// UB per row: coords row (16 B), in-key (8 B), candidate key (8 B).
constexpr uint64_t kKeysBytesPerRow = 32;

static ge::graphStatus TilingSparseKernelMapKeys(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  uint64_t coords[2];
  skm_host::Geometry g;
  if (!skm_host::InputDims(context, 0, 2, coords) || coords[1] != 4 || !skm_host::ReadGeometry(context, g))
    return ge::GRAPH_FAILED;
  SparseKernelMapTilingData t;
  skm_host::SetGeometry(t, g);
  t.set_numRows(static_cast<uint32_t>(coords[0]));
  t.set_numKeys(0);
  t.set_candRows(g.mode == 0 ? 0 : static_cast<uint32_t>(g.numOffsets));
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  if (!skm_host::SplitRows(t, coords[0], core, kKeysBytesPerRow)) return ge::GRAPH_FAILED;
  return ascend_kit::SaveTiling(context, t, t.get_usedCoreNum(), core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeSparseKernelMapKeys(gert::InferShapeContext* context) {
  const gert::Shape* coords = context->GetInputShape(0);
  gert::Shape* keys = context->GetOutputShape(0);
  gert::Shape* cand = context->GetOutputShape(1);
  optiling::skm_host::Geometry g;
  if (coords == nullptr || keys == nullptr || cand == nullptr || coords->GetDimNum() != 2 ||
      !optiling::skm_host::ReadGeometry(context, g))
    return GRAPH_FAILED;
  keys->SetDimNum(1);
  keys->SetDim(0, coords->GetDim(0));
  cand->SetDimNum(2);
  cand->SetDim(0, g.mode == 0 ? 0 : g.numOffsets);
  cand->SetDim(1, coords->GetDim(0));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeSparseKernelMapKeys(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, ge::DT_INT64);
  context->SetOutputDataType(1, ge::DT_INT64);
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class SparseKernelMapKeys : public OpDef {
 public:
  explicit SparseKernelMapKeys(const char* name) : OpDef(name) {
    const std::vector<ge::Format> nd = {ge::FORMAT_ND};
    this->Input("coords").ParamType(REQUIRED).DataType({ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
    this->Output("in_keys").ParamType(REQUIRED).DataType({ge::DT_INT64}).Format(nd).UnknownShapeFormat(nd);
    this->Output("cand").ParamType(REQUIRED).DataType({ge::DT_INT64}).Format(nd).UnknownShapeFormat(nd);
    optiling::skm_host::AddAttrs(*this);
    this->SetInferShape(ge::InferShapeSparseKernelMapKeys).SetInferDataType(ge::InferDataTypeSparseKernelMapKeys);
    this->AICore().SetTiling(optiling::TilingSparseKernelMapKeys);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(SparseKernelMapKeys);

}  // namespace ops
