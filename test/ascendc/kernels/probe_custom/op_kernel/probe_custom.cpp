// Harness probe kernel. Mode 0: correct copy y = x. Modes 1..: one planted fault each, on the
// last core; each faulty call carries a "FAULT:<check>" marker the tests look for.
// Modes 100..: API scenarios on one core, compared with torch by the tests.
#include "kernel_operator.h"

using namespace AscendC;

class KernelProbe {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR s, GM_ADDR ws, uint32_t coreLength, uint32_t faultCore)
    {
        n_ = coreLength;
        core_ = GetBlockIdx();
        fault_ = core_ == faultCore;
        xAll_.SetGlobalBuffer((__gm__ float*)x);
        yAll_.SetGlobalBuffer((__gm__ float*)y);
        xGm_.SetGlobalBuffer((__gm__ float*)x + core_ * n_, n_);
        yGm_.SetGlobalBuffer((__gm__ float*)y + core_ * n_, n_);
        sGm_.SetGlobalBuffer((__gm__ float*)s, 8);
        wsGm_.SetGlobalBuffer((__gm__ float*)GetUserWorkspace(ws), 256);
        pipe_.InitBuffer(inQ_, 2, n_ * sizeof(float));
        pipe_.InitBuffer(outQ_, 2, n_ * sizeof(float));
        pipe_.InitBuffer(tmp_, 1024 * sizeof(float));
    }

    __aicore__ inline void Copy()
    {
        LocalTensor<float> a = inQ_.AllocTensor<float>();
        DataCopy(a, xGm_, n_);
        inQ_.EnQue(a);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);  // redundant with the queue; exercises flag pairing
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        LocalTensor<float> b = inQ_.DeQue<float>();
        LocalTensor<float> c = outQ_.AllocTensor<float>();
        Adds(c, b, 0.0f, n_);
        outQ_.EnQue(c);
        inQ_.FreeTensor(b);
        LocalTensor<float> d = outQ_.DeQue<float>();
        DataCopy(yGm_, d, n_);
        outQ_.FreeTensor(d);
    }

    __aicore__ inline void Fault(uint64_t mode)
    {
        if (!fault_) {
            Copy();
            return;
        }
        if (mode == 1) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopy(a, xGm_, n_ - 1);  // FAULT 1 alignment
            inQ_.FreeTensor(a);
        } else if (mode == 2) {
            TBuf<TPosition::VECCALC> big;
            pipe_.InitBuffer(big, 200 * 1024);  // FAULT 2 ub_capacity
        } else if (mode == 3) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopy(a, xGm_, n_);
            DataCopy(yAll_[(core_ + 1) * n_], a, n_);  // FAULT 3 gm_bounds
            inQ_.FreeTensor(a);
        } else if (mode == 4) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            inQ_.FreeTensor(a);
            inQ_.FreeTensor(a);  // FAULT 4 double_free
        } else if (mode == 5) {
            Copy();
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            inQ_.EnQue(a);  // FAULT 5 queue_leak
        } else if (mode == 6) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopy(a, xGm_, n_);
            inQ_.FreeTensor(a);
            DataCopy(yGm_, a, n_);  // FAULT 6 use_after_free
        } else if (mode == 7) {
            Copy();
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopy(a, xGm_, n_);
            DataCopy(yAll_[(core_ - 1) * n_], a, 8);  // FAULT 7 multi_writer
            inQ_.FreeTensor(a);
        } else if (mode == 8) {
            LocalTensor<float> a = tmp_.Get<float>();
            Adds(a, a, 1.0f, 64, 300, UnaryRepeatParams(1, 1, 8, 8));  // FAULT 8 vector_params
        } else if (mode == 9) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopyExtParams p{1, 70000, 0, 0, 0};
            DataCopyPad(a, xGm_, p, DataCopyPadExtParams<float>{false, 0, 0, 0.0f});  // FAULT 9 datacopypad_params
            inQ_.FreeTensor(a);
        } else if (mode == 10) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopy(a[3], xGm_, 8);  // FAULT 10 alignment
            inQ_.FreeTensor(a);
        } else if (mode == 11) {
            // unwritten output: this core never stores its part of y (checked after the run)
        } else if (mode == 12) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            DataCopy(a, xGm_, n_);
            DataCopy(xGm_, a, n_);  // FAULT 12 gm_input_write
            inQ_.FreeTensor(a);
        } else if (mode == 13) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            a = inQ_.AllocTensor<float>();
            a = inQ_.AllocTensor<float>();  // FAULT 13 queue
        } else if (mode == 14) {
            LocalTensor<float> a = inQ_.DeQue<float>();  // FAULT 14 queue
        } else if (mode == 15) {
            LocalTensor<float> a = tmp_.Get<float>();
            Muls(a, a, 2.0f, 2048);  // FAULT 15 ub_bounds
        } else if (mode == 16) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            inQ_.EnQue(a);
            Duplicate(a, 0.0f, 8);  // FAULT 16 queue
        } else if (mode == 17) {
            WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);  // FAULT 17 sync
        } else if (mode == 18) {
            Copy();
            SetFlag<HardEvent::V_MTE3>(EVENT_ID1);  // FAULT 18 sync
        } else if (mode == 19) {
            LocalTensor<float> a = inQ_.AllocTensor<float>();
            inQ_.EnQue(a);
            inQ_.EnQue(a);  // FAULT 19 queue
        }
    }

    // ---- API scenarios (single core; n_ elements)
    __aicore__ inline void Api(uint64_t mode)
    {
        LocalTensor<float> a = inQ_.AllocTensor<float>();
        LocalTensor<float> r = outQ_.AllocTensor<float>();
        LocalTensor<float> t = tmp_.Get<float>();
        DataCopy(a, xGm_, n_);
        Duplicate(t, 0.0f, 1024);
        if (mode == 100) {  // y = float(half(x)) with round-to-nearest-even; s[0..7] = float(half(x) rounded down)
            LocalTensor<half> h = t.ReinterpretCast<half>();
            Cast(h, a, RoundMode::CAST_RINT, n_);
            Cast(r, h, RoundMode::CAST_NONE, n_);
            Cast(h, a, RoundMode::CAST_FLOOR, 8);
            Cast(t[512], h, RoundMode::CAST_NONE, 8);
            DataCopy(sGm_, t[512], 8);
        } else if (mode == 101) {  // y = x > 0 ? exp(-|x|) : max(min(2x, 3), -1)
            LocalTensor<uint8_t> m = t.ReinterpretCast<uint8_t>();
            LocalTensor<float> e = t[256];
            LocalTensor<float> g = t[512];
            CompareScalar(m, a, 0.0f, CMPMODE::GT, n_);
            Abs(e, a, n_);
            Muls(e, e, -1.0f, n_);
            Exp(e, e, n_);
            Muls(g, a, 2.0f, n_);
            Mins(g, g, 3.0f, n_);
            Maxs(g, g, -1.0f, n_);
            Select(r, m, e, g, SELMODE::VSEL_TENSOR_TENSOR_MODE, n_);
            Duplicate(t[768], 0.0f, 8);
            DataCopy(sGm_, t[768], 8);
        } else if (mode == 102) {  // y = 0.5 + 3x (Duplicate + Axpy); s[0] = sum(x) (ReduceSum), s[1..7] = 0
            Duplicate(r, 0.5f, n_);
            Axpy(r, a, 3.0f, n_);
            LocalTensor<float> s = t[768];
            Duplicate(s, 0.0f, 8);
            ReduceSum(s, a, t[256], n_);
            DataCopy(sGm_, s, 8);
        } else if (mode == 103) {  // mask/repeat forms: y = 2x (Add, mask 64, stride 8); s = x[0..7] via Brcb + Gather
            Add(r, a, a, 64, n_ / 64, BinaryRepeatParams(1, 1, 1, 8, 8, 8));
            LocalTensor<float> b = t[256];  // Brcb of x[0..7]: 8 blocks of 8 copies
            Brcb(b, a, 1, BrcbRepeatParams(1, 8));
            LocalTensor<uint32_t> off = t[128].ReinterpretCast<uint32_t>();
            for (int i = 0; i < 8; ++i) {
                off.SetValue(i, i * 32);  // byte offset of block i's first element
            }
            Gather(t[512], b, off, 0, 8);
            DataCopy(sGm_, t[512], 8);
        } else if (mode == 105) {  // y = x < -x ? (max - min) / 2 : 3.5 = (x < 0 ? |x| : 3.5); s = float(bf16(x[0..7]))
            LocalTensor<float> nx = t[256];
            LocalTensor<float> d = t[512];
            LocalTensor<uint8_t> m = t.ReinterpretCast<uint8_t>();
            Muls(nx, a, -1.0f, n_);
            Compare(m, a, nx, CMPMODE::LT, n_);
            Max(d, a, nx, n_);
            Min(r, a, nx, n_);
            Sub(d, d, r, n_);
            Duplicate(r, 2.0f, n_);
            Div(d, d, r, n_);
            Select(r, m, d, 7.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, n_);
            Select(r, m, r, 3.5f, SELMODE::VSEL_TENSOR_SCALAR_MODE, n_);
            LocalTensor<bfloat16_t> b = t[768].ReinterpretCast<bfloat16_t>();
            Cast(b, a, RoundMode::CAST_RINT, 8);
            Cast(t[896], b, RoundMode::CAST_NONE, 8);
            DataCopy(sGm_, t[896], 8);
        } else if (mode == 106) {  // strided DataCopyParams (rows of 16 floats, even/odd rows) + UB->UB; s[0] = max(x)
            uint16_t half_rows = static_cast<uint16_t>(n_ / 32);
            LocalTensor<float> u = t[256];
            DataCopyParams rowsIn(half_rows, 2, 2, 0);   // GM: skip every other row; UB: packed
            DataCopyParams rowsOut(half_rows, 2, 0, 2);  // UB: packed; GM: every other row
            DataCopy(u, xGm_, rowsIn);
            DataCopy(r, u, half_rows * 16);
            DataCopy(yGm_, r, rowsOut);
            DataCopy(u, xGm_[16], rowsIn);
            DataCopy(yGm_[16], u, rowsOut);
            LocalTensor<float> m = t[768];
            Duplicate(m, 0.0f, 8);
            ReduceMax(m, a, t[0], n_, false);
            DataCopy(sGm_, m, 8);
            inQ_.FreeTensor(a);
            outQ_.FreeTensor(r);
            return;
        } else if (mode == 104) {  // DataCopyPad rows of 5 with right padding -1: y = x, s[0] = sum(padded UB)
            uint32_t rows = n_ / 8;
            LocalTensor<float> u = t[256];
            DataCopyPad(u, xGm_, DataCopyExtParams(rows, 5 * sizeof(float), 3 * sizeof(float), 0, 0),
                        DataCopyPadExtParams<float>(true, 0, 3, -1.0f));
            DataCopyPad(yGm_, u, DataCopyExtParams(rows, 5 * sizeof(float), 0, 3 * sizeof(float), 0));
            DataCopyPad(u[rows * 8], xGm_[5], DataCopyExtParams(rows, 3 * sizeof(float), 5 * sizeof(float), 0, 0),
                        DataCopyPadExtParams<float>(false, 0, 0, 0.0f));
            DataCopyPad(yGm_[5], u[rows * 8], DataCopyExtParams(rows, 3 * sizeof(float), 0, 5 * sizeof(float), 0));
            LocalTensor<float> s = t[768];
            Duplicate(s, 0.0f, 8);
            ReduceSum(s, u, t[0], rows * 8);
            DataCopy(sGm_, s, 8);
            inQ_.FreeTensor(a);
            outQ_.FreeTensor(r);
            return;
        }
        DataCopy(yGm_, r, n_);
        inQ_.FreeTensor(a);
        outQ_.FreeTensor(r);
    }

private:
    TPipe pipe_;
    TQue<TPosition::VECIN, 2> inQ_;
    TQue<TPosition::VECOUT, 2> outQ_;
    TBuf<TPosition::VECCALC> tmp_;
    GlobalTensor<float> xAll_, yAll_, xGm_, yGm_, sGm_, wsGm_;
    uint32_t n_ = 0;
    uint32_t core_ = 0;
    bool fault_ = false;
};

extern "C" __global__ __aicore__ void probe_custom(GM_ADDR x, GM_ADDR y, GM_ADDR s, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelProbe op;
    op.Init(x, y, s, workspace, tilingData.coreLength, tilingData.faultCore);
    if (TILING_KEY_IS(0)) {
        op.Copy();
    } else if (TILING_KEY_IS(100)) {
        op.Api(100);
    } else if (TILING_KEY_IS(101)) {
        op.Api(101);
    } else if (TILING_KEY_IS(102)) {
        op.Api(102);
    } else if (TILING_KEY_IS(103)) {
        op.Api(103);
    } else if (TILING_KEY_IS(104)) {
        op.Api(104);
    } else if (TILING_KEY_IS(105)) {
        op.Api(105);
    } else if (TILING_KEY_IS(106)) {
        op.Api(106);
    } else {
        op.Fault(tilingData.mode);
    }
}
