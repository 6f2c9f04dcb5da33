// ascendc_sim: C ABI used by the Python runner to execute a kernel once per simulated vector core.
// Included by the generated kernel entry file, which defines asim_invoke(args) calling the kernel.
#pragma once

#include <exception>
#include <sstream>
#include <string>

#include "ascendc_sim/json_out.h"
#include "ascendc_sim/sim_core.h"

extern "C" void asim_invoke(uint8_t** args);

namespace ascendc_sim {
inline std::string& kernel_reply() {
    static std::string r;
    return r;
}
inline const char* role_name(GmRole r) {
    switch (r) {
        case GmRole::INPUT: return "input";
        case GmRole::OUTPUT: return "output";
        case GmRole::WORKSPACE: return "workspace";
        default: return "tiling";
    }
}
inline std::string error_json(const char* check, const std::string& msg, const char* file, int line, int core) {
    std::ostringstream os;
    os << "{\"ok\":false,\"check\":" << jstr(check) << ",\"error\":" << jstr(msg) << ",\"file\":" << jstr(file ? file : "")
       << ",\"line\":" << line << ",\"core\":" << core << "}";
    return os.str();
}
}  // namespace ascendc_sim

// Request (text lines):
//   kernel <name>  block_dim <n>  tiling_key <k>  ub_limit <bytes>  sys_workspace <bytes>
//   allow_input_writes <0|1>  allow_multi_writer <0|1>
//   arg <role: input|output|workspace|tiling|null> <elem_size> <bytes> <address> <name>   (kernel arg order)
extern "C" __attribute__((visibility("default"))) const char* asim_launch(const char* request) {
    using namespace ascendc_sim;
    SimState& s = S();
    s = SimState();
    std::vector<uint8_t*> args;
    std::istringstream req(request);
    std::string line;
    while (std::getline(req, line)) {
        std::istringstream ls(line);
        std::string tag;
        ls >> tag;
        if (tag == "kernel") ls >> s.kernel_name;
        else if (tag == "block_dim") ls >> s.block_dim;
        else if (tag == "tiling_key") ls >> s.tiling_key;
        else if (tag == "ub_limit") ls >> s.ub_limit;
        else if (tag == "sys_workspace") ls >> s.sys_workspace;
        else if (tag == "allow_input_writes") { int v; ls >> v; s.allow_input_writes = v != 0; }
        else if (tag == "allow_multi_writer") { int v; ls >> v; s.allow_multi_writer = v != 0; }
        else if (tag == "gm_read_slack") ls >> s.gm_read_slack;
        else if (tag == "arg") {
            std::string role, name;
            uint32_t es;
            uint64_t bytes, addr;
            ls >> role >> es >> bytes >> addr >> name;
            if (role == "null") { args.push_back(nullptr); continue; }
            GmBuffer g;
            g.name = name;
            g.role = role == "input" ? GmRole::INPUT : role == "output" ? GmRole::OUTPUT
                   : role == "workspace" ? GmRole::WORKSPACE : GmRole::TILING;
            g.base = reinterpret_cast<uint8_t*>(addr);
            g.bytes = bytes;
            g.elem_size = es ? es : 1;
            if (g.role == GmRole::OUTPUT) {
                g.plain_writer.assign(bytes, -1);
                g.atomic_written.assign(bytes, 0);
            }
            s.gm.push_back(std::move(g));
            args.push_back(reinterpret_cast<uint8_t*>(addr));
        }
    }
    for (auto& g : s.gm) g.per_core_bytes.assign(s.block_dim > 0 ? s.block_dim : 1, 0);
    s.stats.assign(s.block_dim > 0 ? s.block_dim : 1, CoreStats());
    s.ub.assign(s.ub_limit + 64, 0);
    for (int c = 0; c < s.block_dim; ++c) {
        s.core = c;
        std::fill(s.ub.begin(), s.ub.end(), 0xFF);  // UB content is undefined at kernel start
        s.ub_used = 0;
        s.atomic_mode = 0;
        s.queues.clear();
        s.flags.clear();
        s.current_pipe = nullptr;
        try {
            asim_invoke(args.data());
        } catch (const SimError& e) {
            kernel_reply() = error_json(e.check().c_str(), e.what(), e.file().c_str(), e.line(), e.core());
            return kernel_reply().c_str();
        } catch (const std::exception& e) {
            kernel_reply() = error_json("exception", std::string("C++ exception in kernel ") + s.kernel_name + " core " +
                                        std::to_string(c) + ": " + e.what(), "", 0, c);
            return kernel_reply().c_str();
        }
        // SetFlag/WaitFlag pairing at kernel end.
        for (auto& f : s.flags) {
            if (f.second.first > 0) {
                SrcLoc loc = f.second.second;
                std::ostringstream os;
                os << "sync: SetFlag (event " << f.first / 64 << ", id " << f.first % 64 << ") never waited for by a "
                   << "matching WaitFlag when the kernel returned (kernel " << s.kernel_name << ", core " << c << "/"
                   << s.block_dim << ", at " << (loc.file ? loc.file : "?") << ":" << loc.line << ")";
                kernel_reply() = error_json("sync", os.str(), loc.file, loc.line, c);
                return kernel_reply().c_str();
            }
        }
        // Queue discipline at kernel end.
        for (auto& q : s.queues) {
            for (auto& slot : q->slots) {
                if (slot.state == 1 || slot.state == 3 || slot.state == 2) {
                    std::ostringstream os;
                    SrcLoc loc = slot.state == 2 ? slot.enque_loc : slot.alloc_loc;
                    os << "queue_leak: " << q->kind << " buffer at UB+" << slot.offset
                       << (slot.state == 2 ? " was enqueued (EnQue) but never dequeued"
                                           : " was allocated (AllocTensor) but never freed (FreeTensor)")
                       << " when the kernel returned (kernel " << s.kernel_name << ", core " << c << "/"
                       << s.block_dim << ", at " << (loc.file ? loc.file : "?") << ":" << loc.line << ")";
                    kernel_reply() = error_json("queue_leak", os.str(), loc.file, loc.line, c);
                    return kernel_reply().c_str();
                }
            }
        }
    }
    std::ostringstream os;
    os << "{\"ok\":true,\"gm_overread_bytes\":" << s.gm_overread_bytes << ",\"cores\":[";
    for (int c = 0; c < s.block_dim; ++c) {
        const CoreStats& st = s.stats[c];
        os << (c ? "," : "") << "{\"ub_peak\":" << st.ub_peak << ",\"dma_in\":" << st.dma_in_bytes
           << ",\"dma_out\":" << st.dma_out_bytes << ",\"vec_elems\":" << st.vec_elems << "}";
    }
    os << "],\"outputs\":[";
    bool first = true;
    for (auto& g : s.gm) {
        if (g.role != GmRole::OUTPUT) continue;
        uint64_t unwritten = 0, multi = 0, atomic = 0, first_unwritten = UINT64_MAX;
        for (uint64_t i = 0; i < g.bytes; ++i) {
            bool a = g.atomic_written[i] != 0;
            int16_t w = g.plain_writer[i];
            if (a) atomic++;
            if (w == -2) multi++;
            if (w == -1 && !a) {
                unwritten++;
                if (first_unwritten == UINT64_MAX) first_unwritten = i;
            }
        }
        os << (first ? "" : ",") << "{\"name\":" << jstr(g.name) << ",\"elem_size\":" << g.elem_size
           << ",\"bytes\":" << g.bytes << ",\"unwritten_bytes\":" << unwritten << ",\"first_unwritten_byte\":"
           << (first_unwritten == UINT64_MAX ? -1 : static_cast<int64_t>(first_unwritten))
           << ",\"multi_writer_bytes\":" << multi << ",\"atomic_bytes\":" << atomic << ",\"per_core_bytes\":[";
        for (size_t c = 0; c < g.per_core_bytes.size(); ++c) os << (c ? "," : "") << g.per_core_bytes[c];
        os << "]}";
        first = false;
    }
    os << "]}";
    kernel_reply() = os.str();
    return kernel_reply().c_str();
}
