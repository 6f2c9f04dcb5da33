#!/usr/bin/env bash
# Build the kit's CPU kernels against an older torch and run the whole test suite with it: the
# torch < 2.4 paths (autograd.Function instead of register_autograd, impl_abstract, dynamo of
# that release) next to the default torch of README's test command.
#   .ci/old_torch.sh 2.1.2        (venv cached in $ASCEND_KIT_CACHE/torch-<version>-venv; ascend_ops/cache.py)
# PyPI's Linux torch wheels are CUDA builds (~3 GB with their nvidia packages); only
# the CPU kernels are built (ASCEND_OPS_BACKENDS=cpu), and the tests run on the CPU.
set -euo pipefail
version=${1:?usage: .ci/old_torch.sh TORCH_VERSION (e.g. 2.1.2)}
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ASCEND_KIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-kit}/torch-$version-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q "torch==$version" "numpy<2" setuptools wheel \
    -r "$root/requirements.txt" -r "$root/requirements-test.txt"
# a copy of the working tree without build outputs, so the default build in $root stays as it is
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work"
cd "$work"
echo "+ torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)'): build (cpu) and test in $work"
ASCEND_OPS_BACKENDS=cpu MAX_JOBS=${MAX_JOBS:-2} "$venv/bin/python" -m pip install -q --no-build-isolation -e .
"$venv/bin/python" -m pytest -q -p no:cacheprovider test
