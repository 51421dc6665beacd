"""The call engine: every model call of a run goes through here, whatever the backend.

Why one engine: the paper's runs took minutes because every call was sequential, un-retried and
un-cached. Here, for every backend alike (the local model included):
- each distinct (prompt, sample) is asked once; answers already in the response cache are not
  asked again, and each new answer is committed to the cache the moment it arrives, so a killed
  run resumes without repeating a finished call (`cache_gate` waits out another program's lock);
- at most `concurrency` calls are in flight (a fixed pool of workers, so memory does not grow
  with the number of prompts), optionally spaced to a requests-per-minute limit (`ratelimit`);
- one retry loop owned by gSMILE (SDK retries are off; `retry` decides): backoff with jitter, the
  provider's Retry-After honoured up to a cap, each wait announced as a `Retrying` event, a
  per-call timeout; an auth error, or any error that retrying cannot fix, stops the run at once
  and cancels the calls in flight;
- budgets (`budget`) refuse to start a run that would overspend and stop cleanly before a call
  that would cross them;
- every answer, received or read from the cache, is sanitised and bounded by `max_tokens`
  (`limits`), and every request/response can be written to an audit trail (`audit`).
The clock, the sleep and the jitter's random source are injectable, so tests of the retry loop
are deterministic and never wait or assert on wall time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..backends.base import Backend
from ..errors import BackendError
from ..events import EventHandler, GenerationReceived, Notice, Retrying, StageStarted, ignore
from ..sanitize import one_line
from ..types import Generation, GenerationParams
from .audit import AuditLog, CallAudit
from .budget import Budget, BudgetExceeded, Spending, no_price
from .cache import ResponseCache
from .cache_gate import CacheGate, LockWait
from .jobs import CallJob, identity_of, job_key, params_for_sample
from .limits import accept, cut_warning
from .ratelimit import RateLimiter
from .retry import MESSAGE_LIMIT, RetryPolicy, seconds
from .shared_limits import CallPermits

BACKSTOP_GRACE_S = 1.0


@dataclass(frozen=True)
class CallStats:
    model_calls: int
    cache_hits: int
    seconds: float
    retries: int = 0
    cost_usd: float | None = None


class CallEngine:
    def __init__(
        self,
        backend: Backend,
        params: GenerationParams,
        *,
        concurrency: int = 8,
        on_event: EventHandler = ignore,
        cache: ResponseCache | None = None,
        refresh: bool = False,
        audit: AuditLog | None = None,
        retry: RetryPolicy | None = None,
        requests_per_minute: float | None = None,
        budget: Budget | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        cache_wait: LockWait | None = None,
        shared: CallPermits | None = None,
    ) -> None:
        self.backend = backend
        self.params = params
        self.concurrency = max(int(concurrency), 1)
        self.on_event = on_event
        self.cache = cache
        self.refresh = refresh
        self.retry = retry or RetryPolicy()
        self.budget = budget or Budget()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random(params.seed)
        self.requests_per_minute = requests_per_minute
        self.limiter = RateLimiter(requests_per_minute, clock, sleep) if requests_per_minute else None
        self.identity = identity_of(backend)
        self.audit = CallAudit(audit, self.identity)
        self.spending = Spending(self.budget, params.max_tokens, params.system_prompt)
        self.gate = CacheGate(cache, sleep=sleep, announce=self._notice, wait=cache_wait)
        # Limits shared with other engines (an audit's prompts): its slot, pacing and budget are
        # asked before each attempt, on top of this engine's own.
        self.shared = shared
        self.cache_hits = 0
        self.retries = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._cut_said: set[str] = set()  # where answers were cut from ("received", "cache"), said once each
        if self.budget.max_cost is not None and self.budget.price is None:
            raise no_price(self.identity.provider, self.identity.model)

    @property
    def model_calls(self) -> int:
        """Requests sent to the backend, retries included."""
        return self.spending.calls

    @property
    def spent_usd(self) -> float:
        return self.spending.spent_usd

    # -- planning ------------------------------------------------------------------------------
    def params_for(self, sample: int) -> GenerationParams:
        return params_for_sample(self.params, sample)

    def key_for(self, job: CallJob) -> str:
        return job_key(self.identity, self.params, job)

    async def cached_answers(self, jobs: Iterable[CallJob]) -> dict[CallJob, Generation]:
        """Answers already in the cache (nothing when there is no cache or on --refresh), each
        held to the same limits as a received answer."""
        if self.cache is None or self.refresh:
            return {}
        found = {}
        for job in jobs:
            generation = await self.gate.get(self.key_for(job))
            if generation is not None:
                found[job] = self._accepted(generation, "cache")[0]
        return found

    # -- running -------------------------------------------------------------------------------
    async def generate_all(
        self,
        prompts: Sequence[str],
        on_answer: Callable[[str, Generation], None] | None = None,
    ) -> tuple[dict[str, Generation], CallStats]:
        """Answers for every distinct prompt in `prompts`, each asked once (sample 0).

        Calls start in the order given (so the first prompt is answered among the first);
        `on_answer(prompt, generation)` runs on the event loop as each answer arrives, letting
        the caller start work on it while the model is still busy with the rest.
        """
        callback = None if on_answer is None else (lambda job, gen: on_answer(job.prompt, gen))
        answers, stats = await self.run_jobs([CallJob(p) for p in prompts], callback)
        return {job.prompt: gen for job, gen in answers.items()}, stats

    async def run_jobs(
        self,
        jobs: Sequence[CallJob],
        on_answer: Callable[[CallJob, Generation], None] | None = None,
    ) -> tuple[dict[CallJob, Generation], CallStats]:
        """Answers for every distinct job: cached ones first, then the rest through the workers."""
        unique = list(dict.fromkeys(jobs))
        started = time.perf_counter()
        self.on_event(StageStarted("generate", len(unique)))
        answers: dict[CallJob, Generation] = {}
        done = 0

        def deliver(job: CallJob, generation: Generation) -> None:
            nonlocal done
            done += 1
            answers[job] = generation
            if on_answer is not None:
                on_answer(job, generation)
            self.on_event(
                GenerationReceived(
                    done=done,
                    total=len(unique),
                    prompt=job.prompt,
                    output=generation.text,
                    cached=generation.cached,
                    latency_s=generation.latency_s,
                    spent_usd=self.spent_usd if self.spending.priced else None,
                )
            )

        cached = await self.cached_answers(unique)
        pending = [job for job in unique if job not in cached]
        self.spending.refuse_run([job.prompt for job in pending], len(cached))
        self._audit_run_header(len(unique), len(cached))
        for job in unique:
            if job in cached:
                self.cache_hits += 1
                self.audit.cache_hit(self.key_for(job), job.prompt, job.sample, cached[job])
                deliver(job, cached[job])

        queue = iter(pending)
        stop: list[BudgetExceeded] = []

        async def worker() -> None:
            # On a budget stop, calls already in flight finish (they are paid for) and are
            # cached; no new call starts.
            for job in queue:
                if stop:
                    return
                try:
                    generation = await self._call(job)
                except BudgetExceeded as reached:
                    stop.append(reached)
                    return
                deliver(job, generation)

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, len(pending)))]
        try:
            if workers:
                finished, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
                for task in finished:
                    task.result()  # re-raise the first failure
        finally:
            for task in workers:
                task.cancel()
            if workers:
                await asyncio.gather(*workers, return_exceptions=True)
        if stop:
            raise stop[0]
        cost = self.spent_usd if self.spending.priced else None
        return answers, CallStats(
            self.model_calls, self.cache_hits, time.perf_counter() - started, self.retries, cost
        )

    async def _call(self, job: CallJob) -> Generation:
        """One answer, through the retry loop; stored in the cache on success."""
        params = self.params_for(job.sample)
        key = self.key_for(job)
        attempt = 0
        while True:
            attempt += 1
            permit = None if self.shared is None else await self.shared.acquire(job.prompt)
            generation, error = None, None
            try:
                reserved = self.spending.reserve(job.prompt)
                if self.limiter is not None:
                    await self.limiter.acquire()
                self.audit.request(key, job.prompt, job.sample, params, attempt)
                generation, error, latency = await self._attempt(job, params, reserved)
                if error is None:
                    generation, received_chars = self._accepted(generation, "received")
            finally:
                if permit is not None:
                    self.shared.release(permit, job.prompt, generation if error is None else None)
            if error is None:
                self.audit.response(key, attempt, generation, received_chars)
                generation = replace(generation, cached=False, latency_s=generation.latency_s or latency)
                self.spending.account(job.prompt, generation)
                await self.gate.put(key, self.identity, generation)
                return generation
            try:
                delay = self.retry.decide(attempt, error, self.rng)
            except BackendError:
                self.audit.error(key, attempt, error, None)
                raise
            self.audit.error(key, attempt, error, delay)
            self.retries += 1
            reason = one_line(str(error), MESSAGE_LIMIT)
            self.on_event(Retrying(f"retrying in {seconds(delay)}: {reason}", level="info", reason=reason, delay=delay))
            await self.sleep(delay)

    async def _attempt(
        self, job: CallJob, params: GenerationParams, reserved: float
    ) -> tuple[Generation | None, BackendError | None, float]:
        """One request to the backend: its answer, or the one `BackendError` it failed with."""
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        started = self.clock()
        generation, error = None, None
        try:
            generation = await asyncio.wait_for(self.backend.generate(job.prompt, params), self._deadline())
        except asyncio.TimeoutError:
            error = BackendError(
                f"{self.identity.provider}: no answer within {self.retry.timeout:g} s", kind="timeout"
            )
        except BackendError as raised:
            error = raised
        except asyncio.CancelledError:
            raise
        except Exception as raised:  # a backend broke its contract; still one clear line
            error = BackendError(
                f"{self.identity.provider}: {type(raised).__name__}: {one_line(str(raised), MESSAGE_LIMIT)}",
                kind="bad_response",
            )
        finally:
            self.in_flight -= 1
            self.spending.release(reserved)
        return generation, error, self.clock() - started

    def _accepted(self, generation: Generation, source: str) -> tuple[Generation, int | None]:
        """`generation` within the limits of what gSMILE accepts; warn once per source if cut."""
        accepted = accept(generation, self.params.max_tokens)
        if accepted.cut and source not in self._cut_said:
            self._cut_said.add(source)
            where = (f"{self.identity.provider} model {self.identity.model} sent" if source == "received"
                     else "the response cache holds")
            self._notice(cut_warning(where, accepted.received_chars or 0, self.params.max_tokens), "warning")
        return accepted.generation, accepted.received_chars

    def _notice(self, message: str, level: str) -> None:
        self.on_event(Notice(message, level=level))

    def _deadline(self) -> float | None:
        """How long the engine waits for one call. A backend that enforces its own timeout (API
        backends pass it to the SDK) gets a short grace, so the SDK's timeout fires first and
        closes its connection cleanly; cancelling an SDK request from outside can hand a
        half-used keep-alive connection back to its pool. The engine's wait is the backstop."""
        timeout = self.retry.timeout
        if timeout is None:
            return None
        own = getattr(self.backend, "timeout", None)
        if isinstance(own, (int, float)) and not isinstance(own, bool):
            return max(timeout, float(own)) + BACKSTOP_GRACE_S
        return timeout

    def _audit_run_header(self, unique: int, cached: int) -> None:
        if self.audit.log is None:
            return
        try:
            described = self.backend.describe()
        except Exception:
            described = {}
        self.audit.run(
            backend=described, params=self.params, concurrency=self.concurrency,
            max_attempts=self.retry.max_attempts, timeout_s=self.retry.timeout,
            requests_per_minute=self.requests_per_minute,
            max_calls=self.budget.max_calls, max_cost=self.budget.max_cost,
            jobs=unique, cached=cached, refresh=self.refresh,
        )
