"""Writes msopgen's IR JSON for every Ascend C op of a kernels tree, from the OpDefs themselves.

    python -m ascend_ops.ascendc_sim.export_ir <kernels dir> -o ops.json [--list]

Discovery: every `<kernels dir>/*/op_host/*.cpp` that registers an OpDef (`OP_ADD(`) is compiled
with the harness headers (host library only: no kernel, no CANN) and each registered OpType is
described: inputs / outputs (name, param type, dtype and format per combination) and attributes
(name, type, required / optional with default). Those become msopgen's IR entries:

    {"op": "MsmvSampling", "language": "cpp",
     "input_desc":  [{"name": ..., "param_type": "required|optional|dynamic",
                      "format": ["ND", ...], "type": ["float", "float16", ...]}, ...],
     "output_desc": [...same fields...],
     "attr": [{"name": ..., "param_type": "required|optional", "type": "int|float|bool|str|listInt|listFloat",
               "default_value": ...}]}          # default_value only when the OpDef gives one

(field names as in CANN's msopgen documentation, "原型定义文件" / op prototype JSON, e.g. the
ReduceMaxCustom example of the msOpGen user guide). The kernels/CMakeLists.txt NPU build calls this
at configure time, so the IR never has to be written by hand. `--list` prints "<OpType> <op dir>
<host source>" per op instead (what kernels/build_ascendc.sh --dry-run shows).
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from .build import KERNELS_ROOT, build_library, load_library
from .runner import AscendCSimError

# ge::DataType (harness host_types.h, same values as CANN's) -> msopgen IR type name.
GE_DTYPE_NAMES = {0: "float", 1: "float16", 2: "int8", 3: "int32", 4: "uint8", 6: "int16", 7: "uint16",
                  8: "uint32", 9: "int64", 10: "uint64", 11: "double", 12: "bool", 27: "bfloat16"}
# ge::Format -> IR format name.
GE_FORMAT_NAMES = {0: "NCHW", 1: "NHWC", 2: "ND", 3: "NC1HWC0", 4: "FRACTAL_Z", 27: "NDHWC", 29: "FRACTAL_NZ",
                   30: "NCDHW"}
# ops::Option of an input / output -> IR param_type.
PARAM_TYPES = {1: "optional", 2: "required", 3: "dynamic"}
# Harness attr kind (OpAttrDef: Int, Float, Bool, String, ListInt, ListFloat) -> IR attr type.
ATTR_TYPES = {1: "int", 2: "float", 3: "bool", 4: "str", 5: "listInt", 6: "listFloat"}


class ExportError(RuntimeError):
    """An OpDef cannot be expressed as msopgen IR (unknown dtype, inconsistent combinations, ...)."""


@dataclass(frozen=True)
class HostSource:
    """One op_host source that registers OpDefs: its op folder and file."""

    op_dir: Path
    source: Path


def discover(kernels_dir: str | Path) -> list[HostSource]:
    """Every `<kernels_dir>/*/op_host/*.cpp` containing `OP_ADD(` (sorted by path)."""
    root = Path(kernels_dir).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"kernels dir not found: {root}")
    found = []
    for src in sorted(root.glob("*/op_host/*.cpp")):
        if "OP_ADD(" in src.read_text(errors="replace"):
            found.append(HostSource(src.parent.parent, src))
    return found


def _host_library(hs: HostSource):
    # Same tag and include dirs as runner.run_op, so the cached host library is shared with it.
    include = [KERNELS_ROOT, hs.op_dir / "op_host", hs.op_dir / "op_kernel"]
    return load_library(build_library({}, [hs.source], include, tag=f"{hs.source.stem}__host", runtime="host"),
                        "host")


def describe_source(hs: HostSource) -> dict[str, dict]:
    """OpType -> the harness description (asim_describe) of every OpDef the source registers."""
    lib = _host_library(hs)
    out = {}
    for op_type in json.loads(lib.asim_list_ops().decode()):
        desc = json.loads(lib.asim_describe(op_type.encode()).decode())
        if not desc["ok"]:
            raise AscendCSimError(desc["error"], "host", hs.source.stem)
        out[op_type] = desc
    return out


def _float32_text(v: float) -> float | int:
    """The shortest decimal that reads back as the same float32 (the OpDef stores float)."""
    want = struct.pack("<f", v)
    for digits in range(1, 10):
        x = float(f"{v:.{digits}g}")
        if struct.pack("<f", x) == want:
            return x
    return v


def _param_ir(op_type: str, p: dict, where: str) -> dict:
    try:
        types = [GE_DTYPE_NAMES[d] for d in p["dtypes"]]
    except KeyError as e:
        raise ExportError(f"{op_type}: {where} {p['name']!r} has a dtype (ge::DataType {e.args[0]}) with no IR name")
    if not types:
        raise ExportError(f"{op_type}: {where} {p['name']!r} declares no DataType")
    formats = [GE_FORMAT_NAMES.get(f) for f in p["formats"]] or ["ND"] * len(types)
    if None in formats:
        raise ExportError(f"{op_type}: {where} {p['name']!r} has a format with no IR name: {p['formats']}")
    if len(formats) == 1 and len(types) > 1:
        formats = formats * len(types)
    if len(formats) != len(types):
        raise ExportError(f"{op_type}: {where} {p['name']!r} has {len(types)} dtypes but {len(formats)} formats")
    if p["param_type"] not in PARAM_TYPES:
        raise ExportError(f"{op_type}: {where} {p['name']!r} has param type {p['param_type']} (not in IR)")
    return {"name": p["name"], "param_type": PARAM_TYPES[p["param_type"]], "format": formats, "type": types}


def _attr_ir(op_type: str, a: dict) -> dict:
    if a["kind"] not in ATTR_TYPES:
        raise ExportError(f"{op_type}: attr {a['name']!r} has no value type (call .Int() / .Float() / ... on it)")
    kind = ATTR_TYPES[a["kind"]]
    entry = {"name": a["name"], "param_type": "required" if a["required"] else "optional", "type": kind}
    d = a["default"]
    if d is not None:
        if kind == "float":
            d = _float32_text(float(d))
        elif kind == "listFloat":
            d = [_float32_text(float(x)) for x in d]
        elif kind == "bool":
            d = "true" if d else "false"   # as C++ spells it: msopgen writes it into the generated OpDef
        entry["default_value"] = d
    elif not a["required"]:
        raise ExportError(f"{op_type}: optional attr {a['name']!r} has no default value")
    return entry


def op_ir(op_type: str, desc: dict) -> dict:
    """One msopgen IR entry from a harness OpDef description."""
    ins = [_param_ir(op_type, p, "input") for p in desc["inputs"]]
    outs = [_param_ir(op_type, p, "output") for p in desc["outputs"]]
    if not outs:
        raise ExportError(f"{op_type}: the OpDef declares no output")
    counts = {len(p["type"]) for p in ins + outs}
    if len(counts) > 1:
        sizes = ", ".join(f"{p['name']}: {len(p['type'])}" for p in ins + outs)
        raise ExportError(f"{op_type}: inputs/outputs list different numbers of dtype combinations ({sizes})")
    entry = {"op": op_type, "language": "cpp", "input_desc": ins, "output_desc": outs}
    attrs = [_attr_ir(op_type, a) for a in desc["attrs"]]
    if attrs:
        entry["attr"] = attrs
    return entry


def export(kernels_dir: str | Path) -> tuple[list[dict], dict[str, HostSource]]:
    """(IR entries sorted by OpType, OpType -> the source defining it). An OpType defined twice is an error."""
    where: dict[str, HostSource] = {}
    entries = {}
    for hs in discover(kernels_dir):
        for op_type, desc in describe_source(hs).items():
            if op_type in where:
                raise ExportError(f"OpType {op_type} is registered by both {where[op_type].source} and {hs.source}")
            where[op_type] = hs
            entries[op_type] = op_ir(op_type, desc)
    return [entries[k] for k in sorted(entries)], where


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ascend_ops.ascendc_sim.export_ir", description=__doc__.split("\n")[0])
    ap.add_argument("kernels_dir", help="folder whose */op_host/*.cpp hold the OpDefs (the kit's kernels/)")
    ap.add_argument("-o", "--output", help="IR JSON file to write (default: stdout)")
    ap.add_argument("--list", action="store_true", help="print '<OpType> <op dir> <host source>' lines only")
    args = ap.parse_args(argv)
    try:
        entries, where = export(args.kernels_dir)
    except (ExportError, AscendCSimError, FileNotFoundError) as e:
        print(f"export_ir: {e}", file=sys.stderr)
        return 1
    if not entries:
        print(f"export_ir: no op_host/*.cpp with OP_ADD under {args.kernels_dir}/*/", file=sys.stderr)
        return 1
    if args.list:
        for e in entries:
            hs = where[e["op"]]
            print(f"{e['op']} {hs.op_dir} {hs.source}")
        return 0
    text = json.dumps(entries, indent=2) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
