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

// Inputs of the forward + grad_output; the three gradients float32 for every input dtype.
static const ascend_kit::OpIO& DeformableAggregationGradIO() {
  static const ascend_kit::OpIO io = [] {
    std::vector<ascend_kit::TensorDef> in = optiling::da_host::Inputs();
    in.push_back(ascend_kit::TensorDef("grad_output", ascend_kit::kFloat));
    return ascend_kit::OpIO(in, {ascend_kit::TensorDef("grad_mc_ms_feat", ascend_kit::kFloat32),
                                 ascend_kit::TensorDef("grad_sampling_location", ascend_kit::kFloat32),
                                 ascend_kit::TensorDef("grad_weights", ascend_kit::kFloat32)});
  }();
  return io;
}

static ge::graphStatus InferDataTypeDeformableAggregationGrad(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, DeformableAggregationGradIO());
}

}  // namespace ge

namespace ops {

class DeformableAggregationGrad : public OpDef {
 public:
  explicit DeformableAggregationGrad(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::DeformableAggregationGradIO());
    this->SetInferShape(ge::InferShapeDeformableAggregationGrad)
        .SetInferDataType(ge::InferDataTypeDeformableAggregationGrad);
    this->AICore().SetTiling(optiling::TilingDeformableAggregationGrad);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(DeformableAggregationGrad);

}  // namespace ops
