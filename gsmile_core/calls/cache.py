"""The persistent response cache: a finished call is never paid for twice.

Why sqlite (stdlib) in WAL mode with a commit after every response: a run killed with SIGKILL or
Ctrl-C keeps every answer that had arrived, so the rerun asks only for what is missing. WAL with
`synchronous=NORMAL` makes each commit durable against a process crash (not against power loss)
without an fsync per answer. Only successes are stored; errors are never cached.

The key is a SHA-256 over everything that can change an answer: provider, base URL, API flavour,
model, generation parameters (the per-sample seed included), prompt and sample index. Nothing
secret ever goes in: backends describe themselves without keys, and the engine never sees one.
Answers are stored already sanitised, but nothing read back is trusted: the engine applies the
same limits to a cached answer as to a received one (`limits`), since an older version or a hand
edit may have written anything.

Another program may hold the file's write lock (a second gSMILE, a backup, a database browser
with an open transaction). sqlite itself waits only `BUSY_TIMEOUT_S`, so the caller is never
blocked for long; then `CacheLocked` is raised and the engine waits on without blocking its
event loop (`cache_gate`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import ResourceError
from ..types import Generation, GenerationParams

CACHE_FILE = "responses.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 0.2
SETUP_TIMEOUT_S = 5.0
MAX_ROW_CHARS = 16_000_000  # far above any answer `limits` accepts; longer rows are damaged
_LOCKED_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class CacheLocked(ResourceError):
    """Another connection holds the cache's lock; trying again later may succeed."""


def _is_locked(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _LOCKED_CODES
    return "locked" in str(error) or "busy" in str(error)


def default_cache_dir() -> Path:
    """$GSMILE_CACHE_DIR, else $XDG_CACHE_HOME/gsmile, else ~/.cache/gsmile (see `paths`)."""
    return paths.cache_dir()


@dataclass(frozen=True)
class CallIdentity:
    """What the model behind a backend is, for cache keys, audit records and prices."""

    provider: str
    model: str
    base_url: str | None = None
    api: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cache_key(identity: CallIdentity, params: GenerationParams, prompt: str, sample_index: int) -> str:
    """Hex SHA-256 of the canonical JSON of everything that determines one answer."""
    material = {
        "v": SCHEMA_VERSION,
        "identity": identity.to_dict(),
        "params": params.to_dict(),
        "prompt": prompt,
        "sample": sample_index,
    }
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _to_json(generation: Generation) -> str:
    data = asdict(generation)
    data.pop("cached", None)
    return json.dumps(data, ensure_ascii=False)


def _from_json(text: str) -> Generation:
    """A stored answer, fields type-checked (a hand-edited row may hold anything); the engine
    then sanitises and bounds it like a received one."""
    data = json.loads(text)
    return Generation(
        text=str(data["text"]),
        model=str(data.get("model") or ""),
        finish_reason=_str_or_none(data.get("finish_reason")),
        prompt_tokens=_int_or_none(data.get("prompt_tokens")),
        completion_tokens=_int_or_none(data.get("completion_tokens")),
        fingerprint=_str_or_none(data.get("fingerprint")),
        latency_s=float(data.get("latency_s") or 0.0),
        cached=True,
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ResponseCache:
    """Answers by cache key in one sqlite file; safe to share between threads of one process
    and between processes (sqlite's own locking)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self._lock = threading.Lock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Setting up (which writes only to a new file) may wait longer than a call does.
            self._db = sqlite3.connect(self.path, timeout=SETUP_TIMEOUT_S, check_same_thread=False,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                " key TEXT PRIMARY KEY, provider TEXT, model TEXT, created REAL, value TEXT NOT NULL)"
            )
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        except (OSError, sqlite3.Error) as error:
            raise ResourceError(
                f"cannot use the response cache at {self.path}: {error} "
                "(use --no-cache, or --cache-dir elsewhere)"
            ) from None

    def get(self, key: str) -> Generation | None:
        with self._lock:
            try:
                # A row too long for any answer is not even read: a damaged entry, i.e. a miss.
                row = self._db.execute(
                    "SELECT CASE WHEN length(value) <= ? THEN value END FROM responses WHERE key = ?",
                    (MAX_ROW_CHARS, key),
                ).fetchone()
            except sqlite3.Error as error:
                if _is_locked(error):
                    raise CacheLocked(f"the response cache at {self.path} is locked by another program") from None
                raise ResourceError(f"cannot read the response cache at {self.path}: {error}") from None
        if row is None or row[0] is None:
            return None
        try:
            return _from_json(row[0])
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry is a miss; the next success overwrites it

    def put(self, key: str, identity: CallIdentity, generation: Generation) -> None:
        """Store one successful answer and commit it at once (autocommit)."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO responses (key, provider, model, created, value) VALUES (?, ?, ?, ?, ?)",
                    (key, identity.provider, identity.model, time.time(), _to_json(generation)),
                )
            except sqlite3.Error as error:
                if _is_locked(error):
                    raise CacheLocked(f"the response cache at {self.path} is locked by another program") from None
                raise ResourceError(f"cannot write the response cache at {self.path}: {error}") from None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
