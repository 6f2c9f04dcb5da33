"""The kit's own log lines, for upstreams that log no per-step loss (SparseKD, SPVNAS).

Format (one line, parsed by the `kit` parser in ascend_ops.results.parsers):

    [ascend-kit] step=12/500 loss=1.234567 time=0.3451 lr=2.000e-04 loss_hm=0.51
    [ascend-kit] metric mIoU=60.7530

`step` is the 1-based global optimizer step (`/total` optional), `loss` the total loss,
`time` the wall time of that step in seconds; any further key=value pairs are extra scalars.
"""
import math
import sys
import time

PREFIX = "[ascend-kit]"


def _num(value):
    value = float(value)
    if not math.isfinite(value):
        return repr(value)  # nan / inf are kept visible, the parser reads them back
    return f"{value:.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def _key(name):
    name = str(name)
    if not name or any(c.isspace() or c == "=" for c in name):
        raise ValueError(f"log key {name!r} must be non-empty without spaces or '='")
    return name


def format_step(step, loss, step_time, total=None, lr=None, **scalars):
    """One step line. step: int >= 1; loss, step_time (s), lr and scalars: numbers."""
    if int(step) != step or step < 1:
        raise ValueError(f"step must be an int >= 1, got {step!r}")
    head = f"{PREFIX} step={int(step)}" + (f"/{int(total)}" if total else "")
    parts = [head, f"loss={_num(loss)}", f"time={float(step_time):.4f}"]
    if lr is not None:
        parts.append(f"lr={float(lr):.3e}")
    parts += [f"{_key(k)}={_num(v)}" for k, v in scalars.items()]
    return " ".join(parts)


def format_metric(name, value):
    """One metric line; value in the unit the result uses (percentage points)."""
    return f"{PREFIX} metric {_key(name)}={float(value):.4f}"


def _is_rank0():
    import torch.distributed as dist
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


class StepLogger:
    """Times optimizer steps and prints kit step lines on rank 0.

        log = StepLogger(total=max_steps)            # or StepLogger(write=logger.info)
        for batch in loader:
            ...; optimizer.step()
            log.step(loss=loss.item(), lr=optimizer.param_groups[0]["lr"], loss_hm=hm.item())

    The time of step k is the wall time since the previous `step()` call (or since the
    logger was created / `reset()` was called), so it covers data loading too, like mmcv's
    `time:`. Call `device.synchronize()` before `step()` if the device runs asynchronously.
    """

    def __init__(self, total=None, write=None, start_step=0):
        self.total = total
        self.write = write or (lambda line: print(line, file=sys.stdout, flush=True))
        self.count = int(start_step)
        self.reset()

    def reset(self):
        self._t0 = time.perf_counter()

    def step(self, loss, lr=None, **scalars):
        now = time.perf_counter()
        self.count += 1
        line = format_step(self.count, loss, now - self._t0, self.total, lr, **scalars)
        self._t0 = now
        if _is_rank0():
            self.write(line)
        return line
