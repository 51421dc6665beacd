"""Writing a file so that readers see the old content or the new, never a mix.

Sessions, reports, saved explanations and experiment tables are what an audit leaves behind; a
crash, a full disk or a failing write must not leave half a file in their place. One
implementation serves every writer: a temporary file in the same folder, flushed and fsynced,
renamed over the target, then the folder fsynced so the rename survives a crash. The replaced
file keeps its permissions. Each caller names the one-line error its users get.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import GsmileError


def write_text_atomic(path: Path | str, text: str, error: type[GsmileError] = GsmileError) -> None:
    """Write `text` (UTF-8) to `path` atomically. On any failure the temporary file is removed,
    `path` is untouched, and `error` is raised with one line naming the file."""
    path = Path(path)
    payload = text.encode("utf-8")
    descriptor = None
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temporary = Path(name)
        os.fchmod(descriptor, _file_mode(path))
        with os.fdopen(descriptor, "wb") as handle:
            descriptor = None
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        temporary = None
        _fsync_folder(path.parent)
    except OSError as failure:
        raise error(f"cannot write {path}: {failure.strerror or failure}") from None
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
