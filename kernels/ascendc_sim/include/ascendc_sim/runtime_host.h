// ascendc_sim: C ABI used by the Python runner to describe an op (OpDef) and run its tiling,
// InferShape and InferDataType functions. Included by the generated host entry file.
#pragma once

#include <cstdio>
#include <exception>
#include <sstream>
#include <string>

#include "ascendc_sim/json_out.h"
#include "register/op_def_registry.h"

namespace ascendc_sim {
inline std::string& host_reply() {
    static std::string r;
    return r;
}

inline std::shared_ptr<ops::OpDef> find_op(const std::string& type) {
    auto& reg = ops::op_registry();
    auto it = reg.find(type);
    if (it == reg.end()) {
        std::string known;
        for (auto& kv : reg) known += (known.empty() ? "" : ", ") + kv.first;
        throw std::runtime_error("op type '" + type + "' is not registered with OP_ADD (registered: " + known + ")");
    }
    return it->second;
}

inline void attr_json(std::ostringstream& os, const gert::AttrValue& v) {
    switch (v.kind) {
        case 1: os << v.i; break;
        case 2: { char b[32]; std::snprintf(b, sizeof b, "%.9g", double(v.f)); os << b; break; }
        case 3: os << (v.b ? "true" : "false"); break;
        case 4: os << jstr(v.s); break;
        case 5: {
            os << "[";
            for (size_t i = 0; i < v.li.data_.size(); ++i) os << (i ? "," : "") << v.li.data_[i];
            os << "]";
            break;
        }
        case 6: {
            os << "[";
            for (size_t i = 0; i < v.lf.data_.size(); ++i) {
                char b[32];
                std::snprintf(b, sizeof b, "%.9g", double(v.lf.data_[i]));
                os << (i ? "," : "") << b;
            }
            os << "]";
            break;
        }
        default: os << "null";
    }
}
// ,"dtypes":[ge::DataType...],"formats":[ge::Format...] of an input or output (the OpDef's lists).
inline void param_types_json(std::ostringstream& os, const ops::OpParamDef& p) {
    os << ",\"dtypes\":[";
    for (size_t k = 0; k < p.dtypes_.size(); ++k) os << (k ? "," : "") << int(p.dtypes_[k]);
    os << "],\"formats\":[";
    for (size_t k = 0; k < p.formats_.size(); ++k) os << (k ? "," : "") << int(p.formats_[k]);
    os << "]";
}
}  // namespace ascendc_sim

// JSON list of the OpTypes registered (OP_ADD) in this library.
extern "C" __attribute__((visibility("default"))) const char* asim_list_ops() {
    using namespace ascendc_sim;
    std::ostringstream os;
    os << "[";
    bool first = true;
    for (auto& kv : ops::op_registry()) {
        os << (first ? "" : ",") << jstr(kv.first);
        first = false;
    }
    os << "]";
    host_reply() = os.str();
    return host_reply().c_str();
}

extern "C" __attribute__((visibility("default"))) const char* asim_describe(const char* op_type) {
    using namespace ascendc_sim;
    std::ostringstream os;
    try {
        auto op = find_op(op_type);
        os << "{\"ok\":true,\"inputs\":[";
        for (size_t i = 0; i < op->inputs_.size(); ++i) {
            auto& p = *op->inputs_[i];
            os << (i ? "," : "") << "{\"name\":" << jstr(p.name_) << ",\"param_type\":" << int(p.param_type_);
            param_types_json(os, p);
            os << "}";
        }
        os << "],\"outputs\":[";
        for (size_t i = 0; i < op->outputs_.size(); ++i) {
            auto& p = *op->outputs_[i];
            os << (i ? "," : "") << "{\"name\":" << jstr(p.name_) << ",\"param_type\":" << int(p.param_type_)
               << ",\"init\":";
            if (p.has_init_) os << p.init_value_; else os << "null";
            param_types_json(os, p);
            os << "}";
        }
        os << "],\"attrs\":[";
        for (size_t i = 0; i < op->attrs_.size(); ++i) {
            auto& a = *op->attrs_[i];
            os << (i ? "," : "") << "{\"name\":" << jstr(a.name_) << ",\"kind\":" << a.v_.kind
               << ",\"required\":" << (a.required_ ? "true" : "false") << ",\"default\":";
            if (a.has_default_) attr_json(os, a.v_); else os << "null";
            os << "}";
        }
        os << "],\"socs\":[";
        for (size_t i = 0; i < op->aicore_.socs_.size(); ++i) os << (i ? "," : "") << jstr(op->aicore_.socs_[i]);
        os << "],\"has_tiling\":" << (op->aicore_.tiling_ ? "true" : "false")
           << ",\"has_infer_shape\":" << (op->infer_shape_ ? "true" : "false")
           << ",\"has_infer_dtype\":" << (op->infer_dtype_ ? "true" : "false") << "}";
    } catch (const std::exception& e) {
        os.str("");
        os << "{\"ok\":false,\"check\":\"host\",\"error\":" << jstr(e.what()) << "}";
    }
    host_reply() = os.str();
    return host_reply().c_str();
}

// Request (text lines):
//   platform <soc_version> <short_soc> <aiv> <aic> <ub> <l1> <l0a> <l0b> <l0c> <l2> <sys_workspace>
//   in <present 0|1> <dtype> <ndim> <dims...>          (one per IR input, in order)
//   out <dtype|-1> <ndim|-1> <dims...>                  (one per IR output; -1: infer)
//   attr <index> <kind> <value...>                      (kind 1 int, 2 float (hex), 3 bool, 4 str (rest of line),
//                                                        5 list int: n v..., 6 list float: n v...)
extern "C" __attribute__((visibility("default"))) const char* asim_tiling(const char* op_type, const char* request) {
    using namespace ascendc_sim;
    std::ostringstream os;
    try {
        auto op = find_op(op_type);
        fe::PlatFormInfos plat;
        gert::TilingContext ctx;
        gert::RuntimeAttrs attrs;
        for (auto& a : op->attrs_) attrs.values_.push_back(a->has_default_ ? a->v_ : gert::AttrValue());
        std::vector<gert::Shape> out_shapes;
        std::vector<int> out_dtypes;
        std::vector<bool> out_infer;
        std::vector<gert::Shape> in_shapes;
        std::vector<ge::DataType> in_dtypes;
        std::vector<int> ir_to_present;
        std::istringstream req(request);
        std::string line;
        while (std::getline(req, line)) {
            std::istringstream ls(line);
            std::string tag;
            ls >> tag;
            if (tag == "platform") {
                ls >> plat.soc_version >> plat.short_soc >> plat.aiv >> plat.aic >> plat.ub >> plat.l1 >> plat.l0a >>
                    plat.l0b >> plat.l0c >> plat.l2 >> plat.sys_workspace;
            } else if (tag == "in") {
                int present, dt, nd;
                ls >> present >> dt >> nd;
                gert::Shape s;
                for (int k = 0; k < nd; ++k) { int64_t d; ls >> d; s.AppendDim(d); }
                if (present) {
                    ir_to_present.push_back(static_cast<int>(in_shapes.size()));
                    in_shapes.push_back(s);
                    in_dtypes.push_back(static_cast<ge::DataType>(dt));
                } else {
                    ir_to_present.push_back(-1);
                }
            } else if (tag == "out") {
                int dt, nd;
                ls >> dt >> nd;
                gert::Shape sh;
                for (int k = 0; k < nd; ++k) { int64_t d; ls >> d; sh.AppendDim(d); }
                out_dtypes.push_back(dt);
                out_shapes.push_back(sh);
                out_infer.push_back(nd < 0);
            } else if (tag == "attr") {
                size_t idx; int kind;
                ls >> idx >> kind;
                if (idx >= attrs.values_.size()) throw std::runtime_error("attr index out of range");
                gert::AttrValue v;
                v.kind = kind;
                if (kind == 1) ls >> v.i;
                else if (kind == 2) { std::string h; ls >> h; v.f = std::strtof(h.c_str(), nullptr); }
                else if (kind == 3) { int b; ls >> b; v.b = b != 0; }
                else if (kind == 4) { std::string rest; std::getline(ls, rest); v.s = rest.empty() ? rest : rest.substr(1); }
                else if (kind == 5) { size_t n; ls >> n; v.li.data_.resize(n); for (auto& x : v.li.data_) ls >> x; }
                else if (kind == 6) { size_t n; ls >> n; v.lf.data_.resize(n); for (auto& x : v.lf.data_) { std::string h; ls >> h; x = std::strtof(h.c_str(), nullptr); } }
                attrs.values_[idx] = v;
            }
        }
        // InferShape / InferDataType for outputs that were not given.
        bool need_shape = false, need_dtype = false;
        for (size_t i = 0; i < out_shapes.size(); ++i) {
            if (out_infer[i]) need_shape = true;
            if (out_dtypes[i] < 0) need_dtype = true;
        }
        if (need_shape) {
            if (!op->infer_shape_) throw std::runtime_error("output shape not given and the OpDef has no SetInferShape");
            gert::InferShapeContext ic;
            ic.in_ = in_shapes;
            ic.ir_to_present_ = ir_to_present;
            ic.out_.assign(out_shapes.size(), gert::Shape());
            ic.attrs_ = &attrs;
            ge::graphStatus st = op->infer_shape_(&ic);
            if (st != ge::GRAPH_SUCCESS) throw std::runtime_error("InferShape returned failure " + std::to_string(st));
            for (size_t i = 0; i < out_shapes.size(); ++i)
                if (out_infer[i]) out_shapes[i] = ic.out_[i];
        }
        if (need_dtype) {
            gert::InferDataTypeContext dc;
            dc.in_ = in_dtypes;
            dc.ir_to_present_ = ir_to_present;
            dc.out_.assign(out_dtypes.size(), ge::DT_UNDEFINED);
            dc.attrs_ = &attrs;
            if (op->infer_dtype_) {
                ge::graphStatus st = op->infer_dtype_(&dc);
                if (st != ge::GRAPH_SUCCESS) throw std::runtime_error("InferDataType returned failure " + std::to_string(st));
            } else {
                // CANN's default: outputs follow input 0.
                for (auto& d : dc.out_) d = in_dtypes.empty() ? ge::DT_FLOAT : in_dtypes[0];
            }
            for (size_t i = 0; i < out_dtypes.size(); ++i)
                if (out_dtypes[i] < 0) out_dtypes[i] = dc.out_[i];
        }
        // Tiling.
        for (size_t i = 0; i < in_shapes.size(); ++i) {
            ctx.in_.shapes.emplace_back(in_shapes[i]);
            ctx.in_.descs.emplace_back(in_dtypes[i]);
            ctx.in_.tensors.emplace_back(gert::StorageShape(in_shapes[i]), in_dtypes[i]);
        }
        ctx.in_.ir_to_present = ir_to_present;
        for (size_t i = 0; i < out_shapes.size(); ++i) {
            ctx.out_.shapes.emplace_back(out_shapes[i]);
            ctx.out_.descs.emplace_back(static_cast<ge::DataType>(out_dtypes[i]));
            ctx.out_.tensors.emplace_back(gert::StorageShape(out_shapes[i]), static_cast<ge::DataType>(out_dtypes[i]));
        }
        ctx.attrs_ = attrs;
        ctx.platform_ = &plat;
        ctx.node_name_ = op_type;
        if (!op->aicore_.tiling_) throw std::runtime_error("the OpDef has no AICore().SetTiling(...)");
        ge::graphStatus st = op->aicore_.tiling_(&ctx);
        os << "{\"ok\":true,\"status\":" << st << ",\"block_dim\":" << ctx.block_dim_ << ",\"tiling_key\":"
           << ctx.tiling_key_ << ",\"schedule_mode\":" << ctx.schedule_mode_ << ",\"tiling_size\":"
           << ctx.tiling_.GetDataSize() << ",\"tiling_hex\":\"";
        const uint8_t* tb = static_cast<const uint8_t*>(ctx.tiling_.GetData());
        static const char* hx = "0123456789abcdef";
        for (size_t i = 0; i < ctx.tiling_.GetDataSize() && i < ctx.tiling_.GetCapacity(); ++i)
            os << hx[tb[i] >> 4] << hx[tb[i] & 15];
        os << "\",\"workspace\":[";
        for (size_t i = 0; i < ctx.workspace_.size(); ++i) os << (i ? "," : "") << ctx.workspace_[i];
        os << "],\"out_shapes\":[";
        for (size_t i = 0; i < out_shapes.size(); ++i) {
            os << (i ? "," : "") << "[";
            for (size_t k = 0; k < out_shapes[i].GetDimNum(); ++k) os << (k ? "," : "") << out_shapes[i].GetDim(k);
            os << "]";
        }
        os << "],\"out_dtypes\":[";
        for (size_t i = 0; i < out_dtypes.size(); ++i) os << (i ? "," : "") << out_dtypes[i];
        os << "]}";
    } catch (const std::exception& e) {
        os.str("");
        os << "{\"ok\":false,\"check\":\"host\",\"error\":" << jstr(e.what()) << "}";
    }
    host_reply() = os.str();
    return host_reply().c_str();
}
