// foreground_gather: host-side tiling plan shared by the three Ascend C ops (pure C++, no CANN
// headers): ForegroundGatherMark (row status), ForegroundGather (ordered compaction) and
// ForegroundGatherGrad (row scatter).
//
// Work split: `rows` rows go to min(coreNum, rows) vector cores; core i gets rowsPerCore +
// (i < rowsRemainder) consecutive rows. Each core walks its rows in tiles of tileRows rows, the
// most that fit the UB budget (bytesPerRow, mirroring the kernel's InitBuffer calls one for one)
// and the DataCopyPad limits (blockCount <= 4095; contiguous copies of a tile <= 65535 B).
#pragma once
#include <cstdint>
#include <string>

namespace fg_plan {

constexpr uint64_t kBlock = 32;             // UB / DataCopy granularity in bytes
constexpr uint64_t kMaxBlockCount = 4095;   // DataCopyPad blockCount limit
constexpr uint64_t kMaxBlockLen = 65535;    // DataCopyPad blockLen limit (bytes)
constexpr uint64_t kMaxTileRows = 1024;
constexpr uint64_t kUbReserve = 8 * 1024;   // UB left unused (stack, alignment)

inline uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

struct Plan {
  uint32_t usedCoreNum = 1, rowsPerCore = 0, rowsRemainder = 0, tileRows = 1;
};

// Split `rows` over at most `cores` cores, and the largest tile with bytesPerRow * tileRows <= UB
// budget and tileRows * contiguousBytesPerRow <= 65535 (rows copied as one DataCopyPad block).
inline std::string Make(uint64_t rows, uint64_t cores, uint64_t ubSize, uint64_t bytesPerRow,
                        uint64_t contiguousBytesPerRow, Plan& p) {
  if (cores == 0) return "platform reports 0 vector cores";
  p.usedCoreNum = static_cast<uint32_t>(rows == 0 ? 1 : (rows < cores ? rows : cores));
  p.rowsPerCore = static_cast<uint32_t>(rows / p.usedCoreNum);
  p.rowsRemainder = static_cast<uint32_t>(rows % p.usedCoreNum);
  if (ubSize <= kUbReserve + bytesPerRow) return "one row does not fit UB";
  uint64_t tile = (ubSize - kUbReserve) / bytesPerRow;
  if (tile > kMaxTileRows) tile = kMaxTileRows;
  if (contiguousBytesPerRow > 0 && tile * contiguousBytesPerRow > kMaxBlockLen) tile = kMaxBlockLen / contiguousBytesPerRow;
  if (tile > kMaxBlockCount) tile = kMaxBlockCount;
  const uint64_t perCore = p.rowsPerCore + (p.rowsRemainder ? 1 : 0);
  if (perCore > 0 && tile > perCore) tile = perCore;
  p.tileRows = static_cast<uint32_t>(tile == 0 ? 1 : tile);
  return "";
}

// UB bytes per row of each kernel (each InitBuffer is tileRows * this, rounded up to 32 B).
inline uint64_t MarkBytesPerRow(uint64_t coorBytes) { return 4 * coorBytes + 4; }   // coors row, status
inline uint64_t GatherBytesPerRow(uint64_t channels, uint64_t wordBytes, uint64_t coorBytes) {
  // feature row and coors row padded to 32 B, position, 4 index slots (runs start 32 B aligned)
  return AlignUp(channels * wordBytes, kBlock) + AlignUp(4 * coorBytes, kBlock) + 4 + 4 * 8;
}
inline uint64_t GradBytesPerRow(uint64_t channels, uint64_t wordBytes) {
  return AlignUp(channels * wordBytes, kBlock) + 8;   // gradient row padded to 32 B, index
}

}  // namespace fg_plan
