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
  return ascend_kit::InferIODataTypes(context, optiling::pib_host::IO(true));
}
}  // namespace ge

namespace ops {
class PointsInBoxesFirst : public OpDef {
 public:
  explicit PointsInBoxesFirst(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, optiling::pib_host::IO(true));
    this->SetInferShape(ge::InferShapePointsInBoxesFirst).SetInferDataType(ge::InferDataTypePointsInBoxesFirst);
    this->AICore().SetTiling(optiling::TilingPointsInBoxesFirst);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(PointsInBoxesFirst);
}  // namespace ops
