// Sparse2bev / Sparse2bevGrad host side shared by both op_host sources: the attributes, reading
// the sizes, and the OpDef parts both ops have.
// Attributes (OpDef order), as the torch op's: spatial_shape (ListInt, 3 entries (Z, Y, X),
// each >= 1) and batch_size (Int >= 1).
#ifndef ASCEND_KIT_SPARSE2BEV_HOST_H
#define ASCEND_KIT_SPARSE2BEV_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "sparse2bev_plan.h"

namespace optiling {
namespace s2b_host {

// batch_size, Z, Y, X, read from the attributes.
constexpr int kNumAttrs = 4;

// batch_size, Z, Y, X from the attributes spatial_shape (index 0) and batch_size (index 1);
// false when one is missing, spatial_shape has not 3 entries, or a value is < 1.
template <typename Context>
inline bool ReadAttrs(Context* context, uint64_t (&v)[kNumAttrs]) {
  const auto* attrs = context->GetAttrs();
  if (attrs == nullptr) return false;
  const auto* shape = attrs->GetListInt(0);
  const int64_t* batch = attrs->GetInt(1);
  if (shape == nullptr || batch == nullptr || shape->GetSize() != 3 || *batch < 1) return false;
  v[0] = static_cast<uint64_t>(*batch);
  for (int k = 0; k < 3; ++k) {
    const int64_t s = shape->GetData()[k];
    if (s < 1) return false;
    v[k + 1] = static_cast<uint64_t>(s);
  }
  return true;
}

// Sizes from input 0 ([M, C] features or [B, C, Y, X] grad_bev: C is dim 1), coors [M, 4] (input
// 1) and the attributes; false when something is missing or inconsistent.
inline bool ReadShape(gert::TilingContext* context, s2b_plan::Shape& s) {
  const gert::StorageShape* in0 = context->GetInputShape(0);
  const gert::StorageShape* coors = context->GetInputShape(1);
  uint64_t a[kNumAttrs];
  if (in0 == nullptr || coors == nullptr || !ReadAttrs(context, a)) return false;
  const gert::Shape& x = in0->GetStorageShape();
  const gert::Shape& c = coors->GetStorageShape();
  if (c.GetDimNum() != 2 || c.GetDim(1) != 4 || x.GetDimNum() < 2) return false;
  s = s2b_plan::Shape{static_cast<uint64_t>(c.GetDim(0)), static_cast<uint64_t>(x.GetDim(1)), a[0], a[1], a[2], a[3]};
  return true;
}

template <typename TilingData>
inline void SetCommon(TilingData& t, const s2b_plan::Shape& s, const s2b_plan::Plan& p) {
  t.set_voxels(static_cast<uint32_t>(s.voxels)); t.set_channels(static_cast<uint32_t>(s.channels));
  t.set_batch(static_cast<uint32_t>(s.batch)); t.set_nz(static_cast<uint32_t>(s.nz));
  t.set_ny(static_cast<uint32_t>(s.ny)); t.set_nx(static_cast<uint32_t>(s.nx));
  t.set_usedCoreNum(p.usedCoreNum); t.set_tasksPerCore(p.tasksPerCore); t.set_tasksRemainder(p.tasksRemainder);
  t.set_cTile(p.cTile); t.set_numCC(p.numCC); t.set_cTail(p.cTail); t.set_tileVoxels(p.tileVoxels);
}

// Input 0 (fp32|fp16) named `first`, coors (int32), the attributes spatial_shape and batch_size.
inline void AddInputsAndAttrs(ops::OpDef& def, const char* first) {
  const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
  def.Input(first).ParamType(ops::REQUIRED).DataType({ge::DT_FLOAT, ge::DT_FLOAT16}).Format(nd).UnknownShapeFormat(nd);
  def.Input("coors").ParamType(ops::REQUIRED).DataType({ge::DT_INT32, ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
  def.Attr("spatial_shape").AttrType(ops::REQUIRED).ListInt();
  def.Attr("batch_size").AttrType(ops::REQUIRED).Int();
}

}  // namespace s2b_host
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE2BEV_HOST_H
