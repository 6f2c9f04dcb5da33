// sparse_kernel_map Ascend C vector kernels (AIV), shared by the two op_kernel sources.
//
// Geometry (a transcription of kernels/sparse_kernel_map/sparse_kernel_map_math.h, which the
// CPU and CUDA kernels use; op_kernel sources are built alone by CANN, so they cannot include it):
// per axis a, kernel index k, input extent S, output extent O:
//   mode 0: i = o + (k - K/2) d           mode 1: i = o s - p + k d
//   mode 2: o = i s - p + k d  (so i = (o + p - k d) / s when divisible)
// with 0 <= i < S, 0 <= o < O. Offset k = (kz * KY + ky) * KX + kx; key of (b, z, y, x) on a grid
// (Z, Y, X) = ((b Z + z) Y + y) X + x (int64). Integer work on the scalar unit.
//
// Work split (both ops): core i owns a contiguous, balanced range of rows (tiling); per tile of
// tileRows rows, one DataCopyPad of the coords rows into UB, scalar passes writing UB, one
// DataCopyPad per output row segment out. Each output element has one writer: no atomics.
#ifndef ASCEND_KIT_SPARSE_KERNEL_MAP_KERNEL_H
#define ASCEND_KIT_SPARSE_KERNEL_MAP_KERNEL_H
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

namespace skm_kernel {

using namespace AscendC;

struct Geometry {
  int64_t in[3], out[3], kernel[3], stride[3], padding[3], dilation[3];
  int64_t batch, numOffsets;
  uint32_t mode;
};

template <typename Tiling>
__aicore__ inline void LoadGeometry(const Tiling& t, Geometry& g) {
  for (int a = 0; a < 3; ++a) {
    g.in[a] = t.inShape[a]; g.out[a] = t.outShape[a]; g.kernel[a] = t.kernel[a];
    g.stride[a] = t.stride[a]; g.padding[a] = t.padding[a]; g.dilation[a] = t.dilation[a];
  }
  g.batch = t.batch; g.numOffsets = t.numOffsets; g.mode = t.mode;
}

__aicore__ inline int64_t EncodeKey(int64_t b, int64_t z, int64_t y, int64_t x, const int64_t* shape) {
  return ((b * shape[0] + z) * shape[1] + y) * shape[2] + x;
}

// Per-axis kernel indices of offset k.
__aicore__ inline void OffsetIndices(const Geometry& g, int64_t k, int64_t* kk) {
  kk[2] = k % g.kernel[2];
  k /= g.kernel[2];
  kk[1] = k % g.kernel[1];
  kk[0] = k / g.kernel[1];
}

// Output coordinate on axis a reached from input coordinate i through kernel index k, or -1
// (modes 1, 2).
__aicore__ inline int64_t OutputCoord(const Geometry& g, int a, int64_t i, int64_t k) {
  int64_t o;
  if (g.mode == 1) {
    const int64_t t = i + g.padding[a] - k * g.dilation[a];
    if (t < 0 || t % g.stride[a] != 0) return -1;
    o = t / g.stride[a];
  } else {
    o = i * g.stride[a] - g.padding[a] + k * g.dilation[a];
  }
  return (o >= 0 && o < g.out[a]) ? o : -1;
}

// Input coordinate on axis a read by output coordinate o through kernel index k, or -1.
__aicore__ inline int64_t InputCoord(const Geometry& g, int a, int64_t o, int64_t k) {
  int64_t i;
  if (g.mode == 0) {
    i = o + (k - g.kernel[a] / 2) * g.dilation[a];
  } else if (g.mode == 1) {
    i = o * g.stride[a] - g.padding[a] + k * g.dilation[a];
  } else {
    const int64_t t = o + g.padding[a] - k * g.dilation[a];
    if (t < 0 || t % g.stride[a] != 0) return -1;
    i = t / g.stride[a];
  }
  return (i >= 0 && i < g.in[a]) ? i : -1;
}

// One coords row (b, z, y, x) of a UB tile, widened.
__aicore__ inline void RowAt(const LocalTensor<int32_t>& coords, uint32_t j, int64_t* site) {
  for (int c = 0; c < 4; ++c) site[c] = static_cast<int64_t>(coords.GetValue(4 * j + c));
}

// Copies n int32 values UB -> GM at dst, waiting for the scalar writes first and for the copy
// before the buffer is written again. int64 rows are stored as twice as many int32 words (the
// official DataCopyPad takes 8-byte types too; the words form is the same bytes).
template <typename T>
__aicore__ inline void StoreRow(const GlobalTensor<T>& dst, const LocalTensor<T>& src, uint32_t n) {
  SetFlag<HardEvent::S_MTE3>(0);
  WaitFlag<HardEvent::S_MTE3>(0);
  DataCopyPad(dst, src, DataCopyExtParams{1, static_cast<uint32_t>(n * sizeof(T)), 0, 0, 0});
  SetFlag<HardEvent::MTE3_S>(0);
  WaitFlag<HardEvent::MTE3_S>(0);
}

// Loads n coords rows GM -> UB and waits for them before scalar reads.
__aicore__ inline void LoadRows(const LocalTensor<int32_t>& dst, const GlobalTensor<int32_t>& src, uint32_t n) {
  SetFlag<HardEvent::S_MTE2>(0);   // the previous tile's scalar reads are done
  WaitFlag<HardEvent::S_MTE2>(0);
  ascend_kit::CopyIn(dst, src, n * 4);
  SetFlag<HardEvent::MTE2_S>(0);
  WaitFlag<HardEvent::MTE2_S>(0);
}

// SparseKernelMapKeys: in_keys[i] and cand[k, i] (op_host/sparse_kernel_map_keys.cpp).
template <typename Tiling>
class KeysKernel {
 public:
  __aicore__ inline KeysKernel() {}

  __aicore__ inline void Init(GM_ADDR coords, GM_ADDR inKeys, GM_ADDR cand, const Tiling& t, TPipe* pipe) {
    LoadGeometry(t, g_);
    n_ = t.numRows; candRows_ = t.candRows; tileRows_ = t.tileRows;
    ascend_kit::CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    coordsGm_.SetGlobalBuffer((__gm__ int32_t*)coords, static_cast<uint64_t>(n_) * 4);
    keysGm_.SetGlobalBuffer((__gm__ int32_t*)inKeys, static_cast<uint64_t>(n_) * 2);
    candGm_.SetGlobalBuffer((__gm__ int32_t*)cand, static_cast<uint64_t>(candRows_) * n_ * 2);
    pipe->InitBuffer(coordsBuf_, ascend_kit::Bytes32(tileRows_ * 16));
    pipe->InitBuffer(keysBuf_, ascend_kit::Bytes32(tileRows_ * 8));
    pipe->InitBuffer(candBuf_, ascend_kit::Bytes32(tileRows_ * 8));
  }

  __aicore__ inline void Process() {
    LocalTensor<int32_t> coords = coordsBuf_.Get<int32_t>();
    LocalTensor<int64_t> keys = keysBuf_.Get<int64_t>();
    LocalTensor<int64_t> cand = candBuf_.Get<int64_t>();
    const uint32_t end = begin_ + count_;
    for (uint32_t r0 = begin_; r0 < end; r0 += tileRows_) {
      const uint32_t n = end - r0 < tileRows_ ? end - r0 : tileRows_;
      LoadRows(coords, coordsGm_[static_cast<uint64_t>(r0) * 4], n);
      for (uint32_t j = 0; j < n; ++j) {
        int64_t s[4];
        RowAt(coords, j, s);
        const bool inside = s[0] >= 0 && s[0] < g_.batch && s[1] >= 0 && s[1] < g_.in[0] && s[2] >= 0 &&
                            s[2] < g_.in[1] && s[3] >= 0 && s[3] < g_.in[2];
        keys.SetValue(j, inside ? EncodeKey(s[0], s[1], s[2], s[3], g_.in) : -1);
      }
      StoreRow(keysGm_[static_cast<uint64_t>(r0) * 2], keys.ReinterpretCast<int32_t>(), 2 * n);
      for (uint32_t k = 0; k < candRows_; ++k) {
        int64_t kk[3];
        OffsetIndices(g_, k, kk);
        for (uint32_t j = 0; j < n; ++j) {
          int64_t s[4], o[3];
          RowAt(coords, j, s);
          int64_t key = keys.GetValue(j) < 0 ? -1 : 0;   // rows outside the grid reach nothing
          for (int a = 0; a < 3 && key == 0; ++a) {
            o[a] = OutputCoord(g_, a, s[a + 1], kk[a]);
            if (o[a] < 0) key = -1;
          }
          cand.SetValue(j, key < 0 ? -1 : EncodeKey(s[0], o[0], o[1], o[2], g_.out));
        }
        StoreRow(candGm_[(static_cast<uint64_t>(k) * n_ + r0) * 2], cand.ReinterpretCast<int32_t>(), 2 * n);
      }
    }
  }

 private:
  Geometry g_;
  GlobalTensor<int32_t> coordsGm_, keysGm_, candGm_;   // in_keys / cand as int32 words
  TBuf<TPosition::VECCALC> coordsBuf_, keysBuf_, candBuf_;
  uint32_t n_, candRows_, tileRows_, begin_, count_;
};

// SparseKernelMapLookup: lo[k, o] and count[k, o] (op_host/sparse_kernel_map_lookup.cpp). The
// binary search reads sorted_keys in GM with scalar loads.
template <typename Tiling>
class LookupKernel {
 public:
  __aicore__ inline LookupKernel() {}

  __aicore__ inline void Init(GM_ADDR outCoords, GM_ADDR sortedKeys, GM_ADDR lo, GM_ADDR count, const Tiling& t,
                              TPipe* pipe) {
    LoadGeometry(t, g_);
    m_ = t.numRows; n_ = t.numKeys; tileRows_ = t.tileRows;
    ascend_kit::CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    coordsGm_.SetGlobalBuffer((__gm__ int32_t*)outCoords, static_cast<uint64_t>(m_) * 4);
    keysGm_.SetGlobalBuffer((__gm__ int64_t*)sortedKeys, n_);
    loGm_.SetGlobalBuffer((__gm__ int32_t*)lo, static_cast<uint64_t>(g_.numOffsets) * m_);
    countGm_.SetGlobalBuffer((__gm__ int32_t*)count, static_cast<uint64_t>(g_.numOffsets) * m_);
    pipe->InitBuffer(coordsBuf_, ascend_kit::Bytes32(tileRows_ * 16));
    pipe->InitBuffer(loBuf_, ascend_kit::Bytes32(tileRows_ * 4));
    pipe->InitBuffer(countBuf_, ascend_kit::Bytes32(tileRows_ * 4));
  }

  __aicore__ inline void Process() {
    LocalTensor<int32_t> coords = coordsBuf_.Get<int32_t>();
    LocalTensor<int32_t> lo = loBuf_.Get<int32_t>();
    LocalTensor<int32_t> count = countBuf_.Get<int32_t>();
    const uint32_t end = begin_ + count_;
    for (uint32_t r0 = begin_; r0 < end; r0 += tileRows_) {
      const uint32_t n = end - r0 < tileRows_ ? end - r0 : tileRows_;
      LoadRows(coords, coordsGm_[static_cast<uint64_t>(r0) * 4], n);
      for (int64_t k = 0; k < g_.numOffsets; ++k) {
        int64_t kk[3];
        OffsetIndices(g_, k, kk);
        for (uint32_t j = 0; j < n; ++j) {
          int64_t s[4], in[3];
          RowAt(coords, j, s);
          bool inside = true;
          for (int a = 0; a < 3 && inside; ++a) {
            in[a] = InputCoord(g_, a, s[a + 1], kk[a]);
            inside = in[a] >= 0;
          }
          uint32_t first = 0, equal = 0;
          if (inside) {
            const int64_t key = EncodeKey(s[0], in[0], in[1], in[2], g_.in);
            first = LowerBound(key);
            while (first + equal < n_ && keysGm_.GetValue(first + equal) == key) ++equal;
          }
          lo.SetValue(j, static_cast<int32_t>(equal ? first : 0));
          count.SetValue(j, static_cast<int32_t>(equal));
        }
        const uint64_t at = static_cast<uint64_t>(k) * m_ + r0;
        StoreRow(loGm_[at], lo, n);
        StoreRow(countGm_[at], count, n);
      }
    }
  }

 private:
  // First position in sorted_keys whose key is >= key.
  __aicore__ inline uint32_t LowerBound(int64_t key) {
    uint32_t a = 0, b = n_;
    while (a < b) {
      const uint32_t mid = a + (b - a) / 2;
      if (keysGm_.GetValue(mid) < key) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  Geometry g_;
  GlobalTensor<int32_t> coordsGm_, loGm_, countGm_;
  GlobalTensor<int64_t> keysGm_;
  TBuf<TPosition::VECCALC> coordsBuf_, loBuf_, countBuf_;
  uint32_t m_, n_, tileRows_, begin_, count_;
};

}  // namespace skm_kernel
#endif  // ASCEND_KIT_SPARSE_KERNEL_MAP_KERNEL_H
