#!/usr/bin/env bash
# Sparse4D accuracy run (full schedule, then evaluation). Run with --help for the arguments.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../common/train_lib.sh"
ak_main full "$(dirname "${BASH_SOURCE[0]}")/adapter.py" "$@"
