"""torchsparse.backends (torchsparse 2.1, torchsparse/backends.py:4-11): module-level settings.
Upstream's init() reads the CUDA device capability (and fails without CUDA); here the settings
exist with upstream's defaults for a capability-8.0 GPU and have no effect on the kit's engine."""

benchmark = False
device_capability = 800
allow_tf32 = True
allow_fp16 = True
hash_rsv_ratio = 2


def init():
    """Reset the settings to their defaults (no device query)."""
    global benchmark, allow_tf32, allow_fp16, device_capability, hash_rsv_ratio
    benchmark = False
    device_capability = 800
    allow_tf32 = True
    allow_fp16 = True
    hash_rsv_ratio = 2
