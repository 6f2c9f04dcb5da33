// Host-side (op_host) helpers shared by the kit's Ascend C ops: platform query, saving tiling
// data, declaring an OpDef's inputs/outputs (any number, any dtype kinds) and the InferShape /
// InferDataType that follow from that declaration. C++11 (CANN's opbuild compiles op_host with it).
// CANN build: kernels/CMakeLists.txt copies this folder to <project>/op_host/common/ascendc, so
// `#include "common/ascendc/op_host_utils.h"` resolves next to the op_host sources; the CPU
// harness finds it through the kernels/ include root.
#ifndef ASCEND_KIT_COMMON_ASCENDC_OP_HOST_UTILS_H
#define ASCEND_KIT_COMMON_ASCENDC_OP_HOST_UTILS_H
#include <cstddef>
#include <cstdint>
#include <utility>
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

// Bytes per element of input `index` (default 0) by its data type: 8 (int64 / uint64 / double),
// 4 (float32, int32, ...), 2 (float16 / bfloat16 / int16), 1 (int8 / uint8 / bool).
inline uint64_t InputElemBytes(gert::TilingContext* context, size_t index = 0) {
  switch (context->GetInputDesc(index)->GetDataType()) {
    case ge::DT_INT64: case ge::DT_UINT64: case ge::DT_DOUBLE: return 8;
    case ge::DT_INT16: case ge::DT_UINT16: case ge::DT_FLOAT16: case ge::DT_BF16: return 2;
    case ge::DT_INT8: case ge::DT_UINT8: case ge::DT_BOOL: return 1;
    default: return 4;
  }
}

// Dims of input `i` into dims[0 .. rank), or false when it is absent or not of `rank` dims.
inline bool InputDims(gert::TilingContext* context, size_t i, size_t rank, uint64_t* dims) {
  const gert::StorageShape* s = context->GetInputShape(i);
  if (s == nullptr || s->GetStorageShape().GetDimNum() != rank) return false;
  for (size_t d = 0; d < rank; ++d) dims[d] = static_cast<uint64_t>(s->GetStorageShape().GetDim(d));
  return true;
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

// ---- Inputs / outputs of an OpDef, for any number of them (one declaration feeds the OpDef and
// InferDataType). An op lists its tensors with a dtype kind each:
//   kFloat    the op's float dtype (one of OpIO::floats per dtype combination)
//   kIndex    the op's index dtype (one of OpIO::indices per combination)
//   kFloat32 / kInt32 / kInt64 / kInt8 / kUInt8 / kBool   always that dtype
// The OpDef gets one DataType entry per (float, index) combination: floats x indices, in that
// order (msopgen's IR lists the same combinations). Example (a grad op, float32 gradients):
//   static const ascend_kit::OpIO kIO(
//       {{"feat", kFloat}, {"coors", kIndex}, {"mask", kBool, ops::OPTIONAL}},
//       {{"grad_feat", kFloat32}, {"count", kInt32}});
//   ascend_kit::AddIO(*this, kIO);            // in the OpDef constructor
//   return ascend_kit::InferIODataTypes(context, kIO);   // in InferDataType
enum DTypeKind { kFloat, kIndex, kFloat32, kInt32, kInt64, kInt8, kUInt8, kBool };

struct TensorDef {
  TensorDef(const char* name, DTypeKind kind, ops::Option param = ops::REQUIRED)
      : name(name), kind(kind), param(param) {}
  const char* name;
  DTypeKind kind;
  ops::Option param;  // ops::REQUIRED or ops::OPTIONAL
};

struct OpIO {
  OpIO(std::vector<TensorDef> inputs, std::vector<TensorDef> outputs,
       std::vector<ge::DataType> floats = {ge::DT_FLOAT, ge::DT_FLOAT16},
       std::vector<ge::DataType> indices = {ge::DT_INT32})
      : inputs(std::move(inputs)), outputs(std::move(outputs)), floats(std::move(floats)),
        indices(std::move(indices)) {}
  std::vector<TensorDef> inputs, outputs;
  std::vector<ge::DataType> floats;   // what kFloat tensors take
  std::vector<ge::DataType> indices;  // what kIndex tensors take
};

// The fixed dtype of `kind`, or `flt` / `idx` for the kinds that follow the combination.
inline ge::DataType KindDataType(DTypeKind kind, ge::DataType flt, ge::DataType idx) {
  switch (kind) {
    case kFloat: return flt;
    case kIndex: return idx;
    case kFloat32: return ge::DT_FLOAT;
    case kInt32: return ge::DT_INT32;
    case kInt64: return ge::DT_INT64;
    case kInt8: return ge::DT_INT8;
    case kUInt8: return ge::DT_UINT8;
    case kBool: return ge::DT_BOOL;
  }
  return ge::DT_UNDEFINED;
}

// The DataType list of one tensor over the combinations floats x indices.
inline std::vector<ge::DataType> KindDataTypes(const OpIO& io, DTypeKind kind) {
  std::vector<ge::DataType> out;
  for (size_t f = 0; f < io.floats.size(); ++f)
    for (size_t i = 0; i < io.indices.size(); ++i) out.push_back(KindDataType(kind, io.floats[f], io.indices[i]));
  return out;
}

// Declares io.inputs and io.outputs on the OpDef (format ND for every combination).
inline void AddIO(ops::OpDef& def, const OpIO& io) {
  const std::vector<ge::Format> nd(io.floats.size() * io.indices.size(), ge::FORMAT_ND);
  for (size_t k = 0; k < io.inputs.size(); ++k) {
    const TensorDef& t = io.inputs[k];
    def.Input(t.name).ParamType(t.param).DataType(KindDataTypes(io, t.kind)).Format(nd).UnknownShapeFormat(nd);
  }
  for (size_t k = 0; k < io.outputs.size(); ++k) {
    const TensorDef& t = io.outputs[k];
    def.Output(t.name).ParamType(t.param).DataType(KindDataTypes(io, t.kind)).Format(nd).UnknownShapeFormat(nd);
  }
}

// InferDataType from the declaration: kFloat / kIndex outputs take the dtype of the first present
// input of that kind; fixed kinds their dtype. Fails when a kFloat / kIndex output has no such input.
inline ge::graphStatus InferIODataTypes(gert::InferDataTypeContext* context, const OpIO& io) {
  ge::DataType flt = ge::DT_UNDEFINED, idx = ge::DT_UNDEFINED;
  for (size_t k = 0; k < io.inputs.size(); ++k) {
    const ge::DataType dt = context->GetOptionalInputDataType(k);
    if (dt == ge::DT_UNDEFINED) continue;  // absent optional input
    if (io.inputs[k].kind == kFloat && flt == ge::DT_UNDEFINED) flt = dt;
    if (io.inputs[k].kind == kIndex && idx == ge::DT_UNDEFINED) idx = dt;
  }
  for (size_t k = 0; k < io.outputs.size(); ++k) {
    const ge::DataType dt = KindDataType(io.outputs[k].kind, flt, idx);
    if (dt == ge::DT_UNDEFINED) return ge::GRAPH_FAILED;
    context->SetOutputDataType(k, dt);
  }
  return ge::GRAPH_SUCCESS;
}

// InferShape for outputs that copy an input's shape: output k gets the shape of input (IR index)
// src[k], for k < src.size(); the other outputs are left to the caller.
inline ge::graphStatus InferShapesFromInputs(gert::InferShapeContext* context, const std::vector<size_t>& src) {
  for (size_t k = 0; k < src.size(); ++k) {
    const gert::Shape* in = context->GetOptionalInputShape(src[k]);
    gert::Shape* out = context->GetOutputShape(k);
    if (in == nullptr || out == nullptr) return ge::GRAPH_FAILED;
    *out = *in;
  }
  return ge::GRAPH_SUCCESS;
}

// The SoCs every kit op is built for.
inline void AddKitConfigs(ops::OpDef& def) {
  def.AICore().AddConfig("ascend910b");
  def.AICore().AddConfig("ascend950");
}

}  // namespace ascend_kit
#endif  // ASCEND_KIT_COMMON_ASCENDC_OP_HOST_UTILS_H
