// Sparse2bevGrad host side: tiling, shape inference and the op prototype (OpDef).
//   grad_bev [batch_size, C, Y, X] fp32|fp16, coors int32 [M, 4] (b, z, y, x);
//   attrs spatial_shape (Z, Y, X), batch_size  ->  grad_features [M, C] (grad_bev's dtype),
//   grad_features[i, c] = grad_bev[b_i, c, y_i, x_i]; rows of voxels out of range are zero.
#include "sparse2bev_grad_tiling.h"
#include "sparse2bev_host.h"

namespace optiling {

static ge::graphStatus TilingSparse2bevGrad(gert::TilingContext* context) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  s2b_plan::Shape s;
  if (!s2b_host::ReadShape(context, s)) return ge::GRAPH_FAILED;
  const gert::Shape& g = context->GetInputShape(0)->GetStorageShape();
  if (g.GetDimNum() != 4 || static_cast<uint64_t>(g.GetDim(0)) != s.batch ||
      static_cast<uint64_t>(g.GetDim(2)) != s.ny || static_cast<uint64_t>(g.GetDim(3)) != s.nx)
    return ge::GRAPH_FAILED;
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  s2b_plan::Plan p;
  if (!s2b_plan::MakeGrad(s, ascend_kit::InputElemBytes(context), core.ubSize, core.coreNum, p).empty())
    return ge::GRAPH_FAILED;
  Sparse2bevGradTilingData t;
  s2b_host::SetCommon(t, s, p);
  return ascend_kit::SaveTiling(context, t, p.usedCoreNum, core.sysWorkspace);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeSparse2bevGrad(gert::InferShapeContext* context) {
  const gert::Shape* grad = context->GetInputShape(0);
  const gert::Shape* coors = context->GetInputShape(1);
  gert::Shape* out = context->GetOutputShape(0);
  if (grad == nullptr || coors == nullptr || out == nullptr || grad->GetDimNum() != 4 || coors->GetDimNum() != 2)
    return GRAPH_FAILED;
  out->SetDimNum(2);
  out->SetDim(0, coors->GetDim(0));
  out->SetDim(1, grad->GetDim(1));
  return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataTypeSparse2bevGrad(gert::InferDataTypeContext* context) {
  context->SetOutputDataType(0, context->GetInputDataType(0));
  return GRAPH_SUCCESS;
}

}  // namespace ge

namespace ops {

class Sparse2bevGrad : public OpDef {
 public:
  explicit Sparse2bevGrad(const char* name) : OpDef(name) {
    optiling::s2b_host::AddInputsAndAttrs(*this, "grad_bev");
    const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
    this->Output("grad_features").ParamType(REQUIRED).DataType({ge::DT_FLOAT, ge::DT_FLOAT16}).Format(nd)
        .UnknownShapeFormat(nd);
    this->SetInferShape(ge::InferShapeSparse2bevGrad).SetInferDataType(ge::InferDataTypeSparse2bevGrad);
    this->AICore().SetTiling(optiling::TilingSparse2bevGrad);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(Sparse2bevGrad);

}  // namespace ops
