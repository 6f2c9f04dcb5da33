"""Layer-level dumps: outputs (and their gradients) of named modules for chosen steps.

    dump = LayerDump(model, "dumps/npu", modules=["backbone.*", "head"], steps=[0, 1, 2])
    for step, batch in enumerate(loader):
        dump.step(step)
        loss = model(batch); loss.backward(); opt.step()
    dump.close()

Files: <out_dir>/rank<R>/step<NNNN>.pt = {"order": [key, ...], "tensors": {key: tensor}} with
keys "<module>.forward.<i>" (i-th tensor of the module's output, in forward execution order)
and "<module>.backward.<i>" (gradient w.r.t. that output, in the order gradients arrive), and
<out_dir>/rank<R>/meta.json (device, versions, modules, steps). A module called k times in one
step gets "<module>#k" for the calls after the first. Tensors are detached copies on the CPU in
their original dtype.
"""
import fnmatch
import json
import os
import platform

import torch

from .._io import atomic_write

__all__ = ["LayerDump"]


def _flatten(obj, prefix=""):
    """[(suffix, tensor)] for the tensors inside a (nested) tuple/list/dict output."""
    if isinstance(obj, torch.Tensor):
        return [(prefix, obj)]
    out = []
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += _flatten(v, f"{prefix}.{i}" if prefix else str(i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    return out


class LayerDump:
    """Forward hooks on the selected modules of `model`, armed only on `steps`.

    modules: fnmatch patterns on names from model.named_modules() (default: every leaf module);
    a pattern that matches nothing raises ValueError. steps: the step numbers passed to
    `step()` on which to record. grads: also record gradients of the outputs.
    """

    def __init__(self, model, out_dir, modules=None, steps=(0, 1, 2), grads=True, rank=None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        named = [(n, m) for n, m in model.named_modules() if n]
        if modules is None:
            chosen = [(n, m) for n, m in named if not any(True for _ in m.children())]
        else:
            if isinstance(modules, str):
                modules = [modules]
            chosen, unmatched = [], []
            for pat in modules:
                hits = [(n, m) for n, m in named if fnmatch.fnmatchcase(n, pat)]
                if not hits:
                    unmatched.append(pat)
                chosen += [h for h in hits if h not in chosen]
            if unmatched:
                raise ValueError(f"modules patterns {unmatched} match no module of the model "
                                 f"(some names: {[n for n, _ in named[:8]]})")
        if not chosen:
            raise ValueError("no module selected for dumping")
        if rank is None:
            import torch.distributed as dist
            rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        self.dir = os.path.join(out_dir, f"rank{rank}")
        os.makedirs(self.dir, exist_ok=True)
        self.steps, self.grads = set(int(s) for s in steps), grads
        self.modules = [n for n, _ in chosen]
        self._armed, self._step, self._written = False, None, []
        self._tensors, self._order, self._calls = {}, [], {}
        self._handles = [m.register_forward_hook(self._hook(n)) for n, m in chosen]
        self._device = None

    def _record(self, key, tensor):
        self._tensors[key] = tensor.detach().to("cpu", copy=True)
        self._order.append(key)

    def _hook(self, name):
        def hook(module, inputs, output):
            if not self._armed:
                return
            k = self._calls.get(name, 0)
            self._calls[name] = k + 1
            base = name if k == 0 else f"{name}#{k}"
            for suffix, t in _flatten(output):
                if self._device is None:
                    self._device = str(t.device)
                key = f"{base}.forward.{suffix or 0}"
                self._record(key, t)
                if self.grads and t.requires_grad:
                    gkey = f"{base}.backward.{suffix or 0}"
                    t.register_hook(lambda g, gkey=gkey: self._record(gkey, g) if self._armed_for_grad else None)
        return hook

    @property
    def _armed_for_grad(self):
        return self._step in self.steps

    def step(self, step):
        """Start step `step` (int): writes the previous armed step, arms hooks if step is chosen."""
        self._flush()
        self._step = int(step)
        self._armed = self._step in self.steps

    def _flush(self):
        if self._step is not None and self._step in self.steps and self._order:
            path = os.path.join(self.dir, f"step{self._step:04d}.pt")
            with atomic_write(path, "wb") as f:
                torch.save({"order": list(self._order), "tensors": dict(self._tensors)}, f)
            self._written.append(self._step)
        self._tensors, self._order, self._calls = {}, [], {}

    def close(self):
        """Write the last armed step and meta.json, remove the hooks."""
        self._flush()
        self._step, self._armed = None, False
        for h in self._handles:
            h.remove()
        self._handles = []
        meta = {"modules": self.modules, "steps_written": self._written, "device": self._device,
                "torch": torch.__version__, "python": platform.python_version(), "grads": self.grads}
        with atomic_write(os.path.join(self.dir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
