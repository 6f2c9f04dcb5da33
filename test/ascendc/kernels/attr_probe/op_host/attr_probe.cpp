// Probe op for the generic OpDef helpers and the IR export (test/ascendc/test_opp_build.py):
// attributes of every kind (required and optional with defaults), an optional input, an index
// input of either integer dtype, and an int32 output. One core.
//   x [n] fp32|fp16, bias [n] (optional, x's dtype), idx [m] int32|int64
//   y [n] (x's dtype) = (flag ? -1 : 1) * (x * alpha * weights[0] * len(dims) + bias)
//   count [1] int32 = number of idx values >= k;   mode must be "sum".
#include "attr_probe_tiling.h"
#include "common/ascendc/op_host_utils.h"

#include <cstring>

namespace ge {
static const ascend_kit::OpIO& AttrProbeIO() {
  using ascend_kit::TensorDef;
  static const ascend_kit::OpIO io(
      {TensorDef("x", ascend_kit::kFloat), TensorDef("bias", ascend_kit::kFloat, ops::OPTIONAL),
       TensorDef("idx", ascend_kit::kIndex)},
      {TensorDef("y", ascend_kit::kFloat), TensorDef("count", ascend_kit::kInt32)},
      {ge::DT_FLOAT, ge::DT_FLOAT16}, {ge::DT_INT32, ge::DT_INT64});
  return io;
}

static ge::graphStatus AttrProbeInferShape(gert::InferShapeContext* context) {
  if (ascend_kit::InferShapesFromInputs(context, {0}) != ge::GRAPH_SUCCESS) return ge::GRAPH_FAILED;
  gert::Shape* count = context->GetOutputShape(1);
  if (count == nullptr) return ge::GRAPH_FAILED;
  count->SetDimNum(1);
  count->SetDim(0, 1);
  return ge::GRAPH_SUCCESS;
}

static ge::graphStatus AttrProbeInferDataType(gert::InferDataTypeContext* context) {
  return ascend_kit::InferIODataTypes(context, AttrProbeIO());
}
}  // namespace ge

namespace optiling {
static ge::graphStatus AttrProbeTiling(gert::TilingContext* context) {
  const gert::RuntimeAttrs* attrs = context->GetAttrs();
  const int64_t* k = attrs->GetInt(0);
  const float* alpha = attrs->GetFloat(1);
  const bool* flag = attrs->GetBool(2);
  const gert::TypedContinuousVector<int64_t>* dims = attrs->GetListInt(3);
  const gert::TypedContinuousVector<float>* weights = attrs->GetListFloat(4);
  const char* mode = attrs->GetStr(5);
  if (k == nullptr || alpha == nullptr || flag == nullptr || dims == nullptr || weights == nullptr ||
      weights->GetSize() < 1 || mode == nullptr || std::strcmp(mode, "sum") != 0)
    return ge::GRAPH_FAILED;
  const gert::StorageShape* x = context->GetInputShape(0);
  const gert::StorageShape* idx = context->GetOptionalInputShape(2);
  if (x == nullptr || idx == nullptr) return ge::GRAPH_FAILED;
  AttrProbeTilingData t;
  t.set_n(static_cast<uint32_t>(x->GetStorageShape().GetShapeSize()));
  t.set_m(static_cast<uint32_t>(idx->GetStorageShape().GetShapeSize()));
  t.set_hasBias(context->GetOptionalInputShape(1) != nullptr ? 1 : 0);
  t.set_negate(*flag ? 1 : 0);
  t.set_k(*k);
  t.set_scale(*alpha * weights->GetData()[0] * static_cast<float>(dims->GetSize()));
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  return ascend_kit::SaveTiling(context, t, 1, core.sysWorkspace);
}
}  // namespace optiling

namespace ops {
class AttrProbe : public OpDef {
 public:
  explicit AttrProbe(const char* name) : OpDef(name) {
    ascend_kit::AddIO(*this, ge::AttrProbeIO());
    this->Attr("k").AttrType(REQUIRED).Int();
    this->Attr("alpha").AttrType(OPTIONAL).Float(0.5f);
    this->Attr("flag").AttrType(OPTIONAL).Bool(false);
    this->Attr("dims").AttrType(OPTIONAL).ListInt({1, 2});
    this->Attr("weights").AttrType(OPTIONAL).ListFloat({0.25f});
    this->Attr("mode").AttrType(OPTIONAL).String("sum");
    this->SetInferShape(ge::AttrProbeInferShape).SetInferDataType(ge::AttrProbeInferDataType);
    this->AICore().SetTiling(optiling::AttrProbeTiling);
    ascend_kit::AddKitConfigs(*this);
  }
};
OP_ADD(AttrProbe);
}  // namespace ops
