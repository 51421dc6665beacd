"""The persistent response cache: a finished call is never paid for twice.

Why sqlite (stdlib) in WAL mode with a commit after every response: a run killed with SIGKILL or
Ctrl-C keeps every answer that had arrived, so the rerun asks only for what is missing. WAL with
`synchronous=NORMAL` makes each commit durable against a process crash (not against power loss)
without an fsync per answer. Only successes are stored; errors are never cached.

The key is a SHA-256 over everything that can change an answer: provider, base URL, API flavour,
model, generation parameters (the per-sample seed included), prompt and sample index. Nothing
secret ever goes in: backends describe themselves without keys, and the engine never sees one.
Answers are stored already sanitised.
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
    data = json.loads(text)
    return Generation(
        text=str(data["text"]),
        model=str(data.get("model") or ""),
        finish_reason=data.get("finish_reason"),
        prompt_tokens=data.get("prompt_tokens"),
        completion_tokens=data.get("completion_tokens"),
        fingerprint=data.get("fingerprint"),
        latency_s=float(data.get("latency_s") or 0.0),
        cached=True,
    )


class ResponseCache:
    """Answers by cache key in one sqlite file; safe to share between threads of one process
    and between processes (sqlite's own locking)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.path = self.directory / CACHE_FILE
        self._lock = threading.Lock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                " key TEXT PRIMARY KEY, provider TEXT, model TEXT, created REAL, value TEXT NOT NULL)"
            )
        except (OSError, sqlite3.Error) as error:
            raise ResourceError(
                f"cannot use the response cache at {self.path}: {error} "
                "(use --no-cache, or --cache-dir elsewhere)"
            ) from None

    def get(self, key: str) -> Generation | None:
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as error:
                raise ResourceError(f"cannot read the response cache at {self.path}: {error}") from None
        if row is None:
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
