"""torchsparse 2.1 convolutions on the kit's sparse engine (ascend_ops.sparse).

Kernel maps of torchsparse 2.1's default path (kmap_mode "hashmap_on_the_fly", upstream
mit-han-lab/torchsparse@385f5ce backend/others/sparsemapping_cuda.cu), rows (b, x, y, z), kernel
sizes / strides / padding per axis (x, y, z):

  submanifold (every stride 1), odd kernel (sparsemapping_cuda.cu:143-188):
      out rows = in rows; out o reads in i iff c_i = c_o + (d - (K - 1) / 2) per axis
  submanifold, even kernel volume (:191-231):
      out rows = in rows; c_i = c_o + d per axis, d in 0..K-1
  downsample (any stride > 1; :60-126, the out_in_map index is K - 1 - kernel_idx, which reverses
  every digit):  c_i = c_o * s - p + d per axis, 0 <= c_o <= (S - 1 + 2p - (K - 1)) // s, where
      S - 1 = spatial_range - 1 or the largest input coordinate (hashmap_on_the_fly.py:27-45);
      output rows = the distinct c_o, sorted by (b, x, y, z) (torch::_unique of their ravel index)
  transposed (conv.py:131-161, query_cuda.cu:9-15): the cached downsample map of the matching
      tensor stride with inputs and outputs swapped, the same offset k; output rows = the cached
      coordinates of that stride (cmaps).

The digit d_i of offset k: an ODD kernel volume counts x fastest (k = (dz*Ky + dy)*Kx + dx), an
EVEN volume z fastest (k = (dx*Ky + dy)*Kz + dz) (sparsemapping_cuda.cu:72-95, 164-170,
208-214; the same rule as hashmap_cuda.cuh:213-232 and nn/utils/kernel.py:28-35). Dilation is not
used by these maps (conv.py:76-112 passes it to the cache key only): the kit does the same.

The engine takes rows (b, a0, a1, a2) and counts offsets with a2 fastest. torchsparse's rows go to
it unchanged (a0 = x, a1 = y, a2 = z): its key order then sorts the downsampled rows by
(b, x, y, z) exactly as torchsparse does, its REGULAR map is the downsample rule above (o*s - p +
d == i) and its SUBM map the odd rule; the even-kernel order (z fastest) equals the engine's, the
odd-kernel order (x fastest) is mapped by a permutation of the weight's K rows
(`kernel_permutation`). Even submanifold maps, which the engine does not build, come from the
kit's sphash_kernel / sphashquery ops.
"""
import warnings

import torch

from ascend_ops.ops.sphash import sphash, sphash_kernel
from ascend_ops.ops.sphashquery import sphashquery
from ascend_ops.sparse import geometry
from ascend_ops.sparse.functional import apply_kernel_map
from ascend_ops.sparse.kernel_map import INVERSE, KernelMap, build_kernel_map

_warned_dilation = False


def kernel_offsets_ts(kernel_size):
    """[(dx, dy, dz)] digits of torchsparse's offsets k = 0..K-1 (kernel_size = (Kx, Ky, Kz))."""
    kx, ky, kz = kernel_size
    K = kx * ky * kz
    out = []
    for k in range(K):
        if K % 2:   # x fastest
            out.append((k % kx, k // kx % ky, k // (kx * ky)))
        else:       # z fastest
            out.append((k // (ky * kz), k // kz % ky, k % kz))
    return out


def kernel_permutation(kernel_size):
    """int64 [K]: perm[k_engine] = torchsparse's offset index of the same digits (dx, dy, dz);
    the engine's weight is torchsparse's kernel[perm]. Identity for even kernel volumes."""
    kx, ky, kz = kernel_size
    index = {d: k for k, d in enumerate(kernel_offsets_ts(kernel_size))}
    perm = [index[(dx, dy, dz)] for dx in range(kx) for dy in range(ky) for dz in range(kz)]
    return torch.tensor(perm, dtype=torch.int64)


def _warn_dilation(dilation):
    global _warned_dilation
    if dilation != (1, 1, 1) and not _warned_dilation:
        _warned_dilation = True
        warnings.warn(f"torchsparse Conv3d: dilation {dilation} is not applied: torchsparse 2.1's kernel maps "
                      f"ignore dilation (it only enters the cache key), and the kit follows it", stacklevel=3)


def _check_coords(coords):
    if not isinstance(coords, torch.Tensor) or coords.dim() != 2 or coords.shape[1] != 4:
        raise ValueError(f"torchsparse conv3d: input.coords must be an int tensor [N, 4] (b, x, y, z), got "
                         f"{tuple(coords.shape) if isinstance(coords, torch.Tensor) else type(coords).__name__}")
    if coords.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"torchsparse conv3d: input.coords must be int32 (or int64), got {coords.dtype}")


def _grid(coords, spatial_range):
    """(batch_size, (X, Y, Z)) of the input grid: spatial_range, else the largest coordinate + 1."""
    if spatial_range is not None:
        if len(spatial_range) != 4:
            raise ValueError(f"torchsparse conv3d: spatial_range must be (B, X, Y, Z), got {spatial_range}")
        return int(spatial_range[0]), tuple(int(v) for v in spatial_range[1:])
    if coords.shape[0] == 0:
        raise ValueError("torchsparse conv3d: input has no sites and no spatial_range (torchsparse takes the "
                         "grid from the largest coordinate)")
    hi = [int(v) for v in coords.max(0).values.tolist()]
    return hi[0] + 1, tuple(max(v + 1, 1) for v in hi[1:])


def _new_spatial_range(spatial_range, kernel_size, stride, padding):
    """torchsparse's output spatial_range (build_kmap.py:65-74): (S + 2p - (K - 1) - 1) // s + 1."""
    if spatial_range is None:
        return None
    return tuple(spatial_range[:1]) + tuple((spatial_range[i + 1] + 2 * padding[i] - (kernel_size[i] - 1) - 1)
                                            // stride[i] + 1 for i in range(3))


def _even_subm_map(coords, batch_size, shape, kernel_size):
    """Submanifold map of an even kernel volume: offset k (z fastest) pairs out o with the input
    row at c_o + (dx, dy, dz), found through sphash_kernel / sphashquery (canonical order:
    offset-major, then out row)."""
    offsets = torch.tensor(kernel_offsets_ts(kernel_size), dtype=torch.int32, device=coords.device)
    c32 = coords.to(torch.int32)
    rows = sphashquery(sphash_kernel(c32, offsets).reshape(-1), sphash(c32)).reshape(offsets.shape[0], -1)
    found = rows >= 0
    _k_idx, o_idx = found.nonzero(as_tuple=True)
    counts = found.sum(1).cumsum(0).tolist()
    return KernelMap(coords, coords, rows[found].to(torch.int32), o_idx.to(torch.int32), [0] + counts, shape, shape,
                     batch_size, tuple(kernel_size), (1, 1, 1), (0, 0, 0), (1, 1, 1), geometry.REGULAR)


def build(coords, kernel_size, stride, padding, spatial_range):
    """torchsparse's kernel map of a (non-transposed) conv as a dict with upstream's "coords",
    "spatial_range", "sizes" plus "kit_kmap" (an ascend_ops.sparse KernelMap over the rows as
    given) and "kernel_perm" (see the module doc)."""
    _check_coords(coords)
    batch_size, shape = _grid(coords, spatial_range)
    subm = not any(s > 1 for s in stride)
    K = kernel_size[0] * kernel_size[1] * kernel_size[2]
    if subm and K % 2 == 0:
        kmap = _even_subm_map(coords, batch_size, shape, kernel_size)
    elif subm:
        kmap = build_kernel_map(coords, shape, batch_size, kernel_size, 1, 0, 1, geometry.SUBM)
    else:
        kmap = build_kernel_map(coords, shape, batch_size, kernel_size, stride, padding, 1, geometry.REGULAR)
    out_coords = coords if subm else kmap.out_coords
    return {"coords": out_coords, "spatial_range": _new_spatial_range(spatial_range, kernel_size, stride, padding),
            "sizes": (coords.shape[0], out_coords.shape[0]), "kit_kmap": kmap,
            "kernel_perm": None if K % 2 == 0 else kernel_permutation(kernel_size).to(coords.device)}


def transposed(kmap):
    """The transposed map of a cached map (query_cuda.cu:9-15: out_in_map_t[in, k] = out):
    inputs and outputs swapped, the same offsets."""
    m = kmap["kit_kmap"]
    swapped = KernelMap(m.out_coords, m.in_coords, m.out_index, m.in_index, list(m.offset_ptr), m.out_shape,
                        m.in_shape, m.batch_size, m.kernel_size, m.stride, m.padding, m.dilation, INVERSE)
    return {"coords": kmap["coords"], "spatial_range": kmap["spatial_range"], "sizes": kmap["sizes"],
            "kit_kmap": swapped, "kernel_perm": kmap["kernel_perm"]}


def apply(feats, weight, kmap, bias=None):
    """Gather-GEMM-scatter of torchsparse's kernel [K, Cin, Cout] over kmap["kit_kmap"]."""
    m = kmap["kit_kmap"]
    if weight.dim() == 2:
        weight = weight.unsqueeze(0)
    if weight.dim() != 3 or weight.shape[0] != m.kernel_volume:
        raise ValueError(f"torchsparse conv3d: weight must be [K, Cin, Cout] with K = {m.kernel_volume} "
                         f"(kernel_size {list(m.kernel_size)}), got {tuple(weight.shape)}")
    perm = kmap["kernel_perm"]
    if perm is not None:
        weight = weight.index_select(0, perm.to(weight.device))
    return apply_kernel_map(feats, weight, m, bias)
