// Host side shared by the three points_in_boxes op_host sources: shapes, the work split, shape and
// dtype inference, and the OpDef (inputs points, boxes, rotation: float32; output: int32).
//   mask ops  (PointsInBoxesBev, PointsInBoxes3d): points [N, C1], boxes [M, C2], rotation [M, 2] -> [M, N]
//   first op  (PointsInBoxesFirst): points [B, N, 3], boxes [B, T, 7], rotation [B*T, 2] -> [B, N]
// rotation[k] = (cos(-heading_k), sin(-heading_k)), computed by the NPU binding.
#ifndef ASCEND_KIT_POINTS_IN_BOXES_HOST_H
#define ASCEND_KIT_POINTS_IN_BOXES_HOST_H
#include <algorithm>
#include <cstdint>

#include "common/ascendc/op_host_utils.h"
#include "points_in_boxes_tiling_data.h"

namespace optiling {
namespace pib_host {

// 3d and first take exactly 3 / 7 columns (the upstream strides by 3 and 7); bev at least 3 / 7.
inline bool ReadShape(gert::TilingContext* context, bool batched, bool exactColumns, PointsInBoxesTilingData& t) {
  const gert::StorageShape* pS = context->GetInputShape(0);
  const gert::StorageShape* bS = context->GetInputShape(1);
  const gert::StorageShape* rS = context->GetInputShape(2);
  if (pS == nullptr || bS == nullptr || rS == nullptr) return false;
  const gert::Shape& p = pS->GetStorageShape();
  const gert::Shape& b = bS->GetStorageShape();
  const gert::Shape& r = rS->GetStorageShape();
  const size_t rank = batched ? 3 : 2;
  if (p.GetDimNum() != rank || b.GetDimNum() != rank || r.GetDimNum() != 2) return false;
  const int64_t bs = batched ? p.GetDim(0) : 1;
  const int64_t n = p.GetDim(rank - 2), c1 = p.GetDim(rank - 1), m = b.GetDim(rank - 2), c2 = b.GetDim(rank - 1);
  if (batched && b.GetDim(0) != bs) return false;
  if (exactColumns ? (c1 != 3 || c2 != 7) : (c1 < 3 || c2 < 7)) return false;
  if (r.GetDim(0) != bs * m || r.GetDim(1) != 2) return false;
  // uint32 fields and float box indices (first op) must be exact.
  if (bs * n * c1 > UINT32_MAX || bs * m * c2 > UINT32_MAX || m * n > UINT32_MAX || m >= (1 << 24)) return false;
  t.set_bs(static_cast<uint32_t>(bs));
  t.set_n(static_cast<uint32_t>(n));
  t.set_c1(static_cast<uint32_t>(c1));
  t.set_m(static_cast<uint32_t>(m));
  t.set_c2(static_cast<uint32_t>(c2));
  return true;
}

// Points per vector pass: what fits the UB (about 96 B per point: the 32 B row of the strided
// copy, 13 float vectors, masks), a multiple of 64, at most 2048.
inline uint32_t ChunkFor(uint64_t ubSize) {
  const uint64_t fit = ubSize > 8192 ? (ubSize - 8192) / 96 : 64;
  return static_cast<uint32_t>(std::max<uint64_t>(64, std::min<uint64_t>(2048, fit / 64 * 64)));
}

inline ge::graphStatus Tiling(gert::TilingContext* context, bool batched, bool exactColumns) {
  if (context == nullptr || context->GetPlatformInfo() == nullptr) return ge::GRAPH_FAILED;
  PointsInBoxesTilingData t;
  if (!ReadShape(context, batched, exactColumns, t)) return ge::GRAPH_FAILED;
  const ascend_kit::CoreInfo core = ascend_kit::QueryCores(context);
  const uint32_t chunk = ChunkFor(core.ubSize);
  const uint32_t numChunks = (t.get_n() + chunk - 1) / chunk;
  const uint32_t tasks = t.get_bs() * numChunks;
  const uint32_t used = std::max<uint32_t>(1, std::min<uint32_t>(tasks, core.coreNum));
  t.set_chunk(chunk);
  t.set_numChunks(numChunks);
  t.set_usedCoreNum(used);
  t.set_tasksPerCore(tasks / used);
  t.set_tasksRemainder(tasks % used);
  return ascend_kit::SaveTiling(context, t, used, core.sysWorkspace);
}

// Output [M, N] (mask ops) or [B, N] (first op).
inline ge::graphStatus InferShape(gert::InferShapeContext* context, bool batched) {
  const gert::Shape* p = context->GetInputShape(0);
  const gert::Shape* b = context->GetInputShape(1);
  gert::Shape* out = context->GetOutputShape(0);
  if (p == nullptr || b == nullptr || out == nullptr) return ge::GRAPH_FAILED;
  const size_t rank = batched ? 3 : 2;
  if (p->GetDimNum() != rank || b->GetDimNum() != rank) return ge::GRAPH_FAILED;
  out->SetDimNum(2);
  out->SetDim(0, batched ? p->GetDim(0) : b->GetDim(0));
  out->SetDim(1, batched ? p->GetDim(1) : p->GetDim(0));
  return ge::GRAPH_SUCCESS;
}

// Inputs points, boxes, rotation (float32 only: the upstream's type); one int32 output.
inline const ascend_kit::OpIO& IO(bool first) {
  using ascend_kit::TensorDef;
  static const ascend_kit::OpIO mask(
      {TensorDef("points", ascend_kit::kFloat), TensorDef("boxes", ascend_kit::kFloat),
       TensorDef("rotation", ascend_kit::kFloat)},
      {TensorDef("mask", ascend_kit::kInt32)}, {ge::DT_FLOAT});
  static const ascend_kit::OpIO index(
      {TensorDef("points", ascend_kit::kFloat), TensorDef("boxes", ascend_kit::kFloat),
       TensorDef("rotation", ascend_kit::kFloat)},
      {TensorDef("box_index", ascend_kit::kInt32)}, {ge::DT_FLOAT});
  return first ? index : mask;
}

}  // namespace pib_host
}  // namespace optiling
#endif  // ASCEND_KIT_POINTS_IN_BOXES_HOST_H
