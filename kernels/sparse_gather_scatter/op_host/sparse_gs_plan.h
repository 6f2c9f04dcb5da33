// sparse_gather / sparse_scatter_add: host-side tiling plans of the Ascend C ops SparseGather
// and SparseScatterAdd (pure C++, no CANN headers).
//
// SparseGather (out[p] = features[index[p]], rows moved as words): the P pairs go to
// min(coreNum, P) vector cores, core i a contiguous balanced range; each core walks its range
// in tiles of tileRows pairs: the tile's index values come in with one DataCopyPad, each run of
// consecutive source rows with one DataCopyPad (GM -> UB, rows 32 B aligned in UB), and the tile
// leaves with one DataCopyPad of tileRows rows (UB -> GM, contiguous in GM).
//
// SparseScatterAdd (out[r] = sum of values[order[j]] for row_ptr[r] <= j < row_ptr[r + 1]; the
// binding passes the pairs sorted by (row, pair number) as order, and row_ptr = the CSR
// offsets): the num_rows OUTPUT rows go to the cores, core i a contiguous balanced range, so
// every output row is written by exactly one core and summed in pair order (deterministic, no
// atomics). A core walks its rows in tiles of tileRows rows accumulated in float32 in UB (order
// read in chunks of kOrderChunk entries, one DataCopyPad per value row) and written with one
// DataCopyPad per tile (float16 rounded once from the float32 sums).
//
// The UB formulas mirror the kernels' InitBuffer calls one for one; keep them in sync.
#pragma once
#include <cstdint>
#include <string>

namespace sgs_plan {

constexpr uint64_t kBlock = 32;             // UB / DataCopy granularity in bytes
constexpr uint64_t kMaxBlockCount = 4095;   // DataCopyPad blockCount limit
constexpr uint64_t kMaxBlockLen = 65535;    // DataCopyPad blockLen limit (bytes)
constexpr uint64_t kMaxTileRows = 1024;
constexpr uint64_t kOrderChunk = 256;       // order entries read per DataCopyPad
constexpr uint64_t kUbReserve = 8 * 1024;   // UB left unused (stack, alignment)

inline uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

struct Plan {
  uint32_t usedCoreNum = 1, rowsPerCore = 0, rowsRemainder = 0, tileRows = 1;
  uint64_t ubBytes = 0;
};

// Splits `rows` over at most `cores` cores and picks the largest tile with
// fixedBytes + tileRows * bytesPerRow <= UB budget (and within the DataCopyPad block count).
inline std::string Split(uint64_t rows, uint64_t cores, uint64_t ubSize, uint64_t fixedBytes, uint64_t bytesPerRow,
                         Plan& p) {
  if (cores == 0) return "platform reports 0 vector cores";
  p.usedCoreNum = static_cast<uint32_t>(rows == 0 ? 1 : (rows < cores ? rows : cores));
  p.rowsPerCore = static_cast<uint32_t>(rows / p.usedCoreNum);
  p.rowsRemainder = static_cast<uint32_t>(rows % p.usedCoreNum);
  if (ubSize <= kUbReserve + fixedBytes + bytesPerRow) return "one row does not fit UB";
  uint64_t tile = (ubSize - kUbReserve - fixedBytes) / bytesPerRow;
  if (tile > kMaxTileRows) tile = kMaxTileRows;
  if (tile > kMaxBlockCount) tile = kMaxBlockCount;
  const uint64_t perCore = p.rowsPerCore + (p.rowsRemainder ? 1 : 0);
  if (perCore > 0 && tile > perCore) tile = perCore;
  p.tileRows = static_cast<uint32_t>(tile == 0 ? 1 : tile);
  p.ubBytes = fixedBytes + p.tileRows * bytesPerRow;
  return "";
}

// SparseGather: UB per pair = its row (padded to 32 B) + its index value (int32); fixed: the
// index buffer's 32 B rounding.
inline std::string MakeGather(uint64_t pairs, uint64_t channels, uint64_t wordBytes, uint64_t cores, uint64_t ubSize,
                              Plan& p) {
  const uint64_t rowBytes = channels * wordBytes;
  if (rowBytes > kMaxBlockLen) return "a row is longer than 65535 bytes (DataCopyPad blockLen)";
  if (pairs > 0xFFFFFFFFull) return "more than 2^32 - 1 pairs";
  return Split(pairs, cores, ubSize, kBlock, AlignUp(rowBytes == 0 ? 1 : rowBytes, kBlock) + 4, p);
}

// SparseScatterAdd, elem = 4 (float32) or 2 (float16) bytes. UB per output row: its float32
// accumulator row + (float16) its output row + its row_ptr entry; fixed: one value row in elem,
// (float16) its float32 copy, the order chunk, row_ptr's extra entry and rounding.
inline uint64_t ScatterFixedBytes(uint64_t channels, uint64_t elem) {
  uint64_t b = AlignUp(channels * elem, kBlock) + AlignUp(kOrderChunk * 4, kBlock) + 2 * kBlock;
  if (elem != 4) b += AlignUp(channels * 4, kBlock);
  return b;
}
inline uint64_t ScatterBytesPerRow(uint64_t channels, uint64_t elem) {
  return AlignUp(channels * 4, kBlock) + (elem != 4 ? AlignUp(channels * elem, kBlock) : 0) + 4;
}

inline std::string MakeScatterAdd(uint64_t numRows, uint64_t pairs, uint64_t channels, uint64_t elem, uint64_t cores,
                                  uint64_t ubSize, Plan& p) {
  if (elem != 2 && elem != 4) return "unsupported element size";
  if (channels * 4 > kMaxBlockLen) return "a row is longer than 65535 bytes (DataCopyPad blockLen)";
  if (numRows >= 0xFFFFFFFFull || pairs > 0x7FFFFFFFull) return "sizes beyond the uint32 / int32 tiling fields";
  const uint64_t c = channels == 0 ? 1 : channels;
  return Split(numRows, cores, ubSize, ScatterFixedBytes(c, elem), ScatterBytesPerRow(c, elem), p);
}

}  // namespace sgs_plan
