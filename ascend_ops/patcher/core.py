"""Explicit, reversible runtime patches.

A `Patch` names one attribute (``"package.module:Class.attr"``) and a factory that builds the
replacement from the original. A `Patcher` applies a list of patches and records, for each,
whether it was applied or skipped and why. Rules the patcher enforces:

- every patch is named and listed in `Patcher.report()` (applied / skipped / failed + reason);
- `undo()` restores every original attribute, in reverse order;
- no silent fallback: a replacement is installed as built, never wrapped in a try/except that
  calls the original on error; a patch that cannot be applied raises `PatchError` unless the
  patch is marked ``optional`` (then it is reported as skipped with the reason);
- no process-wide wrapping of core tensor methods: targets on ``torch.Tensor``, ``torch`` or
  ``torch.nn.functional`` are refused.
"""
import dataclasses
import importlib
from typing import Callable, Optional

APPLIED, SKIPPED, FAILED, UNDONE = "applied", "skipped", "failed", "undone"
_FORBIDDEN_OWNERS = ("torch", "torch.nn.functional", "torch._C")
_MISSING = object()


class PatchError(RuntimeError):
    """A patch could not be applied (or undone); the message names the patch and the reason."""


@dataclasses.dataclass
class Patch:
    """One attribute replacement.

    name:        unique short id shown in reports (e.g. "mmcv.init_dist_pytorch").
    target:      "module.path:Attr.attr" - the module is imported, then the attributes walked.
    factory:     original -> replacement (original is None when `create` is set and the
                 attribute does not exist yet).
    reason:      one line: why the patch exists (shown in reports).
    when:        optional () -> (bool, str): precondition; False skips with that reason.
    optional:    a missing module/attribute is reported as skipped instead of raising.
    create:      allow setting an attribute that does not exist yet (e.g. a registry entry).
    """
    name: str
    target: str
    factory: Callable
    reason: str
    when: Optional[Callable[[], tuple]] = None
    optional: bool = False
    create: bool = False

    def resolve(self):
        """Return (owner, attribute name, value held by owner itself, value seen via getattr);
        missing values are _MISSING."""
        if ":" not in self.target:
            raise PatchError(f"patch {self.name}: target {self.target!r} must be 'module:attr[.attr]'")
        module_name, attr_path = self.target.split(":", 1)
        owner = importlib.import_module(module_name)
        parts = attr_path.split(".")
        for part in parts[:-1]:
            owner = owner[part] if isinstance(owner, dict) else getattr(owner, part)
        _refuse_core(self, owner, module_name, parts)
        attr = parts[-1]
        if isinstance(owner, dict):      # registry tables: "mod:REGISTRY._module_dict.Name"
            value = owner.get(attr, _MISSING)
            return owner, attr, value, value
        effective = getattr(owner, attr, _MISSING)
        # On a class, restore exactly what the class itself held (an inherited attribute is
        # restored by deleting the override).
        own = owner.__dict__.get(attr, _MISSING) if isinstance(owner, type) else effective
        return owner, attr, own, effective


def _refuse_core(patch, owner, module_name, parts):
    import torch
    if owner is torch.Tensor or owner is torch.nn.Module or (
            len(parts) == 1 and module_name in _FORBIDDEN_OWNERS):
        raise PatchError(f"patch {patch.name}: refusing to patch core torch attribute {patch.target!r} "
                         f"(process-wide wrapping of core tensor methods/functions is not allowed)")


def _set(owner, attr, value):
    if isinstance(owner, dict):
        owner[attr] = value
    else:
        setattr(owner, attr, value)


def _del(owner, attr):
    if isinstance(owner, dict):
        del owner[attr]
    else:
        delattr(owner, attr)


class Patcher:
    """Applies patches in order; `report()` lists what happened; `undo()` reverts everything.

    Usable as a context manager: ``with Patcher(patches) as p: ...`` undoes on exit.
    """

    def __init__(self, patches=()):
        self._patches = []
        self._applied = []          # (patch, owner, attr, original)
        self._report = []
        for p in patches:
            self.add(p)

    def add(self, patch):
        if not isinstance(patch, Patch):
            raise TypeError(f"Patcher.add expects a Patch, got {type(patch).__name__}")
        if any(p.name == patch.name for p in self._patches):
            raise PatchError(f"patch name {patch.name!r} is used twice")
        if any(p.target == patch.target for p in self._patches):
            raise PatchError(f"patch {patch.name}: target {patch.target!r} is already patched by another patch")
        self._patches.append(patch)
        return self

    @property
    def applied(self):
        return bool(self._applied)

    def apply(self):
        """Apply every patch once. Returns the report (list of dicts). Raises PatchError on the
        first non-optional failure, after undoing what this call had applied."""
        if self._applied:
            raise PatchError("patcher already applied; call undo() first")
        self._report = []
        for patch in self._patches:
            try:
                self._apply_one(patch)
            except Exception as exc:
                if not any(r["name"] == patch.name for r in self._report):
                    self._record(patch, FAILED, f"{type(exc).__name__}: {exc}")
                self.undo()
                if isinstance(exc, PatchError):
                    raise
                raise PatchError(f"patch {patch.name}: {type(exc).__name__}: {exc}") from exc
        return self.report()

    def _apply_one(self, patch):
        if patch.when is not None:
            ok, why = patch.when()
            if not ok:
                self._record(patch, SKIPPED, why)
                return
        try:
            owner, attr, original, effective = patch.resolve()
        except (ImportError, AttributeError) as exc:
            if patch.optional:
                self._record(patch, SKIPPED, f"target not found ({exc})")
                return
            self._record(patch, FAILED, f"target not found ({exc})")
            raise PatchError(f"patch {patch.name}: target {patch.target!r} not found: {exc}") from exc
        if effective is _MISSING and not patch.create:
            if patch.optional:
                self._record(patch, SKIPPED, f"attribute {attr!r} does not exist")
                return
            self._record(patch, FAILED, f"attribute {attr!r} does not exist")
            raise PatchError(f"patch {patch.name}: {patch.target!r} does not exist")
        replacement = patch.factory(None if effective is _MISSING else effective)
        _set(owner, attr, replacement)
        self._applied.append((patch, owner, attr, original))
        self._record(patch, APPLIED, patch.reason)

    def _record(self, patch, status, why):
        self._report.append({"name": patch.name, "target": patch.target, "status": status, "reason": why})

    def undo(self):
        """Restore every original attribute in reverse order of application."""
        while self._applied:
            patch, owner, attr, original = self._applied.pop()
            if original is _MISSING:
                _del(owner, attr)
            else:
                _set(owner, attr, original)
            for row in self._report:
                if row["name"] == patch.name and row["status"] == APPLIED:
                    row["status"] = UNDONE

    def report(self):
        """List of {name, target, status, reason} in patch order (copies)."""
        return [dict(r) for r in self._report]

    def format_report(self):
        lines = [f"[ascend-kit] runtime patches ({sum(r['status'] == APPLIED for r in self._report)} applied, "
                 f"{sum(r['status'] == SKIPPED for r in self._report)} skipped):"]
        for r in self._report:
            lines.append(f"  {r['status']:<8} {r['name']:<32} {r['reason']}")
        return "\n".join(lines)

    def __enter__(self):
        self.apply()
        return self

    def __exit__(self, *exc):
        self.undo()
        return False
