// Host-side (op_host) helpers shared by the kit's Ascend C ops: platform query, saving tiling
// data, shape/dtype inference of the grad ops and the OpDef inputs/outputs of the sampling ops.
// CANN build: kernels/CMakeLists.txt copies this folder to <project>/op_host/common/ascendc, so
// `#include "common/ascendc/op_host_utils.h"` resolves next to the op_host sources; the CPU
// harness finds it through the kernels/ include root.
#ifndef ASCEND_KIT_COMMON_ASCENDC_OP_HOST_UTILS_H
#define ASCEND_KIT_COMMON_ASCENDC_OP_HOST_UTILS_H
#include <cstddef>
#include <cstdint>
#include <vector>

#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace ascend_kit {

// What a tiling plan needs from the platform: UB bytes and vector cores, plus the system
// (library API) workspace every kernel launch reserves.
struct CoreInfo {
  uint64_t ubSize = 0;
  uint32_t coreNum = 0;
  uint64_t sysWorkspace = 0;
};

inline CoreInfo QueryCores(gert::TilingContext* context) {
  auto ascendc = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
  CoreInfo info;
  ascendc.GetCoreMemSize(platform_ascendc::CoreMemType::UB, info.ubSize);
  info.coreNum = ascendc.GetCoreNumAiv();
  info.sysWorkspace = ascendc.GetLibApiWorkSpaceSize();
  return info;
}

// Bytes per element of input 0 (float32: 4, float16: 2).
inline uint64_t InputElemBytes(gert::TilingContext* context) {
  return context->GetInputDesc(0)->GetDataType() == ge::DT_FLOAT ? 4 : 2;
}

// Block dim, tiling key 0, the serialized tiling data and a workspace of the system part only.
template <typename TilingData>
ge::graphStatus SaveTiling(gert::TilingContext* context, TilingData& t, uint32_t blockDim, uint64_t sysWorkspace) {
  context->SetBlockDim(blockDim);
  context->SetTilingKey(0);
  t.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
  context->GetRawTilingData()->SetDataSize(t.GetDataSize());
  size_t* ws = context->GetWorkspaceSizes(1);
  ws[0] = sysWorkspace;
  return ge::GRAPH_SUCCESS;
}

// Grad ops: output k has the shape of input src[k].
inline ge::graphStatus InferShapesFromInputs(gert::InferShapeContext* context, const size_t (&src)[3]) {
  for (size_t k = 0; k < 3; ++k) {
    const gert::Shape* in = context->GetInputShape(src[k]);
    gert::Shape* out = context->GetOutputShape(k);
    if (in == nullptr || out == nullptr) return ge::GRAPH_FAILED;
    *out = *in;
  }
  return ge::GRAPH_SUCCESS;
}

// Grad ops: all three outputs float32 whatever the input dtype.
inline ge::graphStatus InferFloat32Outputs(gert::InferDataTypeContext* context) {
  for (size_t k = 0; k < 3; ++k) context->SetOutputDataType(k, ge::DT_FLOAT);
  return ge::GRAPH_SUCCESS;
}

// The sampling ops' inputs: features, spatial shapes (int32), start indices (int32), sampling
// locations, weights, then `extraFloatInputs` more float inputs (grad_output); floats are fp32|fp16.
inline void AddSamplingInputs(ops::OpDef& def, const char* const (&names)[5],
                              const std::vector<const char*>& extraFloatInputs = {}) {
  const std::vector<ge::DataType> f = {ge::DT_FLOAT, ge::DT_FLOAT16};
  const std::vector<ge::DataType> i = {ge::DT_INT32, ge::DT_INT32};
  const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
  for (size_t k = 0; k < 5; ++k)
    def.Input(names[k]).ParamType(ops::REQUIRED).DataType(k == 1 || k == 2 ? i : f).Format(nd).UnknownShapeFormat(nd);
  for (const char* name : extraFloatInputs)
    def.Input(name).ParamType(ops::REQUIRED).DataType(f).Format(nd).UnknownShapeFormat(nd);
}

// Outputs of the input float dtype (forward) or float32 for every input dtype (grads).
inline void AddOutputs(ops::OpDef& def, const std::vector<const char*>& names, bool float32) {
  const std::vector<ge::DataType> f = {ge::DT_FLOAT, ge::DT_FLOAT16};
  const std::vector<ge::DataType> f32 = {ge::DT_FLOAT, ge::DT_FLOAT};
  const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
  for (const char* name : names)
    def.Output(name).ParamType(ops::REQUIRED).DataType(float32 ? f32 : f).Format(nd).UnknownShapeFormat(nd);
}

// The SoCs every kit op is built for.
inline void AddKitConfigs(ops::OpDef& def) {
  def.AICore().AddConfig("ascend910b");
  def.AICore().AddConfig("ascend950");
}

}  // namespace ascend_kit
#endif  // ASCEND_KIT_COMMON_ASCENDC_OP_HOST_UTILS_H
