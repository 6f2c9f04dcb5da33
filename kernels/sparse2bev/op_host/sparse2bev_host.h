// Sparse2bev / Sparse2bevGrad host side shared by both op_host sources: the attributes, reading
// the sizes, and the OpDef parts both ops have.
// Attributes (OpDef order): batch_size, size_z, size_y, size_x (ints >= 1): the torch op's
// batch_size and spatial_shape (Z, Y, X). Scalar Int attributes (not one ListInt) so that the
// aclnn call passes them as plain int64_t arguments.
#ifndef ASCEND_KIT_SPARSE2BEV_HOST_H
#define ASCEND_KIT_SPARSE2BEV_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "sparse2bev_plan.h"

namespace optiling {
namespace s2b_host {

constexpr int kNumAttrs = 4;
constexpr const char* kAttrs[kNumAttrs] = {"batch_size", "size_z", "size_y", "size_x"};

// batch_size, Z, Y, X from the attributes; false when one is missing or < 1.
template <typename Context>
inline bool ReadAttrs(Context* context, uint64_t (&v)[kNumAttrs]) {
  const auto* attrs = context->GetAttrs();
  if (attrs == nullptr) return false;
  for (int k = 0; k < kNumAttrs; ++k) {
    const int64_t* a = attrs->GetInt(k);
    if (a == nullptr || *a < 1) return false;
    v[k] = static_cast<uint64_t>(*a);
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

// Input 0 (fp32|fp16) named `first`, coors (int32), the four Int attributes.
inline void AddInputsAndAttrs(ops::OpDef& def, const char* first) {
  const std::vector<ge::Format> nd = {ge::FORMAT_ND, ge::FORMAT_ND};
  def.Input(first).ParamType(ops::REQUIRED).DataType({ge::DT_FLOAT, ge::DT_FLOAT16}).Format(nd).UnknownShapeFormat(nd);
  def.Input("coors").ParamType(ops::REQUIRED).DataType({ge::DT_INT32, ge::DT_INT32}).Format(nd).UnknownShapeFormat(nd);
  for (const char* name : kAttrs) def.Attr(name).AttrType(ops::REQUIRED).Int();
}

}  // namespace s2b_host
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE2BEV_HOST_H
