"""Compiles an op's op_host + op_kernel sources with the harness headers into a shared library.

Libraries are cached by content hash under $ASCEND_KIT_CACHE/ascendc (ascend_ops/cache.py; override
with the environment variable ASCEND_KIT_ASCENDC_CACHE). A cache entry also records every header the
compiler read (-MMD) with its hash, so editing an included header triggers a rebuild.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

# The harness headers live in the source tree (kernels/ascendc_sim/include); an installed (non
# editable) package finds them through ASCEND_KIT_SOURCE_ROOT.
REPO_ROOT = Path(os.environ.get("ASCEND_KIT_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
HARNESS_INCLUDE = REPO_ROOT / "kernels" / "ascendc_sim" / "include"
KERNELS_ROOT = REPO_ROOT / "kernels"
# Hidden visibility: every library keeps its own harness state and OpDef registry (static locals of
# inline functions would otherwise be STB_GNU_UNIQUE and shared by all loaded libraries).
CXX_FLAGS = ["-std=c++17", "-O1", "-g", "-fPIC", "-shared", "-w", "-fvisibility=hidden",
             "-fvisibility-inlines-hidden"]
BUILD_VERSION = "4"  # bump when the build recipe changes (invalidates every cache entry)

_loaded: dict[str, ctypes.CDLL] = {}
_lock = threading.Lock()


class AscendCSimBuildError(RuntimeError):
    """The op sources did not compile against the harness headers."""


def cache_dir() -> Path:
    from ..cache import cache_path
    return cache_path("ascendc", env="ASCEND_KIT_ASCENDC_CACHE")


def _file_hash(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _deps_valid(entry: Path) -> bool:
    deps = entry / "deps.txt"
    if not (entry / "lib.so").exists() or not deps.exists():
        return False
    for line in deps.read_text().splitlines():
        h, _, path = line.partition(" ")
        p = Path(path)
        if not p.exists() or _file_hash(p) != h:
            return False
    return True


def _parse_depfiles(tmp: Path) -> list[Path]:
    out: set[Path] = set()
    for d in tmp.glob("*.d"):
        text = d.read_text().replace("\\\n", " ")
        for tok in text.split(":", 1)[-1].split():
            p = Path(tok)
            if not p.is_absolute():
                p = (tmp / p).resolve()
            if p.exists() and tmp not in p.parents:
                out.add(p.resolve())
    return sorted(out)


def _harness_hash() -> str:
    h = hashlib.sha256()
    for inc in sorted(HARNESS_INCLUDE.rglob("*.h")):
        h.update(str(inc).encode() + b"\0" + inc.read_bytes())
    h.update(" ".join(CXX_FLAGS).encode() + BUILD_VERSION.encode())
    return h.hexdigest()[:24]


_RUNTIME_SOURCES = {
    "asim_host_runtime.cpp": '#include "ascendc_sim/runtime_host.h"\n',
    "asim_kernel_runtime.cpp": '#include "ascendc_sim/runtime_kernel.h"\n',
}


def _nice(cmd: list[str]) -> list[str]:
    return ["nice", "-n", "10", *cmd] if shutil.which("nice") else cmd


def runtime_objects() -> dict[str, Path]:
    """Op-independent parts (tiling/launch C ABI), compiled once per harness version:
    {"host": runtime of host libraries, "kernel": runtime of kernel libraries}."""
    entry = cache_dir() / f"runtime-{_harness_hash()}"
    objs = {"host": entry / "asim_host_runtime.o", "kernel": entry / "asim_kernel_runtime.o"}
    if all(o.exists() for o in objs.values()):
        return objs
    cache_dir().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=entry.name + ".", dir=cache_dir()))
    try:
        for name, text in _RUNTIME_SOURCES.items():
            (tmp / name).write_text(text)
            flags = [f for f in CXX_FLAGS if f != "-shared"]
            cmd = _nice(["g++", *flags, f"-I{HARNESS_INCLUDE}", "-c", name, "-o", Path(name).stem + ".o"])
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            if proc.returncode != 0:
                raise AscendCSimBuildError(f"compiling the harness runtime failed:\n{proc.stderr[-6000:]}")
        try:
            os.replace(tmp, entry)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
        _prune("runtime", keep=2)
        return objs
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _prune(prefix: str, keep: int = 3) -> None:
    """Keeps the `keep` most recently built cache entries named `<prefix>-<hash>`."""
    entries = [p for p in cache_dir().glob(f"{prefix}-*") if p.is_dir() and "." not in p.name
               and p.name[len(prefix) + 1:].isalnum()]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for p in entries[keep:]:
        shutil.rmtree(p, ignore_errors=True)
    if "__" in prefix:  # single-library entries of BUILD_VERSION < 3
        base = prefix.split("__")[0]
        for p in cache_dir().glob(f"{base}-*"):
            if p.is_dir() and p.name[len(base) + 1:].isalnum():
                shutil.rmtree(p, ignore_errors=True)


def build_library(sources: dict[str, str], extra_files: list[Path], include_dirs: list[Path],
                  tag: str, runtime: str, hash_files: list[Path] = ()) -> Path:
    """Builds (or reuses) a library from generated `sources` (file name -> text) plus `extra_files`
    (e.g. op_host .cpp), each compiled as its own translation unit, linked with the harness runtime
    `runtime` ("host": describe/tiling ABI, "kernel": launch ABI). `hash_files` (e.g. the kernel
    source the entry includes) enter the cache key directly. Returns the .so path."""
    if not (HARNESS_INCLUDE / "kernel_operator.h").exists():
        raise AscendCSimBuildError(f"harness headers not found under {HARNESS_INCLUDE}; set ASCEND_KIT_SOURCE_ROOT "
                                   "to the ascend-kit source checkout")
    if runtime not in ("host", "kernel"):
        raise ValueError(f"runtime: expected 'host' or 'kernel', got {runtime!r}")
    h = hashlib.sha256(runtime.encode())
    for f in hash_files:
        h.update(str(f).encode() + b"\0" + Path(f).read_bytes() + b"\0")
    for name in sorted(sources):
        h.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    for f in extra_files:
        h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(_harness_hash().encode())
    h.update(" ".join(str(d) for d in include_dirs).encode())
    key = f"{tag}-{h.hexdigest()[:24]}"
    entry = cache_dir() / key
    if _deps_valid(entry):
        return entry / "lib.so"
    objs = [runtime_objects()[runtime]]
    tmp = Path(tempfile.mkdtemp(prefix=key + ".", dir=cache_dir()))
    try:
        srcs = []
        for name, text in sources.items():
            (tmp / name).write_text(text)
            srcs.append(tmp / name)
        srcs += list(extra_files)
        # One compiler call per translation unit so that each writes its own dependency file.
        flags = [f for f in CXX_FLAGS if f != "-shared"]
        incs = [f"-I{HARNESS_INCLUDE}", *[f"-I{d}" for d in include_dirs]]
        tu_objs = []
        for i, src in enumerate(srcs):
            obj = tmp / f"tu{i}.o"
            cmd = _nice(["g++", *flags, "-MMD", "-MF", str(tmp / f"tu{i}.d"), *incs, "-c", str(src), "-o", str(obj)])
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            if proc.returncode != 0:
                raise AscendCSimBuildError(
                    f"compiling {src.name} ({tag}) against the Ascend C harness failed:\n{proc.stderr[-6000:]}")
            tu_objs.append(str(obj))
        cmd = _nice(["g++", *CXX_FLAGS, "-o", str(tmp / "lib.so"), *tu_objs, *[str(o) for o in objs]])
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:
            raise AscendCSimBuildError(f"linking {tag} failed:\n{proc.stderr[-6000:]}")
        deps = _parse_depfiles(tmp)
        (tmp / "deps.txt").write_text("".join(f"{_file_hash(p)} {p}\n" for p in deps))
        for d in [*tmp.glob("*.d"), *tmp.glob("tu*.o")]:
            d.unlink()
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        try:
            os.replace(tmp, entry)
        except OSError:  # another process won the race; use its copy
            shutil.rmtree(tmp, ignore_errors=True)
        _prune(tag, keep=4)
        return entry / "lib.so"
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_library(path: Path, runtime: str) -> ctypes.CDLL:
    """Loads a built library once per process and declares its C ABI (see build_library)."""
    key = str(path)
    with _lock:
        lib = _loaded.get(key)
        if lib is None:
            lib = ctypes.CDLL(key, mode=os.RTLD_LOCAL | os.RTLD_NOW)
            if runtime == "host":
                lib.asim_describe.restype = ctypes.c_char_p
                lib.asim_describe.argtypes = [ctypes.c_char_p]
                lib.asim_tiling.restype = ctypes.c_char_p
                lib.asim_tiling.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
                lib.asim_list_ops.restype = ctypes.c_char_p
                lib.asim_list_ops.argtypes = []
            else:
                lib.asim_launch.restype = ctypes.c_char_p
                lib.asim_launch.argtypes = [ctypes.c_char_p]
            _loaded[key] = lib
        return lib
