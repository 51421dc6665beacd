"""The files a command writes: checked before any model is paid for, and never lost at the end.

A command that runs a model checks every output path first (`check_output`): a folder that does
not exist or takes no new file (`--json /proc/x.json`), a folder given as a file, a special file
it may not write. Only then does it spend calls. If writing still fails at the end (the disk
filled up, the folder went away), the result is not thrown away: `write_or_keep` saves it under
the cache folder's `unsaved/` (or, if even that fails, prints it on stdout) and says where in one
line; the command then exits 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import paths
from ..atomic import check_writable, write_text_atomic
from ..clock import utc_now
from ..errors import ConfigError, GsmileError
from ..sanitize import strip_unsafe


def check_output(path: str | Path | None, flag: str) -> None:
    """ConfigError (`flag: cannot write ...`) unless `path` can be written; None and '-' pass."""
    if path is None or str(path) in ("", "-"):
        return
    try:
        check_writable(Path(path), ConfigError)
    except ConfigError as error:
        raise ConfigError(f"{flag}: {error}") from None


def write_or_keep(path: str | Path, text: str, flag: str) -> bool:
    """Write `text` to `path` atomically; on failure keep it (`keep_unwritten`) and return False."""
    try:
        write_text_atomic(Path(path), text, ConfigError)
        return True
    except GsmileError as error:
        keep_unwritten(text, Path(path).name, f"{flag}: {error}")
        return False


def keep_unwritten(text: str, name: str, reason: str) -> Path | None:
    """Save `text` under `paths.unsaved_dir()` and print one line with `reason` and where it is;
    if that fails too, print `text` on stdout. Returns where it was saved (None: printed)."""
    kept = unsaved_path(name)
    try:
        write_text_atomic(kept, text, GsmileError)
    except GsmileError:
        sys.stdout.write(text)
        sys.stdout.flush()
        error_line(f"{reason}; the result is printed above instead")
        return None
    error_line(f"{reason}; the result is kept in {kept}")
    return kept


def unsaved_path(name: str) -> Path:
    """A fresh path for `name` under `paths.unsaved_dir()`: stamped with the time and process."""
    stamp = utc_now().replace("-", "").replace(":", "")
    return paths.unsaved_dir() / f"{stamp}-{os.getpid()}-{Path(name).name or 'result'}"


def check_output_folder(folder: str | Path, flag: str) -> None:
    """ConfigError unless files can be made in `folder`, or in the nearest existing folder above
    it when it is still to be created."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{flag}: {folder} exists and is not a folder")
    existing = next(parent for parent in (folder, *folder.resolve().parents) if parent.exists())
    try:
        check_writable(existing / ".gsmile-probe", ConfigError)
    except ConfigError:
        raise ConfigError(f"{flag}: cannot write into {folder}: folder {existing} takes no new file") from None


def error_line(message: str) -> None:
    print(f"gsmile: error: {' '.join(strip_unsafe(message).split())}", file=sys.stderr)
