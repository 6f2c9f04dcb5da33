// MsmvSampling host side: tiling, shape inference and the op prototype (OpDef).
// Inputs (no attributes; sizes come from the shapes): feat [B, N, num_feat = sum_l H_l*W_l, C]
// fp32|fp16 (channels-last, levels flattened), spatial_shapes int32 [L, 2] (H, W),
// level_start_index int32 [L], sampling_locations [B, Q, P, 3] (x, y, view/(N-1)),
// scale_weights [B, Q, P, L]  ->  out [B, Q, C, P].
#include "msmv_sampling_tiling.h"
#include "msmv_sampling_host.h"

namespace optiling {

static ge::graphStatus TilingMsmvSampling(gert::TilingContext* context) {
  return msmv_host::Tiling<MsmvSamplingTilingData>(context, false);
}

}  // namespace optiling

namespace ge {

static ge::graphStatus InferShapeMsmvSampling(gert::InferShapeContext* context) {
  const gert::Shape* feat = context->GetInputShape(0);
  const gert::Shape* loc = context->GetInputShape(3);
  gert::Shape* out = context->GetOutputShape(0);
  if (feat == nullptr || loc == nullptr || out == nullptr) return GRAPH_FAILED;
  if (feat->GetDimNum() != 4 || loc->GetDimNum() != 4) return GRAPH_FAILED;
  out->SetDimNum(4);
  out->SetDim(0, feat->GetDim(0));
  out->SetDim(1, loc->GetDim(1));
  out->SetDim(2, feat->GetDim(3));
  out->SetDim(3, loc->GetDim(2));
  return GRAPH_SUCCESS;
}

// out: the float dtype of the inputs.
static const ascend_kit::OpIO& MsmvSamplingIO() {
  static const ascend_kit::OpIO io(optiling::msmv_host::Inputs(), {ascend_kit::TensorDef("out", ascend_kit::kFloat)});
  return io;
}

static ge::graphStatus InferDataTypeMsmvSampling(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, MsmvSamplingIO());
}

}  // namespace ge

namespace ops {

class MsmvSampling : public OpDef {
 public:
  explicit MsmvSampling(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::MsmvSamplingIO());
    this->SetInferShape(ge::InferShapeMsmvSampling).SetInferDataType(ge::InferDataTypeMsmvSampling);
    this->AICore().SetTiling(optiling::TilingMsmvSampling);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(MsmvSampling);

}  // namespace ops
