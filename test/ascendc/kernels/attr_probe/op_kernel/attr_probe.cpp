// Kernel of the probe op (see op_host/attr_probe.cpp): scalar GM accesses on one core.
#include "kernel_operator.h"

using namespace AscendC;

extern "C" __global__ __aicore__ void attr_probe(GM_ADDR x, GM_ADDR bias, GM_ADDR idx, GM_ADDR y, GM_ADDR count,
                                                 GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(t, tiling);
    GlobalTensor<DTYPE_X> xGm;
    GlobalTensor<DTYPE_X> bGm;
    GlobalTensor<DTYPE_IDX> iGm;
    GlobalTensor<DTYPE_Y> yGm;
    GlobalTensor<int32_t> cGm;
    xGm.SetGlobalBuffer((__gm__ DTYPE_X*)x, t.n);
    if (t.hasBias) bGm.SetGlobalBuffer((__gm__ DTYPE_X*)bias, t.n);
    iGm.SetGlobalBuffer((__gm__ DTYPE_IDX*)idx, t.m);
    yGm.SetGlobalBuffer((__gm__ DTYPE_Y*)y, t.n);
    cGm.SetGlobalBuffer((__gm__ int32_t*)count, 1);
    for (uint32_t i = 0; i < t.n; ++i) {
        float v = static_cast<float>(xGm.GetValue(i)) * t.scale;
        if (t.hasBias) v += static_cast<float>(bGm.GetValue(i));
        yGm.SetValue(i, static_cast<DTYPE_Y>(t.negate ? -v : v));
    }
    int32_t c = 0;
    for (uint32_t j = 0; j < t.m; ++j) {
        if (static_cast<int64_t>(iGm.GetValue(j)) >= t.k) ++c;
    }
    cGm.SetValue(0, c);
}
