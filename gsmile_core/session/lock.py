"""One writer at a time per session file, across processes.

Two `gsmile explain --session s.json` runs that each read the file, add a run and save would
both call their run `r8`, and the second save would drop the first one's run. A change of a
session file therefore holds an exclusive lock from the read to the rename: `fcntl.flock` on a
companion file `.NAME.lock` beside it. The session file itself cannot carry the lock, since the
atomic save replaces it with a new file (a lock on the old one would guard nothing). The kernel
drops the lock when its holder exits, crashed or not; a holder that finishes removes the
companion file (one left by a crash is simply locked again). Where `fcntl` does not exist (Windows) changes are not serialised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


def lock_path(path: Path) -> Path:
    """The companion lock file of session file `path` (of the file a symlink points to)."""
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.lock")


@contextmanager
def session_lock(path: Path | str) -> Iterator[None]:
    """Hold the exclusive lock of session file `path` (waiting for another holder to finish).
    OSError when the lock file cannot be made (a read-only folder)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    companion = lock_path(Path(path))
    companion.parent.mkdir(parents=True, exist_ok=True)  # a save makes the sessions folder
    descriptor = _acquire(companion)
    try:
        yield
    finally:
        companion.unlink(missing_ok=True)  # while still held: see _acquire
        os.close(descriptor)  # closing releases the lock


def _acquire(companion: Path) -> int:
    """A descriptor of `companion` holding its lock. The holder removes the file before it lets
    go, so a waiter that wakes holding a removed (or replaced) file tries again on the new one."""
    while True:
        descriptor = os.open(companion, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            current = os.stat(companion)
        except FileNotFoundError:
            current = None
        held = os.fstat(descriptor)
        if current is not None and (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
            return descriptor
        os.close(descriptor)
