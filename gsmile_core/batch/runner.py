"""An audit: the prompts not yet done, through an executor, each record appended as it arrives,
progress as it goes, and the summary and reports at the end (also after a stop).

Why the runner owns the files and not the executors: whatever runs the prompts (this process,
a Ray cluster), one writer appends to `results.jsonl`, so lines never interleave, and a resumed
audit's skip list is read in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import GsmileError
from .reader import PromptItem
from .results import AuditFolder


class Executor(Protocol):
    calls: int
    cache_hits: int

    @property
    def spent_usd(self) -> float | None: ...

    async def run(self, items: Sequence[PromptItem], deliver: Callable[[dict[str, Any]], None]) -> None: ...


@dataclass(frozen=True)
class AuditProgress:
    """Where an audit stands. `done`/`failed`: prompts finished in this run (ok / error);
    `earlier`: finished by an earlier run and skipped; `total`: every prompt of the set."""

    total: int
    earlier: int
    done: int
    failed: int
    calls: int
    cache_hits: int
    cost_usd: float | None
    elapsed_s: float
    eta_s: float | None
    last_id: str | None = None
    last_status: str | None = None

    @property
    def remaining(self) -> int:
        return self.total - self.earlier - self.done - self.failed


@dataclass(frozen=True)
class AuditOutcome:
    progress: AuditProgress
    stopped: str | None  # why the audit stopped early (one line), None if it finished


def pending_items(items: Sequence[PromptItem], folder: AuditFolder, retry_failed: bool) -> tuple[list[PromptItem], int]:
    """The items still to do (failed ones only with `retry_failed`) and how many are done."""
    statuses = folder.statuses()
    todo = [item for item in items
            if statuses.get(item.id) not in ("ok", "error") or (retry_failed and statuses.get(item.id) == "error")]
    return todo, len(items) - len(todo)


async def run_audit(
    items: Sequence[PromptItem],
    folder: AuditFolder,
    executor: Executor,
    *,
    retry_failed: bool = False,
    on_progress: Callable[[AuditProgress], None] = lambda _: None,
    on_record: Callable[[dict[str, Any]], None] = lambda _: None,
) -> AuditOutcome:
    """Run the prompts of `items` not yet in `folder`, appending each record as it is done.
    A stop that no prompt escapes (budget, rejected key) ends the run with its line in
    `stopped`; Ctrl-C / cancellation propagates. Either way every finished line is on disk.
    `on_record` sees each record as it is written (a front end's table of prompts)."""
    todo, earlier = pending_items(items, folder, retry_failed)
    started = time.monotonic()
    counts = {"done": 0, "failed": 0}
    last: list[tuple[str, str]] = []

    def progress() -> AuditProgress:
        finished = counts["done"] + counts["failed"]
        elapsed = time.monotonic() - started
        remaining = len(todo) - finished
        eta = elapsed / finished * remaining if finished else None
        spent = executor.spent_usd
        return AuditProgress(
            total=len(items), earlier=earlier, done=counts["done"], failed=counts["failed"],
            calls=executor.calls, cache_hits=executor.cache_hits, cost_usd=spent, elapsed_s=elapsed, eta_s=eta,
            last_id=last[-1][0] if last else None, last_status=last[-1][1] if last else None,
        )

    def deliver(record: dict[str, Any]) -> None:
        folder.append(record)
        status = "done" if record.get("status") == "ok" else "failed"
        counts[status] += 1
        last[:] = [(record["id"], record.get("status", ""))]
        on_record(record)
        on_progress(progress())

    on_progress(progress())
    stopped = None
    try:
        await executor.run(todo, deliver)
    except GsmileError as error:
        stopped = str(error)
    return AuditOutcome(progress(), stopped)
