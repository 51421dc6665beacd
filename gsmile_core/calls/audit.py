"""The audit trail: every request and response of a run as JSON lines, for a reviewer.

Why: a regulator or a second data scientist must be able to re-derive an explanation from what
was actually sent and received, without trusting gSMILE's summary. Each line is one record —
`request` (before the call leaves), `response`, `error`, `cache_hit` — with a UTC timestamp, the
provider, base URL and model asked for, the generation parameters, the model id and fingerprint
the provider returned, and SHA-256 hashes of the prompt and the answer (plus the texts
themselves). Lines are flushed one by one, so a killed run leaves a readable trail.

Never a key: the engine never holds one, backends describe themselves without secrets, and error
messages from backends are key-free by contract.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditLog:
    """Appends JSON lines to `<directory>/gsmile-audit-<UTC time>-<pid>.jsonl`."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.path = self.directory / f"gsmile-audit-{stamp}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write the audit trail in {self.directory}: {error.strerror}") from None

    def write(self, record_type: str, **fields: Any) -> None:
        record = {"ts": datetime.now(timezone.utc).isoformat(timespec="microseconds"), "type": record_type}
        record.update(fields)
        line = json.dumps(record, ensure_ascii=False, sort_keys=False, default=str)
        with self._lock:
            if self._file.closed:
                return
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_audit(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of an audit file, in order (a torn last line from a killed run is skipped)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
