// ascendc_sim: shared runtime state of the CPU harness (errors, GM registry, per-core context).
// Header-only; every global is a C++17 inline variable so one shared library holds one copy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ascendc_sim {

// Call-site location captured through default arguments (GCC/Clang builtins work in C++17).
// (The builtins must be default arguments of current() itself to report the caller's line.)
struct SrcLoc {
    const char* file;
    int line;
    static SrcLoc current(const char* f = __builtin_FILE(), int l = __builtin_LINE()) { return SrcLoc{f, l}; }
};
#define ASIM_LOC ::ascendc_sim::SrcLoc::current()

// A violated harness check. `check` is a short stable identifier (e.g. "gm_bounds").
class SimError : public std::runtime_error {
public:
    SimError(std::string check, std::string msg, SrcLoc loc, int core)
        : std::runtime_error(msg), check_(std::move(check)), file_(loc.file ? loc.file : "?"),
          line_(loc.line), core_(core) {}
    const std::string& check() const { return check_; }
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    int core() const { return core_; }

private:
    std::string check_;
    std::string file_;
    int line_;
    int core_;
};

enum class GmRole { INPUT, OUTPUT, WORKSPACE, TILING };

// One GM buffer registered by the runner. For outputs, per-byte writer bookkeeping.
struct GmBuffer {
    std::string name;
    GmRole role;
    uint8_t* base;
    uint64_t bytes;
    uint32_t elem_size;                 // element size of the torch tensor (1 for workspace/tiling)
    std::vector<int16_t> plain_writer;  // OUTPUT only: -1 none, core id, -2 several cores
    std::vector<uint8_t> atomic_written;
    std::vector<uint64_t> per_core_bytes;  // bytes first written by each core
};

struct CoreStats {
    uint64_t ub_peak = 0;
    uint64_t dma_in_bytes = 0;
    uint64_t dma_out_bytes = 0;
    uint64_t vec_elems = 0;
    uint64_t calls = 0;
};

struct QueueState;

struct SimState {
    std::vector<GmBuffer> gm;
    int core = -1;                 // current block idx
    int block_dim = 0;
    uint64_t tiling_key = 0;
    std::string kernel_name;
    uint64_t ub_limit = 196608;
    uint64_t sys_workspace = 16u * 1024u * 1024u;
    bool allow_input_writes = false;
    bool allow_multi_writer = false;
    uint64_t gm_read_slack = 0;     // reads may run this many bytes past an input's end (padding)
    uint64_t gm_overread_bytes = 0; // bytes read inside that slack
    // per-core
    std::vector<uint8_t> ub;       // the core's Unified Buffer
    uint64_t ub_used = 0;
    int atomic_mode = 0;           // 0 none, 1 add
    int atomic_dtype = 0;          // 0 f32, 1 f16, 2 i32, 3 bf16, 4 i16, 5 i8
    std::vector<std::shared_ptr<QueueState>> queues;
    std::vector<CoreStats> stats;
    void* current_pipe = nullptr;
    // SetFlag/WaitFlag bookkeeping: key = event * 64 + id -> (pending count, loc of last SetFlag)
    std::vector<std::pair<int, std::pair<int, SrcLoc>>> flags;
};

inline SimState& S() {
    static SimState s;
    return s;
}

[[noreturn]] inline void fail(const char* check, const std::string& msg, SrcLoc loc) {
    std::ostringstream os;
    os << check << ": " << msg << " (kernel " << S().kernel_name << ", core " << S().core << "/"
       << S().block_dim << ", at " << (loc.file ? loc.file : "?") << ":" << loc.line << ")";
    throw SimError(check, os.str(), loc, S().core);
}

inline CoreStats& stats() {
    static CoreStats dummy;
    SimState& s = S();
    if (s.core < 0 || s.core >= static_cast<int>(s.stats.size())) return dummy;
    return s.stats[s.core];
}

// ---------------------------------------------------------------------------------------------
// GM registry and checks
inline GmBuffer* find_gm(const void* p) {
    auto* b = static_cast<const uint8_t*>(p);
    for (auto& g : S().gm) {
        if (g.bytes == 0) {
            if (b == g.base) return &g;
            continue;
        }
        if (b >= g.base && b < g.base + g.bytes) return &g;
    }
    return nullptr;
}

inline std::string describe_gm(const void* p) {
    GmBuffer* g = find_gm(p);
    std::ostringstream os;
    if (g) {
        os << "'" << g->name << "'+" << (static_cast<const uint8_t*>(p) - g->base) << " B (size "
           << g->bytes << " B)";
    } else {
        os << "address " << p << " (not in any registered GM buffer)";
    }
    return os.str();
}

// Checks that the byte range [p, p+n) lies in one registered buffer and inside [lo, hi) of the
// GlobalTensor (hi == nullptr: no declared size). Returns the buffer.
inline GmBuffer* check_gm_range(const void* p, uint64_t n, const void* lo, const void* hi, bool write,
                                SrcLoc loc) {
    auto* b = static_cast<const uint8_t*>(p);
    GmBuffer* g = find_gm(p);
    if (n == 0) return g;
    if (!g) {
        // Address outside every buffer: try to name the closest preceding buffer.
        GmBuffer* best = nullptr;
        for (auto& c : S().gm)
            if (c.base <= b && (!best || c.base > best->base)) best = &c;
        std::ostringstream os;
        os << "GM " << (write ? "write" : "read") << " of " << n << " B at ";
        if (best)
            os << "'" << best->name << "'+" << (b - best->base) << " B, beyond its end (size "
               << best->bytes << " B)";
        else
            os << "address " << p << " outside every registered GM buffer";
        fail("gm_bounds", os.str(), loc);
    }
    if (b + n > g->base + g->bytes) {
        if (!write && g->role == GmRole::INPUT && b + n <= g->base + g->bytes + S().gm_read_slack) {
            S().gm_overread_bytes += (b + n) - (g->base + g->bytes);
            return g;
        }
        std::ostringstream os;
        os << "GM " << (write ? "write" : "read") << " of " << n << " B at '" << g->name << "'+"
           << (b - g->base) << " B runs past its end (size " << g->bytes << " B)";
        fail("gm_bounds", os.str(), loc);
    }
    if (hi) {
        auto* l = static_cast<const uint8_t*>(lo);
        auto* h = static_cast<const uint8_t*>(hi);
        if (b < l || b + n > h) {
            std::ostringstream os;
            os << "GM " << (write ? "write" : "read") << " of " << n << " B at '" << g->name << "'+"
               << (b - g->base) << " B is outside the GlobalTensor's SetGlobalBuffer range ['"
               << g->name << "'+" << (l - g->base) << ", +" << (h - g->base) << ") B";
            fail("gm_bounds", os.str(), loc);
        }
    }
    if (write && g->role == GmRole::INPUT && !S().allow_input_writes) {
        std::ostringstream os;
        os << "GM write of " << n << " B into input buffer '" << g->name << "'+" << (b - g->base)
           << " B";
        fail("gm_input_write", os.str(), loc);
    }
    if (write && g->role == GmRole::TILING) fail("gm_input_write", "GM write into the tiling buffer", loc);
    return g;
}

// Records that the current core wrote bytes [p, p+n) (already range-checked). A plain (non-atomic)
// write of a byte that another core already wrote is an error unless multi-writers are allowed.
inline void record_write(GmBuffer* g, const void* p, uint64_t n, bool atomic, SrcLoc loc) {
    if (!g || g->role != GmRole::OUTPUT || n == 0) return;
    uint64_t off = static_cast<const uint8_t*>(p) - g->base;
    int16_t core = static_cast<int16_t>(S().core);
    for (uint64_t i = off; i < off + n; ++i) {
        if (atomic) {
            if (!g->atomic_written[i] && g->plain_writer[i] == -1) g->per_core_bytes[core]++;
            g->atomic_written[i] = 1;
        } else {
            int16_t w = g->plain_writer[i];
            if (w == -1) {
                g->plain_writer[i] = core;
                if (!g->atomic_written[i]) g->per_core_bytes[core]++;
            } else if (w != core) {
                if (!S().allow_multi_writer) {
                    std::ostringstream os;
                    os << "output '" << g->name << "' element " << i / g->elem_size << " (byte " << i
                       << ") is written by core " << core << " but was already written by core "
                       << (w >= 0 ? std::to_string(w) : std::string("several cores"))
                       << " (overlapping work split; use SetAtomicAdd for intended accumulation)";
                    fail("multi_writer", os.str(), loc);
                }
                g->plain_writer[i] = -2;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// UB helpers
inline uint8_t* ub_base() { return S().ub.data(); }
inline uint64_t ub_offset(const void* p) { return static_cast<const uint8_t*>(p) - ub_base(); }

// Queue / buffer bookkeeping shared by LocalTensors so that stale handles are detected.
struct BufSlot {
    uint64_t offset = 0;       // byte offset in UB
    uint64_t bytes = 0;
    int state = 0;             // 0 free, 1 allocated, 2 enqueued, 3 dequeued, 4 permanent (TBuf)
    uint64_t generation = 0;   // bumped on every AllocTensor/FreeTensor
    SrcLoc alloc_loc{nullptr, 0};
    SrcLoc enque_loc{nullptr, 0};
};

struct QueueState {
    std::string kind;          // "TQue<VECIN,2>" etc.
    int depth = 1;
    std::vector<BufSlot> slots;
    std::vector<int> fifo;     // slot indices enqueued
    SrcLoc init_loc{nullptr, 0};
};

}  // namespace ascendc_sim
