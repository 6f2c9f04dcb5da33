"""`ascend-kit env`: devices, versions and which kernel backends are built."""
import json
import platform


def collect():
    import torch
    import ascend_ops
    from ascend_ops import _ext, device
    info = {
        "ascend_kit": ascend_ops.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "devices": device.available_device_types(),
        "default_device": device.default_device_type(),
        "kernel_backends": {k: {"built": ok, "reason": why} for k, (ok, why) in _ext.status().items()},
        "cpu_build": _ext.build_info(),
        "build_report": _ext.build_report(),
    }
    from ascend_ops import compat
    info["compat_served"] = {name: st["state"] + (" (active)" if st["active"] else "")
                             for name, st in compat.status().items()}
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name()
    if device.npu_available():
        import torch_npu
        info["torch_npu"] = torch_npu.__version__
        info["npu_device"] = device.device_name("npu")
    return info


def run(args):
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for key, value in info.items():
        if key == "kernel_backends":
            for name, st in value.items():
                print(f"kernels[{name}]: {'built' if st['built'] else 'not built - ' + st['reason']}")
        elif key == "compat_served":
            for name, state in value.items():
                print(f"compat[{name}]: {state}")
        elif key == "build_report":
            if not value:
                print("build: no build report (ascend_ops/_build_report.json; build with pip install or setup.py)")
            for name, st in value.get("backends", {}).items():
                state = "built" if st["built"] else "skipped"
                print(f"build[{name}]: {state} - {st['detail']} (torch {value.get('torch')}, {value.get('time')})")
        else:
            print(f"{key}: {value}")
    return 0


def register(sub):
    p = sub.add_parser("env", help="devices, versions and built kernel backends")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)
