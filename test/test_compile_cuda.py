"""The CUDA kernels compile without a GPU: `nvcc -c` of every kernels/*/*_cuda.cu (sm_80 and
sm_90, with the flags torch's CUDAExtension adds) and `g++ -fsyntax-only` of every
kernels/*/*_cuda_binding.cpp against torch's and CUDA's headers. Numerical parity on a GPU is
tested in test_<op>.py by the tests marked `cuda`."""
import glob
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "kernels")
CU_FILES = sorted(glob.glob(os.path.join(KERNELS, "*", "*_cuda.cu")))
BINDINGS = sorted(glob.glob(os.path.join(KERNELS, "*", "*_cuda_binding.cpp")))
NVCC = shutil.which("nvcc") or (os.path.join(os.environ["CUDA_HOME"], "bin", "nvcc") if os.environ.get("CUDA_HOME") else None)
HOW = "install the CUDA toolkit (nvcc) or set CUDA_HOME to run the CUDA compile checks"


def _cuda_include():
    for home in (os.environ.get("CUDA_HOME"), os.path.dirname(os.path.dirname(NVCC)) if NVCC else None, "/usr/local/cuda"):
        if home and os.path.exists(os.path.join(home, "include", "cuda_runtime.h")):
            return os.path.join(home, "include")
    return None


def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"


def test_sources_found():
    names = [os.path.basename(p) for p in CU_FILES]
    assert "deformable_aggregation_cuda.cu" in names
    for cu in CU_FILES:
        assert cu.replace("_cuda.cu", "_cuda_binding.cpp") in BINDINGS, f"{cu} has no _cuda_binding.cpp"


@pytest.mark.parametrize("source", CU_FILES, ids=os.path.basename)
def test_nvcc_compiles_torch_free_kernel(source, tmp_path):
    if NVCC is None:
        pytest.skip(f"nvcc not found: {HOW}")
    with open(source) as f:
        text = f.read()
    assert "#include <torch" not in text and "#include <ATen" not in text and "#include <c10" not in text, \
        f"{source} must stay torch-free (raw pointers, sizes, cudaStream_t)"
    from torch.utils.cpp_extension import COMMON_NVCC_FLAGS
    out = str(tmp_path / "kernel.o")
    cmd = [NVCC, "-c", source, "-o", out, "-std=c++17", "-O3", "--use_fast_math", "-I", KERNELS,
           "-gencode", "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=sm_90"] + COMMON_NVCC_FLAGS
    _run(cmd)
    assert os.path.getsize(out) > 0


def test_bindings_syntax(tmp_path):
    """All bindings in one translation unit (torch's headers are parsed once); an error names
    the binding file it comes from."""
    if NVCC is None:
        pytest.skip(f"nvcc not found: {HOW}")
    cuda_inc = _cuda_include()
    if cuda_inc is None:
        pytest.skip(f"cuda_runtime.h not found: {HOW}")
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not found: install a C++ compiler")
    from torch.utils.cpp_extension import include_paths
    torch_inc = include_paths()
    cmd = [gxx, "-fsyntax-only", "-std=c++17", "-w", "-I", KERNELS, "-I", cuda_inc]
    for inc in torch_inc:
        cmd += ["-I", inc]
    # A CPU build of torch ships c10/cuda headers but not their generated config header.
    if not os.path.exists(os.path.join(torch_inc[0], "c10", "cuda", "impl", "cuda_cmake_macros.h")):
        cmd.append("-DC10_CUDA_NO_CMAKE_CONFIGURE_FILE")
    unity = tmp_path / "bindings.cpp"
    lines = []
    for source in BINDINGS:
        with open(source) as f:
            assert "ATen/cuda/CUDAContext.h" not in f.read(), f"{source}: use c10/cuda (CUDAGuard, getCurrentCUDAStream)"
        lines.append(f'#include "{source}"')
    # zeroed_buffers (common/cuda_binding.h) for other buffer counts than the bindings use
    lines.append(f'#include "{os.path.join(ROOT, "test", "cuda", "zeroed_buffers_probe.cpp")}"')
    unity.write_text("\n".join(lines) + "\n")
    _run(cmd + [str(unity)])
