// sparse2bev: host-side tiling plans of Sparse2bev and Sparse2bevGrad (pure C++, no CANN headers).
//
// Forward (Sparse2bev). The output bev [B, C, Y, X] is cut into tasks (b, channel chunk, cell
// chunk): cTile channels (tail cTail) x `len` consecutive cells y * X + x (tail lenTail) of batch
// item b. A task owns its output block and writes all of it (zeros included) with one strided
// DataCopyPad (cLen rows of len elements), so there are no atomics and no zero-filled output;
// tasks of channel chunk 0 also write mask[b, cells]. Every task scans all voxels (coors tiles
// of tileVoxels rows) and adds the rows of the voxels inside its cells, in input order (the same
// order as the CPU kernel). Core i gets tasksPerCore + (i < tasksRemainder) consecutive tasks.
//
// Grad (Sparse2bevGrad). Task = one voxel; core i gets a balanced range of voxels. Per voxel and
// channel chunk (cTile channels) one DataCopyPad reads grad_bev[b, c0 : c0 + cLen, y, x] (cLen
// blocks of one element, GM stride Y * X elements, one 32 B UB slot each) and a Gather packs them
// into the output row.
//
// The UB formulas mirror the kernels' InitBuffer calls one for one; keep them in sync.
#pragma once
#include <cstdint>
#include <string>

namespace s2b_plan {

constexpr uint64_t kBlock = 32;           // UB / DataCopy granularity in bytes
constexpr uint64_t kCellAlign = 16;       // cell chunks are padded to 16 elements in UB
constexpr uint64_t kMaxBlockCount = 4095; // DataCopyPad blockCount limit
constexpr uint64_t kMaxBlockLen = 65535;  // DataCopyPad blockLen limit (bytes)
constexpr uint64_t kMaxStride = 0xFFFFFFFFull;  // DataCopyExtParams GM stride (uint32 bytes)
constexpr uint64_t kTileVoxels = 512;     // coors rows per scan tile (512 * 16 B = 8 KiB)

inline uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }
inline uint64_t CeilDiv(uint64_t x, uint64_t a) { return (x + a - 1) / a; }

struct Shape {
  uint64_t voxels, channels, batch, nz, ny, nx;
};

struct Plan {
  uint32_t usedCoreNum = 1, tasks = 0, tasksPerCore = 0, tasksRemainder = 0;
  uint32_t cTile = 0, numCC = 0, cTail = 0;        // channel chunks
  uint32_t len = 0, numChunks = 0, lenTail = 0;    // forward: cell chunks of one plane
  uint32_t lenAl = 0;                              // forward: len rounded up to kCellAlign
  uint32_t tileVoxels = 0;                         // coors rows per UB tile
  uint64_t ubBytes = 0;                            // UB the kernel allocates
};

inline void SplitTasks(uint64_t tasks, uint64_t cores, Plan& p) {
  p.tasks = static_cast<uint32_t>(tasks);
  p.usedCoreNum = static_cast<uint32_t>(tasks == 0 ? 1 : (tasks < cores ? tasks : cores));
  p.tasksPerCore = static_cast<uint32_t>(tasks / p.usedCoreNum);
  p.tasksRemainder = static_cast<uint32_t>(tasks % p.usedCoreNum);
}

inline std::string CheckShape(const Shape& s) {
  if (s.batch == 0 || s.nz == 0 || s.ny == 0 || s.nx == 0) return "batch_size and spatial sizes must be >= 1";
  const uint64_t lim = 0xFFFFFFFFull;
  if (s.voxels > lim || s.channels > lim || s.ny * s.nx > lim / 4 || s.batch * s.ny * s.nx > lim)
    return "sizes beyond the uint32 tiling fields";
  return "";
}

// Forward UB bytes for (cTile, lenAl): coors tile, one feature row, the float32 accumulator, the
// float16 output copy (elem 2), the mask chunk.
inline uint64_t ForwardBytes(uint64_t cTile, uint64_t lenAl, uint64_t elem, uint64_t tileVoxels) {
  uint64_t b = AlignUp(tileVoxels * 16, kBlock) + AlignUp(cTile * elem, kBlock) + AlignUp(cTile * lenAl * 4, kBlock) +
               AlignUp(lenAl * 4, kBlock);
  if (elem != 4) b += AlignUp(cTile * lenAl * elem, kBlock);
  return b;
}

inline std::string MakeForward(const Shape& s, uint64_t elem, uint64_t ubSize, uint64_t coreNum, Plan& p) {
  if (coreNum == 0) return "platform reports 0 vector cores";
  if (elem != 2 && elem != 4) return "unsupported element size";
  const std::string bad = CheckShape(s);
  if (!bad.empty()) return bad;
  const uint64_t hw = s.ny * s.nx;
  p.tileVoxels = static_cast<uint32_t>(kTileVoxels);
  // Channels: all of them when 16 cells fit, else the most that do (and <= blockCount limit).
  const uint64_t C = s.channels == 0 ? 1 : s.channels;
  uint64_t cTile = C < kMaxBlockCount ? C : kMaxBlockCount;
  while (cTile > 1 && ForwardBytes(cTile, kCellAlign, elem, kTileVoxels) > ubSize) cTile = (cTile + 1) / 2;
  if (ForwardBytes(cTile, kCellAlign, elem, kTileVoxels) > ubSize) return "UB too small for one channel x 16 cells";
  p.cTile = static_cast<uint32_t>(cTile);
  p.numCC = static_cast<uint32_t>(CeilDiv(C, cTile));
  p.cTail = static_cast<uint32_t>(s.channels == 0 ? 0 : s.channels - (p.numCC - 1) * cTile);
  // Cells: as many as UB holds, within the blockLen limit, and small enough that the tasks
  // cover the cores (each task rescans all voxels, so no smaller than that).
  uint64_t len = AlignUp(hw, kCellAlign);
  const uint64_t maxLen = kMaxBlockLen / 4 / kCellAlign * kCellAlign;   // the int32 mask row bounds it
  if (len > maxLen) len = maxLen;
  const uint64_t perPlane = CeilDiv(coreNum, s.batch * p.numCC);   // chunks per plane wanted
  const uint64_t balanced = AlignUp(CeilDiv(hw, perPlane), kCellAlign);
  if (len > balanced) len = balanced;
  while (len > kCellAlign && ForwardBytes(cTile, len, elem, kTileVoxels) > ubSize) len -= kCellAlign;
  // Each core runs ceil(tasks / coreNum) rounds (a voxel scan each); spread the cells evenly
  // over rounds * coreNum tasks.
  const uint64_t planes = s.batch * p.numCC;
  const uint64_t rounds = CeilDiv(planes * CeilDiv(hw, len), coreNum);
  const uint64_t perPlaneEven = rounds * coreNum / planes;
  if (perPlaneEven > 0) {
    const uint64_t even = AlignUp(CeilDiv(hw, perPlaneEven), kCellAlign);
    if (even < len) len = even;
  }
  if (len > hw) len = hw;   // one chunk covering a small plane exactly
  p.len = static_cast<uint32_t>(len);
  p.lenAl = static_cast<uint32_t>(AlignUp(len, kCellAlign));
  p.numChunks = static_cast<uint32_t>(CeilDiv(hw, len));
  p.lenTail = static_cast<uint32_t>(hw - (p.numChunks - 1) * len);
  if ((hw - 1) * elem > kMaxStride) return "Y * X too large for a DataCopyPad stride";
  SplitTasks(s.batch * p.numCC * p.numChunks, coreNum, p);
  p.ubBytes = ForwardBytes(cTile, p.lenAl, elem, kTileVoxels);
  return "";
}

// Grad UB bytes: coors tile, 2-deep staged queue (cTile slots of 32 B), Gather offset table,
// 2-deep output row queue.
inline uint64_t GradBytes(uint64_t cTile, uint64_t elem, uint64_t tileVoxels) {
  return AlignUp(tileVoxels * 16, kBlock) + 2 * cTile * kBlock + AlignUp(cTile * 4, kBlock) +
         2 * AlignUp(cTile * elem, kBlock);
}

inline std::string MakeGrad(const Shape& s, uint64_t elem, uint64_t ubSize, uint64_t coreNum, Plan& p) {
  if (coreNum == 0) return "platform reports 0 vector cores";
  if (elem != 2 && elem != 4) return "unsupported element size";
  const std::string bad = CheckShape(s);
  if (!bad.empty()) return bad;
  if ((s.ny * s.nx - 1) * elem > kMaxStride) return "Y * X too large for a DataCopyPad stride";
  p.tileVoxels = static_cast<uint32_t>(kTileVoxels);
  const uint64_t C = s.channels == 0 ? 1 : s.channels;
  uint64_t cTile = C < kMaxBlockCount ? C : kMaxBlockCount;
  while (cTile > 1 && GradBytes(cTile, elem, kTileVoxels) > ubSize) cTile = (cTile + 1) / 2;
  if (GradBytes(cTile, elem, kTileVoxels) > ubSize) return "UB too small for one channel";
  p.cTile = static_cast<uint32_t>(cTile);
  p.numCC = static_cast<uint32_t>(CeilDiv(C, cTile));
  p.cTail = static_cast<uint32_t>(s.channels == 0 ? 0 : s.channels - (p.numCC - 1) * cTile);
  SplitTasks(s.voxels, coreNum, p);
  p.ubBytes = GradBytes(cTile, elem, kTileVoxels);
  return "";
}

}  // namespace s2b_plan
