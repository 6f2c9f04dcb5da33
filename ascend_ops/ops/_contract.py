"""The op contract: one declarative `OpSpec` per op; `register(spec)` makes the op from it.

An OpSpec says what the op takes (float tensors, index tensors, scalar attributes), what it
returns (float or integer outputs, static or data-dependent sizes - the fake kernel says which),
which inputs are differentiable, and whether its results are deterministic and ordered. From it
come:

- the `torch.ops.ascend_ops.<name>` schema and, with `backward="native"`, the
  `<name>_backward` schema (never written by hand; see `OpSpec.schema()`);
- the fake kernel registration (data-dependent sizes through
  `ascend_ops._library.new_dynamic_size()` in the op's fake, torch 2.1 to 2.13);
- autograd on the op itself (torch >= 2.4) or an autograd.Function (older torch);
- the public function: generic argument checks (types, ranks, dtype kinds, one device, each
  failure naming the argument), the op's own checks, then the native kernel of the inputs'
  device or the pure-PyTorch reference (`ascend_ops._dispatch.use_native`);
- `ascend-kit check` / `bench` and the generic test battery (test/test_op_contract.py), which
  read the spec together with the op's case module `ascend_ops/opcases/<name>.py`.

Backward op convention: `<name>_backward(grad of each float output, in order; every forward
input; the outputs named in backward_saves) -> one gradient per differentiable input` (a single
Tensor when there is one), each in its input's dtype. A float output whose gradient autograd
leaves undefined is passed as zeros.
"""
import functools
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import torch

from .. import _dispatch, _library
from . import _checks

FLOAT_DTYPES = _checks.FLOAT_DTYPES
_KINDS = ("float", "index", "mask")   # mask: any integer or bool dtype


@dataclass(frozen=True)
class TensorArg:
    """A tensor input. kind: "float" (float16/bfloat16/float32/float64), "index" (int32/int64)
    or "mask" (any integer or bool); rank: required number of dims (None: any); native_dtype:
    the integer dtype the native kernels take, when they take only one (int64 input is narrowed
    to it only after checking that every value fits)."""
    name: str
    kind: str = "float"
    rank: Optional[int] = None
    differentiable: bool = False
    native_dtype: Optional[torch.dtype] = None

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"TensorArg {self.name}: kind must be one of {_KINDS}, got {self.kind!r}")
        if self.differentiable and self.kind != "float":
            raise ValueError(f"TensorArg {self.name}: only float inputs can be differentiable")

    schema_type = "Tensor"


@dataclass(frozen=True)
class IntArg:
    """A Python int attribute (bool refused). `minimum`: smallest allowed value (None: any)."""
    name: str
    minimum: Optional[int] = None
    schema_type = "int"


@dataclass(frozen=True)
class IntListArg:
    """A list or tuple of Python ints. `length`: required length (None: any)."""
    name: str
    length: Optional[int] = None
    minimum: Optional[int] = None
    schema_type = "int[]"


@dataclass(frozen=True)
class FloatArg:
    """A Python float attribute (ints accepted); `finite`: refuse NaN and infinities."""
    name: str
    finite: bool = True
    schema_type = "float"


@dataclass(frozen=True)
class FloatListArg:
    """A list or tuple of Python floats (ints accepted). `length`: required length (None: any);
    `finite`: refuse NaN and infinities."""
    name: str
    length: Optional[int] = None
    finite: bool = True
    schema_type = "float[]"


@dataclass(frozen=True)
class BoolArg:
    name: str
    schema_type = "bool"


@dataclass(frozen=True)
class Output:
    """An output. kind: "float" (compared with the op's tolerance; gets a gradient) or "int"
    (compared exactly, never differentiable)."""
    name: str
    kind: str = "float"


@dataclass
class OpSpec:
    """Declarative description of one op (see the module docstring).

    check(*args)          op-specific validation after the generic one; raise naming the argument
    reference(*args)      pure-PyTorch ground truth (aten ops only, any device, differentiable)
    fake(*args)           outputs' shapes and dtypes for meta / FakeTensor inputs
    backward              "native" (a `<name>_backward` op with per-device kernels) or None
    backward_fake         fake of the backward op
    backward_saves        names of outputs appended to the backward op's inputs
    deterministic         True, False, or the device types ("cpu", "cuda", "npu") whose native
                          kernels give bitwise the same outputs run to run
    ordered               False: output rows may come in any order and are compared as sets
    float_dtypes          float dtypes the native kernels take (others are refused by the API)
    promote_floats        cast the float tensor inputs to their promoted dtype before the kernel
    """
    name: str
    inputs: Tuple
    outputs: Tuple[Output, ...]
    reference: Callable
    fake: Callable
    check: Optional[Callable] = None
    backward: Optional[str] = None
    backward_fake: Optional[Callable] = None
    backward_saves: Tuple[str, ...] = ()
    deterministic: object = True
    ordered: bool = True
    float_dtypes: Tuple[torch.dtype, ...] = FLOAT_DTYPES
    promote_floats: bool = True
    # set by register()
    forward_op: object = None
    backward_op: object = None
    function: object = None
    public: object = None

    # -- derived facts --------------------------------------------------------------------
    @property
    def differentiable(self):
        """Indices of the inputs that receive gradients."""
        return tuple(i for i, a in enumerate(self.inputs) if isinstance(a, TensorArg) and a.differentiable)

    def is_deterministic(self, device_type):
        """Whether the native kernels of `device_type` give bitwise-equal results run to run."""
        if isinstance(self.deterministic, bool):
            return self.deterministic
        return device_type in self.deterministic

    @property
    def float_outputs(self):
        return tuple(i for i, o in enumerate(self.outputs) if o.kind == "float")

    @property
    def tensor_inputs(self):
        return tuple(i for i, a in enumerate(self.inputs) if isinstance(a, TensorArg))

    def schema(self):
        """The forward schema, e.g. `sparse2bev(Tensor features, Tensor coors, int[] spatial_shape,
        int batch_size) -> (Tensor, Tensor)`."""
        args = ", ".join(f"{a.schema_type} {a.name}" for a in self.inputs)
        return f"{self.name}({args}) -> {_returns(len(self.outputs))}"

    def backward_schema(self):
        grads = [f"Tensor grad_{self.outputs[i].name}" for i in self.float_outputs]
        ins = [f"{a.schema_type} {a.name}" for a in self.inputs]
        saved = [f"Tensor {n}" for n in self.backward_saves]
        return f"{self.name}_backward({', '.join(grads + ins + saved)}) -> {_returns(len(self.differentiable))}"

    def validate(self, args):
        """Generic checks of every argument against its declaration; returns the device type."""
        if len(args) != len(self.inputs):
            names = ", ".join(a.name for a in self.inputs)
            raise TypeError(f"{self.name}: expected {len(self.inputs)} arguments ({names}), got {len(args)}")
        tensors = {}
        for decl, value in zip(self.inputs, args):
            _check_arg(self, decl, value)
            if isinstance(decl, TensorArg):
                tensors[decl.name] = value
        if tensors:
            return _checks.same_device(self.name, **tensors).type
        return "cpu"

    def prepare(self, args):
        """The arguments as the native kernels take them: contiguous tensors, float inputs in their
        promoted dtype (when promote_floats), lists as lists."""
        floats = [args[i] for i in self.tensor_inputs if self.inputs[i].kind == "float"]
        dtype = _checks.compute_dtype(*floats) if floats and self.promote_floats else None
        out = []
        for decl, value in zip(self.inputs, args):
            if isinstance(decl, TensorArg):
                if dtype is not None and decl.kind == "float":
                    value = value.to(dtype)
                elif decl.native_dtype is not None and value.dtype != decl.native_dtype:
                    value = _narrow(self.name, decl.name, value, decl.native_dtype)
                value = value.contiguous()
            elif isinstance(decl, IntListArg):
                value = [int(v) for v in value]
            elif isinstance(decl, FloatArg):
                value = float(value)
            elif isinstance(decl, FloatListArg):
                value = [float(v) for v in value]
            out.append(value)
        return tuple(out)


def _narrow(op, name, value, dtype):
    """`value` cast to the integer `dtype`, after checking (outside torch.compile tracing) that
    every value fits: never a silent wrap-around."""
    info = torch.iinfo(dtype)
    if value.numel() and not _dispatch.is_compiling() and value.device.type != "meta":
        lo, hi = int(value.min()), int(value.max())
        if lo < info.min or hi > info.max:
            raise ValueError(f"{op}: {name} holds values in [{lo}, {hi}], outside the {dtype} range the "
                             f"native kernel takes")
    return value.to(dtype)


def _returns(n):
    return "Tensor" if n == 1 else "(" + ", ".join(["Tensor"] * n) + ")"


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_arg(spec, decl, value):
    op, name = spec.name, decl.name
    if isinstance(decl, TensorArg):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(value).__name__}")
        if decl.rank is not None and value.dim() != decl.rank:
            raise ValueError(f"{op}: {name} must have {decl.rank} dims, got shape {tuple(value.shape)}")
        if decl.kind == "float" and value.dtype not in spec.float_dtypes:
            _checks.tensor(op, name, value, kind="float", allowed=spec.float_dtypes)
        elif decl.kind == "index":
            _checks.tensor(op, name, value, kind="index")
        elif decl.kind == "mask" and (value.dtype.is_floating_point or value.dtype.is_complex):
            raise TypeError(f"{op}: {name} must have an integer or bool dtype, got "
                            f"{str(value.dtype).replace('torch.', '')}")
    elif isinstance(decl, IntArg):
        if not _is_int(value):
            raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__}")
        if decl.minimum is not None and value < decl.minimum:
            raise ValueError(f"{op}: {name} must be >= {decl.minimum}, got {value}")
    elif isinstance(decl, IntListArg):
        if not isinstance(value, (list, tuple, torch.Size)) or not all(_is_int(v) for v in value):
            raise TypeError(f"{op}: {name} must be a list of ints, got {value!r}")
        if decl.length is not None and len(value) != decl.length:
            raise ValueError(f"{op}: {name} must have {decl.length} entries, got {len(value)}: {list(value)}")
        if decl.minimum is not None and any(v < decl.minimum for v in value):
            raise ValueError(f"{op}: every entry of {name} must be >= {decl.minimum}, got {list(value)}")
    elif isinstance(decl, FloatArg):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"{op}: {name} must be a float, got {type(value).__name__}")
        if decl.finite and not (float("-inf") < float(value) < float("inf")):
            raise ValueError(f"{op}: {name} must be finite, got {value}")
    elif isinstance(decl, FloatListArg):
        if not isinstance(value, (list, tuple)) or not all(_is_number(v) for v in value):
            raise TypeError(f"{op}: {name} must be a list of floats, got {value!r}")
        if decl.length is not None and len(value) != decl.length:
            raise ValueError(f"{op}: {name} must have {decl.length} entries, got {len(value)}: {list(value)}")
        if decl.finite and not all(float("-inf") < float(v) < float("inf") for v in value):
            raise ValueError(f"{op}: every entry of {name} must be finite, got {list(value)}")
    elif isinstance(decl, BoolArg):
        if not isinstance(value, bool):
            raise TypeError(f"{op}: {name} must be a bool, got {type(value).__name__}")


# -- registration ------------------------------------------------------------------------------
_SPECS = {}


def specs():
    """Every registered OpSpec, by name."""
    return dict(_SPECS)


def get(name):
    """The OpSpec of one op."""
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"no op {name!r} is registered; known: {sorted(_SPECS)}") from None


def _checked_fake(spec, fake, backward=False):
    """The fake kernel `fake`, preceded by the checks a dispatcher call with meta / fake tensors
    gets (the native kernels check for themselves): one device for every tensor argument, then
    the forward inputs checked as the public function checks them, value checks skipped
    (`_dispatch.in_fake_kernel`). backward: `fake` is the backward op's (its arguments are the
    output gradients, the forward inputs, then the saved outputs)."""
    n = len(spec.inputs)
    grads = [f"grad_{spec.outputs[i].name}" for i in spec.float_outputs] if backward else []
    names = grads + [a.name for a in spec.inputs] + (list(spec.backward_saves) if backward else [])
    first = len(grads)

    @functools.wraps(fake)
    def run(*args):
        tensors = {names[i] if i < len(names) else f"argument {i}": a
                   for i, a in enumerate(args) if isinstance(a, torch.Tensor)}
        if len({t.device for t in tensors.values()}) > 1:
            _checks.same_device(spec.name, **tensors)
        inputs = args[first:first + n]
        floats = {d.name: v for d, v in zip(spec.inputs, inputs)
                  if isinstance(d, TensorArg) and d.kind == "float" and isinstance(v, torch.Tensor)}
        if spec.promote_floats and len({v.dtype for v in floats.values()}) > 1:
            listing = ", ".join(f"{k} {str(v.dtype).replace('torch.', '')}" for k, v in floats.items())
            raise RuntimeError(f"{spec.name}: the native op takes float inputs of one dtype (the public "
                               f"function promotes them), got {listing}")
        _dispatch._fake_depth += 1
        try:
            for decl, value in zip(spec.inputs, inputs):
                if isinstance(decl, TensorArg):
                    _check_arg(spec, decl, value)
            if spec.check is not None:
                spec.check(*inputs)
        finally:
            _dispatch._fake_depth -= 1
        return fake(*args)

    return run


def _refuse_double_backward(spec):
    """Second-order gradients are not implemented: differentiating `<name>_backward` raises a
    RuntimeError naming the op (never zeros). torch >= 2.4: autograd registered on the backward
    op; older torch: `_DoubleBackwardRefused` wraps the backward's results under create_graph."""
    def setup_context(ctx, inputs, output):
        pass

    def backward(ctx, *grads):
        raise RuntimeError(_double_backward_message(spec.name))

    _library.register_autograd(spec.name + "_backward", backward, setup_context)


def _double_backward_message(name):
    return (f"{name}: second-order gradients (differentiating its backward, e.g. autograd.grad with "
            f"create_graph=True then a second grad) are not implemented")


class _DoubleBackwardRefused(torch.autograd.Function):
    """Identity on the backward's first `n` results, connected to the tensors after them (the
    inputs and output gradients that require grad), whose own backward raises (torch < 2.4)."""

    @staticmethod
    def forward(ctx, name, n, *tensors):
        ctx.name = name
        return tuple(t.view_as(t) for t in tensors[:n])

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(_double_backward_message(ctx.name))


def _make_autograd(spec):
    tensor_in = spec.tensor_inputs
    saved_out = tuple(next(i for i, o in enumerate(spec.outputs) if o.name == n) for n in spec.backward_saves)
    single = len(spec.outputs) == 1

    def setup_context(ctx, inputs, output):
        outputs = (output,) if single else tuple(output)
        ctx.save_for_backward(*(inputs[i] for i in tensor_in), *(outputs[i] for i in saved_out))
        ctx.attrs = tuple(None if i in tensor_in else inputs[i] for i in range(len(inputs)))
        # integer outputs need no mark_non_differentiable (autograd never differentiates them,
        # and dynamo 2.1 cannot trace the call); their incoming gradients are ignored below
        ctx.float_out = tuple((outputs[i].shape, outputs[i].dtype, outputs[i].device) for i in spec.float_outputs)

    def backward(ctx, *grads):
        saved = ctx.saved_tensors
        inputs = list(ctx.attrs)
        for k, i in enumerate(tensor_in):
            inputs[i] = saved[k]
        outs = saved[len(tensor_in):]
        float_grads = []
        for k, i in enumerate(spec.float_outputs):
            g = grads[i]
            shape, dtype, device = ctx.float_out[k]
            float_grads.append(torch.zeros(shape, dtype=dtype, device=device) if g is None else g.contiguous())
        result = spec.backward_op(*float_grads, *inputs, *outs)
        result = (result,) if isinstance(result, torch.Tensor) else tuple(result)
        # create_graph=True on torch < 2.4 (not while dynamo speculates this backward: it cannot
        # read requires_grad there, and compiled backwards are never differentiated again)
        if not _library.HAS_REGISTER_AUTOGRAD and not _dispatch.is_compiling() and torch.is_grad_enabled():
            needs = [t for t in (*float_grads, *saved) if t.requires_grad]
            if needs:
                result = _DoubleBackwardRefused.apply(spec.name, len(result), *result, *needs)
        full = [None] * len(spec.inputs)
        for i, g in zip(spec.differentiable, result):
            full[i] = g
        return tuple(full)

    return setup_context, backward


def register(spec):
    """Define the op(s) of `spec`, register fake kernels and autograd, and return the public
    function `fn(*args)`: generic checks, `spec.check`, then native kernel or reference."""
    if spec.name in _SPECS:
        raise ValueError(f"op {spec.name!r} is registered twice")
    if spec.backward not in (None, "native"):
        raise ValueError(f"{spec.name}: backward must be 'native' or None, got {spec.backward!r}")
    if spec.backward and not spec.differentiable:
        raise ValueError(f"{spec.name}: backward='native' but no input is differentiable")
    spec.forward_op = _library.define(spec.schema())
    _library.register_fake(spec.name, _checked_fake(spec, spec.fake))
    if spec.backward == "native":
        spec.backward_op = _library.define(spec.backward_schema())
        _library.register_fake(spec.name + "_backward",
                               _checked_fake(spec, spec.backward_fake, backward=True))
        _refuse_double_backward(spec)
        setup_context, backward = _make_autograd(spec)
        if not _library.register_autograd(spec.name, backward, setup_context):
            spec.function = _library.autograd_function(
                "".join(p.title() for p in spec.name.split("_")) + "Function", spec.forward_op, backward,
                setup_context)
    _SPECS[spec.name] = spec

    def fn(*args):
        device_type = spec.validate(args)
        if spec.check is not None:
            spec.check(*args)
        if not _dispatch.use_native(spec.name, device_type):
            return spec.reference(*args)
        prepared = spec.prepare(args)
        # torch < 2.4: the autograd.Function only when a gradient is wanted (dynamo 2.1 fails on
        # an autograd.Function none of whose inputs requires grad)
        if spec.function is not None and torch.is_grad_enabled() and any(
                isinstance(a, torch.Tensor) and a.requires_grad for a in prepared):
            return spec.function.apply(*prepared)
        return spec.forward_op(*prepared)

    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = f"ascend_ops::{spec.schema()}; see ascend_ops.ops.{spec.name}"
    fn.spec = spec
    spec.public = fn
    return fn
