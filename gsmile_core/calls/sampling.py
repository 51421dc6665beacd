"""The answer to a prompt as a distribution (paper eq. 2): k samples per prompt, pooled.

Why: at temperature > 0 one answer is one draw from π(y | x); the paper's OWMD is a distance
between output distributions. With `samples_per_prompt = k` every unique prompt is asked k times
(sample index in the cache key and a per-sample request seed), and its answer becomes the pooled
bag of words of the k answers — the k texts joined, so each word occurrence of each answer
carries equal mass in the Wasserstein distance. The original prompt is asked 2k times: the
second set of k gives the sampling-noise floor, the distance between two independent sample sets
of the same prompt, i.e. how far answers move by chance alone.

With k = 1 this is exactly one call per unique prompt and no noise floor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..backends.base import Backend
from ..config import ExplainConfig
from ..types import Generation
from .budget import Budget
from .context import RunContext
from .engine import CallEngine, CallStats
from .jobs import CallJob
from .pricing import find_price
from .retry import RetryPolicy

SAMPLE_SEPARATOR = "\n\n"
SHARED_QUEUE = 1 << 20  # a run under shared limits: one waiting task per call, the limits decide


def engine_for(
    backend: Backend,
    config: ExplainConfig,
    run: RunContext = RunContext(),
    **overrides,
) -> CallEngine:
    """The call engine a run of `config` uses, with `run`'s cache, audit trail and progress
    callback (overrides: sleep, clock, rng, retry for tests)."""
    price = find_price(backend.name, backend.model)
    options = dict(
        concurrency=config.concurrency,
        on_event=run.on_event,
        cache=run.cache,
        refresh=run.refresh,
        audit=run.audit,
        retry=RetryPolicy(max_attempts=config.max_attempts, timeout=config.call_timeout),
        requests_per_minute=config.requests_per_minute,
        budget=Budget(max_calls=config.max_calls, max_cost=config.max_cost, price=price),
    )
    if run.limits is not None:
        # The shared limits hold the concurrency, pacing and budget of the whole set; this run
        # queues every call on them at once (so its calls are served in its turn) and counts.
        options.update(shared=run.limits, concurrency=SHARED_QUEUE, requests_per_minute=None, budget=Budget(price=price))
    options.update(overrides)
    return CallEngine(backend, config.generation_params(), **options)


def plan_jobs(texts: Sequence[str], samples: int) -> list[CallJob]:
    """Every call a run needs: k samples of each unique prompt, plus k more of the original
    (the noise-floor set) when k > 1. The original's first."""
    unique = list(dict.fromkeys(texts))
    if samples == 1:
        return [CallJob(t) for t in unique]
    jobs = [CallJob(unique[0], i) for i in range(2 * samples)]
    jobs += [CallJob(t, i) for t in unique[1:] for i in range(samples)]
    return jobs


def pool(generations: Sequence[Generation]) -> Generation:
    """One Generation standing for k samples: texts joined, tokens summed, cached if all were."""
    first = generations[0]
    if len(generations) == 1:
        return first

    def total(values):
        return None if any(v is None for v in values) else sum(values)

    return replace(
        first,
        text=SAMPLE_SEPARATOR.join(g.text for g in generations),
        fingerprint=next((g.fingerprint for g in generations if g.fingerprint), None),
        prompt_tokens=total([g.prompt_tokens for g in generations]),
        completion_tokens=total([g.completion_tokens for g in generations]),
        latency_s=max(g.latency_s for g in generations),
        cached=all(g.cached for g in generations),
    )


@dataclass(frozen=True)
class SampledAnswers:
    answers: dict[str, Generation]  # per unique prompt: the pooled answer (the answer if k = 1)
    samples: dict[str, tuple[str, ...]]  # per unique prompt: the k answer texts
    noise_set: Generation | None  # the original prompt's second, independent pooled set
    stats: CallStats
    noise_samples: tuple[str, ...] = ()


async def generate_answers(
    engine: CallEngine,
    texts: Sequence[str],
    samples: int,
    on_answer: Callable[[str, Generation], None] | None = None,
) -> SampledAnswers:
    """Answers for every unique prompt, `samples` draws each; `on_answer(prompt, pooled)` runs as
    soon as all k samples of a prompt are in."""
    if samples == 1:
        answers, stats = await engine.generate_all(texts, on_answer)
        return SampledAnswers(answers, {p: (g.text,) for p, g in answers.items()}, None, stats)

    arrived: dict[str, dict[int, Generation]] = {}

    def one_sample(job: CallJob, generation: Generation) -> None:
        if job.sample >= samples:
            return  # the noise-floor set is pooled at the end
        got = arrived.setdefault(job.prompt, {})
        got[job.sample] = generation
        if len(got) == samples and on_answer is not None:
            on_answer(job.prompt, pool([got[i] for i in range(samples)]))

    results, stats = await engine.run_jobs(plan_jobs(texts, samples), one_sample)
    unique = list(dict.fromkeys(texts))
    answers, sample_texts = {}, {}
    for prompt in unique:
        draws = [results[CallJob(prompt, i)] for i in range(samples)]
        answers[prompt] = pool(draws)
        sample_texts[prompt] = tuple(g.text for g in draws)
    noise_draws = [results[CallJob(unique[0], i)] for i in range(samples, 2 * samples)]
    return SampledAnswers(answers, sample_texts, pool(noise_draws), stats, tuple(g.text for g in noise_draws))
