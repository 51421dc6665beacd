"""The call engine: every model call of a run goes through here, whatever the backend.

Why one engine: the paper's runs took minutes because every call was sequential, un-retried and
un-cached. Here, for every backend alike (the local model included):
- each distinct (prompt, sample) is asked once; answers already in the response cache are not
  asked again, and each new answer is committed to the cache the moment it arrives, so a killed
  run resumes without repeating a finished call;
- at most `concurrency` calls are in flight (a fixed pool of workers, so memory does not grow
  with the number of prompts), optionally spaced to a requests-per-minute limit;
- one retry loop owned by gSMILE (SDK retries are off): exponential backoff with jitter, the
  provider's Retry-After honoured up to a cap and announced as a `Notice`, a per-call timeout;
  errors are classified by `BackendError.kind` into one clear line; an auth error, or any error
  that retrying cannot fix, stops the run at once and cancels the calls in flight;
- budgets (`max_calls`, `max_cost`) refuse to start a run that would overspend and stop cleanly
  before a call that would cross them;
- every answer is sanitised at the edge (escape sequences and control characters removed) and
  every request/response can be written to an audit trail.
The clock, the sleep and the jitter's random source are injectable, so tests of the retry loop
are deterministic and never wait or assert on wall time.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .audit import AuditLog, sha256_text
from ..backends.base import Backend
from .cache import CallIdentity, ResponseCache, cache_key
from ..errors import BackendError, GsmileError
from ..events import EventHandler, GenerationReceived, Notice, StageStarted, ignore
from .pricing import Price, estimate_input_tokens
from ..sanitize import one_line, strip_unsafe
from ..types import Generation, GenerationParams

ERROR_LIMIT = 300  # characters of a provider's error message kept in one line

KIND_LABELS = {
    "auth": "authentication failed",
    "rate_limit": "rate limited",
    "server": "provider error",
    "timeout": "timed out",
    "bad_response": "unusable response",
    "connection": "cannot reach the provider",
    "unavailable": "model unavailable",
    "context_length": "prompt too long for the model",
    "quota": "quota or credit exhausted",
    "bad_request": "request rejected",
}


BACKSTOP_GRACE_S = 1.0


class BudgetExceeded(GsmileError):
    """A run would overspend `--max-calls` or `--max-cost`; answers received so far are cached."""


@dataclass(frozen=True)
class CallStats:
    model_calls: int
    cache_hits: int
    seconds: float
    retries: int = 0
    cost_usd: float | None = None


@dataclass(frozen=True)
class CallJob:
    """One answer to obtain: a prompt and which of its samples (0 unless sampling k > 1)."""

    prompt: str
    sample: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries. Delay before retry n (1-based) is, without Retry-After,
    `min(max_delay, base_delay * 2**(n-1))` with equal jitter (half fixed, half uniform);
    with Retry-After, that value capped at `retry_after_cap`."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    retry_after_cap: float = 60.0
    timeout: float | None = 120.0

    def delay(self, retry_number: int, error: BackendError, rng: random.Random) -> float:
        if error.retry_after is not None and error.retry_after >= 0:
            return min(float(error.retry_after), self.retry_after_cap)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Budget:
    """Spending limits of one run; `price` is needed for `max_cost`."""

    max_calls: int | None = None
    max_cost: float | None = None
    price: Price | None = None


def identity_of(backend: Backend) -> CallIdentity:
    """The cache/audit identity of a backend, from its key-free `describe()`."""
    try:
        described = backend.describe() or {}
    except Exception:  # a describe() failure must not stop a run
        described = {}
    base_url = described.get("base_url")
    api = described.get("api")
    return CallIdentity(
        provider=str(backend.name),
        model=str(backend.model),
        base_url=None if base_url is None else str(base_url),
        api=None if api is None else str(api),
    )


def sample_seed(seed: int, sample: int) -> int:
    """The request seed of sample `sample`: the run seed for sample 0 (so k = 1 runs share cache
    entries), else a value derived from (seed, sample) that does not collide with other seeds."""
    if sample == 0:
        return seed
    digest = hashlib.sha256(f"gsmile-sample:{seed}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def params_for_sample(params: GenerationParams, sample: int) -> GenerationParams:
    """The generation parameters of sample `sample` (its own request seed)."""
    return params if sample == 0 else replace(params, seed=sample_seed(params.seed, sample))


def job_key(identity: CallIdentity, params: GenerationParams, job: CallJob) -> str:
    """The response-cache key of one job."""
    return cache_key(identity, params_for_sample(params, job.sample), job.prompt, job.sample)


class RateLimiter:
    """Spaces call starts at least 60/rpm seconds apart (a smooth requests-per-minute limit)."""

    def __init__(
        self,
        requests_per_minute: float,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[Any]],
    ) -> None:
        self.interval = 60.0 / requests_per_minute
        self.clock = clock
        self.sleep = sleep
        self.next_start: float | None = None
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self.lock:
            now = self.clock()
            start = now if self.next_start is None else max(now, self.next_start)
            self.next_start = start + self.interval
            if start > now:
                await self.sleep(start - now)


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
    ) -> None:
        self.backend = backend
        self.params = params
        self.concurrency = max(int(concurrency), 1)
        self.on_event = on_event
        self.cache = cache
        self.refresh = refresh
        self.audit = audit
        self.retry = retry or RetryPolicy()
        self.budget = budget or Budget()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random(params.seed)
        self.limiter = (
            RateLimiter(requests_per_minute, clock, sleep) if requests_per_minute else None
        )
        self.identity = identity_of(backend)
        self.model_calls = 0
        self.cache_hits = 0
        self.retries = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.spent_usd = 0.0
        self._reserved_usd = 0.0
        self._estimated_input = 0  # our estimates vs the provider's counts, for later estimates
        self._reported_input = 0
        if self.budget.max_cost is not None and self.budget.price is None:
            raise BudgetExceeded(
                f"no price is known for {self.identity.provider} model {self.identity.model!r}, "
                "so --max-cost cannot be enforced: add it to your prices file or drop --max-cost"
            )

    # -- planning ------------------------------------------------------------------------------
    def params_for(self, sample: int) -> GenerationParams:
        return params_for_sample(self.params, sample)

    def key_for(self, job: CallJob) -> str:
        return job_key(self.identity, self.params, job)

    def estimated_cost(self, job: CallJob) -> float:
        """Worst-case cost of one call: estimated input tokens (scaled up by how far the
        provider's own counts exceeded our estimates so far), output at max_tokens."""
        price = self.budget.price
        if price is None:
            return 0.0
        tokens_in = estimate_input_tokens(job.prompt, self.params.system_prompt) * self._input_ratio()
        return price.cost(tokens_in, self.params.max_tokens)

    def _input_ratio(self) -> float:
        if self._estimated_input <= 0 or self._reported_input <= 0:
            return 1.0
        return max(1.0, self._reported_input / self._estimated_input)

    def cached_answers(self, jobs: Iterable[CallJob]) -> dict[CallJob, Generation]:
        """Answers already in the cache (nothing when there is no cache or on --refresh)."""
        if self.cache is None or self.refresh:
            return {}
        found = {}
        for job in jobs:
            generation = self.cache.get(self.key_for(job))
            if generation is not None:
                found[job] = generation
        return found

    def check_budget(self, pending: Sequence[CallJob], cached: int) -> None:
        """Refuse to start a run whose calls would exceed the budget."""
        max_calls, max_cost = self.budget.max_calls, self.budget.max_cost
        if max_calls is not None and len(pending) > max_calls:
            raise BudgetExceeded(
                f"this run needs {len(pending)} model calls ({cached} more answers are cached) but "
                f"--max-calls is {max_calls}: raise it or use fewer --perturbations"
            )
        if max_cost is not None:
            estimate = sum(self.estimated_cost(job) for job in pending)
            if estimate > max_cost:
                raise BudgetExceeded(
                    f"this run may cost up to ${estimate:.4f} ({len(pending)} calls) but --max-cost is "
                    f"${max_cost:.4f}: raise it, lower --max-tokens or use fewer --perturbations"
                )

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
                    spent_usd=self.spent_usd if self.budget.price is not None else None,
                )
            )

        cached = self.cached_answers(unique)
        pending = [job for job in unique if job not in cached]
        self.check_budget(pending, len(cached))
        self._audit_run_header(len(unique), len(cached))
        for job in unique:
            if job in cached:
                self.cache_hits += 1
                self._audit_cache_hit(job, cached[job])
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
        cost = self.spent_usd if self.budget.price is not None else None
        return answers, CallStats(
            self.model_calls, self.cache_hits, time.perf_counter() - started, self.retries, cost
        )

    async def _call(self, job: CallJob) -> Generation:
        """One answer, through the retry loop; stored in the cache on success."""
        params = self.params_for(job.sample)
        key = self.key_for(job)
        policy = self.retry
        for attempt in range(1, policy.max_attempts + 1):
            reserve = self._reserve(job)
            if self.limiter is not None:
                await self.limiter.acquire()
            self.model_calls += 1
            self._audit_request(key, job, params, attempt)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            started = self.clock()
            try:
                generation = await asyncio.wait_for(self.backend.generate(job.prompt, params), self._deadline())
                error = None
            except asyncio.TimeoutError:
                error = BackendError(
                    f"{self.identity.provider}: no answer within {policy.timeout:g} s", kind="timeout"
                )
            except BackendError as raised:
                error = raised
            except asyncio.CancelledError:
                raise
            except Exception as raised:  # a backend broke its contract; still one clear line
                error = BackendError(
                    f"{self.identity.provider}: {type(raised).__name__}: {one_line(str(raised), ERROR_LIMIT)}",
                    kind="bad_response",
                )
            finally:
                self.in_flight -= 1
                self._reserved_usd -= reserve
            latency = self.clock() - started
            if error is None:
                generation = replace(
                    generation,
                    text=strip_unsafe(generation.text),
                    cached=False,
                    latency_s=generation.latency_s or latency,
                )
                self._account(job, generation)
                if self.cache is not None:
                    self.cache.put(key, self.identity, generation)
                self._audit_response(key, attempt, generation)
                return generation
            message = one_line(str(error), ERROR_LIMIT)
            label = KIND_LABELS.get(error.kind, "provider error")
            if not error.retryable:
                self._audit_error(key, attempt, error, None)
                raise BackendError(f"{label}: {message}", kind=error.kind) from None
            if attempt == policy.max_attempts:
                self._audit_error(key, attempt, error, None)
                raise BackendError(
                    f"{label}: {message} (gave up after {attempt} attempts)", kind=error.kind
                ) from None
            delay = policy.delay(attempt, error, self.rng)
            self._audit_error(key, attempt, error, delay)
            self.retries += 1
            self.on_event(Notice(f"retrying in {_seconds(delay)}: {message}", level="info"))
            await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

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

    # -- budget accounting ---------------------------------------------------------------------
    def _reserve(self, job: CallJob) -> float:
        """Before a call: stop cleanly if it could cross the budget; else reserve its cost."""
        max_calls, max_cost = self.budget.max_calls, self.budget.max_cost
        if max_calls is not None and self.model_calls >= max_calls:
            raise BudgetExceeded(
                f"stopped after {self.model_calls} model calls (--max-calls {max_calls}); the answers "
                "received are cached, so a rerun with a higher budget continues from here"
            )
        estimate = self.estimated_cost(job)
        if max_cost is not None and self.spent_usd + self._reserved_usd + estimate > max_cost:
            raise BudgetExceeded(
                f"stopped at ${self.spent_usd:.4f} spent: the next call could cross --max-cost "
                f"${max_cost:.4f}; the answers received are cached, so a rerun with a higher budget "
                "continues from here"
            )
        self._reserved_usd += estimate
        return estimate

    def _account(self, job: CallJob, generation: Generation) -> None:
        price = self.budget.price
        if price is None:
            return
        estimated_in = estimate_input_tokens(job.prompt, self.params.system_prompt)
        tokens_in = generation.prompt_tokens
        if tokens_in is None:
            tokens_in = estimated_in
        else:
            self._estimated_input += estimated_in
            self._reported_input += tokens_in
        tokens_out = generation.completion_tokens
        if tokens_out is None:
            tokens_out = self.params.max_tokens
        self.spent_usd += price.cost(tokens_in, tokens_out)

    # -- audit trail ---------------------------------------------------------------------------
    def _audit_run_header(self, unique: int, cached: int) -> None:
        if self.audit is None:
            return
        try:
            described = self.backend.describe()
        except Exception:
            described = {}
        self.audit.write(
            "run",
            identity=self.identity.to_dict(),
            backend=described,
            params=self.params.to_dict(),
            concurrency=self.concurrency,
            max_attempts=self.retry.max_attempts,
            timeout_s=self.retry.timeout,
            jobs=unique,
            cached=cached,
            refresh=self.refresh,
        )

    def _audit_request(self, key: str, job: CallJob, params: GenerationParams, attempt: int) -> None:
        if self.audit is not None:
            self.audit.write(
                "request",
                call=key,
                attempt=attempt,
                provider=self.identity.provider,
                base_url=self.identity.base_url,
                api=self.identity.api,
                model=self.identity.model,
                params=params.to_dict(),
                sample=job.sample,
                prompt=job.prompt,
                prompt_sha256=sha256_text(job.prompt),
            )

    def _audit_response(self, key: str, attempt: int, generation: Generation) -> None:
        if self.audit is not None:
            self.audit.write("response", call=key, attempt=attempt, **_generation_fields(generation))

    def _audit_cache_hit(self, job: CallJob, generation: Generation) -> None:
        if self.audit is not None:
            self.audit.write(
                "cache_hit",
                call=self.key_for(job),
                sample=job.sample,
                prompt=job.prompt,
                prompt_sha256=sha256_text(job.prompt),
                **_generation_fields(generation),
            )

    def _audit_error(self, key: str, attempt: int, error: BackendError, retry_in: float | None) -> None:
        if self.audit is not None:
            self.audit.write(
                "error",
                call=key,
                attempt=attempt,
                kind=error.kind,
                message=one_line(str(error), ERROR_LIMIT),
                retry_after=error.retry_after,
                retry_in_s=retry_in,
            )


def _generation_fields(generation: Generation) -> dict[str, Any]:
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


def _seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay >= 10 else f"{delay:.1f} s"
