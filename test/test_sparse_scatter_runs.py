"""sparse_scatter_add on kernel-map shaped indices (a few strictly increasing runs, the CPU
kernel's run-by-run path) against the reference, in every float dtype and at 1 and 2 threads;
and across the switch to the block plan (more runs than the run path takes)."""
import pytest
import torch

from ascend_ops import sparse
from ascend_ops.opcases import _harness as h
from ascend_ops.opcases._sparse_data import random_coords
from ascend_ops.ops.sparse_scatter_add import sparse_scatter_add, sparse_scatter_add_reference


def _runs_index(runs, rows, per_run, generator):
    """int32 index of `runs` strictly increasing runs, each `per_run` distinct rows of `rows`."""
    return torch.cat([torch.randperm(rows, generator=generator)[:per_run].sort().values
                      for _ in range(runs)]).to(torch.int32)


@pytest.mark.parametrize("runs", [1, 26, 128, 129, 400])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_runs_match_reference(runs, dtype, native_only):
    g = torch.Generator().manual_seed(runs)
    index = _runs_index(runs, 300, 50, g)
    values = torch.randn(index.shape[0], 7, generator=g).to(dtype)
    with h.backend("native"):
        out = sparse_scatter_add(values, index, 310)
    ref = sparse_scatter_add_reference(values, index, 310)
    torch.testing.assert_close(out, ref, atol=0, rtol=0)


def test_kernel_map_scatter_is_thread_independent():
    g = torch.Generator().manual_seed(0)
    coords = random_coords(4000, (20, 30, 30), 2, g)
    with h.backend("reference"):
        kmap = sparse.build_kernel_map(coords, (20, 30, 30), 2, 3, 1, 0, 1, 0)
    values = torch.randn(kmap.in_index.shape[0], 16, generator=g)
    outs = []
    for threads in (1, 2):
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            with h.backend("native"):
                outs.append(sparse_scatter_add(values, kmap.out_index, kmap.num_out))
        finally:
            torch.set_num_threads(before)
    assert torch.equal(outs[0], outs[1])
    torch.testing.assert_close(outs[0], sparse_scatter_add_reference(values, kmap.out_index, kmap.num_out))
