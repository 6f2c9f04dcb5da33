#!/usr/bin/env bash
# Syntax-check every NPU binding (kernels/*/*_npu.cpp) without CANN or an NPU:
# g++ -fsyntax-only against torch's headers and the torch_npu wheel's headers.
# torch_npu goes into a separate venv (--system-site-packages, so it sees this torch): installed
# into the main environment without CANN it breaks `import torch`.
#   ASCEND_KIT_NPU_VENV   venv path (default $ASCEND_KIT_CACHE/npu-venv-<torch major.minor>; the kit's
#                         cache folder, ascend_ops/cache.py)
#   ASCEND_KIT_NPU_EXTRA_SOURCES  extra files to check with the bindings (see below)
#   TORCH_NPU_VERSION     default: the newest torch_npu release for this torch's major.minor
#                         (torch 2.13.0 -> 2.13.0, torch 2.1.2 -> 2.1.0.postN)
# Exit status: 0 all passed, 1 a file failed, 3 torch_npu could not be installed (offline, or no
# release for this torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PY="${PYTHON:-python3}"
read -r MINOR NEXT < <("$PY" -c 'import torch; a, b = map(int, torch.__version__.split("+")[0].split(".")[:2]); print(f"{a}.{b} {a}.{b + 1}")')
VENV="${ASCEND_KIT_NPU_VENV:-${ASCEND_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-kit}/npu-venv-$MINOR}"
if [ -n "${TORCH_NPU_VERSION:-}" ]; then SPEC="torch_npu==$TORCH_NPU_VERSION"; else SPEC="torch_npu>=$MINOR,<$NEXT"; fi

have="$("$VENV/bin/python" -m pip show torch_npu 2>/dev/null | sed -n 's/^Version: //p' || true)"
case "$have" in
  "") ok=0 ;;
  *) if [ -n "${TORCH_NPU_VERSION:-}" ]; then [ "$have" = "$TORCH_NPU_VERSION" ] && ok=1 || ok=0
     else case "$have" in "$MINOR".*) ok=1 ;; *) ok=0 ;; esac; fi ;;
esac
if [ "$ok" = 0 ]; then
  "$PY" -m venv --system-site-packages "$VENV"
  if ! "$VENV/bin/python" -m pip install -q --no-deps "$SPEC"; then
    echo "check_syntax: could not install '$SPEC' into $VENV (offline, or no release for this torch?)" >&2
    exit 3
  fi
fi
echo "check_syntax: torch $("$PY" -c 'import torch; print(torch.__version__)'), $("$VENV/bin/python" -m pip show torch_npu | sed -n 's/^Version: /torch_npu /p')"
# Locate the headers without importing torch_npu (its import needs CANN).
NPU_ROOT="$("$VENV/bin/python" -c "import importlib.util as u, os; print(os.path.dirname(u.find_spec('torch_npu').origin))")"
mapfile -t TORCH_INC < <("$PY" -c "from torch.utils.cpp_extension import include_paths; print('\n'.join(include_paths()))")
FLAGS=(-fsyntax-only -std=c++17 -w -D_GLIBCXX_USE_CXX11_ABI=1 -I"$ROOT/kernels" -I"$NPU_ROOT/include")
# acl/acl_base.h: CANN's include/ in a real build; older torch_npu wheels (2.1) keep their copy here
[ -d "$NPU_ROOT/include/third_party/acl/inc" ] && FLAGS+=(-I"$NPU_ROOT/include/third_party/acl/inc")
for inc in "${TORCH_INC[@]}"; do FLAGS+=(-I"$inc"); done
FLAGS+=(-I"$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')")  # module_npu.cpp uses pybind11

# One translation unit including every binding: the heavy torch/torch_npu headers are parsed
# once; an error still names the binding file it comes from.
shopt -s nullglob
SOURCES=("$ROOT"/kernels/*/*_npu.cpp)
# ASCEND_KIT_NPU_EXTRA_SOURCES: more files (paths relative to the repository root) to check in the
# same unit, e.g. test/npu/aclnn_call_probe.cpp (instantiates call_aclnn with attributes).
for extra in ${ASCEND_KIT_NPU_EXTRA_SOURCES:-}; do SOURCES+=("$ROOT/$extra"); done
UNITY="$(mktemp --suffix=.cpp)"
trap 'rm -f "$UNITY"' EXIT
for src in "${SOURCES[@]}"; do
  echo "check_syntax: ${src#$ROOT/}"
  echo "#include \"$src\"" >> "$UNITY"
done
g++ "${FLAGS[@]}" "$UNITY" || exit 1
