#!/usr/bin/env bash
# Install the Sparse4D port: pinned upstream checkout + Sparse4D.patch, then the Python stack.
# The checkout is either fully patched or left untouched. Run with --help for the options.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
UPSTREAM="./Sparse4D"
TORCH_LINE=""
DEPS=1
CHECK_ONLY=0
PYTHON="${PYTHON:-python3}"
WHEELS="${ASCEND_KIT_WHEELS:-${ASCEND_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-kit}/wheels}"

usage() {
  cat <<EOF
usage: install.sh [--upstream DIR] [--torch 2.1|2.13] [--skip-deps] [--check] [--python PY]

  --upstream DIR   Sparse4D checkout (default ./Sparse4D; cloned at the pinned commit if missing)
  --torch LINE     requirements line: requirements/torch-LINE.txt (default: from installed torch)
  --skip-deps      only verify and patch the checkout; install no Python packages
  --check          only verify the commit and that every patch applies; change nothing
  --python PY      interpreter to install into (default \$PYTHON or python3)
Wheels are looked up in \$ASCEND_KIT_WHEELS (default \$ASCEND_KIT_CACHE/wheels, ~/.cache/ascend-kit/wheels) first.
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --upstream) UPSTREAM="$2"; shift 2 ;;
    --torch) TORCH_LINE="$2"; shift 2 ;;
    --skip-deps) DEPS=0; shift ;;
    --check) CHECK_ONLY=1; shift ;;
    --python) PYTHON="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

manifest() { "$PYTHON" -c "import json,sys; m=json.load(open('$HERE/port.json')); v=m[sys.argv[1]]; print(' '.join(v) if isinstance(v,list) else v)" "$1"; }
URL="$(manifest upstream)"
COMMIT="$(manifest commit)"
read -r -a PATCHES <<< "$(manifest patches)"

if [[ ! -d "$UPSTREAM/.git" ]]; then
  if [[ $CHECK_ONLY == 1 ]]; then echo "install.sh: $UPSTREAM is not a git checkout" >&2; exit 1; fi
  echo "== cloning $URL into $UPSTREAM"
  git clone "$URL" "$UPSTREAM"
  git -C "$UPSTREAM" checkout -q "$COMMIT"
fi

HEAD="$(git -C "$UPSTREAM" rev-parse HEAD)"
if [[ "$HEAD" != "$COMMIT" ]]; then
  echo "install.sh: $UPSTREAM is at $HEAD, pinned commit is $COMMIT (git -C $UPSTREAM checkout $COMMIT)" >&2
  exit 1
fi

# Check every patch before applying any.
pending=()
for p in "${PATCHES[@]}"; do
  if git -C "$UPSTREAM" apply --check "$HERE/$p" 2>/dev/null; then
    pending+=("$p"); echo "== $p: applies"
  elif git -C "$UPSTREAM" apply --check --reverse "$HERE/$p" 2>/dev/null; then
    echo "== $p: already applied"
  else
    echo "install.sh: $p does not apply to $UPSTREAM; nothing was changed:" >&2
    git -C "$UPSTREAM" apply --check "$HERE/$p" >&2 || true
    exit 1
  fi
done
if [[ ${#pending[@]} -gt 0 && ${#pending[@]} -ne ${#PATCHES[@]} ]]; then
  echo "install.sh: $UPSTREAM carries only some of the patches; reset it (git -C $UPSTREAM checkout -- .)" >&2
  exit 1
fi
if [[ $CHECK_ONLY == 1 ]]; then echo "== check passed (nothing changed)"; exit 0; fi

applied=()
for p in "${pending[@]}"; do
  if ! git -C "$UPSTREAM" apply "$HERE/$p"; then
    for ((i=${#applied[@]}-1; i>=0; i--)); do git -C "$UPSTREAM" apply --reverse "$HERE/${applied[$i]}"; done
    echo "install.sh: $p failed to apply; earlier patches undone" >&2
    exit 1
  fi
  applied+=("$p"); echo "== applied $p"
done

if [[ $DEPS == 0 ]]; then echo "== done (--skip-deps)"; exit 0; fi

if [[ -z "$TORCH_LINE" ]]; then
  TORCH_LINE="$("$PYTHON" -c 'import torch; print(".".join(torch.__version__.split("+")[0].split(".")[:2]))')"
fi
REQ="$HERE/requirements/torch-$TORCH_LINE.txt"
if [[ ! -f "$REQ" ]]; then
  echo "install.sh: no $REQ; supported lines: $(ls "$HERE/requirements" | grep '^torch-' | sed 's/torch-//;s/.txt//' | tr '\n' ' ')" >&2
  exit 1
fi
DEVICE="$("$PYTHON" -c 'from ascend_ops.device import default_device_type; print(default_device_type())')"
FIND=(); [[ -d "$WHEELS" ]] && FIND=(--find-links "$WHEELS")
echo "== installing $REQ (device: $DEVICE)"
"$PYTHON" -m pip install "${FIND[@]}" "setuptools<81" -r "$REQ"
# mmcv-full with ops, built for the device (NPU build needs CANN; CPU/CUDA build as usual).
FORCE=(FORCE_CUDA=0); [[ "$DEVICE" == npu ]] && FORCE=(FORCE_NPU=1); [[ "$DEVICE" == cuda ]] && FORCE=(FORCE_CUDA=1)
env MMCV_WITH_OPS=1 "${FORCE[@]}" "$PYTHON" -m pip install "${FIND[@]}" --no-build-isolation --no-deps "mmcv-full==1.7.2"
"$PYTHON" -m pip install "${FIND[@]}" --no-deps -r "$HERE/requirements/nodeps.txt"
"$PYTHON" -c "from ascend_ops.ports.sparse4d import prepare_imports; prepare_imports(); import mmcv, mmcv.ops, mmdet.models; print('== mmcv', mmcv.__version__, 'mmdet', mmdet.__version__)"
echo "== done: $UPSTREAM patched at $COMMIT"
