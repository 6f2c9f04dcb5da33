"""`spconv.pytorch.ops` names model code touches: ConvAlgo and the output-size helpers (spconv
2.3.8 spconv/pytorch/ops.py:73-96). `get_current_stream` returns 0 (no CUDA stream)."""
from .._conv import ConvAlgo, get_conv_output_size, get_deconv_output_size


def get_current_stream():
    return 0


__all__ = ["ConvAlgo", "get_conv_output_size", "get_deconv_output_size", "get_current_stream"]
