"""Checkpoint conversion between spconv 1.x and 2.x weight layouts, by DECLARED version.

    1.x  RSCK [kz, ky, kx, Cin, Cout]   (spconv v1.2.1 spconv/conv.py:110-111)
    2.x  KRSC [Cout, kz, ky, kx, Cin]   (spconv 2.3.8 spconv/pytorch/conv.py:136-138)

convert_checkpoint(state_dict, from_version, to_version) never looks at shapes to decide the
layout. OpenPCDet guesses from shapes (pcdet/models/detectors/detector3d_template.py:337-348,
commit 8caccce): only when the saved and the model shapes differ does it try `transpose(-1, -2)`
(spconv 2.0/2.1 native RSKC) and then `permute(4, 0, 1, 2, 3)` (KRSC), keeping the first that
fits. That loads wrong weights silently when shapes cannot tell the layouts apart: a 1.x
[3, 3, 3, 3, 3] weight (Cin == Cout == 3) goes into a KRSC model unpermuted (equal shapes), a
1.x [k, k, k, C, C] into an RSKC model untransposed, and every kernel-volume-1 weight is
permuted although spconv reads its memory as [Cin, Cout] (below). Here the caller states the
versions.

Kernel volume 1: spconv (both versions) computes a conv of kernel volume 1 that keeps its sites
(submanifold or stride 1) as `features @ weight.view(Cin, Cout)` (2.x conv.py:225-241, 1.x
conv.py:146-157): the weight's MEMORY is [Cin, Cout] in either layout. Such weights are converted
by a reshape (memory kept), not a permute. A strided 1x1x1 conv (stride > 1) goes through
spconv's general path instead; name its keys in `strided_1x1` to permute them.
"""
import re

import torch


def _major(version, name):
    m = re.match(r"^\s*v?(\d+)", str(version))
    if not m or m.group(1) not in ("1", "2"):
        raise ValueError(f"convert_checkpoint: {name} must be a spconv version 1.x or 2.x (e.g. '1', '1.2.1', '2.3.8'), "
                         f"got {version!r}")
    return int(m.group(1))


def sparse_conv_weight_keys(model):
    """The state_dict keys of the sparse conv weights of `model` (a module built on either front
    end, or on the real spconv): every module that is a spconv SparseConvolution."""
    from . import conv as conv1
    from .pytorch import conv as conv2
    classes = (conv1.SparseConvolution, conv2.SparseConvolution)
    try:   # a model built on the real spconv
        import spconv.pytorch.conv as real2
        if real2.SparseConvolution not in classes:
            classes = classes + (real2.SparseConvolution,)
    except Exception:
        pass
    return {f"{name}.weight" if name else "weight" for name, m in model.named_modules() if isinstance(m, classes)}


def convert_weight(w, from_version, to_version, strided_1x1=False):
    """One sparse conv weight (5-D) from one declared layout to the other (see module doc)."""
    src, dst = _major(from_version, "from_version"), _major(to_version, "to_version")
    if not isinstance(w, torch.Tensor) or w.dim() != 5:
        raise ValueError(f"convert_weight: a 3D sparse conv weight is 5-D, got "
                         f"{tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__}")
    if src == dst:
        return w
    if src == 1:   # [kz, ky, kx, Cin, Cout] -> [Cout, kz, ky, kx, Cin]
        kz, ky, kx, cin, cout = w.shape
        if kz * ky * kx == 1 and not strided_1x1:
            return w.contiguous().reshape(cout, 1, 1, 1, cin)
        return w.permute(4, 0, 1, 2, 3).contiguous()
    cout, kz, ky, kx, cin = w.shape   # [Cout, kz, ky, kx, Cin] -> [kz, ky, kx, Cin, Cout]
    if kz * ky * kx == 1 and not strided_1x1:
        return w.contiguous().reshape(1, 1, 1, cin, cout)
    return w.permute(1, 2, 3, 4, 0).contiguous()


def convert_checkpoint(state_dict, from_version, to_version, keys=None, model=None, strided_1x1=()):
    """A new state_dict with the sparse conv weights converted from spconv `from_version`'s layout
    to `to_version`'s (other entries shared as they are).

    Which entries are sparse conv weights: `keys` (an iterable of state_dict keys), or those of
    `model` (`sparse_conv_weight_keys`), else every 5-D entry whose key ends in 'weight' (a dense
    nn.Conv3d weight is 5-D too: pass keys or model when the network has one).
    strided_1x1: keys of 1x1x1 convs with stride > 1 (see the module doc)."""
    src, dst = _major(from_version, "from_version"), _major(to_version, "to_version")
    if keys is None and model is not None:
        keys = sparse_conv_weight_keys(model)
    if keys is not None:
        keys = set(keys)
        missing = sorted(k for k in keys if k not in state_dict)
        if missing and model is None:
            raise KeyError(f"convert_checkpoint: keys not in state_dict: {missing[:5]}")
    strided = set(strided_1x1)
    out = type(state_dict)() if isinstance(state_dict, dict) else {}
    for k, v in state_dict.items():
        selected = (k in keys) if keys is not None else (k.endswith("weight") and isinstance(v, torch.Tensor)
                                                          and v.dim() == 5)
        out[k] = convert_weight(v, src, dst, k in strided) if selected and src != dst else v
    if hasattr(state_dict, "_metadata"):
        out._metadata = state_dict._metadata
    return out


__all__ = ["convert_checkpoint", "convert_weight", "sparse_conv_weight_keys"]
