"""sparse_gather: the gather step of a sparse convolution (gather-GEMM-scatter, issue 12).

    out[p, :] = features[index[p], :]

Backward: grad_features = sparse_scatter_add(grad_out, index, N): the rows of grad_out summed
into their source rows in pair order (p ascending; float16 / bfloat16 summed in float32), so the
CPU result does not depend on the thread count.

Shapes and dtypes:
    features  float [N, C]  (float32, float64, float16, bfloat16; kept as is)
    index     int32 | int64 [P], every entry in [0, N)  (int64 narrowed to int32 for the native
              kernels after a range check)
    returns   [P, C] in features' dtype
"""
import torch

from . import _contract as c
from ._sparse_index import check_index_values, sum_dtype

OP = "sparse_gather"


def check_inputs(features, index):
    """Outside torch.compile and not on meta: every index entry in [0, features.shape[0])."""
    check_index_values(OP, "index", index, features.shape[0], "features.shape[0] (N)")


def sparse_gather_reference(features, index):
    """Pure-PyTorch ground truth (aten only, any device, differentiable w.r.t. features). The
    gather runs in the accumulation dtype so that autograd's index_add sums float16 / bfloat16
    gradients in float32 (the forward is exact either way)."""
    ct = sum_dtype(features.dtype)
    return features.to(ct).index_select(0, index.long()).to(features.dtype)


def _fake(features, index):
    return features.new_empty(index.shape[0], features.shape[1])


def _fake_backward(grad_out, features, index):
    return torch.empty_like(features)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("features", "float", rank=2, differentiable=True),
            c.TensorArg("index", "index", rank=1, native_dtype=torch.int32)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=sparse_gather_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu", "npu"),   # CUDA backward may add with float atomics
    ordered=True,
    float_dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
)
sparse_gather = c.register(SPEC)
