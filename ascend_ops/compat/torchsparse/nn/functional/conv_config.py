"""torchsparse.nn.functional.conv_config (torchsparse 2.1, nn/functional/conv/conv_config.py:7-94):
the CUDA dataflow configuration. Accepted, stored and returned; it does not change the kit's
results (one algorithm, gather-GEMM-scatter)."""
from enum import Enum

__all__ = ["Dataflow", "get_default_conv_config", "get_global_conv_config", "set_global_conv_config",
           "clear_global_conv_config"]


class Dataflow(Enum):
    ImplicitGEMM = 0
    GatherScatter = 1
    FetchOnDemand = 2
    CodedCSR = 3


class _AttributeDict(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __setattr__(self, name, value):
        self[name] = value


_global_conv_config = None


def get_default_conv_config(conv_mode=None, training: bool = False):
    return _AttributeDict(dataflow=Dataflow.ImplicitGEMM, ifsort=False, kmap_mode="hashmap_on_the_fly",
                          downsample_mode="spconv", split_mask_num=1, split_mask_num_bwd=3, epsilon=0.0,
                          mm_thresh=0, FOD_fusion=True)


def get_global_conv_config():
    return _global_conv_config


def set_global_conv_config(conv_config):
    global _global_conv_config
    _global_conv_config = conv_config


def clear_global_conv_config():
    global _global_conv_config
    _global_conv_config = None
