// ascendc_sim stand-in for CANN's kernel_operator.h: the vector-core (AIV) subset of the
// Ascend C API, executed on the CPU with checks (see kernels/ascendc_sim/INTERFACE.md).
// Names, template parameters and argument orders follow the official API so that the same
// kernel source builds with CANN. Each call takes an extra defaulted trailing argument that
// records the caller's file:line for error messages; kernels never pass it.
#ifndef ASCENDC_SIM_KERNEL_OPERATOR_H
#define ASCENDC_SIM_KERNEL_OPERATOR_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ascendc_sim/half.h"
#include "ascendc_sim/sim_core.h"

#ifndef __aicore__
#define __aicore__
#endif
#ifndef __global__
#define __global__
#endif
#ifndef __gm__
#define __gm__
#endif
#ifndef __ubuf__
#define __ubuf__
#endif
#ifndef GM_ADDR
#define GM_ADDR uint8_t*
#endif
#define ASCENDC_SIM 1
#define KERNEL_TASK_TYPE_DEFAULT(x)
#define KERNEL_TASK_TYPE(key, x)
#define ASCEND_IS_AIV (true)
#define ASCEND_IS_AIC (false)

enum pipe_t { PIPE_S = 0, PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_ALL, PIPE_MTE4, PIPE_MTE5, PIPE_V2, PIPE_FIX };
enum event_t { EVENT_ID0 = 0, EVENT_ID1, EVENT_ID2, EVENT_ID3, EVENT_ID4, EVENT_ID5, EVENT_ID6, EVENT_ID7 };
inline void pipe_barrier(pipe_t) {}

namespace AscendC {

using ascendc_sim::SrcLoc;
namespace sim = ascendc_sim;

constexpr int32_t ONE_BLK_SIZE = 32;
constexpr int32_t ONE_REPEAT_BYTE_SIZE = 256;
constexpr int32_t DEFAULT_REPEAT_STRIDE = 8;
constexpr int32_t DEFAULT_BLK_NUM = 8;
constexpr int32_t MAX_REPEAT_TIMES = 255;
constexpr uint64_t MASK_PLACEHOLDER = 0;

enum class TPosition : uint8_t {
    GM, A1, A2, B1, B2, C1, C2, CO1, CO2, VECIN, VECOUT, VECCALC, LCM = VECCALC, SPM, SHM = SPM, TSCM,
    C2PIPE2GM, C2PIPE2LOCAL, MAX,
};
using QuePosition = TPosition;

enum class HardEvent : uint8_t {
    MTE2_MTE1, MTE1_MTE2, MTE1_M, M_MTE1, MTE2_V, V_MTE2, MTE3_V, V_MTE3, M_V, V_M, V_V, MTE3_MTE1,
    MTE1_MTE3, MTE1_V, MTE2_M, M_MTE2, V_MTE1, M_FIX, FIX_M, MTE3_MTE2, MTE2_MTE3, S_V, V_S, S_MTE2,
    MTE2_S, S_MTE3, MTE3_S, MTE2_FIX, FIX_MTE2, FIX_S, M_S, FIX_MTE3, MTE1_FIX, FIX_MTE1, FIX_FIX, MAX,
};
using TEventID = int8_t;

enum class RoundMode : uint8_t { CAST_NONE = 0, CAST_RINT, CAST_FLOOR, CAST_CEIL, CAST_ROUND, CAST_TRUNC, CAST_ODD };
enum class CMPMODE : uint8_t { LT = 0, GT, EQ, LE, GE, NE };
enum class SELMODE : uint8_t { VSEL_CMPMASK_SPR = 0, VSEL_TENSOR_SCALAR_MODE, VSEL_TENSOR_TENSOR_MODE };
enum class PaddingMode : uint8_t { Normal = 0, Compact };
enum class AtomicDtype : uint8_t { F32, F16, I32, BF16, I16, I8 };

// ------------------------------------------------------------------------------------------
// Parameter structs (field names and orders as in CANN)
struct DataCopyParams {
    DataCopyParams() {}
    DataCopyParams(const uint16_t count, const uint16_t len, const uint16_t srcStrideIn, const uint16_t dstStrideIn)
        : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn) {}
    uint16_t blockCount = 1;
    uint16_t blockLen = 0;
    uint16_t srcStride = 0;
    uint16_t dstStride = 0;
};

struct DataCopyExtParams {
    DataCopyExtParams() {}
    DataCopyExtParams(const uint16_t count, const uint32_t len, const uint32_t srcStrideIn,
                      const uint32_t dstStrideIn, const uint32_t rsvIn)
        : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn), rsv(rsvIn) {}
    uint16_t blockCount = 1;
    uint32_t blockLen = 0;
    uint32_t srcStride = 0;
    uint32_t dstStride = 0;
    uint32_t rsv = 0;
};

struct DataCopyPadParams {
    DataCopyPadParams() {}
    DataCopyPadParams(const bool isPadValue, const uint8_t leftPadValue, const uint8_t rightPadValue,
                      const uint64_t padValue)
        : isPad(isPadValue), leftPadding(leftPadValue), rightPadding(rightPadValue), paddingValue(padValue) {}
    bool isPad = false;
    uint8_t leftPadding = 0;
    uint8_t rightPadding = 0;
    uint64_t paddingValue = 0;
};

template <typename T>
struct DataCopyPadExtParams {
    DataCopyPadExtParams() {}
    DataCopyPadExtParams(const bool isPadValue, const uint8_t leftPadValue, const uint8_t rightPadValue, T padValue)
        : isPad(isPadValue), leftPadding(leftPadValue), rightPadding(rightPadValue), paddingValue(padValue) {}
    bool isPad = false;
    uint8_t leftPadding = 0;
    uint8_t rightPadding = 0;
    T paddingValue = 0;
};

struct BinaryRepeatParams {
    BinaryRepeatParams() {}
    BinaryRepeatParams(const uint8_t dstBlkStrideIn, const uint8_t src0BlkStrideIn, const uint8_t src1BlkStrideIn,
                       const uint8_t dstRepStrideIn, const uint8_t src0RepStrideIn, const uint8_t src1RepStrideIn)
        : dstBlkStride(dstBlkStrideIn), src0BlkStride(src0BlkStrideIn), src1BlkStride(src1BlkStrideIn),
          dstRepStride(dstRepStrideIn), src0RepStride(src0RepStrideIn), src1RepStride(src1RepStrideIn) {}
    uint32_t blockNumber = 8;
    uint8_t dstBlkStride = 1;
    uint8_t src0BlkStride = 1;
    uint8_t src1BlkStride = 1;
    uint8_t dstRepStride = 8;
    uint8_t src0RepStride = 8;
    uint8_t src1RepStride = 8;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

struct UnaryRepeatParams {
    UnaryRepeatParams() {}
    UnaryRepeatParams(const uint16_t dstBlkStrideIn, const uint16_t srcBlkStrideIn, const uint8_t dstRepStrideIn,
                      const uint8_t srcRepStrideIn)
        : dstBlkStride(dstBlkStrideIn), srcBlkStride(srcBlkStrideIn), dstRepStride(dstRepStrideIn),
          srcRepStride(srcRepStrideIn) {}
    uint32_t blockNumber = 8;
    uint16_t dstBlkStride = 1;
    uint16_t srcBlkStride = 1;
    uint8_t dstRepStride = 8;
    uint8_t srcRepStride = 8;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

struct BrcbRepeatParams {
    BrcbRepeatParams() {}
    BrcbRepeatParams(const uint16_t dstBlkStrideIn, const uint16_t dstRepStrideIn)
        : dstBlkStride(dstBlkStrideIn), dstRepStride(dstRepStrideIn) {}
    uint32_t blockNumber = 8;
    uint16_t dstBlkStride = 1;
    uint16_t dstRepStride = 8;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

// repeatTimes argument: accepts any integer so that out-of-range values are reported instead of
// being silently truncated to uint8_t.
struct RepeatArg {
    int64_t v;
    template <typename I, typename = std::enable_if_t<std::is_integral<I>::value>>
    RepeatArg(I x) : v(static_cast<int64_t>(x)) {}
};

// ------------------------------------------------------------------------------------------
// Small integer helpers available in kernels
template <typename T, typename U>
inline T DivCeil(T a, U b) { return b == 0 ? T(0) : static_cast<T>((a + b - 1) / b); }
template <typename T, typename U>
inline T AlignUp(T a, U b) { return b == 0 ? a : static_cast<T>((a + b - 1) / b * b); }
template <typename T, typename U>
inline T AlignDown(T a, U b) { return b == 0 ? a : static_cast<T>(a / b * b); }

// ------------------------------------------------------------------------------------------
// Core indices and sync
inline int64_t GetBlockIdx() { return sim::S().core; }
inline int64_t GetBlockNum() { return sim::S().block_dim; }
inline int64_t GetSubBlockIdx() { return 0; }
inline int64_t GetSubBlockNum() { return 1; }
inline int64_t GetTaskRation() { return 1; }

template <pipe_t pipe>
inline void PipeBarrier() {}
namespace simdetail {
inline std::pair<int, SrcLoc>& flag_slot(int key) {
    for (auto& f : sim::S().flags)
        if (f.first == key) return f.second;
    sim::S().flags.push_back({key, {0, SrcLoc{nullptr, 0}}});
    return sim::S().flags.back().second;
}
}  // namespace simdetail
// SetFlag/WaitFlag must pair up per (event, id): a WaitFlag with no pending SetFlag would hang the
// core; a SetFlag still pending when the kernel returns is reported as unpaired.
template <HardEvent event>
inline void SetFlag(int32_t eventID, SrcLoc loc = ASIM_LOC) {
    auto& f = simdetail::flag_slot(static_cast<int>(event) * 64 + eventID);
    f.first++;
    f.second = loc;
}
template <HardEvent event>
inline void WaitFlag(int32_t eventID, SrcLoc loc = ASIM_LOC) {
    auto& f = simdetail::flag_slot(static_cast<int>(event) * 64 + eventID);
    if (f.first <= 0) {
        std::ostringstream os;
        os << "WaitFlag<HardEvent " << static_cast<int>(event) << ">(" << eventID
           << ") without a pending SetFlag of the same event and id: the core would hang";
        sim::fail("sync", os.str(), loc);
    }
    f.first--;
}
inline void SyncAll(SrcLoc loc = ASIM_LOC) {
    sim::fail("unsupported", "SyncAll needs concurrently running cores; the harness runs cores one after another", loc);
}
template <bool isAIVOnly = true>
inline void SyncAll(SrcLoc loc = ASIM_LOC) {
    sim::fail("unsupported", "SyncAll needs concurrently running cores; the harness runs cores one after another", loc);
}
template <typename... A>
inline void DumpTensor(const A&...) {}
using std::printf;
#define PRINTF printf

template <typename T>
struct AtomicTypeOf;
template <> struct AtomicTypeOf<float> { static constexpr int v = 0; };
template <> struct AtomicTypeOf<half> { static constexpr int v = 1; };
template <> struct AtomicTypeOf<int32_t> { static constexpr int v = 2; };
template <> struct AtomicTypeOf<bfloat16_t> { static constexpr int v = 3; };
template <> struct AtomicTypeOf<int16_t> { static constexpr int v = 4; };
template <> struct AtomicTypeOf<int8_t> { static constexpr int v = 5; };

template <typename T>
inline void SetAtomicAdd() {
    sim::S().atomic_mode = 1;
    sim::S().atomic_dtype = AtomicTypeOf<T>::v;
}
inline void SetAtomicNone() { sim::S().atomic_mode = 0; }
template <typename T>
inline void SetAtomicMax() { sim::S().atomic_mode = 2; sim::S().atomic_dtype = AtomicTypeOf<T>::v; }
template <typename T>
inline void SetAtomicMin() { sim::S().atomic_mode = 3; sim::S().atomic_dtype = AtomicTypeOf<T>::v; }

inline GM_ADDR GetUserWorkspace(GM_ADDR workspace) {
    return workspace == nullptr ? nullptr : workspace + sim::S().sys_workspace;
}
inline void SetSysWorkspace(GM_ADDR) {}
inline GM_ADDR GetSysWorkSpacePtr() { return nullptr; }

// ------------------------------------------------------------------------------------------
namespace simdetail {

template <typename T> struct is_f16 : std::integral_constant<bool, std::is_same<T, half>::value || std::is_same<T, bfloat16_t>::value> {};
template <typename T> using compute_t = std::conditional_t<is_f16<T>::value, float, T>;

template <typename T> inline const char* tname() {
    if (std::is_same<T, float>::value) return "float";
    if (std::is_same<T, half>::value) return "half";
    if (std::is_same<T, bfloat16_t>::value) return "bfloat16_t";
    if (std::is_same<T, int32_t>::value) return "int32_t";
    if (std::is_same<T, uint32_t>::value) return "uint32_t";
    if (std::is_same<T, int16_t>::value) return "int16_t";
    if (std::is_same<T, uint16_t>::value) return "uint16_t";
    if (std::is_same<T, int8_t>::value) return "int8_t";
    if (std::is_same<T, uint8_t>::value) return "uint8_t";
    if (std::is_same<T, int64_t>::value) return "int64_t";
    if (std::is_same<T, uint64_t>::value) return "uint64_t";
    return "T";
}

}  // namespace simdetail

// ------------------------------------------------------------------------------------------
// GlobalTensor
template <typename T>
class GlobalTensor {
public:
    GlobalTensor() = default;
    void SetGlobalBuffer(__gm__ T* buffer, uint64_t bufferSize) {
        addr_ = buffer;
        size_ = bufferSize;
        lo_ = reinterpret_cast<const uint8_t*>(buffer);
        hi_ = lo_ + bufferSize * sizeof(T);
        sized_ = true;
    }
    void SetGlobalBuffer(__gm__ T* buffer) {
        addr_ = buffer;
        size_ = 0;
        lo_ = hi_ = nullptr;
        sized_ = false;
    }
    T GetValue(const uint64_t offset, SrcLoc loc = ASIM_LOC) const {
        check(offset, 1, false, loc);
        T v;
        std::memcpy(&v, addr_ + offset, sizeof(T));
        return v;
    }
    void SetValue(const uint64_t offset, T value, SrcLoc loc = ASIM_LOC) const {
        sim::GmBuffer* g = check(offset, 1, true, loc);
        std::memcpy(addr_ + offset, &value, sizeof(T));
        sim::record_write(g, addr_ + offset, sizeof(T), false, loc);
    }
    GlobalTensor operator[](const uint64_t offset) const {
        GlobalTensor t = *this;
        t.addr_ = addr_ + offset;
        t.size_ = (sized_ && offset < size_) ? size_ - offset : 0;
        return t;
    }
    __gm__ T* GetPhyAddr() const { return addr_; }
    __gm__ T* GetPhyAddr(const uint64_t offset) const { return addr_ + offset; }
    uint64_t GetSize() const { return size_; }
    void SetL2CacheHint(int) {}
    template <typename M>
    void SetL2CacheHint(M) {}

    // harness internals
    sim::GmBuffer* check(uint64_t offset, uint64_t count, bool write, SrcLoc loc) const {
        if (addr_ == nullptr)
            sim::fail("gm_bounds", "GM access through a GlobalTensor whose SetGlobalBuffer was never called or got nullptr", loc);
        return sim::check_gm_range(addr_ + offset, count * sizeof(T), lo_, sized_ ? hi_ : nullptr, write, loc);
    }
    sim::GmBuffer* check_bytes(uint64_t byte_off, uint64_t bytes, bool write, SrcLoc loc) const {
        if (addr_ == nullptr)
            sim::fail("gm_bounds", "GM access through a GlobalTensor whose SetGlobalBuffer was never called or got nullptr", loc);
        return sim::check_gm_range(reinterpret_cast<uint8_t*>(addr_) + byte_off, bytes, lo_, sized_ ? hi_ : nullptr,
                                   write, loc);
    }
    T* addr_ = nullptr;
    uint64_t size_ = 0;
    const uint8_t* lo_ = nullptr;
    const uint8_t* hi_ = nullptr;
    bool sized_ = false;
};

// ------------------------------------------------------------------------------------------
// LocalTensor (a view of one UB buffer; stale handles are detected through the slot generation)
template <typename T>
class LocalTensor {
public:
    LocalTensor() = default;
    T GetValue(const uint32_t index, SrcLoc loc = ASIM_LOC) const {
        check_range(index, 1, "GetValue", loc);
        T v;
        std::memcpy(&v, ptr() + index, sizeof(T));
        return v;
    }
    void SetValue(const uint32_t index, const T value, SrcLoc loc = ASIM_LOC) const {
        check_range(index, 1, "SetValue", loc);
        std::memcpy(ptr() + index, &value, sizeof(T));
    }
    LocalTensor operator[](const uint32_t offset) const {
        LocalTensor t = *this;
        t.off_ = off_ + static_cast<uint64_t>(offset) * sizeof(T);
        t.size_ = offset <= size_ ? size_ - offset : 0;
        return t;
    }
    template <typename U>
    LocalTensor<U> ReinterpretCast() const {
        LocalTensor<U> t;
        t.q_ = q_;
        t.slot_ = slot_;
        t.gen_ = gen_;
        t.off_ = off_;
        t.size_ = static_cast<uint32_t>(static_cast<uint64_t>(size_) * sizeof(T) / sizeof(U));
        t.valid_ = valid_;
        return t;
    }
    uint32_t GetSize() const { return size_; }
    uint32_t GetLength() const { return size_ * sizeof(T); }
    void SetSize(const uint32_t size, SrcLoc loc = ASIM_LOC) {
        if (valid_ && q_ && (off_ - slot().offset) + uint64_t(size) * sizeof(T) > slot().bytes)
            sim::fail("ub_bounds", "LocalTensor::SetSize beyond the buffer", loc);
        size_ = size;
    }
    uint64_t GetPhyAddr() const { return reinterpret_cast<uint64_t>(ptr()); }
    uint64_t GetPhyAddr(const uint32_t offset) const { return reinterpret_cast<uint64_t>(ptr() + offset); }
    TPosition GetPosition() const { return TPosition::VECCALC; }
    void SetUserTag(int32_t) {}
    int32_t GetUserTag() const { return 0; }

    // harness internals
    T* ptr() const { return reinterpret_cast<T*>(sim::ub_base() + off_); }
    sim::BufSlot& slot() const { return q_->slots[slot_]; }
    void check_live(const char* what, SrcLoc loc) const {
        if (!valid_ || !q_)
            sim::fail("use_after_free", std::string(what) + ": LocalTensor was never obtained from AllocTensor/DeQue/TBuf::Get", loc);
        const sim::BufSlot& s = slot();
        if (s.state == 2 && s.generation == gen_) {
            std::ostringstream os;
            os << what << ": LocalTensor used between EnQue and DeQue (buffer at UB+" << s.offset << " of " << q_->kind
               << "); use the tensor DeQue returns";
            sim::fail("queue", os.str(), loc);
        }
        if (s.generation != gen_ || s.state == 0) {
            std::ostringstream os;
            os << what << ": LocalTensor used after FreeTensor (buffer at UB+" << s.offset << " of " << q_->kind
               << ")";
            sim::fail("use_after_free", os.str(), loc);
        }
    }
    void check_range(uint64_t index, uint64_t count, const char* what, SrcLoc loc) const {
        check_live(what, loc);
        if (index + count > size_) {
            std::ostringstream os;
            os << what << ": elements [" << index << ", " << index + count << ") of a LocalTensor<"
               << simdetail::tname<T>() << "> holding " << size_ << " elements";
            sim::fail("ub_bounds", os.str(), loc);
        }
    }
    void check_aligned(const char* what, SrcLoc loc) const {
        if (off_ % 32 != 0) {
            std::ostringstream os;
            os << what << ": UB address UB+" << off_ << " is not 32-byte aligned";
            sim::fail("alignment", os.str(), loc);
        }
    }
    std::shared_ptr<sim::QueueState> q_;
    int slot_ = 0;
    uint64_t gen_ = 0;
    uint64_t off_ = 0;
    uint32_t size_ = 0;
    bool valid_ = false;
};

// ------------------------------------------------------------------------------------------
// TPipe / TQue / TBuf
class TPipe;

inline TPipe* GetTPipePtr();

template <TPosition pos, int32_t depth, auto mask = 0>
class TQue {
public:
    static constexpr TPosition position = pos;
    template <typename T>
    LocalTensor<T> AllocTensor(SrcLoc loc = ASIM_LOC) {
        need_init("AllocTensor", loc);
        int n = static_cast<int>(st_->slots.size());
        for (int k = 0; k < n; ++k) {
            int i = (next_ + k) % n;
            sim::BufSlot& s = st_->slots[i];
            if (s.state == 0) {
                next_ = (i + 1) % n;
                s.state = 1;
                s.generation++;
                s.alloc_loc = loc;
                return make<T>(i);
            }
        }
        std::ostringstream os;
        os << "AllocTensor on " << st_->kind << ": all " << n << " buffers are in use (missing FreeTensor?)";
        sim::fail("queue", os.str(), loc);
    }
    template <typename T>
    bool EnQue(const LocalTensor<T>& tensor, SrcLoc loc = ASIM_LOC) {
        need_init("EnQue", loc);
        if (tensor.valid_ && tensor.q_ == st_ && st_->slots[tensor.slot_].state == 2 &&
            st_->slots[tensor.slot_].generation == tensor.gen_)
            sim::fail("queue", "EnQue of a tensor that is already enqueued (EnQue twice)", loc);
        tensor.check_live("EnQue", loc);
        own(tensor, "EnQue", loc);
        sim::BufSlot& s = st_->slots[tensor.slot_];
        if (static_cast<int>(st_->fifo.size()) >= depth) {
            std::ostringstream os;
            os << "EnQue on " << st_->kind << " beyond its depth " << depth << " (DeQue missing?)";
            sim::fail("queue", os.str(), loc);
        }
        s.state = 2;
        s.enque_loc = loc;
        st_->fifo.push_back(tensor.slot_);
        return true;
    }
    template <typename T>
    LocalTensor<T> DeQue(SrcLoc loc = ASIM_LOC) {
        need_init("DeQue", loc);
        if (st_->fifo.empty()) sim::fail("queue", "DeQue on an empty " + st_->kind + " (no matching EnQue)", loc);
        int i = st_->fifo.front();
        st_->fifo.erase(st_->fifo.begin());
        st_->slots[i].state = 3;
        return make<T>(i);
    }
    template <typename T>
    void FreeTensor(LocalTensor<T>& tensor, SrcLoc loc = ASIM_LOC) {
        need_init("FreeTensor", loc);
        if (!tensor.valid_ || !tensor.q_) sim::fail("queue", "FreeTensor of a LocalTensor that was never allocated", loc);
        own(tensor, "FreeTensor", loc);
        sim::BufSlot& s = st_->slots[tensor.slot_];
        if (s.generation != tensor.gen_ || s.state == 0)
            sim::fail("double_free", "FreeTensor of a tensor that was already freed (double FreeTensor)", loc);
        if (s.state == 2)
            sim::fail("queue", "FreeTensor of a tensor that is still enqueued (EnQue without DeQue)", loc);
        s.state = 0;
        s.generation++;
    }
    bool VacantInQue() const { return st_ && static_cast<int>(st_->fifo.size()) < depth; }
    bool HasTensorInQue() const { return st_ && !st_->fifo.empty(); }
    int32_t GetTensorCountInQue() const { return st_ ? static_cast<int32_t>(st_->fifo.size()) : 0; }
    bool HasIdleBuffer() const {
        if (!st_) return false;
        for (auto& s : st_->slots)
            if (s.state == 0) return true;
        return false;
    }
    void FreeAllEvent() {}

    std::shared_ptr<sim::QueueState> st_;
    int next_ = 0;

private:
    void need_init(const char* what, SrcLoc loc) const {
        if (!st_) sim::fail("queue", std::string(what) + " on a TQue that was not given buffers with TPipe::InitBuffer", loc);
    }
    template <typename T>
    void own(const LocalTensor<T>& t, const char* what, SrcLoc loc) const {
        if (t.q_ != st_) sim::fail("queue", std::string(what) + " of a tensor that belongs to another queue/buffer", loc);
        if (t.off_ != st_->slots[t.slot_].offset)
            sim::fail("queue", std::string(what) + " of a sub-view (operator[]) instead of the tensor AllocTensor returned", loc);
    }
    template <typename T>
    LocalTensor<T> make(int i) const {
        LocalTensor<T> t;
        t.q_ = st_;
        t.slot_ = i;
        t.gen_ = st_->slots[i].generation;
        t.off_ = st_->slots[i].offset;
        t.size_ = static_cast<uint32_t>(st_->slots[i].bytes / sizeof(T));
        t.valid_ = true;
        return t;
    }
};

template <TPosition src, TPosition dst, int32_t depth, auto mask = 0>
class TQueBind : public TQue<src, depth, mask> {};

template <TPosition pos = TPosition::VECCALC>
class TBuf {
public:
    template <typename T>
    LocalTensor<T> Get(SrcLoc loc = ASIM_LOC) {
        need_init(loc);
        return make<T>(0, st_->slots[0].bytes / sizeof(T));
    }
    template <typename T>
    LocalTensor<T> Get(uint32_t len, SrcLoc loc = ASIM_LOC) {
        need_init(loc);
        if (uint64_t(len) * sizeof(T) > st_->slots[0].bytes) {
            std::ostringstream os;
            os << "TBuf::Get<" << simdetail::tname<T>() << ">(" << len << ") needs " << uint64_t(len) * sizeof(T)
               << " B but the buffer has " << st_->slots[0].bytes << " B";
            sim::fail("ub_bounds", os.str(), loc);
        }
        return make<T>(0, len);
    }
    template <typename T>
    LocalTensor<T> GetWithOffset(uint32_t size, uint32_t bufOffset, SrcLoc loc = ASIM_LOC) {
        need_init(loc);
        if (bufOffset % 32 != 0) sim::fail("alignment", "TBuf::GetWithOffset: offset is not 32-byte aligned", loc);
        if (uint64_t(bufOffset) + uint64_t(size) * sizeof(T) > st_->slots[0].bytes)
            sim::fail("ub_bounds", "TBuf::GetWithOffset: range beyond the buffer", loc);
        return make<T>(bufOffset, size);
    }
    std::shared_ptr<sim::QueueState> st_;

private:
    void need_init(SrcLoc loc) const {
        if (!st_) sim::fail("queue", "TBuf::Get on a TBuf that was not given memory with TPipe::InitBuffer", loc);
    }
    template <typename T>
    LocalTensor<T> make(uint64_t byteOff, uint64_t n) const {
        LocalTensor<T> t;
        t.q_ = st_;
        t.slot_ = 0;
        t.gen_ = st_->slots[0].generation;
        t.off_ = st_->slots[0].offset + byteOff;
        t.size_ = static_cast<uint32_t>(n);
        t.valid_ = true;
        return t;
    }
};

class TPipe {
public:
    TPipe() {
        start_ = sim::S().ub_used;
        sim::S().current_pipe = this;
    }
    ~TPipe() {
        if (sim::S().current_pipe == this) sim::S().current_pipe = nullptr;
    }
    template <class T>
    bool InitBuffer(T& que, uint8_t num, uint32_t len, SrcLoc loc = ASIM_LOC) {
        if (num == 0) sim::fail("ub_capacity", "InitBuffer with num == 0", loc);
        auto st = std::make_shared<sim::QueueState>();
        std::ostringstream kind;
        kind << "TQue(num=" << int(num) << ", len=" << len << ")";
        st->kind = kind.str();
        st->depth = 0;
        st->init_loc = loc;
        for (int i = 0; i < num; ++i) st->slots.push_back(alloc(len, loc));
        que.st_ = st;
        sim::S().queues.push_back(st);
        return true;
    }
    template <TPosition pos>
    bool InitBuffer(TBuf<pos>& buf, uint32_t len, SrcLoc loc = ASIM_LOC) {
        auto st = std::make_shared<sim::QueueState>();
        std::ostringstream kind;
        kind << "TBuf(len=" << len << ")";
        st->kind = kind.str();
        st->init_loc = loc;
        sim::BufSlot s = alloc(len, loc);
        s.state = 4;
        st->slots.push_back(s);
        buf.st_ = st;
        return true;
    }
    void Reset() { sim::S().ub_used = start_; }
    void Destroy() { sim::S().ub_used = start_; }
    void Init() {}
    TEventID FetchEventID(HardEvent) { return 0; }
    template <HardEvent evt>
    TEventID FetchEventID() { return 0; }
    template <HardEvent evt>
    TEventID AllocEventID() { return 0; }
    template <HardEvent evt>
    void ReleaseEventID(TEventID) {}

private:
    sim::BufSlot alloc(uint32_t len, SrcLoc loc) {
        sim::SimState& s = sim::S();
        uint64_t aligned = (uint64_t(len) + 31) / 32 * 32;
        if (len == 0) sim::fail("ub_capacity", "InitBuffer with len == 0", loc);
        if (s.ub_used + aligned > s.ub_limit) {
            std::ostringstream os;
            os << "Unified Buffer overflow: InitBuffer of " << len << " B (aligned " << aligned << ") with "
               << s.ub_used << " B already allocated exceeds the " << s.ub_limit << " B UB of this profile";
            sim::fail("ub_capacity", os.str(), loc);
        }
        sim::BufSlot b;
        b.offset = s.ub_used;
        b.bytes = aligned;
        s.ub_used += aligned;
        sim::stats().ub_peak = std::max<uint64_t>(sim::stats().ub_peak, s.ub_used);
        return b;
    }
    uint64_t start_ = 0;
};

inline TPipe* GetTPipePtr() { return static_cast<TPipe*>(sim::S().current_pipe); }

// ------------------------------------------------------------------------------------------
// Data movement
namespace simdetail {

template <typename T>
inline void gm_store(sim::GmBuffer* g, T* dst, const T* src, uint64_t n, SrcLoc loc) {
    sim::SimState& s = sim::S();
    if (s.atomic_mode == 0) {
        std::memcpy(dst, src, n * sizeof(T));
        sim::record_write(g, dst, n * sizeof(T), false, loc);
        return;
    }
    for (uint64_t i = 0; i < n; ++i) {
        compute_t<T> a = static_cast<compute_t<T>>(dst[i]);
        compute_t<T> b = static_cast<compute_t<T>>(src[i]);
        compute_t<T> r = s.atomic_mode == 1 ? a + b : (s.atomic_mode == 2 ? std::max(a, b) : std::min(a, b));
        dst[i] = static_cast<T>(r);
    }
    sim::record_write(g, dst, n * sizeof(T), true, loc);
}

template <typename T>
inline void check_atomic_type(SrcLoc loc) {
    sim::SimState& s = sim::S();
    if (s.atomic_mode != 0 && s.atomic_dtype != AtomicTypeOf<T>::v)
        sim::fail("atomic", std::string("GM store of ") + tname<T>() + " while SetAtomicAdd was set for another type", loc);
}

}  // namespace simdetail

template <typename T>
inline void DataCopy(const LocalTensor<T>& dstLocal, const GlobalTensor<T>& srcGlobal, const uint32_t calCount,
                     SrcLoc loc = ASIM_LOC) {
    uint64_t bytes = uint64_t(calCount) * sizeof(T);
    if (bytes % 32 != 0) {
        std::ostringstream os;
        os << "DataCopy GM->UB of " << calCount << " x " << simdetail::tname<T>() << " = " << bytes
           << " B is not a multiple of 32 B (use DataCopyPad for tails)";
        sim::fail("alignment", os.str(), loc);
    }
    dstLocal.check_aligned("DataCopy", loc);
    dstLocal.check_range(0, calCount, "DataCopy GM->UB", loc);
    srcGlobal.check(0, calCount, false, loc);
    std::memcpy(dstLocal.ptr(), srcGlobal.addr_, bytes);
    sim::stats().dma_in_bytes += bytes;
}

template <typename T>
inline void DataCopy(const GlobalTensor<T>& dstGlobal, const LocalTensor<T>& srcLocal, const uint32_t calCount,
                     SrcLoc loc = ASIM_LOC) {
    uint64_t bytes = uint64_t(calCount) * sizeof(T);
    if (bytes % 32 != 0) {
        std::ostringstream os;
        os << "DataCopy UB->GM of " << calCount << " x " << simdetail::tname<T>() << " = " << bytes
           << " B is not a multiple of 32 B (use DataCopyPad for tails)";
        sim::fail("alignment", os.str(), loc);
    }
    srcLocal.check_aligned("DataCopy", loc);
    srcLocal.check_range(0, calCount, "DataCopy UB->GM", loc);
    simdetail::check_atomic_type<T>(loc);
    sim::GmBuffer* g = dstGlobal.check(0, calCount, true, loc);
    simdetail::gm_store(g, dstGlobal.addr_, srcLocal.ptr(), calCount, loc);
    sim::stats().dma_out_bytes += bytes;
}

template <typename T>
inline void DataCopy(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const uint32_t calCount,
                     SrcLoc loc = ASIM_LOC) {
    uint64_t bytes = uint64_t(calCount) * sizeof(T);
    if (bytes % 32 != 0) sim::fail("alignment", "DataCopy UB->UB length is not a multiple of 32 B", loc);
    dstLocal.check_aligned("DataCopy", loc);
    srcLocal.check_aligned("DataCopy", loc);
    dstLocal.check_range(0, calCount, "DataCopy UB->UB dst", loc);
    srcLocal.check_range(0, calCount, "DataCopy UB->UB src", loc);
    std::memmove(dstLocal.ptr(), srcLocal.ptr(), bytes);
}

namespace simdetail {
inline void check_copy_params(const DataCopyParams& p, const char* what, SrcLoc loc) {
    if (p.blockCount < 1 || p.blockCount > 4095) {
        std::ostringstream os;
        os << what << ": blockCount " << p.blockCount << " outside [1, 4095]";
        sim::fail("datacopy_params", os.str(), loc);
    }
    if (p.blockLen < 1) sim::fail("datacopy_params", std::string(what) + ": blockLen 0", loc);
}
}  // namespace simdetail

// DataCopyParams form: blockLen, srcStride, dstStride in 32-byte blocks (GM side too).
template <typename T>
inline void DataCopy(const LocalTensor<T>& dstLocal, const GlobalTensor<T>& srcGlobal, const DataCopyParams& p,
                     SrcLoc loc = ASIM_LOC) {
    simdetail::check_copy_params(p, "DataCopy GM->UB", loc);
    dstLocal.check_aligned("DataCopy", loc);
    uint64_t blk = uint64_t(p.blockLen) * 32;
    for (uint32_t i = 0; i < p.blockCount; ++i) {
        uint64_t so = i * (uint64_t(p.blockLen) + p.srcStride) * 32;
        uint64_t d0 = i * (uint64_t(p.blockLen) + p.dstStride) * 32;
        dstLocal.check_range(0, (d0 + blk) / sizeof(T), "DataCopy GM->UB", loc);
        srcGlobal.check_bytes(so, blk, false, loc);
        std::memcpy(reinterpret_cast<uint8_t*>(dstLocal.ptr()) + d0, reinterpret_cast<uint8_t*>(srcGlobal.addr_) + so, blk);
    }
    sim::stats().dma_in_bytes += blk * p.blockCount;
}

template <typename T>
inline void DataCopy(const GlobalTensor<T>& dstGlobal, const LocalTensor<T>& srcLocal, const DataCopyParams& p,
                     SrcLoc loc = ASIM_LOC) {
    simdetail::check_copy_params(p, "DataCopy UB->GM", loc);
    srcLocal.check_aligned("DataCopy", loc);
    simdetail::check_atomic_type<T>(loc);
    uint64_t blk = uint64_t(p.blockLen) * 32;
    for (uint32_t i = 0; i < p.blockCount; ++i) {
        uint64_t s0 = i * (uint64_t(p.blockLen) + p.srcStride) * 32;
        uint64_t d0 = i * (uint64_t(p.blockLen) + p.dstStride) * 32;
        srcLocal.check_range(0, (s0 + blk) / sizeof(T), "DataCopy UB->GM", loc);
        sim::GmBuffer* g = dstGlobal.check_bytes(d0, blk, true, loc);
        simdetail::gm_store(g, reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(dstGlobal.addr_) + d0),
                            reinterpret_cast<const T*>(reinterpret_cast<uint8_t*>(srcLocal.ptr()) + s0), blk / sizeof(T), loc);
    }
    sim::stats().dma_out_bytes += blk * p.blockCount;
}

template <typename T>
inline void DataCopy(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const DataCopyParams& p,
                     SrcLoc loc = ASIM_LOC) {
    simdetail::check_copy_params(p, "DataCopy UB->UB", loc);
    dstLocal.check_aligned("DataCopy", loc);
    srcLocal.check_aligned("DataCopy", loc);
    uint64_t blk = uint64_t(p.blockLen) * 32;
    for (uint32_t i = 0; i < p.blockCount; ++i) {
        uint64_t s0 = i * (uint64_t(p.blockLen) + p.srcStride) * 32;
        uint64_t d0 = i * (uint64_t(p.blockLen) + p.dstStride) * 32;
        srcLocal.check_range(0, (s0 + blk) / sizeof(T), "DataCopy UB->UB src", loc);
        dstLocal.check_range(0, (d0 + blk) / sizeof(T), "DataCopy UB->UB dst", loc);
        std::memmove(reinterpret_cast<uint8_t*>(dstLocal.ptr()) + d0, reinterpret_cast<uint8_t*>(srcLocal.ptr()) + s0, blk);
    }
}

// DataCopyPad: blockLen in bytes; GM strides in bytes; UB strides in 32-byte blocks; every UB block
// starts 32-byte aligned.
namespace simdetail {
inline void check_pad_params(uint32_t blockCount, uint64_t blockLen, const char* what, SrcLoc loc) {
    if (blockCount < 1 || blockCount > 4095) {
        std::ostringstream os;
        os << what << ": blockCount " << blockCount << " outside [1, 4095]";
        sim::fail("datacopypad_params", os.str(), loc);
    }
    if (blockLen < 1 || blockLen > 65535) {
        std::ostringstream os;
        os << what << ": blockLen " << blockLen << " B outside [1, 65535]";
        sim::fail("datacopypad_params", os.str(), loc);
    }
}

template <typename T>
inline void pad_in(const LocalTensor<T>& dst, const GlobalTensor<T>& src, uint32_t blockCount, uint64_t blockLen,
                   uint64_t srcStride, uint64_t dstStride, bool isPad, uint32_t left, uint32_t right, T padValue,
                   SrcLoc loc) {
    check_pad_params(blockCount, blockLen, "DataCopyPad GM->UB", loc);
    dst.check_aligned("DataCopyPad", loc);
    if (left * sizeof(T) > 32 || right * sizeof(T) > 32)
        sim::fail("datacopypad_params", "DataCopyPad: leftPadding/rightPadding exceed 32 bytes", loc);
    if (blockLen % sizeof(T) != 0)
        sim::fail("datacopypad_params", "DataCopyPad: blockLen is not a multiple of sizeof(T)", loc);
    uint64_t row = (left * sizeof(T) + blockLen + right * sizeof(T) + 31) / 32 * 32;
    for (uint32_t i = 0; i < blockCount; ++i) {
        uint64_t so = i * (blockLen + srcStride);
        uint64_t d0 = i * (row + dstStride * 32);
        dst.check_range(0, (d0 + row) / sizeof(T), "DataCopyPad GM->UB", loc);
        src.check_bytes(so, blockLen, false, loc);
        uint8_t* d = reinterpret_cast<uint8_t*>(dst.ptr()) + d0;
        std::memcpy(d + left * sizeof(T), reinterpret_cast<uint8_t*>(src.addr_) + so, blockLen);
        if (isPad) {
            T* dt = reinterpret_cast<T*>(d);
            for (uint32_t k = 0; k < left; ++k) dt[k] = padValue;
            uint64_t n0 = left + blockLen / sizeof(T);
            for (uint32_t k = 0; k < right; ++k) dt[n0 + k] = padValue;
        }
    }
    sim::stats().dma_in_bytes += blockLen * blockCount;
}

template <typename T>
inline void pad_out(const GlobalTensor<T>& dst, const LocalTensor<T>& src, uint32_t blockCount, uint64_t blockLen,
                    uint64_t srcStride, uint64_t dstStride, SrcLoc loc) {
    check_pad_params(blockCount, blockLen, "DataCopyPad UB->GM", loc);
    src.check_aligned("DataCopyPad", loc);
    check_atomic_type<T>(loc);
    if (blockLen % sizeof(T) != 0)
        sim::fail("datacopypad_params", "DataCopyPad: blockLen is not a multiple of sizeof(T)", loc);
    uint64_t row = (blockLen + 31) / 32 * 32;
    for (uint32_t i = 0; i < blockCount; ++i) {
        uint64_t s0 = i * (row + srcStride * 32);
        uint64_t d0 = i * (blockLen + dstStride);
        src.check_range(s0 / sizeof(T), blockLen / sizeof(T), "DataCopyPad UB->GM", loc);
        sim::GmBuffer* g = dst.check_bytes(d0, blockLen, true, loc);
        gm_store(g, reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(dst.addr_) + d0),
                 reinterpret_cast<const T*>(reinterpret_cast<uint8_t*>(src.ptr()) + s0), blockLen / sizeof(T), loc);
    }
    sim::stats().dma_out_bytes += blockLen * blockCount;
}
}  // namespace simdetail

template <typename T, PaddingMode mode = PaddingMode::Normal>
inline void DataCopyPad(const LocalTensor<T>& dstLocal, const GlobalTensor<T>& srcGlobal,
                        const DataCopyExtParams& dataCopyParams, const DataCopyPadExtParams<T>& padParams,
                        SrcLoc loc = ASIM_LOC) {
    simdetail::pad_in(dstLocal, srcGlobal, dataCopyParams.blockCount, dataCopyParams.blockLen, dataCopyParams.srcStride,
                      dataCopyParams.dstStride, padParams.isPad, padParams.leftPadding, padParams.rightPadding,
                      padParams.paddingValue, loc);
}

template <typename T, PaddingMode mode = PaddingMode::Normal>
inline void DataCopyPad(const GlobalTensor<T>& dstGlobal, const LocalTensor<T>& srcLocal,
                        const DataCopyExtParams& dataCopyParams, SrcLoc loc = ASIM_LOC) {
    simdetail::pad_out(dstGlobal, srcLocal, dataCopyParams.blockCount, dataCopyParams.blockLen, dataCopyParams.srcStride,
                       dataCopyParams.dstStride, loc);
}

template <typename T>
inline void DataCopyPad(const LocalTensor<T>& dstLocal, const GlobalTensor<T>& srcGlobal,
                        const DataCopyParams& dataCopyParams, const DataCopyPadParams& padParams,
                        SrcLoc loc = ASIM_LOC) {
    T pv;
    uint64_t raw = padParams.paddingValue;
    std::memcpy(&pv, &raw, sizeof(T));
    simdetail::pad_in(dstLocal, srcGlobal, dataCopyParams.blockCount, dataCopyParams.blockLen, dataCopyParams.srcStride,
                      dataCopyParams.dstStride, padParams.isPad, padParams.leftPadding, padParams.rightPadding, pv, loc);
}

template <typename T>
inline void DataCopyPad(const GlobalTensor<T>& dstGlobal, const LocalTensor<T>& srcLocal,
                        const DataCopyParams& dataCopyParams, SrcLoc loc = ASIM_LOC) {
    simdetail::pad_out(dstGlobal, srcLocal, dataCopyParams.blockCount, dataCopyParams.blockLen, dataCopyParams.srcStride,
                       dataCopyParams.dstStride, loc);
}

// ------------------------------------------------------------------------------------------
// Vector instructions
namespace simdetail {

template <typename T>
inline void vec_count(const LocalTensor<T>& t, int64_t count, const char* what, SrcLoc loc) {
    t.check_live(what, loc);
    t.check_aligned(what, loc);
    if (count < 0) sim::fail("vector_params", std::string(what) + ": negative count", loc);
    if (static_cast<uint64_t>(count) > t.size_) {
        std::ostringstream os;
        os << what << ": count " << count << " exceeds the LocalTensor<" << tname<T>() << "> size " << t.size_;
        sim::fail("ub_bounds", os.str(), loc);
    }
}

// Active element indices of one repeat for a mask (continuous or bit form).
struct MaskSpec {
    bool bits = false;
    uint64_t cont = 0;
    uint64_t m[2] = {0, 0};
};

template <typename T>
inline void check_mask(const MaskSpec& ms, int64_t repeat, const char* what, SrcLoc loc) {
    constexpr uint64_t per_rep = 256 / sizeof(T);
    if (repeat < 0 || repeat > 255) {
        std::ostringstream os;
        os << what << ": repeatTimes " << repeat << " outside [0, 255] (split the call or use the count form)";
        sim::fail("vector_params", os.str(), loc);
    }
    if (!ms.bits) {
        if (ms.cont < 1 || ms.cont > per_rep) {
            std::ostringstream os;
            os << what << ": mask " << ms.cont << " outside [1, " << per_rep << "] for " << tname<T>();
            sim::fail("vector_params", os.str(), loc);
        }
    } else {
        if (per_rep <= 64 && ms.m[1] != 0) {
            std::ostringstream os;
            os << what << ": mask[1] must be 0 for " << sizeof(T) * 8 << "-bit types";
            sim::fail("vector_params", os.str(), loc);
        }
        if (per_rep < 64 && (ms.m[0] >> per_rep) != 0)
            sim::fail("vector_params", std::string(what) + ": mask bits beyond the elements of one repeat", loc);
        if (ms.m[0] == 0 && ms.m[1] == 0) sim::fail("vector_params", std::string(what) + ": mask is all zero", loc);
    }
}

template <typename T>
inline bool mask_on(const MaskSpec& ms, uint64_t i) {
    if (!ms.bits) return i < ms.cont;
    return (ms.m[i / 64] >> (i % 64)) & 1;
}

// Element offset of element i of repeat r for given block/repeat strides (in 32 B blocks).
template <typename T>
inline uint64_t rep_off(uint64_t r, uint64_t i, uint64_t blkStride, uint64_t repStride) {
    constexpr uint64_t epb = 32 / sizeof(T);
    return r * repStride * epb + (i / epb) * blkStride * epb + (i % epb);
}

template <typename T>
inline void rep_bounds(const LocalTensor<T>& t, const MaskSpec& ms, int64_t repeat, uint64_t blk, uint64_t rep,
                       const char* what, SrcLoc loc) {
    t.check_live(what, loc);
    t.check_aligned(what, loc);
    constexpr uint64_t per_rep = 256 / sizeof(T);
    uint64_t maxo = 0;
    bool any = false;
    for (int64_t r = 0; r < repeat; ++r)
        for (uint64_t i = 0; i < per_rep; ++i)
            if (mask_on<T>(ms, i)) {
                maxo = std::max(maxo, rep_off<T>(r, i, blk, rep));
                any = true;
            }
    if (any && maxo >= t.size_) {
        std::ostringstream os;
        os << what << ": repeat form touches element " << maxo << " of a LocalTensor<" << tname<T>() << "> holding "
           << t.size_ << " elements";
        sim::fail("ub_bounds", os.str(), loc);
    }
}

inline MaskSpec mk(uint64_t mask) { MaskSpec m; m.cont = mask; return m; }
inline MaskSpec mk(const uint64_t mask[]) { MaskSpec m; m.bits = true; m.m[0] = mask[0]; m.m[1] = mask[1]; return m; }

template <typename T, typename F>
inline void binary_count(const LocalTensor<T>& d, const LocalTensor<T>& a, const LocalTensor<T>& b, int64_t n,
                         const char* what, SrcLoc loc, F f) {
    vec_count(d, n, what, loc);
    vec_count(a, n, what, loc);
    vec_count(b, n, what, loc);
    T* pd = d.ptr();
    const T* pa = a.ptr();
    const T* pb = b.ptr();
    for (int64_t i = 0; i < n; ++i) pd[i] = static_cast<T>(f(static_cast<compute_t<T>>(pa[i]), static_cast<compute_t<T>>(pb[i])));
    sim::stats().vec_elems += n;
}

template <typename T, typename F>
inline void binary_rep(const LocalTensor<T>& d, const LocalTensor<T>& a, const LocalTensor<T>& b, const MaskSpec& ms,
                       int64_t repeat, const BinaryRepeatParams& p, const char* what, SrcLoc loc, F f) {
    check_mask<T>(ms, repeat, what, loc);
    rep_bounds(d, ms, repeat, p.dstBlkStride, p.dstRepStride, what, loc);
    rep_bounds(a, ms, repeat, p.src0BlkStride, p.src0RepStride, what, loc);
    rep_bounds(b, ms, repeat, p.src1BlkStride, p.src1RepStride, what, loc);
    constexpr uint64_t per_rep = 256 / sizeof(T);
    for (int64_t r = 0; r < repeat; ++r)
        for (uint64_t i = 0; i < per_rep; ++i)
            if (mask_on<T>(ms, i)) {
                compute_t<T> x = static_cast<compute_t<T>>(a.ptr()[rep_off<T>(r, i, p.src0BlkStride, p.src0RepStride)]);
                compute_t<T> y = static_cast<compute_t<T>>(b.ptr()[rep_off<T>(r, i, p.src1BlkStride, p.src1RepStride)]);
                d.ptr()[rep_off<T>(r, i, p.dstBlkStride, p.dstRepStride)] = static_cast<T>(f(x, y));
                sim::stats().vec_elems++;
            }
}

template <typename T, typename F>
inline void unary_count(const LocalTensor<T>& d, const LocalTensor<T>& a, int64_t n, const char* what, SrcLoc loc, F f) {
    vec_count(d, n, what, loc);
    vec_count(a, n, what, loc);
    T* pd = d.ptr();
    const T* pa = a.ptr();
    for (int64_t i = 0; i < n; ++i) pd[i] = static_cast<T>(f(static_cast<compute_t<T>>(pa[i])));
    sim::stats().vec_elems += n;
}

template <typename T, typename F>
inline void unary_rep(const LocalTensor<T>& d, const LocalTensor<T>& a, const MaskSpec& ms, int64_t repeat,
                      const UnaryRepeatParams& p, const char* what, SrcLoc loc, F f) {
    check_mask<T>(ms, repeat, what, loc);
    rep_bounds(d, ms, repeat, p.dstBlkStride, p.dstRepStride, what, loc);
    rep_bounds(a, ms, repeat, p.srcBlkStride, p.srcRepStride, what, loc);
    constexpr uint64_t per_rep = 256 / sizeof(T);
    for (int64_t r = 0; r < repeat; ++r)
        for (uint64_t i = 0; i < per_rep; ++i)
            if (mask_on<T>(ms, i)) {
                compute_t<T> x = static_cast<compute_t<T>>(a.ptr()[rep_off<T>(r, i, p.srcBlkStride, p.srcRepStride)]);
                d.ptr()[rep_off<T>(r, i, p.dstBlkStride, p.dstRepStride)] = static_cast<T>(f(x));
                sim::stats().vec_elems++;
            }
}

template <typename C>
inline C fmax_(C a, C b) { return a > b ? a : b; }
template <typename C>
inline C fmin_(C a, C b) { return a < b ? a : b; }

}  // namespace simdetail

#define ASIM_BINARY(NAME, EXPR)                                                                                        \
    template <typename T>                                                                                              \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& src0Local, const LocalTensor<T>& src1Local, \
                     const int32_t& calCount, SrcLoc loc = ASIM_LOC) {                                                 \
        simdetail::binary_count(dstLocal, src0Local, src1Local, calCount, #NAME, loc,                                  \
                                [](simdetail::compute_t<T> a, simdetail::compute_t<T> b) { return EXPR; });            \
    }                                                                                                                  \
    template <typename T, bool isSetMask = true>                                                                       \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& src0Local, const LocalTensor<T>& src1Local, \
                     uint64_t mask, RepeatArg repeatTimes, const BinaryRepeatParams& repeatParams,                     \
                     SrcLoc loc = ASIM_LOC) {                                                                          \
        simdetail::binary_rep(dstLocal, src0Local, src1Local, simdetail::mk(mask), repeatTimes.v, repeatParams, #NAME, \
                              loc, [](simdetail::compute_t<T> a, simdetail::compute_t<T> b) { return EXPR; });         \
    }                                                                                                                  \
    template <typename T, bool isSetMask = true>                                                                       \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& src0Local, const LocalTensor<T>& src1Local, \
                     const uint64_t mask[], RepeatArg repeatTimes, const BinaryRepeatParams& repeatParams,             \
                     SrcLoc loc = ASIM_LOC) {                                                                          \
        simdetail::binary_rep(dstLocal, src0Local, src1Local, simdetail::mk(mask), repeatTimes.v, repeatParams, #NAME, \
                              loc, [](simdetail::compute_t<T> a, simdetail::compute_t<T> b) { return EXPR; });         \
    }

ASIM_BINARY(Add, a + b)
ASIM_BINARY(Sub, a - b)
ASIM_BINARY(Mul, a * b)
ASIM_BINARY(Div, a / b)
ASIM_BINARY(Max, simdetail::fmax_(a, b))
ASIM_BINARY(Min, simdetail::fmin_(a, b))
ASIM_BINARY(And, a & b)
ASIM_BINARY(Or, a | b)
#undef ASIM_BINARY

#define ASIM_SCALAR(NAME, EXPR)                                                                                       \
    template <typename T, bool isSetMask = true>                                                                      \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const T& scalarValue,            \
                     const int32_t& calCount, SrcLoc loc = ASIM_LOC) {                                                \
        simdetail::compute_t<T> s = static_cast<simdetail::compute_t<T>>(scalarValue);                                \
        simdetail::unary_count(dstLocal, srcLocal, calCount, #NAME, loc, [s](simdetail::compute_t<T> a) { return EXPR; }); \
    }                                                                                                                 \
    template <typename T, bool isSetMask = true>                                                                      \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const T& scalarValue,            \
                     uint64_t mask, RepeatArg repeatTimes, const UnaryRepeatParams& repeatParams, SrcLoc loc = ASIM_LOC) { \
        simdetail::compute_t<T> s = static_cast<simdetail::compute_t<T>>(scalarValue);                                \
        simdetail::unary_rep(dstLocal, srcLocal, simdetail::mk(mask), repeatTimes.v, repeatParams, #NAME, loc,         \
                             [s](simdetail::compute_t<T> a) { return EXPR; });                                        \
    }                                                                                                                 \
    template <typename T, bool isSetMask = true>                                                                      \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const T& scalarValue,            \
                     const uint64_t mask[], RepeatArg repeatTimes, const UnaryRepeatParams& repeatParams,             \
                     SrcLoc loc = ASIM_LOC) {                                                                         \
        simdetail::compute_t<T> s = static_cast<simdetail::compute_t<T>>(scalarValue);                                \
        simdetail::unary_rep(dstLocal, srcLocal, simdetail::mk(mask), repeatTimes.v, repeatParams, #NAME, loc,         \
                             [s](simdetail::compute_t<T> a) { return EXPR; });                                        \
    }

ASIM_SCALAR(Adds, a + s)
ASIM_SCALAR(Muls, a * s)
ASIM_SCALAR(Maxs, simdetail::fmax_(a, s))
ASIM_SCALAR(Mins, simdetail::fmin_(a, s))
ASIM_SCALAR(ShiftLeft, a << s)
ASIM_SCALAR(ShiftRight, a >> s)
#undef ASIM_SCALAR

#define ASIM_UNARY(NAME, EXPR)                                                                                       \
    template <typename T, bool isSetMask = true>                                                                     \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const int32_t& calCount,        \
                     SrcLoc loc = ASIM_LOC) {                                                                        \
        using C = simdetail::compute_t<T>;                                                                           \
        simdetail::unary_count(dstLocal, srcLocal, calCount, #NAME, loc, [](C a) { return static_cast<C>(EXPR); });  \
    }                                                                                                                \
    template <typename T, bool isSetMask = true>                                                                     \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, uint64_t mask,                  \
                     RepeatArg repeatTimes, const UnaryRepeatParams& repeatParams, SrcLoc loc = ASIM_LOC) {          \
        using C = simdetail::compute_t<T>;                                                                           \
        simdetail::unary_rep(dstLocal, srcLocal, simdetail::mk(mask), repeatTimes.v, repeatParams, #NAME, loc,        \
                             [](C a) { return static_cast<C>(EXPR); });                                              \
    }                                                                                                                \
    template <typename T, bool isSetMask = true>                                                                     \
    inline void NAME(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const uint64_t mask[],          \
                     RepeatArg repeatTimes, const UnaryRepeatParams& repeatParams, SrcLoc loc = ASIM_LOC) {          \
        using C = simdetail::compute_t<T>;                                                                           \
        simdetail::unary_rep(dstLocal, srcLocal, simdetail::mk(mask), repeatTimes.v, repeatParams, #NAME, loc,        \
                             [](C a) { return static_cast<C>(EXPR); });                                              \
    }

ASIM_UNARY(Exp, std::exp(a))
ASIM_UNARY(Ln, std::log(a))
ASIM_UNARY(Abs, a < 0 ? -a : a)
ASIM_UNARY(Sqrt, std::sqrt(a))
ASIM_UNARY(Rsqrt, 1 / std::sqrt(a))
ASIM_UNARY(Reciprocal, 1 / a)
ASIM_UNARY(Relu, a > 0 ? a : 0)
#undef ASIM_UNARY

// dst[i] += src[i] * scalar (dst may be wider than src: half src, float dst).
template <typename T, typename U>
inline void Axpy(const LocalTensor<T>& dstLocal, const LocalTensor<U>& srcLocal, const U scalarValue,
                 const int32_t& calCount, SrcLoc loc = ASIM_LOC) {
    simdetail::vec_count(dstLocal, calCount, "Axpy", loc);
    simdetail::vec_count(srcLocal, calCount, "Axpy", loc);
    using C = simdetail::compute_t<T>;
    for (int32_t i = 0; i < calCount; ++i) {
        C prod = static_cast<C>(static_cast<simdetail::compute_t<U>>(srcLocal.ptr()[i]) *
                                static_cast<simdetail::compute_t<U>>(scalarValue));
        if (simdetail::is_f16<U>::value && std::is_same<U, T>::value) prod = static_cast<C>(static_cast<float>(U(prod)));
        dstLocal.ptr()[i] = static_cast<T>(static_cast<C>(dstLocal.ptr()[i]) + prod);
    }
    sim::stats().vec_elems += calCount;
}

template <typename T>
inline void Duplicate(const LocalTensor<T>& dstLocal, const T& scalarValue, const int32_t& calCount,
                      SrcLoc loc = ASIM_LOC) {
    simdetail::vec_count(dstLocal, calCount, "Duplicate", loc);
    for (int32_t i = 0; i < calCount; ++i) dstLocal.ptr()[i] = scalarValue;
    sim::stats().vec_elems += calCount;
}

template <typename T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dstLocal, const T& scalarValue, uint64_t mask, RepeatArg repeatTimes,
                      const uint16_t dstBlockStride, const uint8_t dstRepeatStride, SrcLoc loc = ASIM_LOC) {
    simdetail::MaskSpec ms = simdetail::mk(mask);
    simdetail::check_mask<T>(ms, repeatTimes.v, "Duplicate", loc);
    simdetail::rep_bounds(dstLocal, ms, repeatTimes.v, dstBlockStride, dstRepeatStride, "Duplicate", loc);
    for (int64_t r = 0; r < repeatTimes.v; ++r)
        for (uint64_t i = 0; i < 256 / sizeof(T); ++i)
            if (simdetail::mask_on<T>(ms, i))
                dstLocal.ptr()[simdetail::rep_off<T>(r, i, dstBlockStride, dstRepeatStride)] = scalarValue;
}

template <typename T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dstLocal, const T& scalarValue, const uint64_t mask[], RepeatArg repeatTimes,
                      const uint16_t dstBlockStride, const uint8_t dstRepeatStride, SrcLoc loc = ASIM_LOC) {
    simdetail::MaskSpec ms = simdetail::mk(mask);
    simdetail::check_mask<T>(ms, repeatTimes.v, "Duplicate", loc);
    simdetail::rep_bounds(dstLocal, ms, repeatTimes.v, dstBlockStride, dstRepeatStride, "Duplicate", loc);
    for (int64_t r = 0; r < repeatTimes.v; ++r)
        for (uint64_t i = 0; i < 256 / sizeof(T); ++i)
            if (simdetail::mask_on<T>(ms, i))
                dstLocal.ptr()[simdetail::rep_off<T>(r, i, dstBlockStride, dstRepeatStride)] = scalarValue;
}

// ------------------------------------------------------------------------------------------
// Cast
namespace simdetail {

inline double round_mode(double v, RoundMode m) {
    switch (m) {
        case RoundMode::CAST_FLOOR: return std::floor(v);
        case RoundMode::CAST_CEIL: return std::ceil(v);
        case RoundMode::CAST_ROUND: return std::round(v);
        case RoundMode::CAST_TRUNC: return std::trunc(v);
        default: return std::nearbyint(v);  // RINT / NONE: round half to even (default FP env)
    }
}

inline sim::F16Round f16mode(RoundMode m) {
    switch (m) {
        case RoundMode::CAST_FLOOR: return sim::F16Round::FLOOR;
        case RoundMode::CAST_CEIL: return sim::F16Round::CEIL;
        case RoundMode::CAST_ROUND: return sim::F16Round::ROUND;
        case RoundMode::CAST_TRUNC: return sim::F16Round::TRUNC;
        case RoundMode::CAST_ODD: return sim::F16Round::ODD;
        default: return sim::F16Round::RINT;
    }
}

template <typename D, typename S>
inline D cast_one(S s, RoundMode m) {
    double v = static_cast<double>(static_cast<compute_t<S>>(s));
    if (std::is_same<D, half>::value) {
        uint16_t b = std::is_same<S, half>::value ? reinterpret_cast<const half&>(s).bits
                                                  : sim::float_to_half_bits(static_cast<float>(v), f16mode(m));
        D d;
        std::memcpy(&d, &b, 2);
        return d;
    } else if (std::is_same<D, bfloat16_t>::value) {
        uint16_t b = sim::float_to_bf16_bits(static_cast<float>(v), f16mode(m));
        D d;
        std::memcpy(&d, &b, 2);
        return d;
    } else if (std::is_floating_point<D>::value) {
        return static_cast<D>(v);
    } else {
        if (std::isnan(v)) return D(0);
        double r = round_mode(v, m);
        double lo = static_cast<double>(std::numeric_limits<D>::min());
        double hi = static_cast<double>(std::numeric_limits<D>::max());
        r = std::min(std::max(r, lo), hi);  // saturate
        return static_cast<D>(r);
    }
}

}  // namespace simdetail

template <typename T1, typename T2>
inline void Cast(const LocalTensor<T1>& dstLocal, const LocalTensor<T2>& srcLocal, const RoundMode& round_mode,
                 const uint32_t calCount, SrcLoc loc = ASIM_LOC) {
    simdetail::vec_count(dstLocal, calCount, "Cast", loc);
    simdetail::vec_count(srcLocal, calCount, "Cast", loc);
    for (uint32_t i = 0; i < calCount; ++i) dstLocal.ptr()[i] = simdetail::cast_one<T1, T2>(srcLocal.ptr()[i], round_mode);
    sim::stats().vec_elems += calCount;
}

template <typename T, typename U, RoundMode roundMode>
inline U ScalarCast(T valueIn) {
    return simdetail::cast_one<U, T>(valueIn, roundMode);
}

// ------------------------------------------------------------------------------------------
// Compare / Select (bit masks: bit i of the uint8 dst = result for element i)
namespace simdetail {
template <typename C>
inline bool cmp(C a, C b, CMPMODE m) {
    switch (m) {
        case CMPMODE::LT: return a < b;
        case CMPMODE::GT: return a > b;
        case CMPMODE::EQ: return a == b;
        case CMPMODE::LE: return a <= b;
        case CMPMODE::GE: return a >= b;
        default: return a != b;
    }
}
template <typename U>
inline void set_bit(const LocalTensor<U>& dst, uint64_t i, bool v) {
    uint8_t* p = reinterpret_cast<uint8_t*>(dst.ptr());
    if (v) p[i / 8] |= uint8_t(1u << (i % 8));
    else p[i / 8] &= uint8_t(~(1u << (i % 8)));
}
template <typename U>
inline bool get_bit(const LocalTensor<U>& m, uint64_t i) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(m.ptr());
    return (p[i / 8] >> (i % 8)) & 1;
}
template <typename U>
inline void mask_bytes_ok(const LocalTensor<U>& m, uint64_t count, const char* what, SrcLoc loc) {
    m.check_live(what, loc);
    m.check_aligned(what, loc);
    if ((count + 7) / 8 > uint64_t(m.size_) * sizeof(U)) {
        std::ostringstream os;
        os << what << ": mask tensor holds " << uint64_t(m.size_) * sizeof(U) << " B, needs " << (count + 7) / 8;
        sim::fail("ub_bounds", os.str(), loc);
    }
}
}  // namespace simdetail

template <typename T, typename U>
inline void Compare(const LocalTensor<U>& dstLocal, const LocalTensor<T>& src0Local, const LocalTensor<T>& src1Local,
                    CMPMODE cmpMode, uint32_t calCount, SrcLoc loc = ASIM_LOC) {
    if ((uint64_t(calCount) * sizeof(T)) % 256 != 0)
        sim::fail("alignment", "Compare: calCount * sizeof(T) must be a multiple of 256 B", loc);
    simdetail::vec_count(src0Local, calCount, "Compare", loc);
    simdetail::vec_count(src1Local, calCount, "Compare", loc);
    simdetail::mask_bytes_ok(dstLocal, calCount, "Compare", loc);
    using C = simdetail::compute_t<T>;
    for (uint32_t i = 0; i < calCount; ++i)
        simdetail::set_bit(dstLocal, i, simdetail::cmp<C>(C(src0Local.ptr()[i]), C(src1Local.ptr()[i]), cmpMode));
    sim::stats().vec_elems += calCount;
}

template <typename T, typename U>
inline void CompareScalar(const LocalTensor<U>& dstLocal, const LocalTensor<T>& src0Local, const T src1Scalar,
                          CMPMODE cmpMode, uint32_t calCount, SrcLoc loc = ASIM_LOC) {
    if ((uint64_t(calCount) * sizeof(T)) % 32 != 0)
        sim::fail("alignment", "CompareScalar: calCount * sizeof(T) must be a multiple of 32 B", loc);
    simdetail::vec_count(src0Local, calCount, "CompareScalar", loc);
    simdetail::mask_bytes_ok(dstLocal, calCount, "CompareScalar", loc);
    using C = simdetail::compute_t<T>;
    for (uint32_t i = 0; i < calCount; ++i)
        simdetail::set_bit(dstLocal, i, simdetail::cmp<C>(C(src0Local.ptr()[i]), C(src1Scalar), cmpMode));
    sim::stats().vec_elems += calCount;
}

template <typename T, typename U>
inline void Select(const LocalTensor<T>& dstLocal, const LocalTensor<U>& selMask, const LocalTensor<T>& src0Local,
                   const LocalTensor<T>& src1Local, SELMODE selMode, uint32_t calCount, SrcLoc loc = ASIM_LOC) {
    (void)selMode;
    simdetail::vec_count(dstLocal, calCount, "Select", loc);
    simdetail::vec_count(src0Local, calCount, "Select", loc);
    simdetail::vec_count(src1Local, calCount, "Select", loc);
    simdetail::mask_bytes_ok(selMask, calCount, "Select", loc);
    for (uint32_t i = 0; i < calCount; ++i)
        dstLocal.ptr()[i] = simdetail::get_bit(selMask, i) ? src0Local.ptr()[i] : src1Local.ptr()[i];
    sim::stats().vec_elems += calCount;
}

template <typename T, typename U>
inline void Select(const LocalTensor<T>& dstLocal, const LocalTensor<U>& selMask, const LocalTensor<T>& src0Local,
                   T src1Scalar, SELMODE selMode, uint32_t calCount, SrcLoc loc = ASIM_LOC) {
    (void)selMode;
    simdetail::vec_count(dstLocal, calCount, "Select", loc);
    simdetail::vec_count(src0Local, calCount, "Select", loc);
    simdetail::mask_bytes_ok(selMask, calCount, "Select", loc);
    for (uint32_t i = 0; i < calCount; ++i)
        dstLocal.ptr()[i] = simdetail::get_bit(selMask, i) ? src0Local.ptr()[i] : src1Scalar;
    sim::stats().vec_elems += calCount;
}

// ------------------------------------------------------------------------------------------
// Reductions (result in dst[0]; accumulation in float for 16-bit types, per 256 B repeat then
// across repeats, mirroring the hardware's two-level order)
template <typename T, bool isSetMask = true>
inline void ReduceSum(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const LocalTensor<T>& workLocal,
                      const int32_t count, SrcLoc loc = ASIM_LOC) {
    simdetail::vec_count(srcLocal, count, "ReduceSum", loc);
    simdetail::vec_count(dstLocal, 1, "ReduceSum", loc);
    workLocal.check_live("ReduceSum work", loc);
    using C = simdetail::compute_t<T>;
    constexpr int32_t per_rep = 256 / sizeof(T);
    C total = 0;
    for (int32_t r = 0; r < count; r += per_rep) {
        C part = 0;
        for (int32_t i = r; i < std::min(count, r + per_rep); ++i) part += C(srcLocal.ptr()[i]);
        total += part;
    }
    dstLocal.ptr()[0] = static_cast<T>(total);
    sim::stats().vec_elems += count;
}

template <typename T>
inline void ReduceMax(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const LocalTensor<T>& workLocal,
                      const int32_t count, bool calIndex = false, SrcLoc loc = ASIM_LOC) {
    simdetail::vec_count(srcLocal, count, "ReduceMax", loc);
    simdetail::vec_count(dstLocal, calIndex ? 2 : 1, "ReduceMax", loc);
    workLocal.check_live("ReduceMax work", loc);
    using C = simdetail::compute_t<T>;
    if (count <= 0) sim::fail("vector_params", "ReduceMax: count must be positive", loc);
    C best = C(srcLocal.ptr()[0]);
    uint32_t idx = 0;
    for (int32_t i = 1; i < count; ++i)
        if (C(srcLocal.ptr()[i]) > best) { best = C(srcLocal.ptr()[i]); idx = i; }
    dstLocal.ptr()[0] = static_cast<T>(best);
    if (calIndex) {
        T idxv;
        if (sizeof(T) == 4) { std::memcpy(&idxv, &idx, 4); }
        else { uint16_t i16 = static_cast<uint16_t>(idx); std::memcpy(&idxv, &i16, 2); }
        dstLocal.ptr()[1] = idxv;
    }
    sim::stats().vec_elems += count;
}

// dst[i] = src bytes at (srcBaseAddr + srcOffsetLocal[i]) (offsets in bytes, relative to src).
template <typename T>
inline void Gather(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal,
                   const LocalTensor<uint32_t>& srcOffsetLocal, const uint32_t srcBaseAddr, const uint32_t count,
                   SrcLoc loc = ASIM_LOC) {
    simdetail::vec_count(dstLocal, count, "Gather", loc);
    simdetail::vec_count(srcOffsetLocal, count, "Gather offsets", loc);
    srcLocal.check_live("Gather src", loc);
    srcLocal.check_aligned("Gather src", loc);
    uint64_t src_bytes = uint64_t(srcLocal.size_) * sizeof(T);
    for (uint32_t i = 0; i < count; ++i) {
        uint64_t b = uint64_t(srcBaseAddr) + srcOffsetLocal.ptr()[i];
        if (b % sizeof(T) != 0 || b + sizeof(T) > src_bytes) {
            std::ostringstream os;
            os << "Gather: element " << i << " reads byte offset " << b << " of a source holding " << src_bytes
               << " B (offsets are in bytes and must be multiples of sizeof(T))";
            sim::fail("ub_bounds", os.str(), loc);
        }
        std::memcpy(dstLocal.ptr() + i, reinterpret_cast<const uint8_t*>(srcLocal.ptr()) + b, sizeof(T));
    }
    sim::stats().vec_elems += count;
}

// Each repeat broadcasts 8 consecutive src elements to 8 destination 32 B blocks.
template <typename T>
inline void Brcb(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const RepeatArg repeatTimes,
                 const BrcbRepeatParams& repeatParams, SrcLoc loc = ASIM_LOC) {
    if (repeatTimes.v < 0 || repeatTimes.v > 255) sim::fail("vector_params", "Brcb: repeatTimes outside [0, 255]", loc);
    simdetail::vec_count(srcLocal, repeatTimes.v * 8, "Brcb", loc);
    dstLocal.check_live("Brcb", loc);
    dstLocal.check_aligned("Brcb", loc);
    constexpr uint64_t epb = 32 / sizeof(T);
    for (int64_t r = 0; r < repeatTimes.v; ++r)
        for (uint64_t k = 0; k < 8; ++k) {
            uint64_t base = (r * repeatParams.dstRepStride + k * repeatParams.dstBlkStride) * epb;
            if (base + epb > dstLocal.size_) sim::fail("ub_bounds", "Brcb: destination block beyond the LocalTensor", loc);
            for (uint64_t j = 0; j < epb; ++j) dstLocal.ptr()[base + j] = srcLocal.ptr()[r * 8 + k];
        }
    sim::stats().vec_elems += repeatTimes.v * 8 * epb;
}

// High-level BroadCast: dst (dstShape) = src (srcShape) repeated along the axes where srcShape is 1.
template <typename T, int32_t dim, int32_t axis, bool isReuseSource = false>
inline void BroadCast(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const uint32_t dstShape[dim],
                      const uint32_t srcShape[dim], SrcLoc loc = ASIM_LOC) {
    uint64_t dn = 1, sn = 1;
    for (int k = 0; k < dim; ++k) {
        if (srcShape[k] != dstShape[k] && srcShape[k] != 1)
            sim::fail("vector_params", "BroadCast: srcShape must equal dstShape or be 1 on every axis", loc);
        dn *= dstShape[k];
        sn *= srcShape[k];
    }
    simdetail::vec_count(dstLocal, dn, "BroadCast", loc);
    simdetail::vec_count(srcLocal, sn, "BroadCast", loc);
    for (uint64_t i = 0; i < dn; ++i) {
        uint64_t rem = i, si = 0, sstride = 1;
        for (int k = dim - 1; k >= 0; --k) {
            uint64_t ik = rem % dstShape[k];
            rem /= dstShape[k];
            si += (srcShape[k] == 1 ? 0 : ik) * sstride;
            sstride *= srcShape[k];
        }
        dstLocal.ptr()[i] = srcLocal.ptr()[si];
    }
    sim::stats().vec_elems += dn;
}
template <typename T, int32_t dim, int32_t axis, bool isReuseSource = false>
inline void BroadCast(const LocalTensor<T>& dstLocal, const LocalTensor<T>& srcLocal, const uint32_t dstShape[dim],
                      const uint32_t srcShape[dim], const LocalTensor<uint8_t>& sharedTmpBuffer, SrcLoc loc = ASIM_LOC) {
    sharedTmpBuffer.check_live("BroadCast tmp", loc);
    BroadCast<T, dim, axis, isReuseSource>(dstLocal, srcLocal, dstShape, srcShape, loc);
}

// Mask registers: accepted so that code using the normal mode builds; counter mode is rejected
// because the harness' repeat forms take the mask from their arguments.
inline void SetMaskNorm() {}
inline void ResetMask() {}
inline void SetMaskCount(SrcLoc loc = ASIM_LOC) {
    sim::fail("unsupported", "SetMaskCount (counter mode) is not modelled; use the count (calCount) API forms", loc);
}
template <typename T, int mode = 0>
inline void SetVectorMask(uint64_t, uint64_t = 0) {}

}  // namespace AscendC

// ------------------------------------------------------------------------------------------
// Tiling access in the kernel. The harness entry defines ASCENDC_SIM_TILING_TYPE.
namespace ascendc_sim {
template <typename T>
inline void load_tiling(T* dst, const uint8_t* src, SrcLoc loc) {
    if (src == nullptr) fail("tiling", "GET_TILING_DATA: tiling pointer is null", loc);
    GmBuffer* g = find_gm(src);
    if (g == nullptr || g->role != GmRole::TILING || src + sizeof(T) > g->base + g->bytes) {
        std::ostringstream os;
        os << "GET_TILING_DATA reads a " << sizeof(T) << " B tiling struct but the tiling function saved "
           << (g ? g->bytes : 0) << " B (SetDataSize / struct mismatch)";
        fail("tiling", os.str(), loc);
    }
    std::memcpy(static_cast<void*>(dst), src, sizeof(T));
}
}  // namespace ascendc_sim

#define GET_TILING_DATA(tiling_data, tiling_arg) \
    ASCENDC_SIM_TILING_TYPE tiling_data;         \
    ::ascendc_sim::load_tiling(&tiling_data, reinterpret_cast<const uint8_t*>(tiling_arg), ASIM_LOC)
#define GET_TILING_DATA_WITH_STRUCT(tiling_struct, tiling_data, tiling_arg) \
    tiling_struct tiling_data;                                              \
    ::ascendc_sim::load_tiling(&tiling_data, reinterpret_cast<const uint8_t*>(tiling_arg), ASIM_LOC)
#define GET_TILING_DATA_PTR_WITH_STRUCT(tiling_struct, dst_ptr, tiling_ptr) \
    const tiling_struct* dst_ptr = reinterpret_cast<const tiling_struct*>(tiling_ptr)
#define REGISTER_TILING_DEFAULT(tiling_struct)
#define ASSERT(expr) \
    ((expr) ? (void)0 : ::ascendc_sim::fail("assert", std::string("ASSERT(") + #expr + ") failed", ASIM_LOC))
#define TILING_KEY_IS(k) (::ascendc_sim::S().tiling_key == static_cast<uint64_t>(k))
#endif  // ASCENDC_SIM_KERNEL_OPERATOR_H
