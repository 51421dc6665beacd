"""Session files: read (any known version, or one explanation), written atomically, never
clobbering a file this gSMILE could not read back, and changed under a lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..clock import utc_now
from ..errors import GsmileError
from ..text_files import read_user_text
from ..types import EXPLANATION_FORMAT, Explanation
from .lock import session_lock
from .migrate import migrate
from .model import SESSION_FORMAT, SESSION_VERSION, Session, default_run_label


class SessionError(GsmileError):
    """A session file cannot be read or written; the message is one line naming the file."""


def _read_json(path: Path) -> Any:
    text = read_user_text(path, "session file", error=SessionError)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SessionError(
            f"cannot open {path}: broken JSON at line {error.lineno}, column {error.colno} "
            f"({error.msg})"
        ) from None
    except RecursionError:
        raise SessionError(f"cannot open {path}: JSON nested too deeply") from None


def session_from_data(data: Any, source: str = "session") -> Session:
    """A `Session` from parsed JSON: a session (any known version), or a single explanation
    (as written by `gsmile explain --json`), which becomes a one-run session."""
    if not isinstance(data, dict):
        raise SessionError(f"cannot open {source}: not a gSMILE session (top level is not an object)")
    kind = data.get("format")
    try:
        if kind == EXPLANATION_FORMAT:
            explanation = Explanation.from_dict(data)
            stamp = explanation.provenance.created_at or utc_now()
            return Session.new(name=default_run_label(explanation), now=stamp).with_run(
                explanation, now=stamp
            )
        if kind != SESSION_FORMAT:
            raise SessionError(
                f"cannot open {source}: not a gSMILE session (format is {kind!r}, "
                f"expected {SESSION_FORMAT!r})"
            )
        try:
            data = migrate(data)
        except ValueError as error:
            raise SessionError(f"cannot open {source}: it {error}") from None
        return Session.from_dict(data)
    except SessionError:
        raise
    except ValueError as error:
        raise SessionError(f"cannot open {source}: {error}") from None
    except (KeyError, TypeError, AttributeError) as error:
        detail = f"missing field {error}" if isinstance(error, KeyError) else "a field has the wrong type"
        raise SessionError(f"cannot open {source}: damaged session ({detail})") from None


def load_session(path: Path | str) -> Session:
    """Read a session file (or a single-explanation JSON) without touching it.

    Raises `SessionError` with a one-line message for a missing, unreadable, broken, foreign or
    newer-version file.
    """
    path = Path(path)
    return session_from_data(_read_json(path), str(path))


_OWN_HEADER = re.compile(r'\{\s*"format":\s*"gsmile\.session",\s*"version":\s*(\d{1,9})\s*,')


def _refuse_to_clobber(path: Path) -> None:
    """Never replace a file we could not read back: a newer session or somebody else's file."""
    if not path.exists():
        return
    try:
        # Our own files start with format and version: autosaving a large session need not
        # parse the whole previous file.
        with path.open("rb") as handle:
            head = handle.read(256).decode("utf-8", errors="replace")
        own = _OWN_HEADER.match(head)
        if own is not None:
            version = int(own.group(1))
            if version <= SESSION_VERSION:
                return
            raise SessionError(
                f"refusing to overwrite {path}: it is a version {version} session, newer than "
                f"this gSMILE writes ({SESSION_VERSION})"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        raise SessionError(f"refusing to overwrite {path}: it is not a readable gSMILE session") from None
    if not isinstance(data, dict) or data.get("format") not in (SESSION_FORMAT, EXPLANATION_FORMAT):
        raise SessionError(f"refusing to overwrite {path}: it is not a gSMILE session")
    version = data.get("version")
    if data.get("format") == SESSION_FORMAT and isinstance(version, int) and version > SESSION_VERSION:
        raise SessionError(
            f"refusing to overwrite {path}: it is a version {version} session, newer than this "
            f"gSMILE writes ({SESSION_VERSION})"
        )


def write_atomic(path: Path | str, text: str) -> None:
    """Write `text` to `path` atomically (`atomic.write_text_atomic`); raises `SessionError`."""
    write_text_atomic(path, text, SessionError)


def session_json(session: Session) -> str:
    return json.dumps(session.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_session(session: Session, path: Path | str, *, overwrite_foreign: bool = False) -> Path:
    """Save `session` to `path` atomically, under the file's lock (`lock.session_lock`), and
    return the path.

    The JSON is built completely before anything touches the disk. An existing file at `path`
    that is not a gSMILE session, or is a newer-version session, is not replaced unless
    `overwrite_foreign` is true. Raises `SessionError`.
    """
    path = Path(path)
    text = _json_of(session)
    with _locked(path):
        _save(text, path, overwrite_foreign)
    return path


def update_session(path: Path | str, change: Callable[[Session], Session], *, name: str | None = None) -> Session:
    """Apply `change` to the session at `path` and save the result, all under the file's lock:
    the file is read again after the lock is taken, so a run another process appended meanwhile
    is kept and every new run gets an id no other process also got. A missing file starts as an
    empty session named `name` (default: the file's stem). Returns the session as saved; raises
    `SessionError`."""
    path = Path(path)
    with _locked(path):
        session = load_session(path) if path.exists() else Session.new(name or path.stem)
        changed = change(session)
        _save(_json_of(changed), path, overwrite_foreign=False)
    return changed


def _json_of(session: Session) -> str:
    try:
        return session_json(session)
    except (TypeError, ValueError) as error:
        raise SessionError(f"cannot save session {session.name!r}: {error}") from None


def _save(text: str, path: Path, overwrite_foreign: bool) -> None:
    if not overwrite_foreign:
        _refuse_to_clobber(path)
    write_atomic(path, text)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """`session_lock(path)`, a failure to take it as a one-line SessionError."""
    with ExitStack() as stack:
        try:
            stack.enter_context(session_lock(path))
        except OSError as error:
            raise SessionError(f"cannot write {path}: {error.strerror or error}") from None
        yield
