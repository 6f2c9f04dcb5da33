"""torchsparse.utils.collate (torchsparse 2.1, torchsparse/utils/collate.py:11-54).

sparse_collate: per-sample SparseTensors with (x, y, z) coords [N_k, 3] -> one SparseTensor with
(b, x, y, z) rows (batch index k prepended, int32), feats concatenated; numpy arrays are
converted to tensors first. sparse_collate_fn: the same per key of a list of dicts (nested dicts
recursively, numpy arrays and tensors stacked, anything else listed)."""
from typing import Any, List

import numpy as np
import torch

from ..tensor import SparseTensor

__all__ = ["sparse_collate", "sparse_collate_fn"]


def sparse_collate(inputs: List[SparseTensor]) -> SparseTensor:
    coords, feats = [], []
    stride = inputs[0].stride
    for k, x in enumerate(inputs):
        if isinstance(x.coords, np.ndarray):
            x.coords = torch.tensor(x.coords)
        if isinstance(x.feats, np.ndarray):
            x.feats = torch.tensor(x.feats)
        assert isinstance(x.coords, torch.Tensor), type(x.coords)
        assert isinstance(x.feats, torch.Tensor), type(x.feats)
        assert x.stride == stride, (x.stride, stride)
        batch = torch.full((x.coords.shape[0], 1), k, device=x.coords.device, dtype=torch.int)
        coords.append(torch.cat((batch, x.coords), dim=1))   # dtype promotion as torch.cat
        feats.append(x.feats)
    return SparseTensor(coords=torch.cat(coords, dim=0), feats=torch.cat(feats, dim=0), stride=stride)


def sparse_collate_fn(inputs: List[Any]) -> Any:
    if isinstance(inputs[0], dict):
        output = {}
        for name in inputs[0]:
            first = inputs[0][name]
            if isinstance(first, dict):
                output[name] = sparse_collate_fn([x[name] for x in inputs])
            elif isinstance(first, np.ndarray):
                output[name] = torch.stack([torch.tensor(x[name]) for x in inputs], dim=0)
            elif isinstance(first, torch.Tensor):
                output[name] = torch.stack([x[name] for x in inputs], dim=0)
            elif isinstance(first, SparseTensor):
                output[name] = sparse_collate([x[name] for x in inputs])
            else:
                output[name] = [x[name] for x in inputs]
        return output
    return inputs
