// ascendc_sim stand-in for CANN's register/op_def_registry.h: OpDef is a recorder of the op
// prototype (inputs, outputs, attrs, InferShape/InferDataType/tiling functions); OP_ADD registers it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ascendc_sim/host_types.h"
#include "register/tilingdata_base.h"

namespace ops {

enum Option { IGNORE = 0, OPTIONAL = 1, REQUIRED = 2, DYNAMIC = 3, VIRTUAL = 4 };
enum class FollowType { ALL = 0, DTYPE = 1, FORMAT = 2, SHAPE = 3 };

class OpParamDef {
public:
    explicit OpParamDef(const char* name) : name_(name) {}
    OpParamDef& ParamType(Option t) { param_type_ = t; return *this; }
    OpParamDef& DataType(std::vector<ge::DataType> v) { dtypes_ = std::move(v); return *this; }
    OpParamDef& DataTypeList(std::vector<ge::DataType> v) { dtypes_ = std::move(v); return *this; }
    OpParamDef& Format(std::vector<ge::Format> v) { formats_ = std::move(v); return *this; }
    OpParamDef& FormatList(std::vector<ge::Format> v) { formats_ = std::move(v); return *this; }
    OpParamDef& UnknownShapeFormat(std::vector<ge::Format>) { return *this; }
    OpParamDef& ValueDepend(Option) { return *this; }
    template <typename... A>
    OpParamDef& ValueDepend(Option, A...) { return *this; }
    OpParamDef& IgnoreContiguous() { return *this; }
    OpParamDef& AutoContiguous() { return *this; }
    OpParamDef& Scalar() { return *this; }
    OpParamDef& ScalarList() { return *this; }
    OpParamDef& Follow(const char*) { return *this; }
    OpParamDef& Follow(const char*, FollowType) { return *this; }
    OpParamDef& OutputShapeDependOnCompute() { return *this; }
    OpParamDef& Comment(const char*) { return *this; }
    template <typename V>
    OpParamDef& InitValue(V v) { has_init_ = true; init_value_ = static_cast<double>(v); return *this; }
    template <typename V>
    OpParamDef& To(V) { return *this; }

    std::string name_;
    Option param_type_ = REQUIRED;
    std::vector<ge::DataType> dtypes_;
    std::vector<ge::Format> formats_;
    bool has_init_ = false;
    double init_value_ = 0.0;
};

class OpAttrDef {
public:
    explicit OpAttrDef(const char* name) : name_(name) {}
    OpAttrDef& AttrType(Option t) { required_ = (t == REQUIRED); return *this; }
    OpAttrDef& Int() { v_.kind = 1; return *this; }
    OpAttrDef& Int(int64_t d) { v_.kind = 1; v_.i = d; has_default_ = true; return *this; }
    OpAttrDef& Float() { v_.kind = 2; return *this; }
    OpAttrDef& Float(float d) { v_.kind = 2; v_.f = d; has_default_ = true; return *this; }
    OpAttrDef& Bool() { v_.kind = 3; return *this; }
    OpAttrDef& Bool(bool d) { v_.kind = 3; v_.b = d; has_default_ = true; return *this; }
    OpAttrDef& String() { v_.kind = 4; return *this; }
    OpAttrDef& String(const char* d) { v_.kind = 4; v_.s = d; has_default_ = true; return *this; }
    OpAttrDef& ListInt() { v_.kind = 5; return *this; }
    OpAttrDef& ListInt(std::vector<int64_t> d) { v_.kind = 5; v_.li.data_ = std::move(d); has_default_ = true; return *this; }
    OpAttrDef& ListFloat() { v_.kind = 6; return *this; }
    OpAttrDef& ListFloat(std::vector<float> d) { v_.kind = 6; v_.lf.data_ = std::move(d); has_default_ = true; return *this; }
    OpAttrDef& Comment(const char*) { return *this; }

    std::string name_;
    bool required_ = true;
    bool has_default_ = false;
    gert::AttrValue v_;
};

class OpAICoreConfig {
public:
    OpAICoreConfig() = default;
    explicit OpAICoreConfig(const char*) {}
    OpParamDef& Input(const char* name) { ins_.emplace_back(new OpParamDef(name)); return *ins_.back(); }
    OpParamDef& Output(const char* name) { outs_.emplace_back(new OpParamDef(name)); return *outs_.back(); }
    OpAICoreConfig& DynamicCompileStaticFlag(bool) { return *this; }
    OpAICoreConfig& DynamicFormatFlag(bool) { return *this; }
    OpAICoreConfig& DynamicRankSupportFlag(bool) { return *this; }
    OpAICoreConfig& DynamicShapeSupportFlag(bool) { return *this; }
    OpAICoreConfig& NeedCheckSupportFlag(bool) { return *this; }
    OpAICoreConfig& PrecisionReduceFlag(bool) { return *this; }
    OpAICoreConfig& ExtendCfgInfo(const char*, const char*) { return *this; }

private:
    std::vector<std::shared_ptr<OpParamDef>> ins_, outs_;
};

class OpAICoreDef {
public:
    OpAICoreDef& SetTiling(gert::TilingKernelFunc f) { tiling_ = f; return *this; }
    template <typename F>
    OpAICoreDef& SetTilingParse(F) { return *this; }
    template <typename F>
    OpAICoreDef& SetCheckSupport(F) { return *this; }
    template <typename F>
    OpAICoreDef& SetOpSelectFormat(F) { return *this; }
    OpAICoreDef& AddConfig(const char* soc) { socs_.push_back(soc); return *this; }
    OpAICoreDef& AddConfig(const char* soc, OpAICoreConfig&) { socs_.push_back(soc); return *this; }

    gert::TilingKernelFunc tiling_ = nullptr;
    std::vector<std::string> socs_;
};

class OpMC2Def {
public:
    template <typename... A>
    OpMC2Def& HcclGroup(A...) { return *this; }
};

class OpDef {
public:
    explicit OpDef(const char* type) : type_(type) {}
    virtual ~OpDef() = default;
    OpParamDef& Input(const char* name) { inputs_.emplace_back(new OpParamDef(name)); return *inputs_.back(); }
    OpParamDef& Output(const char* name) { outputs_.emplace_back(new OpParamDef(name)); return *outputs_.back(); }
    OpAttrDef& Attr(const char* name) { attrs_.emplace_back(new OpAttrDef(name)); return *attrs_.back(); }
    OpDef& SetInferShape(gert::InferShapeKernelFunc f) { infer_shape_ = f; return *this; }
    template <typename F>
    OpDef& SetInferShapeRange(F) { return *this; }
    OpDef& SetInferDataType(gert::InferDataTypeKernelFunc f) { infer_dtype_ = f; return *this; }
    OpDef& EnableFallBack() { return *this; }
    OpDef& Comment(const char*) { return *this; }
    OpAICoreDef& AICore() { return aicore_; }
    OpMC2Def& MC2() { return mc2_; }

    std::string type_;
    std::vector<std::shared_ptr<OpParamDef>> inputs_, outputs_;
    std::vector<std::shared_ptr<OpAttrDef>> attrs_;
    gert::InferShapeKernelFunc infer_shape_ = nullptr;
    gert::InferDataTypeKernelFunc infer_dtype_ = nullptr;
    OpAICoreDef aicore_;
    OpMC2Def mc2_;
};

inline std::map<std::string, std::shared_ptr<OpDef>>& op_registry() {
    static std::map<std::string, std::shared_ptr<OpDef>> r;
    return r;
}

struct OpDefRegisterer {
    OpDefRegisterer(const char* name, OpDef* def) { op_registry()[name].reset(def); }
};

}  // namespace ops

#define OP_ADD(opType, ...) static ::ops::OpDefRegisterer g_asim_opdef_##opType(#opType, new opType(#opType))
