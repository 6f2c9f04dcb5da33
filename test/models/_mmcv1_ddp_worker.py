"""Worker for test_mmcv1_runtime.py, started by torchrun with 2 CPU processes (gloo).

Exercises the kit's mmcv 1.x glue on real mmcv code: patched init_dist, wrap_model (CPU DDP),
train_step with DataContainer inputs, gradient all-reduce, the DDP forward path used by the
distributed test, and dist_device() for collectives. Prints one JSON line per rank.
"""
import datetime
import json
import os
import sys

from ascend_ops.ports.sparse4d import apply_runtime_patches, prepare_imports

prepare_imports()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from mmcv.parallel import DataContainer  # noqa: E402
from mmcv.runner import init_dist  # noqa: E402

from ascend_ops.device import dist_backend  # noqa: E402
from ascend_ops.ports.mmcv1 import dist_device, wrap_model  # noqa: E402


class Toy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = torch.nn.Linear(4, 1)

    def forward(self, x, img_metas, return_loss=True):
        assert isinstance(img_metas, list) and isinstance(img_metas[0], dict), type(img_metas)
        return (self.fc(x) * img_metas[0]["scale"]).sum()

    def train_step(self, data, optimizer):
        loss = self(**data)
        return {"loss": loss, "log_vars": {"loss": float(loss)}, "num_samples": 1}

    def val_step(self, data, optimizer=None):
        return self.train_step(data, optimizer)


def main():
    patcher = apply_runtime_patches()
    init_dist("pytorch", backend=dist_backend(), timeout=datetime.timedelta(seconds=180))
    rank = dist.get_rank()
    model = wrap_model(Toy(), distributed=True, broadcast_buffers=False)
    x = torch.full((2, 4), float(rank + 1))
    data = {"x": x, "img_metas": DataContainer([[{"scale": 1.0}]], cpu_only=True)}
    out = model.train_step(data, None)
    out["loss"].backward()
    grad = model.module.fc.weight.grad.clone()
    fwd = model(x=x, img_metas=DataContainer([[{"scale": 2.0}]], cpu_only=True))
    seed = torch.tensor([1234 if rank == 0 else 0], device=dist_device())
    dist.broadcast(seed, 0)
    print(json.dumps({"rank": rank, "grad": grad.flatten().tolist(), "forward": float(fwd),
                      "seed": int(seed.item()), "device": str(dist_device()),
                      "report": {r["name"]: r["status"] for r in patcher.report()}}), flush=True)
    dist.barrier()
    dist.destroy_process_group()
    patcher.undo()


if __name__ == "__main__":
    sys.exit(main())
