// DeformableAggregation host side: tiling, shape inference and the op prototype (OpDef).
// Inputs (no attributes; every size comes from the input shapes):
//   mc_ms_feat [bs, num_feat, C] fp32|fp16, spatial_shape int32 [cams, scales, 2] (H, W),
//   scale_start_index int32 [cams, scales], sampling_location [bs, A, P, cams, 2],
//   weights [bs, A, P, cams, scales, G] (same float dtype as mc_ms_feat)  ->  out [bs, A, C].
#include "deformable_aggregation_tiling.h"
#include "deformable_aggregation_host.h"

namespace optiling {

static ge::graphStatus TilingDeformableAggregation(gert::TilingContext* context) {
  return da_host::Tiling<DeformableAggregationTilingData>(context, false);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeDeformableAggregation(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  const gert::Shape* loc = context->GetInputShape(3);
  gert::Shape* out = context->GetOutputShape(0);
  if (feat == nullptr || loc == nullptr || out == nullptr) return GRAPH_FAILED;
  if (feat->GetDimNum() != 3 || loc->GetDimNum() != 5) return GRAPH_FAILED;
  out->SetDimNum(3);
  out->SetDim(0, feat->GetDim(0));
  out->SetDim(1, loc->GetDim(1));
  out->SetDim(2, feat->GetDim(2));
  return GRAPH_SUCCESS;
}

// out: the float dtype of the inputs.
static const ascend_kit::OpIO& DeformableAggregationIO() {
  static const ascend_kit::OpIO io(optiling::da_host::Inputs(), {ascend_kit::TensorDef("out", ascend_kit::kFloat)});
  return io;
}

static ge::graphStatus InferDataTypeDeformableAggregation(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, DeformableAggregationIO());
}

}  // namespace ge

namespace ops {

class DeformableAggregation : public OpDef {
 public:
  explicit DeformableAggregation(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::DeformableAggregationIO());
    this->SetInferShape(ge::InferShapeDeformableAggregation).SetInferDataType(ge::InferDataTypeDeformableAggregation);
    this->AICore().SetTiling(optiling::TilingDeformableAggregation);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(DeformableAggregation);

}  // namespace ops
