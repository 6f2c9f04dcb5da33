"""sparse_max_pool: sparse max pooling over a kernel map (issue 12; spconv SparseMaxPool3d).

    out[o, c] = max of features[in_index[p], c] over the pairs p with out_index[p] == o
                (0 for an output with no pair)

The max runs over EXISTING input sites only (absent sites are not zeros), as spconv's
SparseMaxPool (traveller59/spconv v2.3.6, spconv/pytorch/pool.py; indice_maxpool in
spconv/csrc/sparse/maxpool.py). Backward: each out[o, c]'s gradient goes to the FIRST pair in
pair order (p ascending) attaining the max, so ties are deterministic; an input that is the max
of several outputs receives the sum. NaN propagates: where a NaN is among the pooled values, the
output is NaN and the first NaN pair gets the gradient.

Shapes and dtypes:
    features   float [N, C]  (float32, float64, float16, bfloat16)
    in_index   int32 | int64 [P], entries in [0, N)
    out_index  int32 | int64 [P], entries in [0, num_out)
    num_out    int >= 0
    returns    [num_out, C] in features' dtype
"""
import torch

from . import _checks
from . import _contract as c
from ._sparse_index import check_index_values, sum_dtype

OP = "sparse_max_pool"


def check_inputs(features, in_index, out_index, num_out):
    """out_index [P] with P = in_index.shape[0]; outside torch.compile and not on meta, every
    in_index entry in [0, features.shape[0]) and every out_index entry in [0, num_out)."""
    _checks.size(OP, "out_index", out_index, 0, in_index.shape[0], "in_index.shape[0] (P)")
    check_index_values(OP, "in_index", in_index, features.shape[0], "features.shape[0] (N)")
    check_index_values(OP, "out_index", out_index, num_out, "num_out")


def argmax_rows(features, in_index, out_index, num_out):
    """int64 [num_out, C]: for each (o, c) the input row of the first pair (p ascending)
    attaining the max (NaN counts as the max), and bool [num_out, C]: whether o has a pair."""
    inn, out = in_index.long(), out_index.long()
    P, C = inn.shape[0], features.shape[1]
    g = features.index_select(0, inn)                                        # [P, C]
    oc = out[:, None].expand(P, C)
    mx = features.new_zeros(num_out, C).scatter_reduce(0, oc, g, "amax", include_self=False)
    nan = torch.isnan(g)
    has_nan = features.new_zeros(num_out, C).scatter_reduce(
        0, oc, nan.to(features.dtype), "amax", include_self=False) > 0
    at_max = torch.where(has_nan.index_select(0, out), nan, g == mx.index_select(0, out))
    p = torch.arange(P, device=g.device)[:, None].expand(P, C)
    first = torch.full((num_out, C), P, dtype=torch.int64, device=g.device).scatter_reduce(
        0, oc, torch.where(at_max, p, P), "amin", include_self=True)
    has_pair = first < P
    rows = inn.index_select(0, first.clamp(max=max(P - 1, 0)).reshape(-1)).reshape(num_out, C) if P else first
    return rows, has_pair


def sparse_max_pool_reference(features, in_index, out_index, num_out):
    """Pure-PyTorch ground truth (aten only, any device, differentiable w.r.t. features): the
    first-argmax rows computed explicitly, then one gather, so autograd routes each gradient to
    that pair's input exactly as the contract's backward does."""
    rows, has_pair = argmax_rows(features.detach(), in_index, out_index, num_out)
    if features.shape[0]:   # gathered in the accumulation dtype: float16 gradients summed in float32
        ct = sum_dtype(features.dtype)
        picked = features.to(ct).gather(0, rows).to(features.dtype)
    else:   # no input row: all outputs are 0 (the empty sum keeps features in the graph)
        picked = features.new_zeros(num_out, features.shape[1]) + features.sum()
    return torch.where(has_pair, picked, torch.zeros((), dtype=features.dtype, device=features.device))


def _fake(features, in_index, out_index, num_out):
    return features.new_empty(num_out, features.shape[1])


def _fake_backward(grad_out, features, in_index, out_index, num_out):
    return torch.empty_like(features)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("features", "float", rank=2, differentiable=True),
            c.TensorArg("in_index", "index", rank=1, native_dtype=torch.int32),
            c.TensorArg("out_index", "index", rank=1, native_dtype=torch.int32),
            c.IntArg("num_out", minimum=0)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=sparse_max_pool_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu", "npu"),   # CUDA backward may add with float atomics
    ordered=True,
    float_dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
)
sparse_max_pool = c.register(SPEC)
