"""sparse_scatter_add: the scatter step of a sparse convolution (gather-GEMM-scatter, issue 12).

    out[r, :] = sum of values[p, :] over the p with index[p] == r     (0 where no p)

Summed in pair order (p ascending), float16 / bfloat16 in float32, so the CPU result does not
depend on the thread count. Backward: grad_values = sparse_gather(grad_out, index).

Shapes and dtypes:
    values    float [P, C]  (float32, float64, float16, bfloat16)
    index     int32 | int64 [P], every entry in [0, num_rows)  (int64 narrowed to int32 for the
              native kernels after a range check)
    num_rows  int >= 0
    returns   [num_rows, C] in values' dtype
"""
import torch

from . import _checks
from . import _contract as c
from ._sparse_index import check_index_values, sum_dtype

OP = "sparse_scatter_add"


def check_inputs(values, index, num_rows):
    """index [P] with P = values.shape[0]; outside torch.compile and not on meta, every entry in
    [0, num_rows)."""
    _checks.size(OP, "index", index, 0, values.shape[0], "values.shape[0] (P)")
    check_index_values(OP, "index", index, num_rows, "num_rows")


def sparse_scatter_add_reference(values, index, num_rows):
    """Pure-PyTorch ground truth (aten only, any device, differentiable w.r.t. values): an
    index_add in the accumulation dtype (float32 for float16 / bfloat16)."""
    ct = sum_dtype(values.dtype)
    out = values.new_zeros(num_rows, values.shape[1], dtype=ct)
    return out.index_add(0, index.long(), values.to(ct)).to(values.dtype)


def _fake(values, index, num_rows):
    return values.new_empty(num_rows, values.shape[1])


def _fake_backward(grad_out, values, index, num_rows):
    return torch.empty_like(values)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("values", "float", rank=2, differentiable=True),
            c.TensorArg("index", "index", rank=1, native_dtype=torch.int32),
            c.IntArg("num_rows", minimum=0)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=sparse_scatter_add_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=("cpu", "npu"),   # CUDA forward may add with float atomics
    ordered=True,
    float_dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
)
sparse_scatter_add = c.register(SPEC)
