#!/usr/bin/env bash
# Shared implementation of every model's test/train_*.sh (docs/paired-runs.md).
# Source it, then call:  ak_main {full|performance|multi} ADAPTER.py "$@"
# All logic (arguments, device environment, torchrun, log parsing, the JSON result) lives in
# ak_launch.py next to this file; this file only sets strict mode and finds Python.
set -euo pipefail

AK_COMMON_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ak_python() {
    if [[ -n "${AK_PYTHON:-}" ]]; then
        echo "$AK_PYTHON"
    elif command -v python3 >/dev/null 2>&1; then
        command -v python3
    elif command -v python >/dev/null 2>&1; then
        command -v python
    else
        echo "error: no python found; set AK_PYTHON" >&2
        return 2
    fi
}

ak_main() {
    if [[ $# -lt 2 ]]; then
        echo "usage: ak_main {full|performance|multi} ADAPTER.py [arguments]" >&2
        return 2
    fi
    local mode="$1" adapter="$2"
    shift 2
    local py
    py="$(ak_python)"
    # The launcher never edits user files; it writes only under --work-dir. exec hands signals
    # (Ctrl-C, SIGTERM) straight to it, and it stops the training processes it started.
    exec "$py" "$AK_COMMON_DIR/ak_launch.py" "$mode" "$adapter" "$@"
}
