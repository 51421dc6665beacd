"""Writing a file so that readers see the old content or the new, never a mix, and checking first
that it can be written at all.

Sessions, reports, saved explanations and experiment tables are what an audit leaves behind; a
crash, a full disk or a failing write must not leave half a file in their place. One
implementation serves every writer: a temporary file in the same folder, flushed and fsynced,
renamed over the target, then the folder fsynced so the rename survives a crash. The replaced
file keeps its permissions. Each caller names the one-line error its users get.

A rename replaces whatever the name pointed to, so it is only ever done over a regular file (or
a name that does not exist yet). A symlink is followed and the file it points to is replaced (the
link stays a link); a device, FIFO or other special file (`--json /dev/null`, a pipe) is written
through, as `>` in a shell would: renaming over /dev/null as root broke it for every program.

`check_writable` answers "will the write at the end work?" before a command pays for any model
call: it makes (and removes) a probe file where the temporary file will go.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import GsmileError


def write_text_atomic(path: Path | str, text: str, error: type[GsmileError] = GsmileError) -> None:
    """Write `text` (UTF-8) to `path`: atomically when it is (or will be) a regular file, through
    it when it is a device or FIFO. On any failure the temporary file is removed, `path` is
    untouched, and `error` is raised with one line naming the file."""
    path = Path(path)
    payload = text.encode("utf-8")
    try:
        target = resolved(path)
        mode = _mode(target)
        if mode is not None and stat.S_ISDIR(mode):
            raise error(f"cannot write {path}: it is a folder")
        if mode is not None and not stat.S_ISREG(mode):
            _write_through(target, payload)
        else:
            _replace(target, payload)
    except OSError as failure:
        raise error(f"cannot write {path}: {failure.strerror or failure}") from None


def check_writable(path: Path | str, error: type[GsmileError] = GsmileError) -> None:
    """Raise `error` (one line) unless `write_text_atomic(path, ...)` can be expected to work:
    the folder exists and takes a new file (probed by creating and removing one), or `path` is a
    special file open for writing. Creates no folder and leaves nothing behind."""
    path = Path(path)
    target = resolved(path)
    try:
        mode = _mode(target)
    except OSError as failure:
        raise error(f"cannot write {path}: {failure.strerror or failure}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise error(f"cannot write {path}: it is a folder")
    if mode is not None and not stat.S_ISREG(mode):
        if not os.access(target, os.W_OK):
            raise error(f"cannot write {path}: permission denied")
        return  # written through; opening a FIFO now would wait for its reader
    folder = target.parent
    shown = folder if path.is_symlink() else path.parent  # the folder as the user wrote it
    if not folder.is_dir():
        raise error(f"cannot write {path}: folder {shown} does not exist")
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=folder)
    except OSError as failure:
        raise error(f"cannot write {path}: folder {shown} takes no new file ({failure.strerror or failure})") from None
    os.close(descriptor)
    Path(name).unlink(missing_ok=True)


def resolved(path: Path) -> Path:
    """`path` with symlinks followed (a dangling link names the file it would create)."""
    return Path(os.path.realpath(path))


def _mode(path: Path) -> int | None:
    """`st_mode` of `path`, None when nothing is there."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        return None


def _write_through(path: Path, payload: bytes) -> None:
    """Write into a device or FIFO in place; nothing is renamed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(payload)


def _replace(path: Path, payload: bytes) -> None:
    """A temporary file beside `path`, fsynced, renamed over it, the folder fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary: Path | None = Path(name)
    try:
        os.fchmod(descriptor, _file_mode(path))
        with os.fdopen(descriptor, "wb") as handle:
            descriptor = None
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        temporary = None
        _fsync_folder(path.parent)
    finally:
        if descriptor is not None:
            os.close(descriptor)
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _file_mode(path: Path) -> int:
    """The replaced file's permissions, or those a new file gets under the current umask
    (mkstemp alone would make every saved file 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
