"""The audit trail: every request and response of a run as JSON lines, for a reviewer.

Why: a regulator or a second data scientist must be able to re-derive an explanation from what
was actually sent and received, without trusting gSMILE's summary. Each line is one record —
`request` (before the call leaves), `response`, `error`, `cache_hit` — with a UTC timestamp, the
provider, base URL and model asked for, the generation parameters, the model id and fingerprint
the provider returned, and SHA-256 hashes of the prompt and the answer (plus the texts
themselves). Lines are flushed one by one, so a killed run leaves a readable trail.

`CallAudit` writes the engine's records for one run (`AuditLog` is the file they go to).

Never a key: the engine never holds one, backends describe themselves without secrets (a token
in a base URL's query string is masked by the backend), and error messages from backends are
key-free by contract.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import BackendError, ConfigError
from ..sanitize import one_line
from ..types import Generation, GenerationParams
from .cache import CallIdentity


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


class CallAudit:
    """The audit records of one call engine: a run header, then per call its requests,
    responses, errors and cache hits. Every method is a no-op without a log."""

    def __init__(self, log: AuditLog | None, identity: CallIdentity) -> None:
        self.log = log
        self.identity = identity

    def run(self, *, backend: dict[str, Any], params: GenerationParams, concurrency: int,
            max_attempts: int, timeout_s: float | None, requests_per_minute: float | None,
            max_calls: int | None, max_cost: float | None, jobs: int, cached: int, refresh: bool) -> None:
        if self.log is not None:
            self.log.write(
                "run", identity=self.identity.to_dict(), backend=backend, params=params.to_dict(),
                concurrency=concurrency, max_attempts=max_attempts, timeout_s=timeout_s,
                requests_per_minute=requests_per_minute, max_calls=max_calls, max_cost_usd=max_cost,
                jobs=jobs, cached=cached, refresh=refresh,
            )

    def request(self, key: str, prompt: str, sample: int, params: GenerationParams, attempt: int) -> None:
        if self.log is not None:
            self.log.write(
                "request", call=key, attempt=attempt, provider=self.identity.provider,
                base_url=self.identity.base_url, api=self.identity.api, model=self.identity.model,
                params=params.to_dict(), sample=sample, prompt=prompt, prompt_sha256=sha256_text(prompt),
            )

    def response(self, key: str, attempt: int, generation: Generation, received_chars: int | None) -> None:
        if self.log is not None:
            # reused: the backend answered from its own memory (an experiment's shared answers)
            self.log.write("response", call=key, attempt=attempt, **generation_fields(generation),
                           cut_from_chars=received_chars, reused=generation.cached)

    def cache_hit(self, key: str, prompt: str, sample: int, generation: Generation) -> None:
        if self.log is not None:
            self.log.write("cache_hit", call=key, sample=sample, prompt=prompt,
                           prompt_sha256=sha256_text(prompt), **generation_fields(generation))

    def error(self, key: str, attempt: int, error: BackendError, retry_in: float | None) -> None:
        if self.log is not None:
            self.log.write("error", call=key, attempt=attempt, kind=error.kind, message=one_line(str(error), 300),
                           retry_after=error.retry_after, retry_in_s=retry_in)


def generation_fields(generation: Generation) -> dict[str, Any]:
    return {
        "response_model": generation.model,
        "fingerprint": generation.fingerprint,
        "finish_reason": generation.finish_reason,
        "prompt_tokens": generation.prompt_tokens,
        "completion_tokens": generation.completion_tokens,
        "latency_s": generation.latency_s,
        "output": generation.text,
        "output_sha256": sha256_text(generation.text),
    }
