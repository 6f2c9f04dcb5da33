// ascendc_sim: host-side (op_host) stand-ins: ge types, gert contexts, fe::PlatFormInfos.
// Only what tiling / InferShape / InferDataType functions use; filled by the harness runner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace ge {
using graphStatus = uint32_t;
constexpr graphStatus GRAPH_SUCCESS = 0;
constexpr graphStatus GRAPH_FAILED = 0xFFFFFFFF;
constexpr graphStatus GRAPH_PARAM_INVALID = 50331649;

enum DataType {
    DT_FLOAT = 0, DT_FLOAT16 = 1, DT_INT8 = 2, DT_INT32 = 3, DT_UINT8 = 4, DT_INT16 = 6, DT_UINT16 = 7,
    DT_UINT32 = 8, DT_INT64 = 9, DT_UINT64 = 10, DT_DOUBLE = 11, DT_BOOL = 12, DT_STRING = 13,
    DT_COMPLEX64 = 16, DT_COMPLEX128 = 17, DT_BF16 = 27, DT_UNDEFINED = 28, DT_MAX = 40,
};
enum Format {
    FORMAT_NCHW = 0, FORMAT_NHWC = 1, FORMAT_ND = 2, FORMAT_NC1HWC0 = 3, FORMAT_FRACTAL_Z = 4,
    FORMAT_FRACTAL_NZ = 29, FORMAT_NCDHW = 30, FORMAT_NDHWC = 27, FORMAT_RESERVED = 40,
};
}  // namespace ge

using ge::GRAPH_FAILED;
using ge::GRAPH_SUCCESS;

namespace fe {
// Platform description handed to tiling (the harness' profile).
struct PlatFormInfos {
    std::string soc_version = "Ascend910B2";
    std::string short_soc = "ascend910b";
    uint32_t aiv = 48;
    uint32_t aic = 24;
    uint64_t ub = 196608;
    uint64_t l1 = 524288;
    uint64_t l0a = 65536;
    uint64_t l0b = 65536;
    uint64_t l0c = 131072;
    uint64_t l2 = 201326592;
    uint64_t hbm = 0;
    uint32_t sys_workspace = 16u * 1024u * 1024u;
};
}  // namespace fe

namespace gert {

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
    size_t GetDimNum() const { return dims_.size(); }
    int64_t GetDim(size_t idx) const { return idx < dims_.size() ? dims_[idx] : 0; }
    void SetDimNum(size_t n) { dims_.resize(n, 0); }
    Shape& SetDim(size_t idx, int64_t v) {
        if (idx >= dims_.size()) dims_.resize(idx + 1, 0);
        dims_[idx] = v;
        return *this;
    }
    Shape& AppendDim(int64_t v) { dims_.push_back(v); return *this; }
    int64_t GetShapeSize() const {
        int64_t n = 1;
        for (int64_t d : dims_) n *= d;
        return n;
    }
    bool IsScalar() const { return dims_.empty(); }
    int64_t operator[](size_t idx) const { return GetDim(idx); }
    int64_t& operator[](size_t idx) {
        if (idx >= dims_.size()) dims_.resize(idx + 1, 0);
        return dims_[idx];
    }
    bool operator==(const Shape& o) const { return dims_ == o.dims_; }
    bool operator!=(const Shape& o) const { return dims_ != o.dims_; }
    const std::vector<int64_t>& dims() const { return dims_; }

private:
    std::vector<int64_t> dims_;
};

class StorageShape {
public:
    StorageShape() = default;
    explicit StorageShape(const Shape& s) : origin_(s), storage_(s) {}
    const Shape& GetStorageShape() const { return storage_; }
    const Shape& GetOriginShape() const { return origin_; }
    Shape& MutableStorageShape() { return storage_; }
    Shape& MutableOriginShape() { return origin_; }

private:
    Shape origin_;
    Shape storage_;
};

class CompileTimeTensorDesc {
public:
    CompileTimeTensorDesc() = default;
    explicit CompileTimeTensorDesc(ge::DataType dt) : dt_(dt) {}
    ge::DataType GetDataType() const { return dt_; }
    ge::Format GetStorageFormat() const { return ge::FORMAT_ND; }
    ge::Format GetOriginFormat() const { return ge::FORMAT_ND; }
    void SetDataType(ge::DataType dt) { dt_ = dt; }

private:
    ge::DataType dt_ = ge::DT_FLOAT;
};

// Runtime tensor view (shape and dtype only; the harness does not pass host data to tiling).
class Tensor {
public:
    Tensor() = default;
    Tensor(const StorageShape& s, ge::DataType dt) : shape_(s), dt_(dt) {}
    const Shape& GetStorageShape() const { return shape_.GetStorageShape(); }
    const Shape& GetOriginShape() const { return shape_.GetOriginShape(); }
    int64_t GetShapeSize() const { return shape_.GetStorageShape().GetShapeSize(); }
    ge::DataType GetDataType() const { return dt_; }
    template <typename T>
    const T* GetData() const { return nullptr; }

private:
    StorageShape shape_;
    ge::DataType dt_ = ge::DT_FLOAT;
};

template <typename T>
class TypedContinuousVector {
public:
    size_t GetSize() const { return data_.size(); }
    const T* GetData() const { return data_.data(); }
    std::vector<T> data_;
};
using ContinuousVector = TypedContinuousVector<int64_t>;

// One attribute value, by OpDef Attr index.
struct AttrValue {
    int kind = 0;  // 0 unset, 1 int, 2 float, 3 bool, 4 str, 5 list int, 6 list float
    int64_t i = 0;
    float f = 0.f;
    bool b = false;
    std::string s;
    TypedContinuousVector<int64_t> li;
    TypedContinuousVector<float> lf;
};

class RuntimeAttrs {
public:
    const int64_t* GetInt(size_t idx) const { return at(idx, 1) ? &values_[idx].i : nullptr; }
    const float* GetFloat(size_t idx) const { return at(idx, 2) ? &values_[idx].f : nullptr; }
    const bool* GetBool(size_t idx) const { return at(idx, 3) ? &values_[idx].b : nullptr; }
    const char* GetStr(size_t idx) const { return at(idx, 4) ? values_[idx].s.c_str() : nullptr; }
    const TypedContinuousVector<int64_t>* GetListInt(size_t idx) const { return at(idx, 5) ? &values_[idx].li : nullptr; }
    const TypedContinuousVector<float>* GetListFloat(size_t idx) const { return at(idx, 6) ? &values_[idx].lf : nullptr; }
    template <typename T>
    const T* GetAttrPointer(size_t idx) const {
        if (idx >= values_.size()) return nullptr;
        const AttrValue& v = values_[idx];
        switch (v.kind) {
            case 1: return reinterpret_cast<const T*>(&v.i);
            case 2: return reinterpret_cast<const T*>(&v.f);
            case 3: return reinterpret_cast<const T*>(&v.b);
            case 4: return reinterpret_cast<const T*>(v.s.c_str());
            default: return nullptr;
        }
    }
    size_t GetAttrNum() const { return values_.size(); }
    std::vector<AttrValue> values_;

private:
    bool at(size_t idx, int kind) const { return idx < values_.size() && values_[idx].kind == kind; }
};

class TilingData {
public:
    void* GetData() { return buf_.data(); }
    const void* GetData() const { return buf_.data(); }
    size_t GetCapacity() const { return buf_.size(); }
    size_t GetDataSize() const { return size_; }
    void SetDataSize(size_t s) { size_ = s; }
    std::vector<uint8_t> buf_ = std::vector<uint8_t>(64 * 1024, 0);
    size_t size_ = 0;
};

// Inputs as seen by tiling: `present` lists the instantiated inputs (absent optionals skipped),
// `ir` lists every IR input (nullptr for absent optionals).
struct IoDescs {
    std::vector<StorageShape> shapes;
    std::vector<CompileTimeTensorDesc> descs;
    std::vector<Tensor> tensors;
    std::vector<int> ir_to_present;  // -1: absent
};

class TilingContext {
public:
    const StorageShape* GetInputShape(size_t i) const { return i < in_.shapes.size() ? &in_.shapes[i] : nullptr; }
    const CompileTimeTensorDesc* GetInputDesc(size_t i) const { return i < in_.descs.size() ? &in_.descs[i] : nullptr; }
    const Tensor* GetInputTensor(size_t i) const { return i < in_.tensors.size() ? &in_.tensors[i] : nullptr; }
    const StorageShape* GetOptionalInputShape(size_t ir) const { int p = ir_idx(ir); return p < 0 ? nullptr : &in_.shapes[p]; }
    const CompileTimeTensorDesc* GetOptionalInputDesc(size_t ir) const { int p = ir_idx(ir); return p < 0 ? nullptr : &in_.descs[p]; }
    const Tensor* GetOptionalInputTensor(size_t ir) const { int p = ir_idx(ir); return p < 0 ? nullptr : &in_.tensors[p]; }
    const StorageShape* GetRequiredInputShape(size_t ir) const { return GetOptionalInputShape(ir); }
    const CompileTimeTensorDesc* GetRequiredInputDesc(size_t ir) const { return GetOptionalInputDesc(ir); }
    const StorageShape* GetOutputShape(size_t i) const { return i < out_.shapes.size() ? &out_.shapes[i] : nullptr; }
    const CompileTimeTensorDesc* GetOutputDesc(size_t i) const { return i < out_.descs.size() ? &out_.descs[i] : nullptr; }
    const RuntimeAttrs* GetAttrs() const { return &attrs_; }
    size_t GetComputeNodeInputNum() const { return in_.shapes.size(); }
    size_t GetComputeNodeOutputNum() const { return out_.shapes.size(); }
    ge::graphStatus SetBlockDim(uint32_t d) { block_dim_ = d; return ge::GRAPH_SUCCESS; }
    uint32_t GetBlockDim() const { return block_dim_; }
    ge::graphStatus SetTilingKey(uint64_t k) { tiling_key_ = k; return ge::GRAPH_SUCCESS; }
    uint64_t GetTilingKey() const { return tiling_key_; }
    TilingData* GetRawTilingData() { return &tiling_; }
    template <typename T>
    T* GetTilingData() {
        tiling_.SetDataSize(sizeof(T));
        return reinterpret_cast<T*>(tiling_.GetData());
    }
    size_t* GetWorkspaceSizes(size_t num) {
        if (workspace_.size() < num) workspace_.resize(num, 0);
        return workspace_.data();
    }
    size_t GetWorkspaceNum() const { return workspace_.size(); }
    fe::PlatFormInfos* GetPlatformInfo() const { return platform_; }
    const char* GetNodeName() const { return node_name_.c_str(); }
    const char* GetNodeType() const { return node_name_.c_str(); }
    ge::graphStatus SetScheduleMode(uint32_t m) { schedule_mode_ = m; return ge::GRAPH_SUCCESS; }
    ge::graphStatus SetNeedAtomic(bool) { return ge::GRAPH_SUCCESS; }
    int32_t GetDeterministic() const { return 0; }

    // harness
    IoDescs in_, out_;
    RuntimeAttrs attrs_;
    uint32_t block_dim_ = 0;
    uint64_t tiling_key_ = 0;
    uint32_t schedule_mode_ = 0;
    TilingData tiling_;
    std::vector<size_t> workspace_;
    fe::PlatFormInfos* platform_ = nullptr;
    std::string node_name_;

private:
    int ir_idx(size_t ir) const {
        if (ir >= in_.ir_to_present.size()) return -1;
        return in_.ir_to_present[ir];
    }
};

class InferShapeContext {
public:
    const Shape* GetInputShape(size_t i) const { return i < in_.size() ? &in_[i] : nullptr; }
    const Shape* GetOptionalInputShape(size_t ir) const {
        if (ir >= ir_to_present_.size() || ir_to_present_[ir] < 0) return nullptr;
        return &in_[ir_to_present_[ir]];
    }
    const Shape* GetRequiredInputShape(size_t ir) const { return GetOptionalInputShape(ir); }
    Shape* GetOutputShape(size_t i) { return i < out_.size() ? &out_[i] : nullptr; }
    const Tensor* GetInputTensor(size_t) const { return nullptr; }
    const RuntimeAttrs* GetAttrs() const { return attrs_; }
    const char* GetNodeName() const { return "node"; }
    size_t GetComputeNodeInputNum() const { return in_.size(); }

    std::vector<Shape> in_;
    std::vector<int> ir_to_present_;
    std::vector<Shape> out_;
    const RuntimeAttrs* attrs_ = nullptr;
};

class InferDataTypeContext {
public:
    ge::DataType GetInputDataType(size_t i) const { return i < in_.size() ? in_[i] : ge::DT_UNDEFINED; }
    ge::DataType GetOptionalInputDataType(size_t ir) const {
        if (ir >= ir_to_present_.size() || ir_to_present_[ir] < 0) return ge::DT_UNDEFINED;
        return in_[ir_to_present_[ir]];
    }
    ge::DataType GetRequiredInputDataType(size_t ir) const { return GetOptionalInputDataType(ir); }
    ge::DataType GetOutputDataType(size_t i) const { return i < out_.size() ? out_[i] : ge::DT_UNDEFINED; }
    ge::graphStatus SetOutputDataType(size_t i, ge::DataType dt) {
        if (i >= out_.size()) return ge::GRAPH_FAILED;
        out_[i] = dt;
        return ge::GRAPH_SUCCESS;
    }
    const RuntimeAttrs* GetAttrs() const { return attrs_; }
    const char* GetNodeName() const { return "node"; }

    std::vector<ge::DataType> in_;
    std::vector<int> ir_to_present_;
    std::vector<ge::DataType> out_;
    const RuntimeAttrs* attrs_ = nullptr;
};

struct TilingParseContext {};
using TilingKernelFunc = ge::graphStatus (*)(TilingContext*);
using InferShapeKernelFunc = ge::graphStatus (*)(InferShapeContext*);
using InferDataTypeKernelFunc = ge::graphStatus (*)(InferDataTypeContext*);

}  // namespace gert
