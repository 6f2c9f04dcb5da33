#!/usr/bin/env bash
# Sparse4D multi-node run (--nnodes, --node-rank, --master-addr required). Run with --help for the arguments.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../common/train_lib.sh"
ak_main multi "$(dirname "${BASH_SOURCE[0]}")/adapter.py" "$@"
