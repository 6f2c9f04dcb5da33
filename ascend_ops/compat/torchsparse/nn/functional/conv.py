"""torchsparse.nn.functional.conv3d and the conv-mode settings (torchsparse 2.1,
torchsparse/nn/functional/conv/conv.py:15-210, conv/conv_mode.py:1-65), on the kit's engine
(ascend_ops/compat/torchsparse/_engine.py for the kernel maps and their offset order).

    conv3d(input, weight, kernel_size, bias=None, stride=1, padding=0, dilation=1, config=None,
           transposed=False, generative=False, training=False) -> SparseTensor

  * kernel 1, stride 1, dilation 1: feats @ weight ([Cin, Cout] or [1, Cin, Cout]), same rows;
  * otherwise weight [K, Cin, Cout]; the map is cached in input._caches.kmaps under
    (input.stride, kernel_size, stride, dilation) and reused by every later conv with that key
    (without looking at the rows, as upstream); output stride = input.stride * stride;
  * transposed: the map cached under (input.stride // stride, kernel_size, stride, dilation),
    inputs and outputs swapped; output rows and spatial_range = _caches.cmaps[input.stride //
    stride] (the rows the matching downsample conv read). No such map: ValueError.
  * every output registers (coords, spatial_range) in _caches.cmaps[output.stride] if absent, and
    (a difference) so does the input of a newly built map, under input.stride.

config, training: accepted and ignored (one algorithm, gather-GEMM-scatter, for every dataflow).
generative=True: NotImplementedError (torchsparse 2.1's default kmap_mode refuses it too).
set_conv_mode / set_kmap_mode / set_downsample_mode: accepted and recorded, no effect (they choose
CUDA kernel variants and map-building strategies that give the same maps)."""
from enum import Enum
from typing import Dict, List, Optional, Tuple, Union

import torch

from ... import _engine
from ...tensor import SparseTensor
from ...utils.utils import make_ntuple

__all__ = ["conv3d", "ConvMode", "get_conv_mode", "set_conv_mode", "get_kmap_mode", "set_kmap_mode",
           "get_downsample_mode", "set_downsample_mode"]


class ConvMode(Enum):
    mode0 = 0
    mode1 = 1
    mode2 = 2


_conv_mode = ConvMode.mode0
_kmap_mode = "hashmap_on_the_fly"
_downsample_mode = "spconv"


def get_conv_mode():
    return _conv_mode


def set_conv_mode(conv_mode):
    """0, 1, 2 or a ConvMode (upstream: which implicit-GEMM split the CUDA kernels use). Recorded,
    no effect on the kit's results."""
    global _conv_mode
    if isinstance(conv_mode, ConvMode):
        _conv_mode = conv_mode
    elif isinstance(conv_mode, int) and not isinstance(conv_mode, bool) and conv_mode in (0, 1, 2):
        _conv_mode = ConvMode(conv_mode)
    else:
        raise ValueError(f"set_conv_mode: conv_mode must be 0, 1, 2 or a ConvMode, got {conv_mode!r}")


def get_kmap_mode():
    return _kmap_mode


def set_kmap_mode(kmap_mode: str):
    """"hashmap_on_the_fly" or "hashmap": recorded, no effect (both build the same maps)."""
    global _kmap_mode
    if kmap_mode not in ("hashmap_on_the_fly", "hashmap"):
        raise ValueError(f"set_kmap_mode: kmap_mode must be 'hashmap_on_the_fly' or 'hashmap', got {kmap_mode!r}")
    _kmap_mode = kmap_mode


def get_downsample_mode():
    return _downsample_mode


def set_downsample_mode(downsample_mode: str):
    """"spconv" or "minkowski": recorded, no effect (torchsparse's default kmap_mode,
    hashmap_on_the_fly, does not read it either; the kit's downsampling is spconv's)."""
    global _downsample_mode
    if downsample_mode not in ("spconv", "minkowski"):
        raise ValueError(f"set_downsample_mode: downsample_mode must be 'spconv' or 'minkowski', got "
                         f"{downsample_mode!r}")
    _downsample_mode = downsample_mode


def _add_bias(feats, bias):
    return feats if bias is None else feats + bias


def conv3d(input: SparseTensor, weight: torch.Tensor, kernel_size: Union[int, List[int], Tuple[int, ...]],
           bias: Optional[torch.Tensor] = None, stride: Union[int, List[int], Tuple[int, ...]] = 1,
           padding: Union[int, Tuple[int, ...]] = 0, dilation: Union[int, Tuple[int, ...]] = 1,
           config: Optional[Dict] = None, transposed: bool = False, generative: bool = False,
           training: bool = False) -> SparseTensor:
    feats, coords = input.feats, input.coords
    kernel_size = make_ntuple(kernel_size, ndim=3)
    stride = make_ntuple(stride, ndim=3)
    dilation = make_ntuple(dilation, ndim=3)
    padding = make_ntuple(padding, ndim=3)
    if generative:
        raise NotImplementedError("torchsparse conv3d: generative=True (generative transposed convolution) is not "
                                  "supported by the kit's front end")
    _engine._warn_dilation(dilation)
    caches = input._caches
    if kernel_size == (1, 1, 1) and stride == (1, 1, 1) and dilation == (1, 1, 1):
        w = weight.reshape(weight.shape[-2], weight.shape[-1]) if weight.dim() == 3 and weight.shape[0] == 1 else weight
        if w.dim() != 2:
            raise ValueError(f"torchsparse conv3d: a 1x1x1 kernel must be [Cin, Cout] or [1, Cin, Cout], got "
                             f"{tuple(weight.shape)}")
        output = SparseTensor(coords=coords, feats=_add_bias(feats.matmul(w), bias), stride=input.stride,
                              spatial_range=input.spatial_range)
    elif not transposed:
        key = (input.stride, kernel_size, stride, dilation)
        kmap = caches.kmaps.get(key)
        if kmap is None:
            kmap = _engine.build(coords, kernel_size, stride, padding, input.spatial_range)
            caches.kmaps[key] = kmap
            # the rows a later transposed conv returns to (upstream registers them only when a conv
            # OUTPUT has this stride, so down-then-up from an input tensor raises KeyError there)
            caches.cmaps.setdefault(input.stride, (coords, input.spatial_range))
        elif kmap["sizes"][0] != feats.shape[0]:
            raise ValueError(f"torchsparse conv3d: the kernel map cached under {key} was built for "
                             f"{kmap['sizes'][0]} input rows, this input has {feats.shape[0]}")
        output = SparseTensor(coords=kmap["coords"], feats=_engine.apply(feats, weight, kmap, bias),
                              stride=tuple(input.stride[k] * stride[k] for k in range(3)),
                              spatial_range=kmap["spatial_range"])
    else:
        tensor_stride = tuple(input.stride[k] // stride[k] for k in range(3))
        key = (tensor_stride, kernel_size, stride, dilation)
        kmap = caches.kmaps.get(key)
        if kmap is None:
            raise ValueError(f"torchsparse conv3d (transposed): no kernel map cached under {key}; a transposed "
                             f"conv reuses the map of the conv with the same kernel_size and stride that produced "
                             f"this tensor stride {input.stride} from {tensor_stride} (cached: {sorted(map(str, caches.kmaps))})")
        if kmap["sizes"][1] != feats.shape[0]:
            raise ValueError(f"torchsparse conv3d (transposed): the map cached under {key} has {kmap['sizes'][1]} "
                             f"output rows, this input has {feats.shape[0]}")
        if tensor_stride not in caches.cmaps:
            raise ValueError(f"torchsparse conv3d (transposed): no coordinates cached for tensor stride "
                             f"{tensor_stride} (_caches.cmaps)")
        out_coords, out_range = caches.cmaps[tensor_stride]
        output = SparseTensor(coords=out_coords, feats=_engine.apply(feats, weight, _engine.transposed(kmap), bias),
                              stride=tensor_stride, spatial_range=out_range)
    output._caches = caches
    output._caches.cmaps.setdefault(output.stride, (output.coords, output.spatial_range))
    return output
