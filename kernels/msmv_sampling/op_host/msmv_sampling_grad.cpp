// MsmvSamplingGrad host side: tiling, shape inference and the op prototype (OpDef).
// Inputs: feat, spatial_shapes, level_start_index, sampling_locations, scale_weights (as the
// forward) and grad_output [B, Q, C, P] (same float dtype). Outputs, float32 for every input dtype:
//   grad_feat [B, N, num_feat, C]  -- accumulated with atomics: the caller passes it ZEROED;
//   grad_sampling_locations [B, Q, P, 3] (view component written as 0), grad_scale_weights [B, Q, P, L].
#include "msmv_sampling_grad_tiling.h"
#include "msmv_sampling_host.h"

namespace optiling {

static ge::graphStatus TilingMsmvSamplingGrad(gert::TilingContext* context) {
  return msmv_host::Tiling<MsmvSamplingGradTilingData>(context, true);
}

}  // namespace optiling

namespace ge {

// Gradients have the shapes of feat, sampling_locations and scale_weights, float32.
static ge::graphStatus InferShapeMsmvSamplingGrad(gert::InferShapeContext* context) {
  return ascend_kit::InferShapesFromInputs(context, {0, 3, 4});
}

// Inputs of the forward + grad_output; the three gradients float32 for every input dtype.
static const ascend_kit::OpIO& MsmvSamplingGradIO() {
  static const ascend_kit::OpIO io = [] {
    std::vector<ascend_kit::TensorDef> in = optiling::msmv_host::Inputs();
    in.push_back(ascend_kit::TensorDef("grad_output", ascend_kit::kFloat));
    return ascend_kit::OpIO(in, {ascend_kit::TensorDef("grad_feat", ascend_kit::kFloat32),
                                 ascend_kit::TensorDef("grad_sampling_locations", ascend_kit::kFloat32),
                                 ascend_kit::TensorDef("grad_scale_weights", ascend_kit::kFloat32)});
  }();
  return io;
}

static ge::graphStatus InferDataTypeMsmvSamplingGrad(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, MsmvSamplingGradIO());
}

}  // namespace ge

namespace ops {

class MsmvSamplingGrad : public OpDef {
 public:
  explicit MsmvSamplingGrad(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::MsmvSamplingGradIO());
    this->SetInferShape(ge::InferShapeMsmvSamplingGrad).SetInferDataType(ge::InferDataTypeMsmvSamplingGrad);
    this->AICore().SetTiling(optiling::TilingMsmvSamplingGrad);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(MsmvSamplingGrad);

}  // namespace ops
