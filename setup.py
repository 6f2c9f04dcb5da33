"""Build the kit's native kernels.

Backends are built when their toolchain is present and skipped with one line otherwise:
  cpu  - always (needs a C++ compiler): ascend_ops._C
  cuda - a CUDA build of torch and nvcc (or FORCE_CUDA=1): ascend_ops._C_cuda
  npu  - torch_npu importable and a CANN toolkit (ASCEND_HOME_PATH): ascend_ops._C_npu
Set ASCEND_OPS_BACKENDS=cpu,cuda,npu to choose explicitly (a chosen backend that cannot be
built is an error, not a skip).
"""
import glob
import os
import shutil
import sys

from setuptools import setup

ROOT = os.path.dirname(os.path.abspath(__file__))


REPORT = os.path.join(ROOT, "ascend_ops", "_build_report.json")
_report = {}


def _say(msg):
    print(f"[ascend-kit build] {msg}", file=sys.stderr)


def _record(backend, built, detail):
    """Remember what the build did for `backend`; pip hides setup.py's output unless -v, so the
    record is written into the package (ascend_ops/_build_report.json) and `ascend-kit env`
    prints it."""
    _report[backend] = {"built": built, "detail": detail}
    _say(f"{backend}: {'building ' if built else 'skipped ('}{detail}{'' if built else ')'}")


def _write_report(torch_version):
    import json
    import time
    body = {"torch": torch_version, "python": sys.version.split()[0],
            "requested": os.environ.get("ASCEND_OPS_BACKENDS") or "auto",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "backends": _report}
    tmp = REPORT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(body, f, indent=2)
    os.replace(tmp, REPORT)


def _sources(pattern):
    return sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "kernels", "*", pattern)))


def _cuda_available(torch):
    if os.environ.get("FORCE_CUDA") == "1":
        return True, ""
    if torch.version.cuda is None:
        return False, f"torch {torch.__version__} is not a CUDA build"
    from torch.utils.cpp_extension import CUDA_HOME
    if CUDA_HOME is None:
        return False, "no CUDA toolkit (CUDA_HOME/nvcc) found"
    return True, ""


def _npu_available():
    home = os.environ.get("ASCEND_HOME_PATH") or os.environ.get("ASCEND_TOOLKIT_HOME")
    if not home:
        return False, "ASCEND_HOME_PATH is not set (source CANN's set_env.sh)", None
    try:
        import torch_npu  # noqa: F401
    except Exception as e:  # torch_npu raises various errors without CANN
        return False, f"torch_npu is not importable ({type(e).__name__}: {e})", None
    return True, "", home


def _extensions():
    try:
        import torch
        from torch.utils import cpp_extension as ce
    except ImportError:
        for backend in ("cpu", "cuda", "npu"):
            _record(backend, False, "torch is not installed: install torch first, then "
                                    "`pip install --no-build-isolation -e .`")
        _write_report(None)
        return [], {}
    wanted = os.environ.get("ASCEND_OPS_BACKENDS")
    wanted = set(wanted.split(",")) if wanted else None
    include = [os.path.join(ROOT, "kernels")]
    cxx = ["-O3", "-std=c++17"]
    omp_compile, omp_link = (["-fopenmp"], ["-fopenmp"]) if sys.platform.startswith("linux") else ([], [])
    exts = []

    if wanted is None or "cpu" in wanted:
        exts.append(ce.CppExtension(
            "ascend_ops._C",
            ["kernels/common/module.cpp"] + _sources("*_cpu.cpp"),
            include_dirs=include,
            extra_compile_args={"cxx": cxx + omp_compile},
            extra_link_args=omp_link,
        ))
        _record("cpu", True, "ascend_ops._C")
    else:
        _record("cpu", False, f"not in ASCEND_OPS_BACKENDS={os.environ.get('ASCEND_OPS_BACKENDS')}")

    ok, why = _cuda_available(torch)
    if wanted is not None and "cuda" in wanted and not ok:
        raise RuntimeError(f"ASCEND_OPS_BACKENDS asks for cuda but {why}")
    if ok and (wanted is None or "cuda" in wanted):
        exts.append(ce.CUDAExtension(
            "ascend_ops._C_cuda",
            ["kernels/common/module_cuda.cpp"] + _sources("*_cuda.cu") + _sources("*_cuda_binding.cpp"),
            include_dirs=include,
            extra_compile_args={"cxx": cxx, "nvcc": ["-O3", "--use_fast_math", "-lineinfo"]},
        ))
        _record("cuda", True, "ascend_ops._C_cuda")
    else:
        _record("cuda", False, why or f"not in ASCEND_OPS_BACKENDS={os.environ.get('ASCEND_OPS_BACKENDS')}")

    ok, why, home = _npu_available()
    if wanted is not None and "npu" in wanted and not ok:
        raise RuntimeError(f"ASCEND_OPS_BACKENDS asks for npu but {why}")
    if ok and (wanted is None or "npu" in wanted):
        import torch_npu
        npu_root = os.path.dirname(torch_npu.__file__)
        exts.append(ce.CppExtension(
            "ascend_ops._C_npu",
            ["kernels/common/module_npu.cpp"] + _sources("*_npu.cpp"),
            include_dirs=include + [os.path.join(npu_root, "include"),
                                    os.path.join(home, "include"),
                                    os.path.join(home, "include", "aclnn")],
            library_dirs=[os.path.join(npu_root, "lib"), os.path.join(home, "lib64")],
            libraries=["torch_npu", "ascendcl", "dl"],
            extra_compile_args={"cxx": cxx},
        ))
        _record("npu", True, "ascend_ops._C_npu (the Ascend C kernels themselves are built with "
                             "kernels/build_ascendc.sh into a custom OPP package)")
    else:
        _record("npu", False, why or f"not in ASCEND_OPS_BACKENDS={os.environ.get('ASCEND_OPS_BACKENDS')}")
    _write_report(torch.__version__)
    return exts, {"build_ext": ce.BuildExtension.with_options(use_ninja=shutil.which("ninja") is not None)}


ext_modules, cmdclass = _extensions()
setup(ext_modules=ext_modules, cmdclass=cmdclass)
