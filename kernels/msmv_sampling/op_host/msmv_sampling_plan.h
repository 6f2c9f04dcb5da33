// msmv_sampling: host-side tiling plan (pure C++, no CANN headers), shared by the MsmvSampling and
// MsmvSamplingGrad tiling functions.
//
// Work split: the B*Q (batch, query) rows ("tasks") go to min(coreNum, tasks) vector cores; core i
// gets tasksPerCore + (i < tasksRemainder) consecutive rows. Per task the kernel walks channel chunks
// of cTile channels (last chunk cTail) holding all P points of the chunk, because the output slab
// out[b, q, c0:c0+cLen, :] ([C, P] layout) is produced by one Gather transpose of [P][cTile] results.
// The UB formulas mirror the kernels' InitBuffer calls (they may only over-estimate).
#pragma once
#include <cstdint>
#include <string>

namespace msmv_plan {

constexpr uint64_t kBlock = 32;
constexpr uint64_t kChanAlign = 16;
constexpr uint64_t kMaxBlockLen = 65535;

inline uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }
inline uint64_t CeilDiv(uint64_t x, uint64_t a) { return (x + a - 1) / a; }

struct Shape {
  uint64_t batch, views, numFeat, channels, queries, points, levels;
};

struct Plan {
  uint32_t usedCoreNum = 1, taskNum = 0, tasksPerCore = 0, tasksRemainder = 0;
  uint32_t cTile = 0, numChunks = 0, cTail = 0;
  uint64_t ubBytes = 0;
};

inline uint64_t FixedBytes(const Shape& s, uint64_t elem, bool grad) {
  uint64_t b = AlignUp(s.levels * 2 * 4, kBlock) + AlignUp(s.levels * 4, kBlock) +
               AlignUp(s.points * 3 * elem, kBlock) + AlignUp(s.points * s.levels * elem, kBlock);
  if (grad) b += AlignUp((s.levels + 2) * 8 * 4, kBlock) + AlignUp(s.points * s.levels * 4, kBlock) +
                 AlignUp(s.points * 3 * 4, kBlock);
  return b + 8 * kBlock;   // margin for the 32 B rounding of the P-sized buffers below
}

// UB bytes per channel of the tile (see the kernels' Init).
inline uint64_t BytesPerChannel(const Shape& s, uint64_t elem, bool grad) {
  const uint64_t P = s.points;
  uint64_t b = 2 * 4 * elem;                      // corner queue
  if (elem != 4) b += 4 * 4;                      // fp32 corners
  if (!grad) {
    b += 4 + 4 * P + 4 * P + 2 * elem * P;        // value, [P][tile] result, transpose table, output queue
    if (elem != 4) b += 4 * P;                    // fp32 transposed result before the cast
  } else {
    b += elem * P + 4 * P + 4 * P;                // grad_output slab, transposed fp32 copy, its table
    if (elem != 4) b += 4 * P;                    // fp32 slab before the transpose
    b += 4 * 4 + 2 * 4 + 2 * 4 * 4 + 4 + 4;       // top/val/tmp/scratch, x/y partials, grad-feat queue, work, product
  }
  return b;
}

inline std::string Make(const Shape& s, uint64_t elem, uint64_t ubSize, uint64_t coreNum, bool grad, Plan& p) {
  if (coreNum == 0) return "platform reports 0 vector cores";
  if (elem != 2 && elem != 4) return "unsupported element size";
  const uint64_t tasks = s.batch * s.queries;
  p.taskNum = static_cast<uint32_t>(tasks);
  p.usedCoreNum = static_cast<uint32_t>(tasks == 0 ? 1 : (tasks < coreNum ? tasks : coreNum));
  p.tasksPerCore = static_cast<uint32_t>(tasks / p.usedCoreNum);
  p.tasksRemainder = static_cast<uint32_t>(tasks % p.usedCoreNum);
  const uint64_t fixed = FixedBytes(s, elem, grad);
  if (fixed >= ubSize) return "P * (L + 3) location/weight values exceed UB";
  const uint64_t perChan = BytesPerChannel(s, elem, grad);
  uint64_t tile = (ubSize - fixed) / perChan / kChanAlign * kChanAlign;
  const uint64_t pts = s.points == 0 ? 1 : s.points;
  const uint64_t maxBlk = kMaxBlockLen / (pts * elem) / kChanAlign * kChanAlign;   // one DataCopyPad per slab
  if (tile > maxBlk) tile = maxBlk;
  if (tile < kChanAlign) return "UB (or the 64 KiB DataCopyPad limit) too small for 16 channels x P points";
  const uint64_t cAl = AlignUp(s.channels == 0 ? 1 : s.channels, kChanAlign);
  p.cTile = static_cast<uint32_t>(tile < cAl ? tile : cAl);
  p.numChunks = static_cast<uint32_t>(CeilDiv(s.channels, p.cTile));
  p.cTail = static_cast<uint32_t>(s.channels - (p.numChunks == 0 ? 0 : (p.numChunks - 1) * p.cTile));
  p.ubBytes = fixed + AlignUp(p.cTile, kChanAlign) * perChan;
  return "";
}

}  // namespace msmv_plan
