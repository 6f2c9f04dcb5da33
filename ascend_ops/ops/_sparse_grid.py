"""Grid arithmetic of the sparse convolution engine (issue 12), shared by the sparse ops and
`ascend_ops.sparse` (which re-exports it as `sparse.keys` / `sparse.geometry`). Torch only, no
op registration, so that the op modules and the engine can both import it.

Sites are rows `(b, z, y, x)` on a grid `(B, Z, Y, X)`. Their 64-bit key is
`((b*Z + z)*Y + y)*X + x` (int64): unique per site and ordered like the rows in lexicographic
order. The grid's volume `B*Z*Y*X` must stay below 2**62 (so a key plus an offset never wraps);
no dense table of the grid is ever allocated.

Modes of a kernel map (per axis; S input extent, K kernel, s stride, p padding, d dilation):
    SUBM = 0        output sites = input sites; pair iff coord_i = coord_o + (k - K//2)*d
    REGULAR = 1     O = (S + 2p - d(K-1) - 1)//s + 1; pair iff o*s - p + k*d == i, 0 <= o < O
    TRANSPOSED = 2  O = (S-1)s - 2p + d(K-1) + 1;    pair iff o == i*s - p + k*d, 0 <= o < O
"""
import torch

SUBM, REGULAR, TRANSPOSED = 0, 1, 2
MODES = (SUBM, REGULAR, TRANSPOSED)
MODE_NAMES = {SUBM: "submanifold", REGULAR: "regular", TRANSPOSED: "transposed"}
MAX_VOLUME = 2 ** 62


def triple(value, name="value"):
    """`value` (an int or 3 ints) as a tuple of 3 Python ints; TypeError/ValueError naming `name`."""
    if isinstance(value, torch.Size):
        value = tuple(value)
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or 3 ints, got {value!r}")
    if isinstance(value, int):
        return (value, value, value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        if len(value) != 3:
            raise ValueError(f"{name} must have 3 entries (z, y, x), got {list(value)}")
        return tuple(int(v) for v in value)
    raise TypeError(f"{name} must be an int or 3 ints, got {value!r}")


def kernel_volume(kernel_size):
    """K = kz * ky * kx."""
    kz, ky, kx = kernel_size
    return kz * ky * kx


def out_extent(mode, size, kernel, stride, padding, dilation):
    """Output extent along one axis (may be < 1: the caller refuses that)."""
    if mode == SUBM:
        return size
    if mode == REGULAR:
        return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1


def out_spatial_shape(mode, spatial_shape, kernel_size, stride, padding, dilation):
    """The output grid's (Z, Y, X) of a kernel map of `mode` (3 ints each; not checked)."""
    return tuple(out_extent(mode, *a) for a in zip(spatial_shape, kernel_size, stride, padding, dilation))


def volume(batch_size, spatial_shape):
    """B * Z * Y * X as a Python int (never wraps)."""
    z, y, x = spatial_shape
    return int(batch_size) * int(z) * int(y) * int(x)


def check_volume(op, batch_size, spatial_shape, what="spatial_shape"):
    """ValueError naming `what` when the grid's volume reaches 2**62 (keys would overflow)."""
    v = volume(batch_size, spatial_shape)
    if v >= MAX_VOLUME:
        raise ValueError(f"{op}: the grid batch_size x {what} = {batch_size} x {list(spatial_shape)} has "
                         f"{v} sites, at least 2**62: its 64-bit keys would overflow")


def encode(coords, spatial_shape):
    """int64 keys [N] of coords [N, 4] (b, z, y, x) on a grid of `spatial_shape` (Z, Y, X)."""
    c = coords.long()
    Z, Y, X = (int(s) for s in spatial_shape)
    return ((c[:, 0] * Z + c[:, 1]) * Y + c[:, 2]) * X + c[:, 3]


def decode(keys, spatial_shape, dtype=torch.int32):
    """coords [N, 4] (b, z, y, x) in `dtype` of int64 keys [N] on a grid of `spatial_shape`."""
    Z, Y, X = (int(s) for s in spatial_shape)
    x = keys % X
    rest = keys // X
    y = rest % Y
    rest = rest // Y
    z = rest % Z
    b = rest // Z
    return torch.stack([b, z, y, x], 1).to(dtype)


def kernel_offsets(kernel_size, device=None):
    """int64 [K, 3] (iz, iy, ix) of every kernel offset k = (iz*KY + iy)*KX + ix (x fastest)."""
    kz, ky, kx = kernel_size
    k = torch.arange(kz * ky * kx, device=device)
    return torch.stack([k // (ky * kx), k // kx % ky, k % kx], 1)
