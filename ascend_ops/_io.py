"""File helpers shared by every writer and reader of the kit (no torch, no numpy).

`atomic_write(path)`: the one way the kit writes a file. The data goes to a temporary in the
target's folder, is flushed and fsync'ed, then `os.replace`d over the target: a reader sees the
old file or the new one, never a part. On any exception in the block (a full disk, a bug,
KeyboardInterrupt) and on SIGTERM / SIGHUP arriving while the block runs (main thread), the
temporary is removed and the target is left as it was; the exception is re-raised and a
signal is re-delivered to the handler that was installed before (by default: the process ends
by that signal, as it would have without the helper). SIGKILL cannot be caught: it can leave a
`.<name>.*.tmp` next to the target (the name says what it was).

`read_json(path)`: a JSON file as Python objects, or JSONFileError (a ValueError) with one line
naming the file and the problem, for every kind of unusable file: unreadable, a folder, binary,
not UTF-8, truncated, nested too deeply, numbers too long to convert.
"""
import contextlib
import errno
import json
import math
import os
import signal
import tempfile
import threading

__all__ = ["atomic_write", "WriteInterrupted", "read_json", "JSONFileError", "json_safe", "MAX_JSON_BYTES"]

_CAUGHT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
MAX_JSON_BYTES = 256 * 1024 * 1024


class WriteInterrupted(KeyboardInterrupt):
    """A signal arrived while a file was written: the temporary was removed, the target kept."""

    def __init__(self, signum, path):
        super().__init__(f"signal {signum} while writing {path}: the file was left as it was")
        self.signum, self.path = signum, path


class _SignalDuringWrite(BaseException):
    """Raised by the temporary handler so that the write unwinds and removes its temporary."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_as_exceptions():
    """While the block runs (main thread only), SIGTERM / SIGHUP raise _SignalDuringWrite.
    Yields the {signum: previous handler} that were replaced."""
    previous = {}
    if threading.current_thread() is threading.main_thread():
        def handler(signum, frame):
            raise _SignalDuringWrite(signum)
        for signum in _CAUGHT_SIGNALS:
            try:
                old = signal.getsignal(signum)
                if old is signal.SIG_IGN or old is None:   # ignored stays ignored; None: not set from Python
                    continue
                signal.signal(signum, handler)
                previous[signum] = old
            except (ValueError, OSError):
                continue
    try:
        yield previous
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _umask():
    """The process umask, read once (os.umask can only be read by setting it)."""
    if not _UMASK:
        mask = os.umask(0o022)
        os.umask(mask)
        _UMASK.append(mask)
    return _UMASK[0]


_UMASK = []


def _nearly_full(folder):
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Context manager yielding a file object (mode "wb" or "w"); see the module docstring.

        with atomic_write("out/anchors.npy") as f:
            np.save(f, anchors)

    The target's folder must exist (FileNotFoundError otherwise); a folder at `path` is
    IsADirectoryError. Returns nothing; the file is in place when the block exits normally."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write: mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, "Is a directory", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, "No such directory", folder)
    if mode == "w" and encoding is None:
        encoding = "utf-8"
    with _signals_as_exceptions() as previous:
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
            with os.fdopen(fd, mode, encoding=encoding) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            if os.path.exists(path):   # keep the target's permission bits
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            else:   # what open() would have given a new file (mkstemp makes it 0600)
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
            tmp = None
        except OSError as e:   # a full disk or an I/O error: say which file it was
            if e.filename is None:
                code = e.errno
                if code is None and _nearly_full(folder):   # e.g. numpy's "N requested and M written"
                    code = errno.ENOSPC
                raise OSError(code, e.strerror or (os.strerror(code) if code else str(e)), path) from e
            raise
        except _SignalDuringWrite as sig:
            if tmp is not None:
                _remove_quietly(tmp)
                tmp = None
            old = previous.get(sig.signum, signal.SIG_DFL)
            signal.signal(sig.signum, old)
            previous.pop(sig.signum, None)
            os.kill(os.getpid(), sig.signum)   # the signal goes where it would have gone
            raise WriteInterrupted(sig.signum, path) from None
        finally:
            if tmp is not None:
                _remove_quietly(tmp)


class JSONFileError(ValueError):
    """A JSON file that cannot be used; str() is one line naming the file and the problem."""


def read_json(path, what="JSON file", max_bytes=MAX_JSON_BYTES):
    """Parse the JSON file at `path` (`what` it should be names it in errors: 'result',
    'thresholds'). NaN / Infinity literals are accepted as floats (callers validate values);
    see the module docstring for the errors."""
    path = os.fspath(path)
    try:
        if os.path.isdir(path):
            raise JSONFileError(f"{path}: is a folder, not a {what}")
        size = os.path.getsize(path)
        if size > max_bytes:
            raise JSONFileError(f"{path}: {size} bytes is larger than the {max_bytes} a JSON file may have here")
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise JSONFileError(f"{path}: cannot read {what}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise JSONFileError(f"{path}: not a {what} (binary or not UTF-8: byte {e.start} is "
                            f"0x{raw[e.start]:02x})") from None
    if "\x00" in text:
        raise JSONFileError(f"{path}: not a {what} (contains NUL bytes)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise JSONFileError(f"{path}:{e.lineno}: not valid JSON ({e.msg}, column {e.colno}); truncated or "
                            f"not a {what}?") from None
    except RecursionError:
        raise JSONFileError(f"{path}: JSON nested too deeply") from None
    except ValueError as e:   # e.g. an integer with more digits than int() converts
        raise JSONFileError(f"{path}: unusable JSON value ({str(e).splitlines()[0]})") from None


def json_safe(value):
    """`value` with every non-finite float (NaN, +-inf) replaced by None, so that
    json.dumps(..., allow_nan=False) writes valid JSON (null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
