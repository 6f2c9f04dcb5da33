"""The kit's mmcv 1.x glue (ascend_ops.patcher.mmcv1 + ascend_ops.ports.mmcv1) on real mmcv code:
2 CPU processes (gloo) run _mmcv1_ddp_worker.py under torchrun.

Needs an interpreter with mmcv 1.7.x (mmcv-full or the lite `mmcv` package): ASCEND_KIT_MMCV_PYTHON,
else ASCEND_KIT_SPARSE4D_PYTHON, else $ASCEND_KIT_CACHE/sparse4d-venv/bin/python (ascend_ops/cache.py).
"""
import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from ascend_ops.cache import cache_path

WORKER = Path(__file__).with_name("_mmcv1_ddp_worker.py")
PROBE = ("from ascend_ops.ports.sparse4d import prepare_imports; prepare_imports(); "
         "import mmcv, mmcv.parallel, mmcv.runner; assert mmcv.__version__.startswith('1.')")


def _mmcv_python():
    for var in ("ASCEND_KIT_MMCV_PYTHON", "ASCEND_KIT_SPARSE4D_PYTHON"):
        if os.environ.get(var):
            return os.environ[var]
    return str(cache_path("sparse4d-venv", "bin", "python"))


def _rank_rows(stdout):
    """The workers' JSON rows. Two ranks share stdout, so one line can hold both objects:
    scan for every object instead of parsing line by line."""
    decoder, rows = json.JSONDecoder(), []
    start = stdout.find('{"rank"')
    while start != -1:
        row, end = decoder.raw_decode(stdout, start)
        rows.append(row)
        start = stdout.find('{"rank"', end)
    return rows


def test_cpu_ddp_with_datacontainers_and_patched_init_dist():
    py = _mmcv_python()
    if not os.path.exists(py) or subprocess.run([py, "-c", PROBE], capture_output=True).returncode != 0:
        pytest.skip(f"{py} has no mmcv 1.x; set ASCEND_KIT_MMCV_PYTHON to an interpreter with "
                    f"`pip install --no-build-isolation mmcv==1.7.2` (setuptools<81, numpy<2)")
    env = {**os.environ, "ASCEND_KIT_DEVICE": "cpu", "OMP_NUM_THREADS": "1"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    r = subprocess.run([py, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", port,
                        str(WORKER)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rows = _rank_rows(r.stdout)
    assert sorted(x["rank"] for x in rows) == [0, 1]
    # per-rank gradients of sum(fc(x)) are 2 and 4 per weight; DDP averages them to 3
    for x in rows:
        assert x["grad"] == [3.0] * 4
        assert x["seed"] == 1234 and x["device"] == "cpu"
        expected = {"mmcv.init_dist_pytorch": "applied", "mmcv.ddp_cpu_train_step": "applied",
                    "mmcv.ddp_cpu_val_step": "applied", "mmcv.ddp_run_forward": "applied",
                    "mmcv.npu_fused_adamw": "skipped"}
        assert {k: v for k, v in x["report"].items() if k.startswith("mmcv.")} == expected
    assert "skipped  mmcv.npu_fused_adamw" in r.stdout      # the report is printed on rank 0
