"""Weight layouts. The kit's sparse convolutions take weight [K, Cin, Cout] (offset-major,
k = (iz*KY + iy)*KX + ix, x fastest), so the GEMM of offset k is `gathered[P_k, Cin] @ W[k]`.

    spconv 2.x KRSC        [Cout, kz, ky, kx, Cin]  -> from_spconv2
    spconv 1.x RSCK        [kz, ky, kx, Cin, Cout]  -> from_spconv1
    torch conv3d           [Cout, Cin, kz, ky, kx]  -> from_conv3d / to_conv3d
    torch conv_transpose3d [Cin, Cout, kz, ky, kx]  -> from_conv_transpose3d / to_conv_transpose3d

The same [K, Cin, Cout] weight serves a transposed or inverse conv (offset k pairs an input site
i with the output o = i*s - p + k*d), which is why it maps to conv_transpose3d's layout.
"""


def from_spconv2(w, conv1x1=False):
    """[Cout, kz, ky, kx, Cin] (spconv 2.x KRSC) -> [K, Cin, Cout] (a view when possible).

    conv1x1: spconv 2.3.8 computes a conv of kernel volume 1 that keeps its sites (submanifold, or
    stride 1) as `torch.mm(features, weight.view(in_channels, out_channels))` (spconv/pytorch/conv.py,
    the `self.conv1x1` branch of forward): it reads the KRSC-shaped tensor's memory as
    [Cin, Cout], not as KRSC, so such a weight converts by a plain reshape."""
    cout, cin = w.shape[0], w.shape[-1]
    if conv1x1:
        return w.reshape(1, cin, cout)
    return w.permute(1, 2, 3, 4, 0).reshape(-1, cin, cout)


def from_spconv1(w):
    """[kz, ky, kx, Cin, Cout] (spconv 1.x RSCK) -> [K, Cin, Cout]."""
    return w.reshape(-1, w.shape[3], w.shape[4])


def from_conv3d(w):
    """[Cout, Cin, kz, ky, kx] (torch.nn.functional.conv3d) -> [K, Cin, Cout]."""
    return w.permute(2, 3, 4, 1, 0).reshape(-1, w.shape[1], w.shape[0])


def to_conv3d(w, kernel_size):
    """[K, Cin, Cout] -> [Cout, Cin, kz, ky, kx]."""
    return w.reshape(*kernel_size, w.shape[1], w.shape[2]).permute(4, 3, 0, 1, 2)


def from_conv_transpose3d(w):
    """[Cin, Cout, kz, ky, kx] (torch.nn.functional.conv_transpose3d) -> [K, Cin, Cout]."""
    return w.permute(2, 3, 4, 0, 1).reshape(-1, w.shape[0], w.shape[1])


def to_conv_transpose3d(w, kernel_size):
    """[K, Cin, Cout] -> [Cin, Cout, kz, ky, kx]."""
    return w.reshape(*kernel_size, w.shape[1], w.shape[2]).permute(3, 4, 0, 1, 2)
