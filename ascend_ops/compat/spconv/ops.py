"""spconv 1.x `spconv.ops` names that model code touches: ConvAlgo and the output-size helpers
(v1.2.1 spconv/ops.py:22-52). The pair-building and GEMM ops are the kit engine's."""
from ._conv import ConvAlgo, get_conv_output_size, get_deconv_output_size

__all__ = ["ConvAlgo", "get_conv_output_size", "get_deconv_output_size"]
