// ascendc_sim stand-in for CANN's tiling/platform/platform_ascendc.h (values from the profile).
#pragma once

#include <cstdint>
#include <string>

#include "ascendc_sim/host_types.h"

namespace platform_ascendc {

enum class CoreMemType { L0_A = 0, L0_B = 1, L0_C = 2, L1 = 3, L2 = 4, UB = 5, HBM = 6, RESERVED };
enum class SocVersion { ASCEND910 = 0, ASCEND910B, ASCEND910_93, ASCEND910_95, ASCEND310P, ASCEND310B, ASCEND950,
                        ASCEND610, ASCEND310, KIRINX90, RESERVED_VERSION = 99999 };

class PlatformAscendC {
public:
    PlatformAscendC() = delete;
    ~PlatformAscendC() = default;
    explicit PlatformAscendC(fe::PlatFormInfos* platformInfo) : p_(platformInfo) {}
    // Separated (AIC/AIV) architecture: the vector core count.
    uint32_t GetCoreNum() const { return p_->aiv; }
    uint32_t GetCoreNumAic() const { return p_->aic; }
    uint32_t GetCoreNumAiv() const { return p_->aiv; }
    uint32_t GetCoreNumVector() const { return 0; }
    SocVersion GetSocVersion() const {
        if (p_->short_soc == "ascend950") return SocVersion::ASCEND950;
        if (p_->short_soc == "ascend910_93") return SocVersion::ASCEND910_93;
        return SocVersion::ASCEND910B;
    }
    uint32_t CalcTschBlockDim(uint32_t sliceNum, uint32_t aicCoreNum, uint32_t aivCoreNum) const {
        if (aicCoreNum == 0 || aivCoreNum == 0 || aicCoreNum > aivCoreNum) return sliceNum;
        uint32_t ration = aivCoreNum / aicCoreNum;
        return (sliceNum + ration - 1) / ration;
    }
    void GetCoreMemSize(const CoreMemType& memType, uint64_t& size) const {
        switch (memType) {
            case CoreMemType::UB: size = p_->ub; break;
            case CoreMemType::L1: size = p_->l1; break;
            case CoreMemType::L0_A: size = p_->l0a; break;
            case CoreMemType::L0_B: size = p_->l0b; break;
            case CoreMemType::L0_C: size = p_->l0c; break;
            case CoreMemType::L2: size = p_->l2; break;
            case CoreMemType::HBM: size = p_->hbm; break;
            default: size = 0;
        }
    }
    void GetCoreMemBw(const CoreMemType&, uint64_t& bwSize) const { bwSize = 0; }
    uint32_t GetLibApiWorkSpaceSize() const { return p_->sys_workspace; }
    uint32_t GetResGroupBarrierWorkSpaceSize() const { return 1024u * 1024u; }
    uint32_t GetResCubeGroupWorkSpaceSize() const { return 1024u * 1024u; }

private:
    fe::PlatFormInfos* p_;
};

}  // namespace platform_ascendc
