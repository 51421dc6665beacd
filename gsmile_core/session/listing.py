"""Where sessions live, a free file name for a new one, and the list a picker shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from .model import Session
from .store import SessionError, load_session


def default_sessions_dir() -> Path:
    """Where sessions live (see `paths.sessions_dir`)."""
    return paths.sessions_dir()


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "session"


def new_session_path(session: Session, folder: Path | str | None = None) -> Path:
    """A file name for `session` in `folder` (default: `default_sessions_dir()`) that is free."""
    folder = Path(folder) if folder is not None else default_sessions_dir()
    stamp = re.sub(r"[^0-9]", "", session.created_at)[:14] or "00000000000000"
    base = f"{stamp[:8]}-{stamp[8:14]}-{_slug(session.name)}"
    candidate = folder / f"{base}.json"
    n = 2
    while candidate.exists():
        candidate = folder / f"{base}-{n}.json"
        n += 1
    return candidate


@dataclass(frozen=True)
class SessionInfo:
    """One session file as listed: enough for a picker, without keeping the runs in memory.

    `error` is the one-line reason when the file cannot be opened (it is listed, not hidden).
    """

    path: Path
    name: str
    updated_at: str
    runs: int
    groups: int
    error: str | None = None
    modified: float = 0.0


def list_sessions(folder: Path | str | None = None) -> list[SessionInfo]:
    """The `*.json` session files in `folder` (default `default_sessions_dir()`), most recently
    updated first. Broken and newer-version files are listed with their `error`."""
    folder = Path(folder) if folder is not None else default_sessions_dir()
    if not folder.is_dir():
        return []
    infos = []
    for path in folder.glob("*.json"):
        if path.name.startswith(".") or not path.is_file():
            continue
        modified = path.stat().st_mtime
        try:
            session = load_session(path)
        except SessionError as error:
            infos.append(SessionInfo(path, path.stem, "", 0, 0, str(error), modified))
            continue
        infos.append(
            SessionInfo(
                path, session.name, session.updated_at, len(session.runs), len(session.groups), None, modified
            )
        )
    infos.sort(key=lambda info: (info.error is None, info.updated_at, info.modified), reverse=True)
    return infos
