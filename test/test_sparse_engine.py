"""The sparse convolution engine (issue 12): the reference kernel map against a brute-force
Python loop, and the engine's convolutions and pooling against dense torch ops."""
import itertools

import pytest
import torch

import ascend_ops  # noqa: F401
from ascend_ops import opcases
from ascend_ops.ops import sparse_kernel_map_reference


# -- brute-force kernel maps (plain Python loops over sites and offsets) ----------------------
def _offsets(kernel_size):
    return list(itertools.product(*(range(k) for k in kernel_size)))   # x fastest: k = (iz*KY + iy)*KX + ix


def brute_force_kernel_map(coords, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode):
    """(out_coords, in_index, out_index, offset_ptr) as Python lists, from the contract's
    definitions read literally."""
    rows = [tuple(r) for r in coords.tolist()]
    offs = _offsets(kernel_size)
    if mode == 0:
        outs = rows
        lookup = {r: i for i, r in enumerate(rows)}

        def inputs_of(o, k):
            site = (o[0],) + tuple(o[1 + a] + (k[a] - kernel_size[a] // 2) * dilation[a] for a in range(3))
            return [lookup[site]] if site in lookup else []
    else:
        if mode == 1:
            O = [(spatial_shape[a] + 2 * padding[a] - dilation[a] * (kernel_size[a] - 1) - 1) // stride[a] + 1
                 for a in range(3)]

            def related(i, o, k):
                return all(o[1 + a] * stride[a] - padding[a] + k[a] * dilation[a] == i[1 + a] for a in range(3))
        else:
            O = [(spatial_shape[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel_size[a] - 1) + 1
                 for a in range(3)]

            def related(i, o, k):
                return all(o[1 + a] == i[1 + a] * stride[a] - padding[a] + k[a] * dilation[a] for a in range(3))
        sites = set()
        for i in rows:
            for o in _candidates(i, offs, stride, padding, dilation, mode):
                if all(0 <= o[a] < O[a] for a in range(3)) and any(related(i, (i[0],) + o, k) for k in offs):
                    sites.add((i[0],) + o)
        outs = sorted(sites)

        def inputs_of(o, k):
            return [j for j, i in enumerate(rows) if i[0] == o[0] and related(i, o, k)]
    in_index, out_index, ptr = [], [], [0]
    for k in offs:
        for oi, o in enumerate(outs):
            for i in inputs_of(o, k):
                in_index.append(i)
                out_index.append(oi)
        ptr.append(len(in_index))
    return [list(o) for o in outs], in_index, out_index, ptr


def _candidates(i, offs, stride, padding, dilation, mode):
    """Output sites (z, y, x) input site i may reach through some offset (no bounds; the caller
    tests each with the pair definition), so the brute force needs no loop over a huge grid."""
    out = set()
    for k in offs:
        if mode == 1:
            num = [i[1 + a] + padding[a] - k[a] * dilation[a] for a in range(3)]
            if all(n % s == 0 for n, s in zip(num, stride)):
                out.add(tuple(n // s for n, s in zip(num, stride)))
        else:
            out.add(tuple(i[1 + a] * stride[a] - padding[a] + k[a] * dilation[a] for a in range(3)))
    return out


KMAP_CASES = ["small", "submanifold", "submanifold_dilated", "per_axis", "transposed", "transposed_per_axis",
              "dense", "huge_grid", "empty"]


@pytest.mark.parametrize("case", KMAP_CASES)
def test_reference_kernel_map_matches_brute_force(case):
    args = opcases.load("sparse_kernel_map").cases()[case]("cpu")
    got = [t.tolist() for t in sparse_kernel_map_reference(*args)]
    want = brute_force_kernel_map(*args)
    names = ("out_coords", "in_index", "out_index", "offset_ptr")
    for name, g, w in zip(names, got, want):
        assert g == w, f"{case}: {name} differs from the brute force"
