"""`--session FILE` for commands that produce explanations: append each run to a session file.

The file is checked before any model is loaded (a broken, foreign or newer-version file is a
one-line error and stays untouched), and read again just before the atomic save, so a run made
elsewhere in between is kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError
from ..session import Session, SessionError, load_session, save_session
from ..types import Explanation


def add_session_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--session",
        metavar="FILE",
        default=None,
        help="append the run to this session file (created if missing; see 'gsmile report')",
    )


def check_session_target(path: str | None) -> None:
    """Fail early, before any model call, if the run could not be appended to `path`."""
    if not path:
        return
    target = Path(path)
    if target.exists():
        try:
            load_session(target)
        except SessionError as error:
            raise ConfigError(f"--session: {error}") from None
    elif not target.parent.exists():
        raise ConfigError(f"--session: cannot write {target}: folder {target.parent} does not exist")


def append_run(path: str, explanation: Explanation) -> Session:
    """Append `explanation` as a single run to the session at `path` (a new session if missing)."""
    target = Path(path)
    session = load_session(target) if target.exists() else Session.new(target.stem)
    session = session.with_run(explanation)
    save_session(session, target)
    print(f"run {session.runs[-1].id} appended to session {target}", file=sys.stderr)
    return session
