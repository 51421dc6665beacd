"""The one place the app asks a model: explanations (`gsmile_core.pipeline.explain`) and trust
checks (`gsmile_core.evaluation.checks.run_check`), each in a Textual worker.

Screens hand the runner a `RunRequest` or a `CheckRequest` and receive messages (`messages.py`);
they never touch the pipeline or a backend. The work is an async worker on the app's event loop
(the pipeline keeps CPU-heavy steps and blocking model calls on its own threads), so the UI stays
responsive, and cancelling the worker cancels the asyncio task, which cancels the calls in
flight. One worker at a time: a check waits for a run and the other way round. Explanations and
checks finished before a cancel are already delivered, so nothing finished is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from textual.message_pump import MessagePump
from textual.worker import Worker

from gsmile_core.backends import Backend, create_backend
from gsmile_core.evaluation.check_results import CheckResult
from gsmile_core.evaluation.checks import CallPlan, CheckInputs, config_of, plan_check, run_check, validate_check
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import GsmileError
from gsmile_core.events import Event, GenerationReceived, Notice, StageStarted, StepDone
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.calls.dryrun import DryRunPlan, plan_dry_run, static_identity
from gsmile_core.drill_down import explain_drill_down, outside
from gsmile_core.pipeline import explain, prepare_prompt
from gsmile_core.calls.context import RunContext
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation

from .messages import (
    AnswerReceived,
    AuditFailed,
    AuditFinished,
    AuditProgressed,
    AuditRecord,
    AuditStarted,
    BatchFinished,
    CheckCancelled,
    CheckFailed,
    CheckFinished,
    CheckStarted,
    DrillFinished,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunNotice,
    RunProgress,
    RunStarted,
)

BackendFactory = Callable[..., Backend]


@dataclass(frozen=True)
class RunRequest:
    """What to explain: one prompt (a run) or two or three (a comparison), on one backend."""

    prompts: tuple[str, ...]
    backend: str
    config: ExplainConfig
    backend_options: dict[str, Any] = field(default_factory=dict)
    label: str = "run"
    cache: ResponseCache | None = None  # answers already stored are not asked again
    drill_down: int = 0  # > 0: also explain the words of the top K coarse units (gsmile_core.drill_down)


@dataclass(frozen=True)
class DrillRequest:
    """Explain the words of unit `unit` of run `run_id` (a sentence, a paragraph), the rest of
    the prompt kept whole, on the backend and model that made the run, with its settings."""

    run_id: str
    explanation: Explanation
    unit: int
    backend: str
    backend_options: dict[str, Any] = field(default_factory=dict)
    cache: ResponseCache | None = None


def dry_run(request: RunRequest) -> DryRunPlan:
    """What `request`'s first prompt would send and cost, from the core's planner: no backend is
    built, no key read, no model called (raises ConfigError for a bad prompt or backend)."""
    options = {k: v for k, v in request.backend_options.items() if k != "api_key"}
    identity = static_identity(request.backend, options)
    return plan_dry_run(request.prompts[0], request.config, identity, RunContext(cache=request.cache))


def check_prompt(prompt: str, config: ExplainConfig) -> None:
    """Refuse an empty, over-long or unusable prompt before anything starts (ConfigError)."""
    prepare_prompt(prompt, config)


@dataclass(frozen=True)
class CheckRequest:
    """A trust check of run `run_id` (its explanation), on the backend and model that made it."""

    kind: str
    run_id: str
    explanation: Explanation
    inputs: CheckInputs
    backend: str
    backend_options: dict[str, Any] = field(default_factory=dict)
    cache: ResponseCache | None = None


def check_plan(request: CheckRequest) -> CallPlan:
    """The answers the check needs and how many are cached, from the core's planner: no backend
    is built, no key read (raises ConfigError for bad inputs or an unknown backend)."""
    options = {k: v for k, v in request.backend_options.items() if k != "api_key"}
    identity = static_identity(request.backend, options)
    return plan_check(request.kind, request.explanation, request.inputs, identity, RunContext(cache=request.cache))


def check_inputs(kind: str, explanation: Explanation, inputs: CheckInputs) -> None:
    """Refuse inputs the check cannot run with (ConfigError whose message names the field)."""
    validate_check(kind, explanation, inputs, config_of(explanation))


@dataclass(frozen=True)
class AuditRequest:
    """An audit of a prompt file or a fairness set (`gsmile_core.batch.audit.AuditInput`) into the
    folder `out`, on one backend, with the run settings of the main screen."""

    source: Any
    out: str
    backend: str
    config: ExplainConfig
    backend_options: dict[str, Any] = field(default_factory=dict)
    cache: ResponseCache | None = None
    retry_failed: bool = False
    force: bool = False


def prepare_audit_request(request: AuditRequest):
    """Read and check the audit's inputs and folder before anything runs (ConfigError), and
    refuse a set whose calls still needed exceed max calls / max cost (BudgetExceeded), as the
    CLI does: no call is made and no folder written."""
    from gsmile_core.batch.audit import prepare_audit
    from gsmile_core.batch.plan import plan_set, refuse_over_budget
    from gsmile_core.batch.runner import pending_items

    options = {k: v for k, v in request.backend_options.items() if k != "api_key"}
    identity = static_identity(request.backend, options)
    prepared = prepare_audit(request.source, request.out, request.config, identity, force=request.force)
    config = request.config
    if config.max_calls is not None or config.max_cost is not None:
        items = prepared.prompts.items
        todo, done = (items, 0) if prepared.mode != "resume" else pending_items(items, prepared.folder, request.retry_failed)
        plan = plan_set(todo, config, identity, RunContext(cache=request.cache), already_done=done)
        refuse_over_budget(plan, config, identity)
    return prepared


class Runner:
    """Starts, tracks and cancels the app's single explanation worker."""

    def __init__(self, app, backend_factory: BackendFactory = create_backend) -> None:
        self.app = app
        self.backend_factory = backend_factory
        self.worker: Worker | None = None
        self.target: MessagePump | None = None  # who receives this run's messages
        self.check: CheckRequest | None = None  # the check being run (None for an explanation)
        self.answers = 0
        self.finished: list[Explanation] = []

    @property
    def running(self) -> bool:
        return self.worker is not None and not self.worker.is_finished

    def start(self, request: RunRequest, target: MessagePump) -> Worker:
        return self._start(lambda: self._run(request, target), f"explain:{request.label}", target)

    def start_audit(self, request: AuditRequest, target: MessagePump) -> Worker:
        return self._start(lambda: self._audit(request, target), f"audit:{request.out}", target)

    def start_drill(self, request: DrillRequest, target: MessagePump) -> Worker:
        return self._start(lambda: self._drill(request, target), f"drill:{request.run_id}:{request.unit}", target)

    def start_check(self, request: CheckRequest, target: MessagePump) -> Worker:
        worker = self._start(lambda: self._check(request, target), f"check:{request.kind}:{request.run_id}", target)
        self.check = request
        return worker

    def _start(self, work: Callable[[], Coroutine], name: str, target: MessagePump) -> Worker:
        if self.running:
            raise GsmileError("a run is already in progress (escape cancels it)")
        self.answers = 0
        self.finished = []
        self.target = target
        self.check = None
        self.worker = self.app.run_worker(work(), name=name, group="explain", exclusive=True, exit_on_error=False)
        return self.worker

    def cancel(self) -> bool:
        """Cancel the run in progress; False when there was none."""
        if not self.running:
            return False
        self.worker.cancel()
        return True

    def _handler(self, target: MessagePump) -> Callable[[Event], None]:
        def on_event(event: Event) -> None:
            if isinstance(event, GenerationReceived):
                self.answers += 1
                target.post_message(
                    AnswerReceived(
                        event.done, event.total, event.prompt, event.output, event.cached, event.latency_s,
                        event.spent_usd,
                    )
                )
                target.post_message(RunProgress("generate", event.done, event.total))
            elif isinstance(event, StageStarted):
                target.post_message(RunProgress(event.stage, 0, event.total))
            elif isinstance(event, StepDone):
                target.post_message(RunProgress(event.stage, event.done, event.total))
            elif isinstance(event, Notice):
                target.post_message(RunNotice(event.message, event.level))
            elif hasattr(event, "message"):  # event kinds added by later core versions
                target.post_message(
                    RunNotice(str(event.message), getattr(event, "level", "info"), type(event).__name__)
                )

        return on_event

    async def _run(self, request: RunRequest, target: MessagePump) -> tuple[Explanation, ...]:
        run = RunContext(cache=request.cache, on_event=self._handler(target))

        async def explain_all(backend: Backend) -> None:
            for index, prompt in enumerate(request.prompts):
                target.post_message(RunStarted(index, len(request.prompts), prompt, request.backend))
                if request.drill_down:
                    explanation = await explain_drill_down(prompt, backend, request.config, request.drill_down, run=run)
                else:
                    explanation = await explain(prompt, backend, request.config, run=run)
                self.finished.append(explanation)
                target.post_message(RunFinished(explanation, index, len(request.prompts)))
            target.post_message(BatchFinished(tuple(self.finished), request.label))

        await self._with_backend(
            request.backend,
            request.backend_options,
            explain_all,
            on_cancel=lambda: target.post_message(RunCancelled(self.answers, len(self.finished))),
            on_error=lambda message: target.post_message(RunFailed(message)),
        )
        return tuple(self.finished)

    async def _drill(self, request: DrillRequest, target: MessagePump) -> Explanation | None:
        """The words of one coarse unit: the core's second drill-down level for that unit alone
        (every character outside it protected), with the run's settings at word level. Answers
        the run already got come from the response cache."""
        coarse = request.explanation
        config = config_of(coarse).with_changes(unit="word")

        async def words(backend: Backend) -> Explanation:
            run = RunContext(cache=request.cache, on_event=self._handler(target))
            fine = await explain(coarse.prompt, backend, config, run=run, protect=outside(coarse, [request.unit]))
            target.post_message(DrillFinished(request.run_id, request.unit, fine))
            return fine

        return await self._with_backend(
            request.backend,
            request.backend_options,
            words,
            on_cancel=lambda: target.post_message(RunCancelled(self.answers, 0)),
            on_error=lambda message: target.post_message(RunFailed(message)),
        )

    async def _audit(self, request: AuditRequest, target: MessagePump) -> None:
        """The audit through the core's runner (`gsmile_core.batch`), with the local executor;
        after a cancel or a stop the summary and reports are written for what is done."""
        import time

        from gsmile_core.batch.audit import finish_audit, open_audit
        from gsmile_core.batch.executors.local import LocalExecutor
        from gsmile_core.batch.runner import pending_items, run_audit

        try:
            prepared = prepare_audit_request(request)
            open_audit(prepared)
        except GsmileError as error:
            target.post_message(AuditFailed(one_line(str(error))))
            return
        items = prepared.prompts.items
        _, earlier = pending_items(items, prepared.folder, request.retry_failed)
        target.post_message(AuditStarted(len(items), earlier, str(prepared.folder.directory), prepared.mode == "resume"))
        started, outcome = time.monotonic(), None

        def record(line: dict) -> None:
            top = tuple((str(w), float(s)) for w, s in (line.get("top") or [])[:3] if s is not None)
            target.post_message(AuditRecord(line["id"], str(line.get("status")), top, str(line.get("error") or ""), line.get("template")))

        async def audit(backend: Backend):
            run = RunContext(cache=request.cache, on_event=self._handler(target))
            executor = LocalExecutor(backend, request.config, run)
            return await run_audit(items, prepared.folder, executor, retry_failed=request.retry_failed,
                                   on_progress=lambda state: target.post_message(AuditProgressed(state)),
                                   on_record=record)

        stopped, failed = "cancelled", []

        def on_error(message: str) -> None:
            failed.append(message)
            target.post_message(AuditFailed(message))

        try:
            outcome = await self._with_backend(request.backend, request.backend_options, audit,
                                               on_cancel=lambda: None, on_error=on_error)
            stopped = failed[0] if failed else outcome.stopped
        finally:
            summary = finish_audit(prepared, wall_s=time.monotonic() - started, stopped=stopped)
            target.post_message(AuditFinished(summary, stopped, str(prepared.folder.directory)))

    async def _check(self, request: CheckRequest, target: MessagePump) -> CheckResult | None:
        async def check(backend: Backend) -> CheckResult:
            target.post_message(CheckStarted(request.kind, request.run_id, request.backend))
            run = RunContext(cache=request.cache, on_event=self._handler(target))
            result = await run_check(request.kind, request.explanation, backend, request.inputs, run=run)
            target.post_message(CheckFinished(request.run_id, result))
            return result

        return await self._with_backend(
            request.backend,
            request.backend_options,
            check,
            on_cancel=lambda: target.post_message(CheckCancelled(request.kind, self.answers)),
            on_error=lambda message: target.post_message(CheckFailed(request.kind, message)),
        )

    async def _with_backend(
        self,
        name: str,
        options: dict[str, Any],
        work: Callable[[Backend], Awaitable[Any]],
        on_cancel: Callable[[], None],
        on_error: Callable[[str], None],
    ) -> Any:
        """Build the backend off the loop, do `work` with it, close it whatever happens; a cancel
        or an error becomes one message (`on_cancel`, `on_error` with one line) and None."""
        backend: Backend | None = None
        try:
            # Building a backend can block (the local model loads its weights): off the loop.
            backend = await asyncio.to_thread(self.backend_factory, name, **options)
            return await work(backend)
        except asyncio.CancelledError:
            on_cancel()
            raise
        except GsmileError as error:
            on_error(one_line(str(error)))
        except Exception as error:  # a bug, but the auditor keeps the app and their session
            on_error(one_line(f"unexpected {type(error).__name__}: {error}"))
        finally:
            if backend is not None:
                await asyncio.shield(backend.aclose())
        return None
