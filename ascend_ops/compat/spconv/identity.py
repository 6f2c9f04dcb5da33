"""spconv's Identity (1.x spconv/identity.py, 2.x spconv/pytorch/identity.py): returns its input."""
from torch.nn import Module


class Identity(Module):
    def forward(self, input):
        return input

    def input_spatial_size(self, out_size):
        return out_size


__all__ = ["Identity"]
