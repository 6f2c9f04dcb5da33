#!/usr/bin/env bash
# Build (and optionally install) the kit's Ascend C kernels as a CANN custom OPP package.
#
# Requires the CANN toolkit (msopgen, kernel compiler, op_build) and CMake >= 3.19; no NPU is needed to
# build. NOT RUN HERE: the machines the kit was written on have no CANN. The kernels are verified on CPU
# by the kit's harness instead: pytest test/ascendc.
#
# Usage: kernels/build_ascendc.sh [--soc "ascend910b;ascend950"] [--install DIR] [--build-dir DIR]
# After --install DIR:  export ASCEND_CUSTOM_OPP_PATH=DIR/vendors/ascend_kit:$ASCEND_CUSTOM_OPP_PATH
# so that aclnnDeformableAggregation, aclnnDeformableAggregationGrad, aclnnMsmvSampling and
# aclnnMsmvSamplingGrad (libcust_opapi.so) are found by the kit's NPU bindings.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
soc="ascend910b;ascend950"
install_dir=""
build_dir="${here}/../build/ascendc"
while [ $# -gt 0 ]; do
  case "$1" in
    --soc) soc="$2"; shift 2 ;;
    --install) install_dir="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "build_ascendc.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "${ASCEND_HOME_PATH:-}" ]; then
  for env in /usr/local/Ascend/cann/set_env.sh /usr/local/Ascend/ascend-toolkit/set_env.sh \
             "${HOME}/Ascend/ascend-toolkit/set_env.sh"; do
    if [ -f "$env" ]; then
      # shellcheck disable=SC1090
      source "$env"
      break
    fi
  done
fi
if [ -z "${ASCEND_HOME_PATH:-}" ]; then
  echo "build_ascendc.sh: CANN toolkit not found; source <cann>/set_env.sh (ASCEND_HOME_PATH unset)" >&2
  exit 1
fi
cmake -S "$here" -B "$build_dir" -DASCEND_CANN_PACKAGE_PATH="$ASCEND_HOME_PATH" -DASCEND_COMPUTE_UNIT="$soc" \
      ${install_dir:+-DASCEND_KIT_OPP_INSTALL_DIR="$install_dir"}
cmake --build "$build_dir" --target ascendc_opp
if [ -n "$install_dir" ]; then
  cmake --build "$build_dir" --target install_opp
  echo "installed; export ASCEND_CUSTOM_OPP_PATH=${install_dir}/vendors/ascend_kit:\${ASCEND_CUSTOM_OPP_PATH:-}"
fi
