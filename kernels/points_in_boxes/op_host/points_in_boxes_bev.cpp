// PointsInBoxesBev host side: tiling, shape inference and the op prototype (see points_in_boxes_host.h).
#include "points_in_boxes_bev_tiling.h"
#include "points_in_boxes_host.h"

namespace optiling {
static ge::graphStatus TilingPointsInBoxesBev(gert::TilingContext* context) { return pib_host::Tiling(context, false, false); }
}  // namespace optiling

namespace ge {
static ge::graphStatus InferShapePointsInBoxesBev(gert::InferShapeContext* context) {
  return optiling::pib_host::InferShape(context, false);
}
static ge::graphStatus InferDataTypePointsInBoxesBev(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, optiling::pib_host::IO(false));
}
}  // namespace ge

namespace ops {
class PointsInBoxesBev : public OpDef {
 public:
  explicit PointsInBoxesBev(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, optiling::pib_host::IO(false));
    this->SetInferShape(ge::InferShapePointsInBoxesBev).SetInferDataType(ge::InferDataTypePointsInBoxesBev);
    this->AICore().SetTiling(optiling::TilingPointsInBoxesBev);
    ascend_kit::AddKitConfigs(*this);
  }
};

OP_ADD(PointsInBoxesBev);
}  // namespace ops
