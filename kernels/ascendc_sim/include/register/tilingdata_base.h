// ascendc_sim stand-in for CANN's register/tilingdata_base.h.
// Host side (default): BEGIN_TILING_DATA_DEF makes a standard-layout class whose data members are
// the fields, with set_<f>/get_<f>, SaveToBuffer and GetDataSize.
// Kernel side (ASCENDC_SIM_KERNEL_SIDE defined by the harness entry): the same fields as a plain
// struct, so GET_TILING_DATA reads exactly the bytes SaveToBuffer wrote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#undef BEGIN_TILING_DATA_DEF
#undef TILING_DATA_FIELD_DEF
#undef TILING_DATA_FIELD_DEF_ARR
#undef TILING_DATA_FIELD_DEF_STRUCT
#undef END_TILING_DATA_DEF
#undef REGISTER_TILING_DATA_CLASS

#ifdef ASCENDC_SIM_KERNEL_SIDE

#define BEGIN_TILING_DATA_DEF(class_name) struct class_name {
#define TILING_DATA_FIELD_DEF(data_type, field_name) data_type field_name
#define TILING_DATA_FIELD_DEF_ARR(arr_type, arr_size, field_name) arr_type field_name[arr_size]
#define TILING_DATA_FIELD_DEF_STRUCT(struct_type, field_name) struct_type field_name
#define END_TILING_DATA_DEF }
#define REGISTER_TILING_DATA_CLASS(op_type, class_name) \
    struct AscendcSimTilingOf_##op_type {               \
        using type = class_name;                        \
    };

#else

#include "ascendc_sim/host_types.h"

#define BEGIN_TILING_DATA_DEF(class_name)                                                         \
    class class_name {                                                                            \
    public:                                                                                       \
        size_t GetDataSize() const { return sizeof(*this); }                                     \
        void SaveToBuffer(void* buf, size_t cap) const {                                         \
            if (sizeof(*this) > cap) throw std::runtime_error("tiling data larger than capacity"); \
            std::memcpy(buf, static_cast<const void*>(this), sizeof(*this));                      \
        }
#define TILING_DATA_FIELD_DEF(data_type, field_name)              \
    void set_##field_name(data_type v) { field_name = v; }         \
    data_type get_##field_name() const { return field_name; }      \
    data_type field_name = 0
#define TILING_DATA_FIELD_DEF_ARR(arr_type, arr_size, field_name)                                   \
    void set_##field_name(const arr_type* v) { std::memcpy(field_name, v, sizeof(field_name)); }    \
    arr_type* get_##field_name() { return field_name; }                                             \
    arr_type field_name[arr_size] = {}
#define TILING_DATA_FIELD_DEF_STRUCT(struct_type, field_name) struct_type field_name
#define END_TILING_DATA_DEF }
#define REGISTER_TILING_DATA_CLASS(op_type, class_name) \
    struct AscendcSimTilingOf_##op_type {               \
        using type = class_name;                        \
    };

#endif
