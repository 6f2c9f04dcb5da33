// DeformableAggregationGrad host side: tiling, shape inference and the op prototype (OpDef).
// Inputs: mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights (as the forward)
// and grad_output [bs, A, C] (same float dtype). Outputs, float32 for every input dtype:
//   grad_mc_ms_feat [bs, num_feat, C]  -- accumulated with atomics: the caller passes it ZEROED;
//   grad_sampling_location [bs, A, P, cams, 2], grad_weights [bs, A, P, cams, scales, G].
#include "deformable_aggregation_grad_tiling.h"
#include "deformable_aggregation_host.h"

namespace optiling {

static void SetGradFields(DeformableAggregationGradTilingData& t, const da_plan::Plan& p) {
  t.set_groupsPerChunk(p.groupsPerChunk);
  t.set_permCols(p.permCols);
}

static ge::graphStatus TilingDeformableAggregationGrad(gert::TilingContext* context) {
  return da_host::Tiling<DeformableAggregationGradTilingData>(context, true, &SetGradFields);
}

}  // namespace optiling

namespace ge {

// Gradients have the shapes of mc_ms_feat, sampling_location and weights, float32.
static ge::graphStatus InferShapeDeformableAggregationGrad(gert::InferShapeContext* context) {
  return ascend_kit::InferShapesFromInputs(context, {0, 3, 4});
}

static ge::graphStatus InferDataTypeDeformableAggregationGrad(gert::InferDataTypeContext* context) {
  return ascend_kit::InferFloat32Outputs(context);
}

}  // namespace ge

namespace ops {

class DeformableAggregationGrad : public OpDef {
 public:
  explicit DeformableAggregationGrad(const char* name) : OpDef(name) {
    ascend_kit::AddSamplingInputs(*this, optiling::da_host::kInputs, {"grad_output"});
    ascend_kit::AddOutputs(*this, {"grad_mc_ms_feat", "grad_sampling_location", "grad_weights"}, true);
    this->SetInferShape(ge::InferShapeDeformableAggregationGrad)
        .SetInferDataType(ge::InferDataTypeDeformableAggregationGrad);
    this->AICore().SetTiling(optiling::TilingDeformableAggregationGrad);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(DeformableAggregationGrad);

}  // namespace ops
