// deformable_aggregation: host-side tiling plan (pure C++, no CANN headers), shared by the
// DeformableAggregation and DeformableAggregationGrad tiling functions.
//
// Work split: the bs*A output rows ("tasks") go to min(coreNum, tasks) vector cores; core i gets
// tasksPerCore + (i < tasksRemainder) consecutive rows, so core loads differ by at most one row.
// Per task the kernel walks point blocks (ptsPerBlock points whose locations and weights sit in
// UB together) and channel chunks (cTile channels; the last chunk has cTail). The UB formulas
// below mirror the kernel's InitBuffer calls one for one; keep them in sync.
#pragma once
#include <cstdint>
#include <string>

namespace da_plan {

constexpr uint64_t kBlock = 32;        // UB / DataCopy granularity in bytes
constexpr uint64_t kChanAlign = 16;    // channel tiles are multiples of 16 (32 B for fp16/bf16, 64 B for fp32)
constexpr uint64_t kMaxBlockCount = 4095;   // DataCopyPad blockCount limit
constexpr uint64_t kMaxBlockLen = 65535;    // DataCopyPad blockLen limit (bytes)

inline uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }
inline uint64_t CeilDiv(uint64_t x, uint64_t a) { return (x + a - 1) / a; }

struct Shape {
  uint64_t bs, numFeat, channels, anchors, points, cams, scales, groups;
};

struct Plan {
  uint32_t usedCoreNum = 1, taskNum = 0, tasksPerCore = 0, tasksRemainder = 0;
  uint32_t cTile = 0, numChunks = 0, cTail = 0;          // channel chunks
  uint32_t groupsPerChunk = 0;                           // grad only: chunks hold whole groups
  uint32_t ptsPerBlock = 0, numPtBlocks = 0, ptsTail = 0;
  uint32_t gAlign = 0;        // G rounded up to 32 B of the input dtype (weight rows in UB)
  uint32_t permCols = 0;      // grad only: scales * groupsPerChunk rounded up to 8
  uint64_t ubBytes = 0;       // UB the kernel will allocate (sum of 32 B-rounded InitBuffer sizes)
};

// Balanced split of `tasks` rows over at most `cores` cores.
inline void SplitTasks(uint64_t tasks, uint64_t cores, Plan& p) {
  p.taskNum = static_cast<uint32_t>(tasks);
  p.usedCoreNum = static_cast<uint32_t>(tasks == 0 ? 1 : (tasks < cores ? tasks : cores));
  p.tasksPerCore = static_cast<uint32_t>(tasks / p.usedCoreNum);
  p.tasksRemainder = static_cast<uint32_t>(tasks % p.usedCoreNum);
}

// Bytes of the per-point-block buffers (locations, weights in the input dtype, fp32 weights).
inline uint64_t PointBlockBytes(const Shape& s, uint64_t pts, uint64_t elem, uint64_t gAlign, bool grad) {
  const uint64_t rows = pts * s.cams * s.scales;
  uint64_t b = AlignUp(pts * s.cams * 2 * elem, kBlock) + rows * gAlign * elem;
  if (elem != 4) b += rows * gAlign * 4;
  if (grad) {
    b += pts * s.cams * AlignUp(s.scales * s.groups * 4, kBlock);   // grad-weight accumulators
    b += AlignUp(pts * s.cams * 2 * 4, kBlock);                      // grad-location accumulators
  }
  return b;
}

// Forward bytes per channel of cTile: 2-deep corner queue (4 rows), fp32 corner copy (non-fp32
// inputs), bilinear value, expanded weights, Gather offset table, fp32 accumulator, 2-deep output queue.
inline uint64_t ForwardBytesPerChannel(uint64_t elem) {
  uint64_t b = 2 * 4 * elem + 4 + 4 + 4 + 4 + 2 * elem;
  if (elem != 4) b += 4 * 4;
  return b;
}

// Grad bytes per channel: corner queue, fp32 corners, grad_output (input dtype + fp32), expanded
// weights, top, value, scratch, x/y partials (2), 2-deep feature-grad queue (4 rows, fp32),
// weight offset table, reduction scratch, per-level products, permuted products and their table.
inline uint64_t GradBytesPerChannel(uint64_t elem, uint64_t scales) {
  uint64_t b = 2 * 4 * elem + elem + 4 + 4 + 4 + 4 + 4 + 2 * 4 + 2 * 4 * 4 + 4 + 4 + 3 * scales * 4;
  if (elem != 4) b += 4 * 4;
  return b;
}

inline uint64_t FixedBytes(const Shape& s) {
  return AlignUp(s.cams * s.scales * 2 * 4, kBlock) + AlignUp(s.cams * s.scales * 4, kBlock) + kBlock * 8;
}

// Fills `p`; returns "" or an error naming the violated limit.
inline std::string Make(const Shape& s, uint64_t elem, uint64_t ubSize, uint64_t coreNum, bool grad, Plan& p) {
  if (coreNum == 0) return "platform reports 0 vector cores";
  if (s.groups == 0 || s.channels % s.groups != 0) return "C must be divisible by G";
  if (elem != 2 && elem != 4) return "unsupported element size";
  SplitTasks(s.bs * s.anchors, coreNum, p);
  p.gAlign = static_cast<uint32_t>(AlignUp(s.groups, kBlock / elem));
  const uint64_t cg = s.channels / s.groups;
  const uint64_t fixed = FixedBytes(s);
  // Point block: at most a quarter of UB, and within the DataCopyPad limits.
  const uint64_t perPointRows = s.cams * s.scales;
  if (perPointRows > kMaxBlockCount || s.cams * 2 * elem > kMaxBlockLen ||
      s.scales * s.groups * 4 > kMaxBlockLen)
    return "cams*scales (or scales*G) too large for one DataCopyPad";
  uint64_t pts = s.points == 0 ? 1 : s.points;
  while (pts > 1 && (PointBlockBytes(s, pts, elem, p.gAlign, grad) > ubSize / 4 ||
                     pts * perPointRows > kMaxBlockCount || pts * s.cams * 2 * elem > kMaxBlockLen ||
                     pts * s.cams * 2 * 4 > kMaxBlockLen))
    pts = (pts + 1) / 2;
  p.ptsPerBlock = static_cast<uint32_t>(pts);
  p.numPtBlocks = static_cast<uint32_t>(s.points == 0 ? 0 : CeilDiv(s.points, pts));
  p.ptsTail = static_cast<uint32_t>(s.points == 0 ? 0 : s.points - (p.numPtBlocks - 1) * pts);
  const uint64_t pointBytes = PointBlockBytes(s, pts, elem, p.gAlign, grad);
  if (fixed + pointBytes >= ubSize) return "one sampling point's locations and weights exceed UB";
  const uint64_t room = ubSize - fixed - pointBytes;
  if (!grad) {
    const uint64_t perChan = ForwardBytesPerChannel(elem);
    uint64_t tile = room / perChan / kChanAlign * kChanAlign;
    const uint64_t maxBlk = kMaxBlockLen / elem / kChanAlign * kChanAlign;
    if (tile > maxBlk) tile = maxBlk;
    if (tile < kChanAlign) return "UB too small for a 16-channel tile";
    const uint64_t cAl = AlignUp(s.channels == 0 ? 1 : s.channels, kChanAlign);
    p.cTile = static_cast<uint32_t>(tile < cAl ? tile : cAl);
    p.numChunks = static_cast<uint32_t>(CeilDiv(s.channels, p.cTile));
    p.cTail = static_cast<uint32_t>(s.channels - (p.numChunks == 0 ? 0 : (p.numChunks - 1) * p.cTile));
    p.ubBytes = fixed + pointBytes + AlignUp(p.cTile, kChanAlign) * perChan;
    return "";
  }
  // Grad: a chunk is a whole number of groups (the grad-weight reduction works per group).
  const uint64_t perChan = GradBytesPerChannel(elem, s.scales);
  // Buffers are sized by cTileA = AlignUp(cTile, 16), permuted products by cg*permCols.
  uint64_t gpc = s.groups;
  auto bytesFor = [&](uint64_t g) {
    const uint64_t tileA = AlignUp(g * cg, kChanAlign);
    const uint64_t cols = AlignUp(s.scales * g, 8);
    // perChan counts 3*scales*4 per channel for prod/perm/table; perm and table really take cg*cols.
    return fixed + pointBytes + tileA * perChan - tileA * 2 * s.scales * 4 + 2 * AlignUp(cg * cols * 4, kBlock) +
           kBlock;
  };
  while (gpc > 1 && (bytesFor(gpc) > ubSize || gpc * cg * 4 > kMaxBlockLen)) gpc = (gpc + 1) / 2;
  while (gpc > 1 && bytesFor(gpc) > ubSize) --gpc;
  if (bytesFor(gpc) > ubSize || gpc * cg * 4 > kMaxBlockLen)
    return "one channel group (C/G channels) does not fit UB in the backward kernel";
  p.groupsPerChunk = static_cast<uint32_t>(gpc);
  p.cTile = static_cast<uint32_t>(gpc * cg);
  p.numChunks = static_cast<uint32_t>(CeilDiv(s.groups, gpc));
  p.cTail = static_cast<uint32_t>((s.groups - (p.numChunks - 1) * gpc) * cg);
  p.permCols = static_cast<uint32_t>(AlignUp(s.scales * gpc, 8));
  p.ubBytes = bytesFor(gpc);
  return "";
}

}  // namespace da_plan
