"""torchsparse.backend: the GPU hash table of torchsparse 2.1 on any device, from the kit's ops.

Upstream (mit-han-lab/torchsparse@385f5ce): backend/hashmap/hashmap_cuda.cuh:65-314, bound in
backend/pybind_cuda.cu:30-43 as GPUHashTable (int64 keys) and GPUHashTable32.

    t = GPUHashTable(capacity)                  or GPUHashTable(keys int64 [cap], vals int32 [cap])
    t.insert_coords(coords int32 [n, 4])        key = FNV hash of the row's 4 words (column
                                                order), value = row + 1 (hashmap_cuda.cuh:149-169)
    t.lookup_coords(coords [n, 4], kernel_sizes [3], strides [3], kernel_volume)
        -> int32 [ceil(n / 128) * 128, kernel_volume]: value (row + 1) of the neighbour
           coords[:3] * strides + offset_k, column 3 kept; 0 where absent or in the padding rows
    t.insert_vals(keys int64 [n]) / t.lookup_vals(keys [n]) -> int32 [ceil(n / 128) * 128]

Offsets of lookup_coords (hashmap_cuda.cuh:199-232; columns 0..2 are x, y, z in the (x, y, z, b)
rows that SPVNAS and torchsparse pass, `coords[:, [1, 2, 3, 0]]`): digit d_i = k mod K_i, offset
d_i - (K_i - 1) // 2; an ODD kernel volume takes the digits with column 0 (x) fastest, an EVEN
volume with column 2 (z) fastest. Kernel 2: offsets {0, 1}, corner k = 4 dx + 2 dy + dz.

The table lives in the keys / vals tensors (so a second GPUHashTable on the same tensors sees
the entries, as upstream): the occupied slots are packed at the front, a slot is empty when its
key is 0 (upstream's EMPTY_CELL; a row whose hash is 0 is never found, as upstream). Inserting a
key already present overwrites its value (upstream's `prev == key` branch); within one call the
last of equal keys wins. The hashing is the kit's op `sphash`, the search `sphashquery`, both on
the tensors' device: no copy to the CPU (a few scalars are read to size the results). More
entries than the capacity is a RuntimeError (upstream loops forever on a full table).
Keys are compared exactly, so two rows with colliding 64-bit hashes are confused, as upstream.
"""
import torch

from ascend_ops.ops.sphash import sphash
from ascend_ops.ops.sphashquery import sphashquery

__all__ = ["GPUHashTable", "GPUHashTable32"]

_DIVISOR = 128   # rows of the lookup results are padded to a multiple of this (hashmap_cuda.cuh:79)


def _padded_rows(n):
    return (n + _DIVISOR - 1) // _DIVISOR * _DIVISOR


def lookup_offsets(kernel_sizes, strides_unused=None):
    """int64 [K, 3] offsets of lookup_coords for kernel_sizes (3 ints, columns 0..2), in
    upstream's order (hashmap_cuda.cuh:213-232)."""
    ks = [int(v) for v in kernel_sizes]
    K = ks[0] * ks[1] * ks[2]
    order = (0, 1, 2) if K % 2 else (2, 1, 0)    # odd volume: column 0 fastest; even: column 2
    rows = []
    for k in range(K):
        off, rest = [0, 0, 0], k
        for i in order:
            off[i] = rest % ks[i] - (ks[i] - 1) // 2
            rest //= ks[i]
        rows.append(off)
    return torch.tensor(rows, dtype=torch.int64).reshape(K, 3)


class GPUHashTable:
    """torchsparse's GPU hash table (int64 keys, int32 values), on the device of its tensors."""

    _key_dtype = torch.int64

    def __init__(self, capacity_or_keys, vals=None):
        if isinstance(capacity_or_keys, torch.Tensor):
            keys = capacity_or_keys
            if vals is None or not isinstance(vals, torch.Tensor):
                raise TypeError("GPUHashTable(keys, vals): vals must be a tensor")
            if keys.dim() != 1 or vals.dim() != 1 or keys.shape[0] != vals.shape[0]:
                raise ValueError(f"GPUHashTable: keys and vals must be 1-D of one length, got "
                                 f"{tuple(keys.shape)} and {tuple(vals.shape)}")
            if keys.dtype != self._key_dtype or vals.dtype != torch.int32:
                raise TypeError(f"GPUHashTable: keys must be {self._key_dtype} and vals int32, got "
                                f"{keys.dtype} and {vals.dtype}")
            if keys.device != vals.device:
                raise ValueError(f"GPUHashTable: keys on {keys.device}, vals on {vals.device}")
            self._keys, self._vals, self._capacity = keys, vals, keys.shape[0]
        else:
            if vals is not None:
                raise TypeError("GPUHashTable(capacity) takes one argument")
            capacity = int(capacity_or_keys)
            if capacity < 1:
                raise ValueError(f"GPUHashTable: capacity must be >= 1, got {capacity}")
            self._keys = self._vals = None   # allocated on the first insert's device
            self._capacity = capacity

    # -- upstream's accessors --------------------------------------------------------------
    def get_capacity(self):
        return self._capacity

    def get_divisor(self):
        return _DIVISOR

    # -- storage -----------------------------------------------------------------------------
    def _storage(self, device):
        if self._keys is None:
            self._keys = torch.zeros(self._capacity, dtype=self._key_dtype, device=device)
            self._vals = torch.zeros(self._capacity, dtype=torch.int32, device=device)
        elif self._keys.device != device:
            raise ValueError(f"GPUHashTable: the table is on {self._keys.device}, the input on {device}")
        return self._keys, self._vals

    def _used(self):
        return int((self._keys != 0).sum())

    def _insert_keys(self, keys):
        table_keys, table_vals = self._storage(keys.device)
        n = keys.shape[0]
        if n == 0:
            return
        values = torch.arange(1, n + 1, dtype=torch.int32, device=keys.device)
        keep = keys != 0                                  # key 0 is the empty cell
        keys, values = keys[keep], values[keep]
        if keys.numel() == 0:
            return
        uniq, inverse = torch.unique(keys, return_inverse=True)
        last = torch.full(uniq.shape, -1, dtype=torch.int64, device=keys.device)
        last = last.scatter_reduce(0, inverse, torch.arange(keys.shape[0], device=keys.device), "amax")
        keys, values = uniq, values[last]                 # the last of equal keys wins
        used = self._used()
        pos = sphashquery(keys, table_keys[:used])
        hit = pos >= 0
        table_vals[pos[hit]] = values[hit]                # an existing key: its value is replaced
        new_keys, new_vals = keys[~hit], values[~hit]
        m = new_keys.shape[0]
        if used + m > self._capacity:
            raise RuntimeError(f"GPUHashTable: {used + m} entries exceed the capacity {self._capacity}; "
                               f"enlarge the table (torchsparse.backends.hash_rsv_ratio for conv tables)")
        table_keys[used:used + m] = new_keys
        table_vals[used:used + m] = new_vals

    def _lookup_keys(self, keys):
        """int32 values of keys (any shape), 0 when absent."""
        if self._keys is None:
            return torch.zeros(keys.shape, dtype=torch.int32, device=keys.device)
        table_keys, table_vals = self._storage(keys.device)
        used = self._used()
        pos = sphashquery(keys.reshape(-1), table_keys[:used])
        found = pos >= 0
        zero = torch.zeros((), dtype=torch.int32, device=keys.device)
        vals = torch.where(found, table_vals[pos.clamp(min=0)], zero)    # pos < used <= capacity
        vals = torch.where(keys.reshape(-1) == 0, zero, vals)           # key 0: the empty cell
        return vals.reshape(keys.shape)

    # -- upstream's methods ------------------------------------------------------------------
    @staticmethod
    def _check_coords(name, coords):
        if not isinstance(coords, torch.Tensor) or coords.dim() != 2 or coords.shape[1] != 4:
            raise ValueError(f"GPUHashTable.{name}: coords must be an int tensor [n, 4], got "
                             f"{tuple(coords.shape) if isinstance(coords, torch.Tensor) else type(coords).__name__}")
        if coords.dtype not in (torch.int32, torch.int64):
            raise TypeError(f"GPUHashTable.{name}: coords must be int32 (int64 accepted), got {coords.dtype}")

    def insert_vals(self, keys):
        """Insert keys int64 [n] (value = position + 1)."""
        if keys.dim() != 1:
            raise ValueError(f"GPUHashTable.insert_vals: keys must be 1-D, got {tuple(keys.shape)}")
        self._insert_keys(keys.to(self._key_dtype))

    def lookup_vals(self, keys):
        """int32 [ceil(n / 128) * 128]: the value of each key, 0 when absent or padding."""
        if keys.dim() != 1:
            raise ValueError(f"GPUHashTable.lookup_vals: keys must be 1-D, got {tuple(keys.shape)}")
        vals = self._lookup_keys(keys.to(self._key_dtype))
        out = torch.zeros(_padded_rows(keys.shape[0]), dtype=torch.int32, device=keys.device)
        out[:keys.shape[0]] = vals
        return out

    def insert_coords(self, coords):
        """Insert rows coords int32 [n, 4] (the hash of the 4 words in column order; value = row + 1)."""
        self._check_coords("insert_coords", coords)
        self._insert_keys(sphash(coords).to(self._key_dtype))

    def lookup_coords(self, coords, kernel_sizes, strides, kernel_volume):
        """int32 [ceil(n / 128) * 128, kernel_volume]: for row r and offset k, the value of
        (coords[r, :3] * strides + offset_k, coords[r, 3]), 0 when absent (see the module doc)."""
        self._check_coords("lookup_coords", coords)
        ks = [int(v) for v in (kernel_sizes.tolist() if isinstance(kernel_sizes, torch.Tensor) else kernel_sizes)]
        st = [int(v) for v in (strides.tolist() if isinstance(strides, torch.Tensor) else strides)]
        K = int(kernel_volume)
        if len(ks) != 3 or len(st) != 3 or K != ks[0] * ks[1] * ks[2]:
            raise ValueError(f"GPUHashTable.lookup_coords: kernel_sizes {ks} and strides {st} must have 3 "
                             f"entries and kernel_volume ({K}) must be their product")
        n = coords.shape[0]
        offsets = lookup_offsets(ks).to(coords.device)                         # [K, 3]
        c = coords.long()
        xyz = c[None, :, :3] * torch.tensor(st, device=coords.device) + offsets[:, None, :]  # [K, n, 3]
        rows = torch.cat([xyz, c[None, :, 3:].expand(K, n, 1)], 2).reshape(K * n, 4)
        rows = rows.to(torch.int32)                                            # int32 wrap, as the CUDA ints
        vals = self._lookup_keys(sphash(rows)).reshape(K, n).t()
        out = torch.zeros(_padded_rows(n), K, dtype=torch.int32, device=coords.device)
        out[:n] = vals
        return out


class GPUHashTable32(GPUHashTable):
    """torchsparse's GPUHashTable32 (int32 keys): the same table with int32 key storage; the
    64-bit coordinate hashes are truncated to their low 32 bits, as the CUDA cast does."""

    _key_dtype = torch.int32

    def insert_coords(self, coords):
        self._check_coords("insert_coords", coords)
        self._insert_keys(sphash(coords).to(torch.int32))

    def _lookup_keys(self, keys):
        return super()._lookup_keys(keys.to(torch.int32))
