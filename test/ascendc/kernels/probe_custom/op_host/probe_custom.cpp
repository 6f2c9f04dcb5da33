// Harness probe op: y = x split evenly over the cores, with a planted fault or an API scenario
// selected by the attr "mode" (tiling key). Used by test/ascendc only.
#include "probe_custom_tiling.h"
#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace optiling {
static ge::graphStatus ProbeTiling(gert::TilingContext* context)
{
    auto platform = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
    uint32_t coreNum = platform.GetCoreNumAiv();
    uint32_t total = static_cast<uint32_t>(context->GetInputShape(0)->GetStorageShape().GetShapeSize());
    const int64_t* mode = context->GetAttrs()->GetInt(0);
    if (mode == nullptr || coreNum == 0 || total % (8 * coreNum) != 0) {
        return ge::GRAPH_FAILED;
    }
    ProbeCustomTilingData tiling;
    tiling.set_totalLength(total);
    tiling.set_coreLength(total / coreNum);
    tiling.set_faultCore(coreNum - 1);
    tiling.set_mode(static_cast<uint64_t>(*mode));
    context->SetBlockDim(coreNum);
    context->SetTilingKey(static_cast<uint64_t>(*mode));
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    size_t* ws = context->GetWorkspaceSizes(1);
    ws[0] = platform.GetLibApiWorkSpaceSize() + 1024;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

namespace ge {
static ge::graphStatus ProbeInferShape(gert::InferShapeContext* context)
{
    *context->GetOutputShape(0) = *context->GetInputShape(0);
    *context->GetOutputShape(1) = {8};
    return GRAPH_SUCCESS;
}
}  // namespace ge

namespace ops {
class ProbeCustom : public OpDef {
public:
    explicit ProbeCustom(const char* name) : OpDef(name)
    {
        this->Input("x").ParamType(REQUIRED).DataType({ge::DT_FLOAT}).Format({ge::FORMAT_ND});
        this->Output("y").ParamType(REQUIRED).DataType({ge::DT_FLOAT}).Format({ge::FORMAT_ND});
        this->Output("s").ParamType(REQUIRED).DataType({ge::DT_FLOAT}).Format({ge::FORMAT_ND});
        this->Attr("mode").AttrType(REQUIRED).Int();
        this->SetInferShape(ge::ProbeInferShape);
        this->AICore().SetTiling(optiling::ProbeTiling);
        this->AICore().AddConfig("ascend910b");
    }
};
OP_ADD(ProbeCustom);
}  // namespace ops
