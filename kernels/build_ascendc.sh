#!/usr/bin/env bash
# Build (and optionally install) the kit's Ascend C kernels as a CANN custom OPP package.
#
# Requires the CANN toolkit (msopgen, kernel compiler, op_build) and CMake >= 3.19; no NPU is needed to
# build. NOT RUN HERE: the machines the kit was written on have no CANN. The kernels are verified on CPU
# by the kit's harness instead: pytest test/ascendc.
#
# Usage: kernels/build_ascendc.sh [--soc "ascend910b;ascend950"] [--install DIR] [--build-dir DIR] [--dry-run]
# --dry-run: no CANN needed; prints the discovered op folders and OpTypes (exported from the OpDefs
# by the kit's harness: needs python3 with torch and g++; PYTHON=... to choose), the IR path and
# the cmake commands it would run.
# The configure step runs `python -m ascend_ops.ascendc_sim.export_ir` (the kit's Python must be
# importable: python3 with torch, or PYTHON=...) to write the msopgen IR from the OpDefs.
#
# After --install DIR:  export ASCEND_CUSTOM_OPP_PATH=DIR/vendors/ascend_kit:$ASCEND_CUSTOM_OPP_PATH
# so that aclnnDeformableAggregation, aclnnDeformableAggregationGrad, aclnnMsmvSampling and
# aclnnMsmvSamplingGrad (libcust_opapi.so) are found by the kit's NPU bindings.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
soc="ascend910b;ascend950"
install_dir=""
build_dir="${here}/../build/ascendc"
dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --soc) soc="$2"; shift 2 ;;
    --install) install_dir="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "build_ascendc.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
python="${PYTHON:-$(command -v python3 || command -v python || true)}"
if [ "$dry_run" = 1 ]; then
  echo "build_ascendc.sh --dry-run: discovered ops (OpType, op folder, host source):"
  PYTHONPATH="${here}/..${PYTHONPATH:+:$PYTHONPATH}" "$python" -m ascend_ops.ascendc_sim.export_ir "$here" --list \
    | sed 's/^/  /'
  echo "IR (msopgen JSON, written at configure time): ${build_dir}/ascend_kit_ops.json"
  echo "generated project: ${build_dir}/opp_project"
  echo "commands:"
  echo "  cmake -S $here -B $build_dir -DASCEND_CANN_PACKAGE_PATH=\${ASCEND_HOME_PATH} -DASCEND_COMPUTE_UNIT=\"$soc\"" \
       "-DASCEND_KIT_PYTHON=$python${install_dir:+ -DASCEND_KIT_OPP_INSTALL_DIR=$install_dir}"
  echo "  cmake --build $build_dir --target ascendc_opp"
  [ -n "$install_dir" ] && echo "  cmake --build $build_dir --target install_opp"
  exit 0
fi
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
      ${python:+-DASCEND_KIT_PYTHON="$python"} ${install_dir:+-DASCEND_KIT_OPP_INSTALL_DIR="$install_dir"}
cmake --build "$build_dir" --target ascendc_opp
if [ -n "$install_dir" ]; then
  cmake --build "$build_dir" --target install_opp
  echo "installed; export ASCEND_CUSTOM_OPP_PATH=${install_dir}/vendors/ascend_kit:\${ASCEND_CUSTOM_OPP_PATH:-}"
fi
