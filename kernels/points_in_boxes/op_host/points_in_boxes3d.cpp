// PointsInBoxes3d host side: tiling, shape inference and the op prototype (see points_in_boxes_host.h).
#include "points_in_boxes3d_tiling.h"
#include "points_in_boxes_host.h"

namespace optiling {
static ge::graphStatus TilingPointsInBoxes3d(gert::TilingContext* context) { return pib_host::Tiling(context, false, true); }
}  // namespace optiling

namespace ge {
static ge::graphStatus InferShapePointsInBoxes3d(gert::InferShapeContext* context) {
  return optiling::pib_host::InferShape(context, false);
}
static ge::graphStatus InferDataTypePointsInBoxes3d(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, optiling::pib_host::IO(false));
}
}  // namespace ge

namespace ops {
class PointsInBoxes3d : public OpDef {
 public:
  explicit PointsInBoxes3d(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, optiling::pib_host::IO(false));
    this->SetInferShape(ge::InferShapePointsInBoxes3d).SetInferDataType(ge::InferDataTypePointsInBoxes3d);
    this->AICore().SetTiling(optiling::TilingPointsInBoxes3d);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(PointsInBoxes3d);
}  // namespace ops
