#!/usr/bin/env bash
# One-command GPU check: build the kit with its CUDA kernels, run every test marked `cuda` (the
# op-contract battery's device parity covers every op's CUDA kernels against its reference) and
# `ascend-kit bench --backend cuda --quick`, and write a JSON summary.
#
#   bash .ci/gpu_check.sh [OUTPUT_DIR]      (default: $OUT if set, else build/gpu_check)
#
# Needs an NVIDIA GPU and Python. If the Python at hand has no CUDA build of torch, it installs
# one from PyPI (torch's default Linux wheel is a CUDA build) with the kit's requirements; on a
# machine without network access the installed CUDA torch is used as it is. Exit status: 0 when
# the build, the tests and the bench all passed, 1 otherwise (the summary says which part failed).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-build/gpu_check}}
mkdir -p "$out"
PY=${PYTHON:-python3}
t0=$(date +%s)
say() { echo "[gpu_check] $*" >&2; }

has_cuda_torch() { "$PY" -c "import torch, sys; sys.exit(0 if torch.version.cuda and torch.cuda.is_available() else 1)" 2>/dev/null; }
if ! has_cuda_torch; then
  say "no CUDA build of torch with a visible GPU in $PY: installing torch (CUDA wheel) and the kit's requirements from PyPI"
  "$PY" -m pip install -q torch -r requirements.txt -r requirements-test.txt || { say "pip install failed"; }
  has_cuda_torch || { say "still no CUDA torch / visible GPU: nothing to check"; exit 1; }
fi

# Build: CPU + CUDA kernels, for this GPU's architecture only (keeps the build to a few minutes).
arch=$("$PY" -c "import torch; m, n = torch.cuda.get_device_capability(); print(f'{m}.{n}')")
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$arch}
export MAX_JOBS=${MAX_JOBS:-$(nproc)}
tb=$(date +%s)
ASCEND_OPS_BACKENDS=cpu,cuda "$PY" setup.py -q build_ext --inplace >"$out/build.log" 2>&1
build_rc=$?
build_s=$(( $(date +%s) - tb ))
say "build rc=$build_rc in ${build_s}s (log: $out/build.log)"

test_rc=1; bench_rc=1
if [ $build_rc -eq 0 ]; then
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
  "$PY" -m pytest -q -m cuda test --junitxml="$out/cuda_tests.xml" -p no:cacheprovider >"$out/cuda_tests.log" 2>&1
  test_rc=$?
  "$PY" -m ascend_ops bench --backend cuda --quick --json "$out/bench_cuda.json" >"$out/bench.log" 2>&1
  bench_rc=$?
  tail -n 40 "$out/cuda_tests.log" >&2
  tail -n 30 "$out/bench.log" >&2
fi

"$PY" - "$out" "$build_rc" "$test_rc" "$bench_rc" "$build_s" "$t0" <<'EOF'
import json, os, subprocess, sys, time, xml.etree.ElementTree as ET
out, build_rc, test_rc, bench_rc, build_s, t0 = sys.argv[1], *map(int, sys.argv[2:])
import torch

def junit(path):
    if not os.path.exists(path):
        return None
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    n = lambda k: sum(int(s.get(k, 0)) for s in suites)   # noqa: E731
    tests, fail, err, skip = n("tests"), n("failures"), n("errors"), n("skipped")
    return {"passed": tests - fail - err - skip, "failed": fail + err, "skipped": skip}

try:
    commit = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL).strip()
except Exception:
    commit = None
summary = {
    "kind": "ascend-kit gpu_check",
    "git_commit": commit,
    "torch": torch.__version__, "cuda": torch.version.cuda,
    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    "build": {"rc": build_rc, "seconds": build_s},
    "cuda_tests": {"rc": test_rc, **(junit(os.path.join(out, "cuda_tests.xml")) or {})},
    "bench": {"rc": bench_rc, "file": "bench_cuda.json" if os.path.exists(os.path.join(out, "bench_cuda.json")) else None},
    "wall_seconds": int(time.time()) - t0,
    "passed": build_rc == 0 and test_rc == 0 and bench_rc == 0,
}
tmp = os.path.join(out, ".summary.json.tmp")
with open(tmp, "w") as f:
    json.dump(summary, f, indent=2)
os.replace(tmp, os.path.join(out, "summary.json"))
print(json.dumps(summary, indent=2))
EOF
[ $build_rc -eq 0 ] && [ $test_rc -eq 0 ] && [ $bench_rc -eq 0 ]
