// Example Ascend C kernel: z = x + y. Each core takes a contiguous, 32-byte-aligned range
// (former cores one block more); tiles are double buffered; the last partial tile of the last
// core is moved with DataCopyPad.
#include "kernel_operator.h"

using namespace AscendC;

namespace {
constexpr int32_t BUFFER_NUM = 2;

template <typename T>
class KernelAdd {
public:
    __aicore__ inline KernelAdd() {}
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t totalLength, uint32_t formerNum,
                                uint32_t formerLength, uint32_t tailLength, uint32_t tileLength)
    {
        uint32_t blockIdx = GetBlockIdx();
        uint64_t offset;
        if (blockIdx < formerNum) {
            offset = static_cast<uint64_t>(blockIdx) * formerLength;
            coreLength_ = formerLength;
        } else {
            offset = static_cast<uint64_t>(formerNum) * formerLength +
                     static_cast<uint64_t>(blockIdx - formerNum) * tailLength;
            coreLength_ = tailLength;
        }
        if (offset >= totalLength) {
            coreLength_ = 0;
        } else if (offset + coreLength_ > totalLength) {
            coreLength_ = totalLength - offset;  // last core: partial block
        }
        tileLength_ = tileLength;
        xGm_.SetGlobalBuffer((__gm__ T*)x + offset, coreLength_);
        yGm_.SetGlobalBuffer((__gm__ T*)y + offset, coreLength_);
        zGm_.SetGlobalBuffer((__gm__ T*)z + offset, coreLength_);
        pipe_.InitBuffer(inQueueX_, BUFFER_NUM, tileLength_ * sizeof(T));
        pipe_.InitBuffer(inQueueY_, BUFFER_NUM, tileLength_ * sizeof(T));
        pipe_.InitBuffer(outQueueZ_, BUFFER_NUM, tileLength_ * sizeof(T));
    }

    __aicore__ inline void Process()
    {
        uint32_t tileNum = (coreLength_ + tileLength_ - 1) / tileLength_;
        for (uint32_t i = 0; i < tileNum; ++i) {
            uint32_t count = coreLength_ - i * tileLength_;
            if (count > tileLength_) {
                count = tileLength_;
            }
            CopyIn(i, count);
            Compute(count);
            CopyOut(i, count);
        }
    }

private:
    __aicore__ inline void CopyIn(uint32_t progress, uint32_t count)
    {
        LocalTensor<T> xLocal = inQueueX_.AllocTensor<T>();
        LocalTensor<T> yLocal = inQueueY_.AllocTensor<T>();
        uint64_t base = static_cast<uint64_t>(progress) * tileLength_;
        if ((count * sizeof(T)) % 32 == 0) {
            DataCopy(xLocal, xGm_[base], count);
            DataCopy(yLocal, yGm_[base], count);
        } else {
            DataCopyExtParams params{1, static_cast<uint32_t>(count * sizeof(T)), 0, 0, 0};
            DataCopyPadExtParams<T> pad{false, 0, 0, 0};
            DataCopyPad(xLocal, xGm_[base], params, pad);
            DataCopyPad(yLocal, yGm_[base], params, pad);
        }
        inQueueX_.EnQue(xLocal);
        inQueueY_.EnQue(yLocal);
    }

    __aicore__ inline void Compute(uint32_t count)
    {
        LocalTensor<T> xLocal = inQueueX_.DeQue<T>();
        LocalTensor<T> yLocal = inQueueY_.DeQue<T>();
        LocalTensor<T> zLocal = outQueueZ_.AllocTensor<T>();
        Add(zLocal, xLocal, yLocal, count);
        outQueueZ_.EnQue<T>(zLocal);
        inQueueX_.FreeTensor(xLocal);
        inQueueY_.FreeTensor(yLocal);
    }

    __aicore__ inline void CopyOut(uint32_t progress, uint32_t count)
    {
        LocalTensor<T> zLocal = outQueueZ_.DeQue<T>();
        uint64_t base = static_cast<uint64_t>(progress) * tileLength_;
        if ((count * sizeof(T)) % 32 == 0) {
            DataCopy(zGm_[base], zLocal, count);
        } else {
            DataCopyExtParams params{1, static_cast<uint32_t>(count * sizeof(T)), 0, 0, 0};
            DataCopyPad(zGm_[base], zLocal, params);
        }
        outQueueZ_.FreeTensor(zLocal);
    }

    TPipe pipe_;
    TQue<TPosition::VECIN, BUFFER_NUM> inQueueX_, inQueueY_;
    TQue<TPosition::VECOUT, BUFFER_NUM> outQueueZ_;
    GlobalTensor<T> xGm_, yGm_, zGm_;
    uint32_t coreLength_ = 0;
    uint32_t tileLength_ = 0;
};
}  // namespace

extern "C" __global__ __aicore__ void add_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    if (TILING_KEY_IS(1)) {
        KernelAdd<float> op;
        op.Init(x, y, z, tilingData.totalLength, tilingData.formerNum, tilingData.formerLength, tilingData.tailLength,
                tilingData.tileLength);
        op.Process();
    } else if (TILING_KEY_IS(2)) {
        KernelAdd<half> op;
        op.Init(x, y, z, tilingData.totalLength, tilingData.formerNum, tilingData.formerLength, tilingData.tailLength,
                tilingData.tileLength);
        op.Process();
    }
}
