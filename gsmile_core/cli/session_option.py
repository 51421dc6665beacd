"""`--session FILE` for commands that produce explanations: append each run to a session file.

The file is checked before any model is loaded (a broken, foreign or newer-version file, or one
that could not be written, is a one-line error and stays untouched). The run is appended under the
file's lock, read again once the lock is held (`session.update_session`), so runs appended by
other processes meanwhile are all kept, each with its own id. If the append still fails, the run
is kept under the cache folder's `unsaved/` (`outputs.keep_unwritten`) and the command says where.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError, GsmileError
from ..session import Session, SessionError, load_session, update_session
from ..types import Explanation
from .outputs import check_output, keep_unwritten


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
    check_output(target, "--session")


def append_run(path: str, explanation: Explanation) -> Session:
    """Append `explanation` as a single run to the session at `path` (a new session if missing)."""
    target = Path(path)
    session = update_session(target, lambda session: session.with_run(explanation))
    print(f"run {session.runs[-1].id} appended to session {target}", file=sys.stderr)
    return session


def append_run_or_keep(path: str | None, explanation: Explanation, payload: str) -> bool:
    """`append_run` when `path` is given; if it fails, `payload` (the run's JSON) is kept and the
    place named. False when the run could not be appended."""
    if not path:
        return True
    try:
        append_run(path, explanation)
        return True
    except GsmileError as error:
        keep_unwritten(payload, "explanation.json", f"--session: {error}")
        return False
