"""Sessions: every run an auditor made, kept as one versioned JSON file that reopens without a model.

A session is what an audit leaves behind, so the file must survive crashes, upgrades and two
programs writing it at once:

- `model`: the frozen values (`Session`, `Run`, `CompareGroup`); changes return a new session;
- `store`: reading (any known version, or one explanation), atomic saves that never replace a
  file this gSMILE could not read back, and `update_session`, a change made under the file's
  lock (`lock`) so parallel appends all land with distinct run ids;
- `migrate`: older versions upgraded in memory, one step per version; newer ones refused;
- `listing`: where sessions live, a free name for a new one, the list a picker shows.

Callers import from here.
"""

from .listing import SessionInfo, default_sessions_dir, list_sessions, new_session_path
from .migrate import MIGRATIONS, Migration, migrate
from .model import RUN_KINDS, SESSION_FORMAT, SESSION_VERSION, CompareGroup, Run, Session, default_run_label
from .store import (
    SessionError,
    load_session,
    save_session,
    session_from_data,
    session_json,
    update_session,
    write_atomic,
)

__all__ = [
    "MIGRATIONS", "RUN_KINDS", "SESSION_FORMAT", "SESSION_VERSION", "CompareGroup", "Migration", "Run",
    "Session", "SessionError", "SessionInfo", "default_run_label", "default_sessions_dir", "list_sessions",
    "load_session", "migrate", "new_session_path", "save_session", "session_from_data", "session_json",
    "update_session", "write_atomic",
]
