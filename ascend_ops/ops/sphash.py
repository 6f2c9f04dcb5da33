"""sphash / sphash_kernel: torchsparse 2.1's 64-bit FNV-1a hash of integer coordinates.

    h = 14695981039346656037                      (FNV-1a 64 offset basis)
    for w in (c0, c1, c2, c3):                    the row's four int32 words, in column order
        h = ((h XOR uint32(w)) * 1099511628211) mod 2**64     (FNV prime)
    out = h reinterpreted as int64 (two's complement)

Note that torchsparse XORs in a whole 32-bit word per step, not one byte as textbook FNV-1a
does; this op reproduces torchsparse bit for bit, not the byte-wise hash.

sphash_kernel adds kernel offsets first, as torchsparse's kernel_hash does:
    out[k, n] = hash(c[n, 0], c[n, 1] + o[k, 0], c[n, 2] + o[k, 1], c[n, 3] + o[k, 2])
(column 0, the batch index in torchsparse 2.1's (b, x, y, z) layout, is not offset; the sums
wrap modulo 2**32 as int32 additions do on the GPU).

Upstream (mit-han-lab/torchsparse@385f5ce, version 2.1.0): the Python wrapper
torchsparse/nn/functional/hash.py:10-39 (int32 [N, 4] coords, int32 [K, 3] offsets -> int64 [N] /
[K, N]); the CUDA kernels torchsparse/backend/hash/hash_cuda.cu:9-22 (hash) and :26-54
(kernel_hash; offsets on columns 1..3, column 0 kept) and the same hash in the GPU hash table,
backend/hashmap/hashmap_cuda.cuh:37-46. This op follows those: they are what SPVNAS runs.
torchsparse 2.1's CPU backend was not updated in the 2.1 release and differs in two ways:
backend/hash/hash_cpu.cpp:15 and :35 fold the hash to 60 bits ((h >> 60) XOR (h & (2**60 - 1)),
commented out on the GPU since v2.1), and cpu_kernel_hash_wrapper (hash_cpu.cpp:26-29) adds
the offsets to columns 0..2 (the pre-2.1 (x, y, z, b) layout). `fold60(sphash(c))` gives the
CPU backend's values for `sphash(c)`.

Shapes and dtypes:
    coords   int32 | int64 [N, 4]   (int64 accepted when every value fits int32)
    offsets  int32 | int64 [K, 3]   (sphash_kernel only)
    returns  int64 [N] (sphash), int64 [K, N] (sphash_kernel)
Not differentiable. Deterministic on every backend (pure per-element integer math).
"""
import torch

from . import _checks, _index_values
from . import _contract as c

FNV_OFFSET_BASIS = 14695981039346656037
FNV_PRIME = 1099511628211
_BASIS_INT64 = FNV_OFFSET_BASIS - (1 << 64)   # the same 64 bits as a signed int64
_LOW32 = 0xFFFFFFFF


def _fits_int32(op, name, t):
    """torchsparse hashes int32 words: int64 input must hold int32 values (never wrapped)."""
    if t.dtype == torch.int64 and _index_values.readable(t):
        lo, hi = int(t.min()), int(t.max())
        if lo < -2**31 or hi >= 2**31:
            raise ValueError(f"{op}: {name} holds values in [{lo}, {hi}], outside the int32 range "
                             f"torchsparse hashes")


def check_inputs(coords):
    _checks.size("sphash", "coords", coords, 1, 4, "4 (b, x, y, z)")
    _fits_int32("sphash", "coords", coords)


def check_kernel_inputs(coords, offsets):
    _checks.size("sphash_kernel", "coords", coords, 1, 4, "4 (b, x, y, z)")
    _checks.size("sphash_kernel", "offsets", offsets, 1, 3, "3 (dx, dy, dz)")
    _fits_int32("sphash_kernel", "coords", coords)
    _fits_int32("sphash_kernel", "offsets", offsets)


def _fnv1a_words(words):
    """FNV-1a over the last dim of int64 `words` (each entry the uint32 value of an int32 word),
    in int64 arithmetic: torch's int64 multiply wraps modulo 2**64, which is the uint64 product."""
    h = torch.full(words.shape[:-1], _BASIS_INT64, dtype=torch.int64, device=words.device)
    for j in range(words.shape[-1]):
        h = torch.bitwise_xor(h, words[..., j]) * FNV_PRIME
    return h


def sphash_reference(coords):
    """Pure-PyTorch ground truth (aten ops only, any device): int64 [N]."""
    return _fnv1a_words(coords.long() & _LOW32)


def sphash_kernel_reference(coords, offsets):
    """Pure-PyTorch ground truth: int64 [K, N]; offsets added to columns 1..3, column 0 kept."""
    c = coords.long()
    K, N = offsets.shape[0], coords.shape[0]
    shifted = c[None, :, 1:] + offsets.long()[:, None, :]               # [K, N, 3]
    batch = c[None, :, :1].expand(K, N, 1)
    return _fnv1a_words(torch.cat([batch, shifted], 2) & _LOW32)


def fold60(h):
    """torchsparse 2.1's CPU-backend variant of a hash (hash_cpu.cpp:15): (h >> 60) XOR
    (h & (2**60 - 1)), with a logical shift. int64 in, int64 out (always >= 0)."""
    return torch.bitwise_xor((h >> 60) & 0xF, h & ((1 << 60) - 1))


def _fake(coords):
    return coords.new_empty(coords.shape[0], dtype=torch.int64)


def _fake_kernel(coords, offsets):
    return coords.new_empty(offsets.shape[0], coords.shape[0], dtype=torch.int64)


SPEC = c.OpSpec(
    name="sphash",
    inputs=(c.TensorArg("coords", "index", rank=2, native_dtype=torch.int32),),
    outputs=(c.Output("hash", "int"),),
    check=check_inputs, reference=sphash_reference, fake=_fake,
    deterministic=True, ordered=True,
)
sphash = c.register(SPEC)

KERNEL_SPEC = c.OpSpec(
    name="sphash_kernel",
    inputs=(c.TensorArg("coords", "index", rank=2, native_dtype=torch.int32),
            c.TensorArg("offsets", "index", rank=2, native_dtype=torch.int32)),
    outputs=(c.Output("hash", "int"),),
    check=check_kernel_inputs, reference=sphash_kernel_reference, fake=_fake_kernel,
    deterministic=True, ordered=True,
)
sphash_kernel = c.register(KERNEL_SPEC)
