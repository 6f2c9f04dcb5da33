"""sphashquery: torchsparse's hash query - the row of each query key among reference keys.

    out[q] = the smallest r with references[r] == queries[q], or -1 when there is none

Upstream (mit-han-lab/torchsparse@385f5ce, 2.1.0): torchsparse/nn/functional/query.py:8-37 (any
query shape, flattened and reshaped back - here queries are 1-D: pass q.reshape(-1) and reshape
the result, as that wrapper does; 1-D references; int64 result, -1 for a miss) over the
CPU backend backend/others/query_cpu.cpp:12-37 (google::dense_hash_map; insert keeps the first
of equal keys) and the GPU table backend/hashmap/hashmap_cuda.cuh:124-196. Differences, all on
inputs SPVNAS never produces: torchsparse reserves key 0 as its empty cell (query_cpu.cpp:19,
hashmap_cuda.cuh:13), so a key equal to 0 is not found there; here every int64 key works. For
duplicate reference keys the GPU table keeps whichever insert wins a race; here the first
(lowest r) always wins, as on torchsparse's CPU backend.

Shapes and dtypes:
    queries     int32 | int64 [Q]  (typically sphash output, or sphash_kernel's [K, N] flattened)
    references  int32 | int64 [R]
    returns     int64 [Q]
Not differentiable. Deterministic on every backend.
"""
import torch

from . import _contract as c


def sphashquery_reference(queries, references):
    """Pure-PyTorch ground truth (aten ops only, any device): stable sort of the references,
    then a left binary search of each query (the first of equal keys is the lowest row)."""
    q = queries.reshape(-1).long()
    R = references.shape[0]
    if R == 0:
        return torch.full(queries.shape, -1, dtype=torch.int64, device=queries.device)
    keys, order = torch.sort(references.long(), stable=True)
    pos = torch.searchsorted(keys, q).clamp(max=R - 1)
    found = keys[pos] == q
    out = torch.where(found, order[pos], torch.full_like(pos, -1))
    return out.reshape(queries.shape)


def _fake(queries, references):
    return queries.new_empty(queries.shape, dtype=torch.int64)


SPEC = c.OpSpec(
    name="sphashquery",
    inputs=(c.TensorArg("queries", "index", rank=1), c.TensorArg("references", "index", rank=1)),
    outputs=(c.Output("index", "int"),),
    reference=sphashquery_reference, fake=_fake,
    deterministic=True, ordered=True,
)
sphashquery = c.register(SPEC)
