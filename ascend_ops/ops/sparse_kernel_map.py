"""sparse_kernel_map: the (input site, output site, kernel offset) pairs of a sparse convolution.

    sparse_kernel_map(coords, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode)
        -> out_coords int32 [M, 4], in_index int32 [P], out_index int32 [P], offset_ptr int32 [K + 1]

Sites are rows (b, z, y, x) of coords on the grid (batch_size, Z, Y, X) = (batch_size,
*spatial_shape). K = kz*ky*kx offsets, offset k = (iz*ky + iy)*kx + ix (x fastest). Per axis
(S extent, K kernel, s stride, p padding, d dilation):

    mode 0 (submanifold): output sites = the input sites (same rows, same order); odd kernel,
        stride 1, unique input sites; pair (i, o, k) iff coord_i = coord_o + (k - K//2)*d.
        padding is not used (as in spconv: the output sites are the input sites).
    mode 1 (regular conv / max pool): O = (S + 2p - d(K-1) - 1)//s + 1 >= 1;
        pair iff o*s - p + k*d == i and 0 <= o < O. Output sites: every o reached by a pair.
    mode 2 (transposed conv): O = (S-1)s - 2p + d(K-1) + 1 >= 1; pair iff o == i*s - p + k*d
        and 0 <= o < O.

Canonical order (every backend returns bitwise the same outputs):
    out_coords: mode 0 the input coords; modes 1, 2 the unique output sites sorted by their 64-bit
        key ((b*Oz + z)*Oy + y)*Ox + x on the output grid, ascending.
    pairs: offset-major (k ascending), then out row ascending, then input row ascending (modes
        1, 2 keep one pair per duplicated input site). offset_ptr[k]:offset_ptr[k+1] is offset
        k's range of pairs; offset_ptr[0] = 0, offset_ptr[K] = P.

Semantics match spconv 2.x (traveller59/spconv v2.3.6, spconv/pytorch/ops.py get_indice_pairs and
the C++ in spconv/csrc/sparse/indices.py: regular/transposed output-coordinate rules; submanifold
maps centred on each output site) and torchsparse 2.x's kernel maps; the 64-bit keys and the
sort-based build are the kit's own. Not differentiable. No dense table of the grid: a 100,000^3
grid with a handful of sites works.

Shapes and dtypes:
    coords        int32 | int64 [N, 4] (int64 narrowed for the native kernels after a range check)
    spatial_shape, kernel_size, stride, dilation: 3 ints >= 1 (z, y, x); padding: 3 ints >= 0
    batch_size    int >= 1;   mode  int in {0, 1, 2}
M and P are data-dependent (mode 0: M = N).
"""
import torch

from .. import _dispatch, _library
from . import _checks
from . import _contract as c
from . import _sparse_grid as grid

OP = "sparse_kernel_map"
_COLUMNS = ("batch index", "z", "y", "x")


def check_coords_values(coords, spatial_shape, batch_size, mode, op=OP):
    """ValueError naming coords when a coordinate lies outside [0, batch_size) x [0, Z) x [0, Y) x
    [0, X), or (mode 0) when two rows hold the same site. Reads the tensor."""
    if coords.shape[0] == 0:
        return
    limits = torch.tensor([batch_size, *spatial_shape], dtype=torch.int64)
    lo, hi = coords.amin(0).cpu().long(), coords.amax(0).cpu().long()
    bad = (lo < 0) | (hi >= limits)
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        bound = "batch_size" if k == 0 else f"spatial_shape[{k - 1}]"
        value = int(lo[k]) if lo[k] < 0 else int(hi[k])
        row = int(((coords[:, k] == value).nonzero())[0, 0])
        raise ValueError(f"{op}: coords[:, {k}] ({_COLUMNS[k]}) must lie in [0, {bound} = {int(limits[k])}), "
                         f"got {value} (row {row})")
    if mode == grid.SUBM:
        keys, order = torch.sort(grid.encode(coords, spatial_shape))
        same = (keys[1:] == keys[:-1]).nonzero()
        if same.numel():
            j = int(same[0, 0])
            rows = sorted((int(order[j]), int(order[j + 1])))
            raise ValueError(f"{op}: coords has duplicate coordinates (rows {rows[0]} and {rows[1]} are both "
                             f"{coords[rows[0]].tolist()}); submanifold mode (mode 0) needs unique sites")


def check_geometry(spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode, op=OP):
    """ValueError naming the argument for a geometry the mode cannot take (see the module
    docstring); returns the output grid's (Z, Y, X)."""
    if mode not in grid.MODES:
        raise ValueError(f"{op}: mode must be 0 (submanifold), 1 (regular) or 2 (transposed), got {mode}")
    if mode == grid.SUBM:
        if any(k % 2 == 0 for k in kernel_size):
            raise ValueError(f"{op}: submanifold mode (mode 0) needs an odd kernel_size on every axis, "
                             f"got {list(kernel_size)}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: submanifold mode (mode 0) needs stride 1 on every axis, got {list(stride)}")
    grid.check_volume(op, batch_size, spatial_shape)
    out_shape = grid.out_spatial_shape(mode, spatial_shape, kernel_size, stride, padding, dilation)
    if any(o < 1 for o in out_shape):
        raise ValueError(f"{op}: the {grid.MODE_NAMES[mode]} output extent (z, y, x) {list(out_shape)} of "
                         f"spatial_shape {list(spatial_shape)} with kernel_size {list(kernel_size)}, stride "
                         f"{list(stride)}, padding {list(padding)}, dilation {list(dilation)} must be >= 1")
    grid.check_volume(op, batch_size, out_shape, what="output spatial shape")
    if max(*spatial_shape, *out_shape) >= 2 ** 31:
        raise ValueError(f"{op}: spatial_shape {list(spatial_shape)} (output {list(out_shape)}) has an extent "
                         f"of 2**31 or more: coordinates are int32")
    return out_shape


def check_inputs(coords, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode):
    """Op-specific validation after the contract's generic checks (types, rank, list lengths and
    minimums): coords [N, 4], the mode's geometry, key overflow, and (outside torch.compile, not
    on meta) every coordinate in range and, in mode 0, unique sites."""
    _checks.size(OP, "coords", coords, 1, 4, "4 (b, z, y, x)")
    check_geometry(spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode)
    if coords.shape[0] and _checks.compiled_value_checks(coords):
        S = [int(s) for s in spatial_shape]
        limits = torch.tensor([int(batch_size), *S], device=coords.device)
        _checks.assert_in_graph(((coords >= 0) & (coords < limits)).all(),
                                f"{OP}: coords rows (b, z, y, x) must lie in [0, batch_size) x [0, Z) x [0, Y) x "
                                f"[0, X) = {[int(batch_size), *S]}")
        if mode == grid.SUBM and coords.shape[0] > 1:
            keys = torch.sort(grid.encode(coords, S)).values
            _checks.assert_in_graph((keys[1:] != keys[:-1]).all(),
                                    f"{OP}: coords has duplicate coordinates; submanifold mode (mode 0) needs unique sites")
    elif coords.device.type != "meta" and not _dispatch.is_compiling():
        check_coords_values(coords, [int(s) for s in spatial_shape], int(batch_size), mode)


def _pairs_from_mask(valid, K):
    """(k, row) of the True entries of valid [K, N], k-major then row ascending, and
    offset_ptr int32 [K + 1]."""
    kk, rows = valid.nonzero(as_tuple=True)
    counts = torch.bincount(kk, minlength=K)
    return kk, rows, counts


def _offset_ptr(counts):
    zero = torch.zeros(1, dtype=torch.int64, device=counts.device)
    return torch.cat([zero, counts.cumsum(0)]).to(torch.int32)


def sparse_kernel_map_reference(coords, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode):
    """Pure-PyTorch ground truth (aten only, any device): sort / searchsorted (mode 0) or unique
    (modes 1, 2) over int64 keys; memory O(K * N). Assumes checked inputs (check_inputs)."""
    device = coords.device
    S = [int(v) for v in spatial_shape]
    ks = [int(v) for v in kernel_size]
    K = grid.kernel_volume(ks)
    c = coords.long()
    N = c.shape[0]
    offs = grid.kernel_offsets(ks, device)                                 # [K, 3]
    tk = torch.tensor(ks, device=device)
    ts, tp, td = (torch.tensor([int(v) for v in a], device=device) for a in (stride, padding, dilation))
    if mode == grid.SUBM:
        keys, perm = torch.sort(grid.encode(c, S))
        # the input site each output site o reads through offset k: coord_o + (k - K//2) * d
        q = c[None, :, 1:] + ((offs - tk // 2) * td)[:, None, :]         # [K, N, 3]
        inside = ((q >= 0) & (q < torch.tensor(S, device=device))).all(-1)
        qkey = ((c[None, :, 0] * S[0] + q[..., 0]) * S[1] + q[..., 1]) * S[2] + q[..., 2]
        pos = torch.searchsorted(keys, qkey).clamp(max=max(N - 1, 0))
        found = inside & (keys[pos] == qkey) if N else inside
        kk, out_rows, counts = _pairs_from_mask(found, K)
        in_index = perm[pos[kk, out_rows]]
        return (coords.to(torch.int32), in_index.to(torch.int32), out_rows.to(torch.int32), _offset_ptr(counts))
    O = grid.out_spatial_shape(mode, S, ks, *(tuple(int(v) for v in a) for a in (stride, padding, dilation)))
    tO = torch.tensor(O, device=device)
    if mode == grid.REGULAR:
        num = c[None, :, 1:] + tp - (offs * td)[:, None, :]               # o * s, when divisible
        o = torch.div(num, ts, rounding_mode="floor")
        valid = ((num >= 0) & (num % ts == 0) & (o < tO)).all(-1)
    else:
        o = c[None, :, 1:] * ts - tp + (offs * td)[:, None, :]
        valid = ((o >= 0) & (o < tO)).all(-1)
    kk, in_rows, counts = _pairs_from_mask(valid, K)                      # k-major, input row ascending
    oc = o[kk, in_rows]
    okey = ((c[in_rows, 0] * O[0] + oc[:, 0]) * O[1] + oc[:, 1]) * O[2] + oc[:, 2]
    uniq, out_rows = torch.unique(okey, sorted=True, return_inverse=True)
    # within each offset: out row ascending, ties (duplicated input sites) in input row order
    order = torch.sort(kk * uniq.numel() + out_rows, stable=True).indices
    return (grid.decode(uniq, O), in_rows[order].to(torch.int32), out_rows[order].to(torch.int32),
            _offset_ptr(counts))


def _fake(coords, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode):
    M = coords.shape[0] if mode == grid.SUBM else _library.new_dynamic_size()
    P = _library.new_dynamic_size()
    K = grid.kernel_volume(kernel_size)
    i32 = dict(dtype=torch.int32)
    return (coords.new_empty(M, 4, **i32), coords.new_empty(P, **i32), coords.new_empty(P, **i32),
            coords.new_empty(K + 1, **i32))


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("coords", "index", rank=2, native_dtype=torch.int32),
            c.IntListArg("spatial_shape", length=3, minimum=1),
            c.IntArg("batch_size", minimum=1),
            c.IntListArg("kernel_size", length=3, minimum=1),
            c.IntListArg("stride", length=3, minimum=1),
            c.IntListArg("padding", length=3, minimum=0),
            c.IntListArg("dilation", length=3, minimum=1),
            c.IntArg("mode", minimum=0)),
    outputs=(c.Output("out_coords", "int"), c.Output("in_index", "int"), c.Output("out_index", "int"),
             c.Output("offset_ptr", "int")),
    check=check_inputs, reference=sparse_kernel_map_reference, fake=_fake,
    backward=None, deterministic=True, ordered=True,
    float_dtypes=(torch.float32,),   # no float input: the battery runs each case once
)
sparse_kernel_map = c.register(SPEC)
