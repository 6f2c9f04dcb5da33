// Example op: z = x + y (fp16/fp32), tiled over all vector cores with double buffering and a tail.
// Used to validate the ascendc_sim harness; builds unchanged with CANN (msopgen project layout).
#include "add_custom_tiling.h"
#include "register/op_def_registry.h"
#include "tiling/platform/platform_ascendc.h"

namespace {
constexpr uint32_t BLOCK_BYTES = 32;
constexpr uint32_t BUFFER_NUM = 2;       // double buffering
constexpr uint32_t TENSORS_IN_UB = 3;    // x, y, z tiles
constexpr uint32_t UB_RESERVED = 8 * 1024;
constexpr uint32_t MAX_TILE_BYTES = 16 * 1024;
}  // namespace

namespace optiling {
static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    auto platform = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
    uint32_t coreNum = platform.GetCoreNumAiv();
    uint64_t ubSize = 0;
    platform.GetCoreMemSize(platform_ascendc::CoreMemType::UB, ubSize);
    if (coreNum == 0 || ubSize <= UB_RESERVED) {
        return ge::GRAPH_FAILED;
    }
    uint32_t typeSize = context->GetInputDesc(0)->GetDataType() == ge::DT_FLOAT ? 4 : 2;
    uint32_t alignNum = BLOCK_BYTES / typeSize;
    uint32_t totalLength = static_cast<uint32_t>(context->GetInputShape(0)->GetStorageShape().GetShapeSize());
    uint32_t alignedBlocks = (totalLength + alignNum - 1) / alignNum;
    uint32_t blockDim = alignedBlocks < coreNum ? alignedBlocks : coreNum;
    if (blockDim == 0) {
        blockDim = 1;
    }
    uint32_t formerNum = alignedBlocks % blockDim;
    uint32_t tailBlocks = alignedBlocks / blockDim;
    uint32_t formerLength = (tailBlocks + 1) * alignNum;
    uint32_t tailLength = tailBlocks * alignNum;
    if (formerNum == 0) {
        formerLength = tailLength;
    }
    uint64_t tileBytes = (ubSize - UB_RESERVED) / (BUFFER_NUM * TENSORS_IN_UB);
    if (tileBytes > MAX_TILE_BYTES) {
        tileBytes = MAX_TILE_BYTES;
    }
    uint32_t tileLength = static_cast<uint32_t>(tileBytes / BLOCK_BYTES * BLOCK_BYTES / typeSize);

    AddCustomTilingData tiling;
    tiling.set_totalLength(totalLength);
    tiling.set_formerNum(formerNum);
    tiling.set_formerLength(formerLength);
    tiling.set_tailLength(tailLength);
    tiling.set_tileLength(tileLength);
    context->SetBlockDim(blockDim);
    context->SetTilingKey(typeSize == 4 ? 1 : 2);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    size_t* workspace = context->GetWorkspaceSizes(1);
    workspace[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

namespace ge {
static ge::graphStatus InferShape(gert::InferShapeContext* context)
{
    const gert::Shape* xShape = context->GetInputShape(0);
    gert::Shape* zShape = context->GetOutputShape(0);
    *zShape = *xShape;
    return GRAPH_SUCCESS;
}

static ge::graphStatus InferDataType(gert::InferDataTypeContext* context)
{
    context->SetOutputDataType(0, context->GetInputDataType(0));
    return GRAPH_SUCCESS;
}
}  // namespace ge

namespace ops {
class AddCustom : public OpDef {
public:
    explicit AddCustom(const char* name) : OpDef(name)
    {
        this->Input("x")
            .ParamType(REQUIRED)
            .DataType({ge::DT_FLOAT16, ge::DT_FLOAT})
            .Format({ge::FORMAT_ND, ge::FORMAT_ND});
        this->Input("y")
            .ParamType(REQUIRED)
            .DataType({ge::DT_FLOAT16, ge::DT_FLOAT})
            .Format({ge::FORMAT_ND, ge::FORMAT_ND});
        this->Output("z")
            .ParamType(REQUIRED)
            .DataType({ge::DT_FLOAT16, ge::DT_FLOAT})
            .Format({ge::FORMAT_ND, ge::FORMAT_ND});
        this->SetInferShape(ge::InferShape).SetInferDataType(ge::InferDataType);
        this->AICore().SetTiling(optiling::TilingFunc);
        this->AICore().AddConfig("ascend910b");
        this->AICore().AddConfig("ascend950");
    }
};
OP_ADD(AddCustom);
}  // namespace ops
