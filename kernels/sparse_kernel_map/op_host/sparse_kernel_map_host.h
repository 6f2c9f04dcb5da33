// sparse_kernel_map Ascend C host side shared by SparseKernelMapKeys and SparseKernelMapLookup:
// the attributes (OpDef order, as the torch op's): spatial_shape (ListInt, 3), batch_size (Int),
// kernel_size, stride, padding, dilation (ListInt, 3 each), mode (Int: 0 submanifold, 1 regular,
// 2 transposed); the output extent; the row split; saving the tiling.
// The NPU binding validates every argument first (sparse_kernel_map_check.h); the tiling refuses
// what it cannot take (GRAPH_FAILED) instead of trusting it.
#ifndef ASCEND_KIT_SPARSE_KERNEL_MAP_HOST_H
#define ASCEND_KIT_SPARSE_KERNEL_MAP_HOST_H
#include "common/ascendc/op_host_utils.h"
#include "sparse_kernel_map_tiling_data.h"

namespace optiling {
namespace skm_host {

using ascend_kit::InputDims;
using ascend_kit::InputElemBytes;

constexpr uint64_t kMaxTileRows = 1024;     // rows per tile (coords tile = 16 KiB)
constexpr uint64_t kUbReserve = 8 * 1024;   // UB left unused
constexpr int64_t kMaxExtent = 0x7FFFFFFFLL;

struct Geometry {
  int64_t batch = 0, numOffsets = 0, mode = 0;
  int64_t in[3] = {0, 0, 0}, out[3] = {0, 0, 0};
  int64_t kernel[3] = {0, 0, 0}, stride[3] = {0, 0, 0}, padding[3] = {0, 0, 0}, dilation[3] = {0, 0, 0};
};

// A ListInt attribute of 3 entries in [minimum, 2^31 - 1]; false otherwise.
template <typename Attrs>
inline bool Triple(const Attrs* attrs, size_t idx, int64_t minimum, int64_t* v) {
  const auto* list = attrs->GetListInt(idx);
  if (list == nullptr || list->GetSize() != 3) return false;
  for (size_t a = 0; a < 3; ++a) {
    v[a] = list->GetData()[a];
    if (v[a] < minimum || v[a] > kMaxExtent) return false;
  }
  return true;
}

// The geometry from the attributes; false when one is missing or out of range, or the output
// would be empty (the rules of sparse_kernel_map_check.h; the binding has already raised then).
template <typename Context>
inline bool ReadGeometry(Context* context, Geometry& g) {
  const auto* attrs = context->GetAttrs();
  if (attrs == nullptr) return false;
  const int64_t* batch = attrs->GetInt(1);
  const int64_t* mode = attrs->GetInt(6);
  if (batch == nullptr || mode == nullptr || *batch < 1 || *batch > kMaxExtent || *mode < 0 || *mode > 2) return false;
  if (!Triple(attrs, 0, 1, g.in) || !Triple(attrs, 2, 1, g.kernel) || !Triple(attrs, 3, 1, g.stride) ||
      !Triple(attrs, 4, 0, g.padding) || !Triple(attrs, 5, 1, g.dilation))
    return false;
  g.batch = *batch;
  g.mode = *mode;
  g.numOffsets = g.kernel[0] * g.kernel[1] * g.kernel[2];   // each < 2^31: fits when the binding checked it
  if (g.numOffsets >= kMaxExtent || g.numOffsets / g.kernel[0] / g.kernel[1] != g.kernel[2]) return false;
  for (int a = 0; a < 3; ++a) {
    const int64_t S = g.in[a], K = g.kernel[a], s = g.stride[a], p = g.padding[a], d = g.dilation[a];
    int64_t O;
    if (g.mode == 0) {
      if (K % 2 == 0 || s != 1) return false;
      O = S;
    } else if (g.mode == 1) {
      const int64_t span = S + 2 * p - d * (K - 1) - 1;
      if (span < 0) return false;
      O = span / s + 1;
    } else {
      O = (S - 1) * s - 2 * p + d * (K - 1) + 1;
    }
    if (O < 1 || O - 1 > kMaxExtent) return false;
    g.out[a] = O;
  }
  return true;
}

// The geometry into the tiling data.
inline void SetGeometry(SparseKernelMapTilingData& t, const Geometry& g) {
  t.set_inShape(g.in); t.set_outShape(g.out); t.set_kernel(g.kernel); t.set_stride(g.stride);
  t.set_padding(g.padding); t.set_dilation(g.dilation);
  t.set_batch(g.batch); t.set_numOffsets(g.numOffsets); t.set_mode(static_cast<uint32_t>(g.mode));
}

// Splits `rows` over the cores (contiguous, balanced) with tiles of the most rows whose UB
// buffers (bytesPerRow each, as the kernel's InitBuffer calls) fit; false when nothing fits.
inline bool SplitRows(SparseKernelMapTilingData& t, uint64_t rows, const ascend_kit::CoreInfo& core,
                      uint64_t bytesPerRow) {
  if (core.coreNum == 0 || core.ubSize <= kUbReserve + bytesPerRow || rows > 0xFFFFFFFFull) return false;
  const uint64_t used = rows == 0 ? 1 : (rows < core.coreNum ? rows : core.coreNum);
  t.set_usedCoreNum(static_cast<uint32_t>(used));
  t.set_rowsPerCore(static_cast<uint32_t>(rows / used));
  t.set_rowsRemainder(static_cast<uint32_t>(rows % used));
  uint64_t tile = (core.ubSize - kUbReserve) / bytesPerRow;
  if (tile > kMaxTileRows) tile = kMaxTileRows;
  const uint64_t perCore = rows / used + (rows % used ? 1 : 0);
  if (perCore > 0 && tile > perCore) tile = perCore;
  t.set_tileRows(static_cast<uint32_t>(tile == 0 ? 1 : tile));
  return true;
}

// The attributes, in the torch op's order.
inline void AddAttrs(ops::OpDef& def) {
  def.Attr("spatial_shape").AttrType(ops::REQUIRED).ListInt();
  def.Attr("batch_size").AttrType(ops::REQUIRED).Int();
  def.Attr("kernel_size").AttrType(ops::REQUIRED).ListInt();
  def.Attr("stride").AttrType(ops::REQUIRED).ListInt();
  def.Attr("padding").AttrType(ops::REQUIRED).ListInt();
  def.Attr("dilation").AttrType(ops::REQUIRED).ListInt();
  def.Attr("mode").AttrType(ops::REQUIRED).Int();
}

}  // namespace skm_host
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_KERNEL_MAP_HOST_H
