#!/usr/bin/env bash
# Syntax-check every NPU binding (kernels/*/*_npu.cpp) without CANN or an NPU:
# g++ -fsyntax-only against torch's headers and the torch_npu wheel's headers.
# torch_npu goes into a separate venv (--system-site-packages, so it sees this torch): installed
# into the main environment without CANN it breaks `import torch`.
#   ASCEND_KIT_NPU_VENV   venv path (default ~/.cache/ascend-kit/npu-venv)
#   TORCH_NPU_VERSION     default: this torch's version without its local suffix (torch 2.13.0 -> 2.13.0)
# Exit status: 0 all passed, 1 a file failed, 3 torch_npu could not be installed (e.g. offline).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PY="${PYTHON:-python3}"
VENV="${ASCEND_KIT_NPU_VENV:-$HOME/.cache/ascend-kit/npu-venv}"
VERSION="${TORCH_NPU_VERSION:-$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')}"

if ! "$VENV/bin/python" -c "import importlib.util as u, sys; s = u.find_spec('torch_npu'); sys.exit(0 if s else 1)" 2>/dev/null \
   || [ "$("$VENV/bin/python" -m pip show torch_npu 2>/dev/null | sed -n 's/^Version: //p')" != "$VERSION" ]; then
  "$PY" -m venv --system-site-packages "$VENV"
  if ! "$VENV/bin/python" -m pip install -q --no-deps "torch_npu==$VERSION"; then
    echo "check_syntax: could not install torch_npu==$VERSION into $VENV (offline?)" >&2
    exit 3
  fi
fi
# Locate the headers without importing torch_npu (its import needs CANN).
NPU_ROOT="$("$VENV/bin/python" -c "import importlib.util as u, os; print(os.path.dirname(u.find_spec('torch_npu').origin))")"
mapfile -t TORCH_INC < <("$PY" -c "from torch.utils.cpp_extension import include_paths; print('\n'.join(include_paths()))")
FLAGS=(-fsyntax-only -std=c++17 -w -D_GLIBCXX_USE_CXX11_ABI=1 -I"$ROOT/kernels" -I"$NPU_ROOT/include")
for inc in "${TORCH_INC[@]}"; do FLAGS+=(-I"$inc"); done
FLAGS+=(-I"$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')")  # module_npu.cpp uses pybind11

# One translation unit including every binding: the heavy torch/torch_npu headers are parsed
# once; an error still names the binding file it comes from.
shopt -s nullglob
SOURCES=("$ROOT"/kernels/*/*_npu.cpp)
UNITY="$(mktemp --suffix=.cpp)"
trap 'rm -f "$UNITY"' EXIT
for src in "${SOURCES[@]}"; do
  echo "check_syntax: ${src#$ROOT/}"
  echo "#include \"$src\"" >> "$UNITY"
done
g++ "${FLAGS[@]}" "$UNITY" || exit 1
