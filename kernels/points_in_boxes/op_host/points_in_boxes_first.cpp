// PointsInBoxesFirst host side: tiling, shape inference and the op prototype (see points_in_boxes_host.h).
#include "points_in_boxes_first_tiling.h"
#include "points_in_boxes_host.h"

namespace optiling {
static ge::graphStatus TilingPointsInBoxesFirst(gert::TilingContext* context) { return pib_host::Tiling(context, true, true); }
}  // namespace optiling

namespace ge {
static ge::graphStatus InferShapePointsInBoxesFirst(gert::InferShapeContext* context) {
  return optiling::pib_host::InferShape(context, true);
}
static ge::graphStatus InferDataTypePointsInBoxesFirst(gert::InferDataTypeContext* context) {
  return optiling::pib_host::InferInt32(context);
}
}  // namespace ge

namespace ops {
class PointsInBoxesFirst : public OpDef {
 public:
  explicit PointsInBoxesFirst(const char* name) : OpDef(name) {
    optiling::pib_host::AddInputsOutputs(*this, "box_index");
    this->SetInferShape(ge::InferShapePointsInBoxesFirst).SetInferDataType(ge::InferDataTypePointsInBoxesFirst);
    this->AICore().SetTiling(optiling::TilingPointsInBoxesFirst);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(PointsInBoxesFirst);
}  // namespace ops
