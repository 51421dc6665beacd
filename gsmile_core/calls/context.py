"""`RunContext`: what one run reads and writes besides its settings, as one value.

Why: the response cache (and whether to `refresh` it), the audit trail and the progress callback
belong to a run, not to its method: `ExplainConfig` says what to compute, the run context says
where answers come from and go to and who hears about progress. They used to travel as four
arguments through every signature (the pipeline, the drill-down, the checks, the experiments, the
output probe, Shapley values, the dry run, the CLI, the TUI's runner); forgetting one on the way
(the audit trail, say) went unnoticed. Now a caller builds one `RunContext` and every layer hands
it down whole; the call engine is the one place that unpacks it (`sampling.engine_for`).

The context does not own what it holds: whoever opened the cache or the audit log closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..events import EventHandler, ignore

if TYPE_CHECKING:
    from .audit import AuditLog
    from .cache import ResponseCache
    from .shared_limits import CallPermits


@dataclass(frozen=True)
class RunContext:
    """The response cache, whether to refresh it, the audit trail and the progress callback.

    cache: answers already stored are not asked again, new ones are stored as they arrive (None:
    no cache). refresh: ask again and overwrite cached answers. audit: every request and response
    is written to it (None: no audit trail). on_event: the run's progress events
    (`gsmile_core.events`). limits: a concurrency limit, rate limit and budget shared with other
    runs (an audit's prompts, `shared_limits`); None: the run's own settings bound it alone.
    """

    cache: ResponseCache | None = None
    refresh: bool = False
    audit: AuditLog | None = None
    on_event: EventHandler = ignore
    limits: CallPermits | None = None

    def with_events(self, on_event: EventHandler) -> RunContext:
        """The same cache and audit trail, with progress going to `on_event` instead."""
        return replace(self, on_event=on_event)

    def quiet(self) -> RunContext:
        """The same cache and audit trail, without progress events (a step inside a larger run
        that reports its own progress)."""
        return self.with_events(ignore)

    def reads_cache(self) -> bool:
        """Whether stored answers are used (a cache, and not refreshing it)."""
        return self.cache is not None and not self.refresh
