#!/usr/bin/env bash
# Sparse4D throughput run (bounded steps, no evaluation). Run with --help for the arguments.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../common/train_lib.sh"
ak_main performance "$(dirname "${BASH_SOURCE[0]}")/adapter.py" "$@"
