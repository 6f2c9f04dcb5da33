#!/usr/bin/env bash
# Synthetic nuScenes for the Sparse4D CPU smoke run: writes DIR/data/{nuscenes,nuscenes_anno_pkls,
# nuscenes_kmeans64.npy} (info paths are relative to DIR, like upstream's data/ folder).
# usage: prepare_smoke_data.sh DIR [PYTHON]   (PYTHON needs nuscenes-devkit; default python3)
set -euo pipefail
if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,4p' "$0" | sed 's/^# //'; exit 0
fi
DIR="$1"; PY="${2:-python3}"
mkdir -p "$DIR/data"
cd "$DIR"
"$PY" -m ascend_ops nuscenes generate --out data/nuscenes --scenes 3 --samples-per-scene 4 --objects-per-scene 30 --seed 0 \
    --version v1.0-mini --no-progress
"$PY" -m ascend_ops nuscenes convert --root data/nuscenes --version v1.0-mini \
    --out-dir data/nuscenes_anno_pkls --info-prefix nuscenes --no-progress
"$PY" -m ascend_ops anchors --ann_file data/nuscenes_anno_pkls/nuscenes_infos_train.pkl --num_anchor 64 \
    --output_file_name data/nuscenes_kmeans64.npy --seed 0 --no_progress
