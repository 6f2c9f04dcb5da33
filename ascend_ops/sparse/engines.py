"""Two engines behind one spconv-2.x-style module API: the kit's `ascend_ops.sparse` and spconv.

An engine names its module classes (`SubMConv3d`, `SparseConv3d`, `SparseInverseConv3d`,
`SparseConvTranspose3d`, `SparseMaxPool3d`: spconv 2.x's constructor arguments), makes its sparse
tensor, and reads / writes a conv's weight in the kit's layout `[K, Cin, Cout]` (offset-major,
x fastest; SPARSE_CONTRACT.md). The same layer stack (`ascend_ops.sparse.backbones`) is built
with either engine, and weights are copied between them, so spconv 2.3.8's CPU package serves
as an independent reference (tests, bench/).

spconv on CPU-only torch: its backward asks for the CUDA stream (`get_current_stream`,
spconv/pytorch/cppcore.py) and fails with "Torch not compiled with CUDA enabled". Run forward
AND backward inside `engine.context()` (for spconv `cpu_stream_patch()`, which makes the getter
return 0 and restores it on exit; for the kit a no-op). Also on the CPU wheel:
- eval() with bias fails ("cpu don't support act and bias", spconv/pytorch/ops.py): train mode;
- with more than one torch thread its conv features are sometimes wrong (measured: 4 of 10
  repeats of a strided conv against dense conv3d at 2 threads, 0 of 10 at 1): use 1 thread
  for a reference result;
- a conv of kernel volume 1 reads its KRSC weight's memory as [Cin, Cout] (`weights.from_spconv2`).
"""
import contextlib

import torch

from .weights import from_spconv2

SPCONV_HINT = "pip install spconv==2.3.8 to enable"


def spconv_available():
    try:
        import spconv.pytorch  # noqa: F401
        return True
    except Exception:
        return False


@contextlib.contextmanager
def cpu_stream_patch():
    """Within the block spconv's `get_current_stream` returns 0 (CPU-only torch); restored after."""
    import spconv.pytorch.cppcore as cppcore
    import spconv.pytorch.ops as ops
    import spconv.pytorch.hash as hash_
    mods = [m for m in (ops, cppcore, hash_) if hasattr(m, "get_current_stream")]
    saved = [m.get_current_stream for m in mods]
    for m in mods:
        m.get_current_stream = lambda: 0
    try:
        yield
    finally:
        for m, f in zip(mods, saved):
            m.get_current_stream = f


class _Engine:
    """Stateless: copies of a stack share their engine."""

    def __deepcopy__(self, memo):
        return self


class KitEngine(_Engine):
    """The kit's engine (`ascend_ops.sparse`); weights are natively `[K, Cin, Cout]`."""
    name = "kit"

    def __init__(self):
        from ascend_ops import sparse
        self.nn = sparse

    def tensor(self, features, coords, spatial_shape, batch_size):
        return self.nn.SparseTensor(features, coords, list(spatial_shape), batch_size)

    @staticmethod
    def get_weight(conv):
        return conv.weight

    @staticmethod
    def set_weight(conv, w):
        with torch.no_grad():
            conv.weight.copy_(w.reshape(conv.weight.shape))

    def context(self):
        return contextlib.nullcontext()

    def version(self):
        import ascend_ops
        return ascend_ops.__version__


class SpconvEngine(_Engine):
    """spconv 2.x (`spconv.pytorch`); weights are KRSC `[Cout, kz, ky, kx, Cin]` (spconv/constants.py
    ALL_WEIGHT_IS_KRSC), converted by `w.permute(1, 2, 3, 4, 0).reshape(K, Cin, Cout)`."""
    name = "spconv"

    def __init__(self):
        if not spconv_available():
            raise ImportError(f"spconv is not installed: {SPCONV_HINT}")
        import spconv.pytorch as spconv
        self.nn = spconv

    def tensor(self, features, coords, spatial_shape, batch_size):
        return self.nn.SparseConvTensor(features, coords.int(), list(spatial_shape), batch_size)

    @staticmethod
    def get_weight(conv):
        return from_spconv2(conv.weight, getattr(conv, "conv1x1", False))

    @staticmethod
    def set_weight(conv, w):
        cout, kz, ky, kx, cin = conv.weight.shape
        with torch.no_grad():
            if getattr(conv, "conv1x1", False):   # see weights.from_spconv2
                conv.weight.copy_(w.reshape(conv.weight.shape))
            else:
                conv.weight.copy_(w.reshape(kz, ky, kx, cin, cout).permute(4, 0, 1, 2, 3))

    def context(self):
        return cpu_stream_patch()

    def version(self):
        import spconv
        return spconv.__version__


def engine(name):
    """'kit' or 'spconv' -> an engine object."""
    if name == "kit":
        return KitEngine()
    if name == "spconv":
        return SpconvEngine()
    raise ValueError(f"engine: unknown engine {name!r} (kit, spconv)")


def weight_grad(engine_, conv):
    """The weight's gradient in the kit's layout `[K, Cin, Cout]` (None before backward)."""
    g = conv.weight.grad
    if g is None:
        return None
    if engine_.name == "spconv":
        return from_spconv2(g, getattr(conv, "conv1x1", False))
    return g.reshape(-1, g.shape[-2], g.shape[-1])


