"""`explain`: the gSMILE method end to end, headless (paper sections 3-4).

prompt → words → deletion masks → every unique perturbed prompt to the black box → output
distance Δ_j = OWMD(original answer, answer j) and input distance δ_j = IWMD(prompt, prompt j) →
kernel weights w_j = exp(-(δ_j/σ)²) → permutation p-values → weighted linear surrogate of Δ on
the masks → importance = -θ and fidelity. CPU-heavy steps run off the event loop; progress is
reported as events; the result is one frozen `Explanation`.
"""

from __future__ import annotations

import asyncio
import hashlib
import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timezone

import numpy as np

from . import __version__
from .backends.base import Backend
from .calls.context import RunContext
from .calls.sampling import engine_for, generate_answers
from .config import ExplainConfig, fit_options, mask_options, unit_options
from .cpu import available_cores, single_threaded_maths
from .method.parts import DISTANCES
from .method.embed import get_embedder
from .events import Finished, Notice, StageStarted, StepDone
from .method.fitting import fit_perturbations, kernel_uses_input_distances
from .method.answer_span import best_matching_parts, check_span
from .method.interactions import pairwise_interactions
from .method import perturb, segment
from .method.clouds import CLOUD_DISTANCES, MAX_POINTS
from .method.stats import TEST_POINTS, mc_standard_error, permutation_test
from .types import Explanation, Feature, Generation, PerturbationResult, Provenance, Timing
from .method.uncertainty import INTERVALS_KEY, bootstrap_intervals, credible_intervals


def prepare_prompt(
    prompt: str, config: ExplainConfig, protect: Sequence[tuple[int, int]] = ()
) -> tuple[str, tuple[Feature, ...]]:
    """Sanitise the prompt and cut it into `config`'s units (`method.segment.prepare_prompt`)."""
    return segment.prepare_prompt(prompt, **unit_options(config), protect=protect)


def plan_perturbations(
    prompt: str, features: Sequence[Feature], config: ExplainConfig
) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...], bool]:
    """The masks `config` asks for, the text sent for each, and whether they were enumerated."""
    return perturb.plan_perturbations(prompt, features, **mask_options(config))


def _plan(prompt: str, config: ExplainConfig, protect: Sequence[tuple[int, int]]):
    clean, features = prepare_prompt(prompt, config, protect)
    return clean, features, plan_perturbations(clean, features, config)


async def explain(
    prompt: str,
    backend: Backend,
    config: ExplainConfig | None = None,
    *,
    run: RunContext = RunContext(),
    protect: Sequence[tuple[int, int]] = (),
) -> Explanation:
    """Explain which words of `prompt` drive `backend`'s answer.

    `run`: the response cache (answers already stored are not asked again, new ones are stored
    as they arrive; `refresh` asks again and overwrites), the audit trail and the progress
    callback. `protect`: (start, end) spans of the prompt never removed (the drill-down's second
    level).
    """
    config = config or ExplainConfig()
    on_event = run.on_event
    started = time.perf_counter()
    # Planning grows with the perturbations and the prompt: a worker thread keeps the event loop
    # (a front end's keys, its cancel) free while a large plan is made.
    clean, features, (masks, texts, enumerated) = await asyncio.to_thread(_plan, prompt, config, protect)
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        on_event(Notice(message))

    if len(features) == 1:
        warn("a one-word prompt has no perturbation but the original: every score is 0")

    engine = engine_for(backend, config, run)
    analysis = _AnswerAnalysis(config, original_prompt_text=texts[0])
    try:
        focusing = config.answer_span is not None  # the target is one part of the answer
        sampled = await generate_answers(
            engine, texts, config.samples_per_prompt, None if focusing else analysis.answer_arrived
        )
        answers, call_stats = sampled.answers, sampled.stats
        model_seconds = call_stats.seconds
        full_original = answers[texts[0]].text
        full_outputs = [answers[t].text for t in texts]
        original_output, outputs = full_original, full_outputs
        if focusing:
            original_output, outputs = await analysis.focus_on(config.answer_span, texts, full_outputs)

        on_event(StageStarted("embed", len(texts)))
        t0 = time.perf_counter()
        needs_inputs = kernel_uses_input_distances(surrogate=config.surrogate, kernel_width=config.kernel_width)
        prompt_vectors, output_vectors = await analysis.embed_all(clean, texts if needs_inputs else (), outputs)
        embed_seconds = time.perf_counter() - t0

        t0 = time.perf_counter()
        input_distance = DISTANCES.get(config.input_distance)
        output_distance = DISTANCES.get(config.output_distance)
        original_output_vec = output_vectors[original_output]
        deltas = np.array([output_distance(original_output_vec, output_vectors[o], config.p) for o in outputs])
        if needs_inputs:
            original_prompt_vec = prompt_vectors[clean]
            deltas_in = np.array([input_distance(original_prompt_vec, prompt_vectors[t], config.p) for t in texts])
        else:
            deltas_in = np.full(len(texts), np.nan)  # the kernel does not use them: not computed
        noise_floor = None
        if sampled.noise_set is not None:
            noise_vec = await analysis._embedding(sampled.noise_set.text)
            noise_floor = float(output_distance(original_output_vec, noise_vec, config.p))
        distance_seconds = time.perf_counter() - t0
        out_of_vocabulary = sum(len(v.out_of_vocabulary) for v in output_vectors.values())
        _warn_empty_bags(original_output_vec, output_vectors, outputs, warn)

        t0 = time.perf_counter()
        p_values, draws, tests_quantised = await analysis.p_values(outputs, on_event)
        pvalue_seconds = time.perf_counter() - t0
    finally:
        analysis.close()
    clouds = _cloud_extras(config, original_output_vec, output_vectors, outputs, tests_quantised, warn)

    t0 = time.perf_counter()
    on_event(StageStarted("fit", 1))
    mask_matrix = np.asarray(masks, dtype=float)
    outcome = fit_perturbations(mask_matrix, deltas, deltas_in, p_values, len(features), **fit_options(config))
    fit, weights, used = outcome.fit, outcome.weights, outcome.used
    if outcome.dropped:
        warn(f"{outcome.dropped} of {len(masks)} perturbations had p >= {config.alpha} and were left out of the fit")
    if np.allclose(deltas, 0):
        warn("no perturbation moved the answer: every score is 0")
    if outcome.surrogate != config.surrogate:
        warn(f"{len(features)} units and {int(used.sum())} perturbations: least squares is (nearly) underdetermined, "
             f"so the {outcome.surrogate} surrogate was fitted instead of {config.surrogate} (more perturbations, "
             f"or a coarser --unit, restore it)")
    intervals = {}
    credible = credible_intervals(fit.credible_intervals())
    if credible is not None:
        intervals["credible"] = credible.to_dict()
    if config.ci_resamples > 0:
        intervals["bootstrap"] = bootstrap_intervals(
            outcome.surrogate, mask_matrix[used], deltas[used], weights[used],
            resamples=config.ci_resamples, seed=config.seed, alpha=fit.alpha,
        ).to_dict()
    interactions = ()
    if config.interactions >= 2 and len(features) >= 2:
        interactions = pairwise_interactions(
            mask_matrix[used], deltas[used], weights[used], fit.importance, top=config.interactions
        )
    fit_seconds = time.perf_counter() - t0
    on_event(StepDone("fit", 1, 1))

    perturbations = tuple(
        PerturbationResult(
            mask=mask,
            prompt=text,
            output=output,
            input_distance=None if np.isnan(deltas_in[j]) else float(deltas_in[j]),
            output_distance=float(deltas[j]),
            weight=float(weights[j]),
            p_value=p_values[j],
            p_value_draws=draws[j],
            used_in_fit=bool(used[j]),
            cached=answers[text].cached,
        )
        for j, (mask, text, output) in enumerate(zip(masks, texts, full_outputs))
    )
    total = time.perf_counter() - started
    fingerprints = sorted({g.fingerprint for g in answers.values() if g.fingerprint})
    explanation = Explanation(
        prompt=clean,
        features=features,
        original_output=full_original,
        perturbations=perturbations,
        config=config.to_dict(),
        provenance=Provenance(
            gsmile_version=__version__,
            backend=backend.name,
            model=answers[texts[0]].model or backend.model,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            model_fingerprints=tuple(fingerprints),
            embedder=config.embedder,
            python=sys.version.split()[0],
            platform=platform.platform(terse=True),
        ),
        timing=Timing(
            total_s=total,
            model_s=model_seconds,
            embed_s=embed_seconds,
            distances_s=distance_seconds,
            pvalues_s=pvalue_seconds,
            fit_s=fit_seconds,
        ),
        model_calls=call_stats.model_calls,
        cache_hits=call_stats.cache_hits,
        unique_prompts=len(set(texts)),
        warnings=tuple(warnings),
        **outcome.explanation_fields(),
        out_of_vocabulary=out_of_vocabulary,
        extras={
            "enumerated": enumerated,
            "pvalue_draws_total": int(sum(d for d in draws if d)),
            "pvalue_mc_error_max": max(
                (mc_standard_error(p, n) for p, n in zip(p_values, draws) if p is not None and n), default=None
            ),
            INTERVALS_KEY: intervals,
            "surrogate_fitted": outcome.surrogate,
            **({"answer_span": {"span": original_output, "matches": list(outputs)}} if focusing else {}),
            "interactions": [found.to_dict() for found in interactions],
            "answer_clouds": clouds,
            "backend": backend.describe(),
            "calls": {"retries": call_stats.retries, "cost_usd": call_stats.cost_usd},
            **_sampling_extras(config, sampled, deltas, noise_floor, warn),
        },
    )
    on_event(Finished(total))
    return explanation


def explain_sync(
    prompt: str, backend: Backend, config: ExplainConfig | None = None, *, run: RunContext = RunContext()
) -> Explanation:
    """`explain` for callers without an event loop (`gsmile_core.explain` works inside one too)."""
    return asyncio.run(explain(prompt, backend, config, run=run))


def _stable_seed(root: int, text: str) -> np.random.SeedSequence:
    """A seed for one answer's test that depends only on the run seed and the answer text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return np.random.SeedSequence(entropy=root, spawn_key=(int.from_bytes(digest[:8], "big"),))


class _AnswerAnalysis:
    """Embeds answers and runs their permutation tests on worker threads as answers arrive.

    The word vectors start loading with the first call, and each answer's embedding and test
    start as soon as both it and the original answer are in, so most of this CPU work overlaps
    the model's generation instead of following it. Results are keyed by answer text: equal
    answers are embedded and tested once.
    """

    def __init__(self, config: ExplainConfig, original_prompt_text: str) -> None:
        self.config = config
        self.original_prompt_text = original_prompt_text
        self.loop = asyncio.get_running_loop()
        self.workers = ThreadPoolExecutor(max_workers=available_cores(), thread_name_prefix="gsmile-cpu")
        self.exits = ExitStack()  # the workers are the parallelism: one maths thread each (cpu.py)
        self.exits.enter_context(single_threaded_maths())
        self.embedder = self.loop.run_in_executor(self.workers, get_embedder, config.embedder)
        self.original_output: str | None = None
        self.seen: list[str] = []
        self.embeddings: dict[str, asyncio.Future] = {}
        self.tests: dict[str, asyncio.Future] = {}

    def close(self) -> None:
        self.workers.shutdown(wait=False, cancel_futures=True)
        self.exits.close()

    def _embedding(self, text: str) -> asyncio.Future:
        if text not in self.embeddings:
            self.embeddings[text] = self.loop.run_in_executor(
                self.workers, lambda: get_embedder(self.config.embedder).embed(text)
            )
        return self.embeddings[text]

    def answer_arrived(self, prompt: str, generation) -> None:
        text = generation.text
        self._embedding(text)
        if prompt == self.original_prompt_text:
            self.original_output = text
            for earlier in self.seen:
                self._schedule_test(earlier)
        self.seen.append(text)
        if self.original_output is not None:
            self._schedule_test(text)

    def _schedule_test(self, text: str) -> None:
        if self.config.bootstrap == 0 or text in self.tests or self.original_output is None:
            return
        original = self._embedding(self.original_output)
        other = self._embedding(text)
        self.tests[text] = asyncio.ensure_future(self._test(original, other, text))

    async def _test(self, original: asyncio.Future, other: asyncio.Future, text: str):
        x, y = await original, await other
        if x.empty or y.empty:
            return None
        config = self.config
        return await self.loop.run_in_executor(
            self.workers,
            lambda: permutation_test(
                x.vectors,
                y.vectors,
                draws=config.bootstrap,
                p=config.p,
                seed=_stable_seed(config.seed, text),
                alpha=None if config.exact_pvalues else config.alpha,
            ),
        )

    async def focus_on(self, span: str, texts, answers) -> tuple[str, list[str]]:
        """Answer-span mode (method.answer_span): each answer's part closest to the span becomes
        what is embedded, compared and tested; the span stands for the original answer."""
        span = check_span(span, answers[0])
        embedder = await self.embedder
        distance = DISTANCES.get(self.config.output_distance)
        clouds: dict[str, object] = {}

        def cloud(text: str):
            if text not in clouds:
                clouds[text] = embedder.embed(text)
            return clouds[text]

        def between(a: str, b: str) -> float:
            return float(distance(cloud(a), cloud(b), self.config.p))

        parts = await self.loop.run_in_executor(self.workers, lambda: best_matching_parts(span, answers, between))
        for prompt, part in zip(texts, parts):
            self.answer_arrived(prompt, Generation(text=span if prompt == texts[0] else part, model=""))
        return span, [span if prompt == texts[0] else part for prompt, part in zip(texts, parts)]

    async def embed_all(self, prompt, texts, outputs):
        embedder = await self.embedder
        prompts = {}
        if texts:
            prompts = await self.loop.run_in_executor(
                self.workers, lambda: {t: embedder.embed(t) for t in dict.fromkeys([prompt, *texts])}
            )
        answers = {o: await self._embedding(o) for o in dict.fromkeys(outputs)}
        return prompts, answers

    async def p_values(self, outputs, on_event):
        """Permutation p-value and draws per perturbation (None where no test applies)."""
        if self.config.bootstrap == 0:
            return [None] * len(outputs), [None] * len(outputs), []
        distinct = list(dict.fromkeys(outputs))
        for text in distinct:
            self._schedule_test(text)
        on_event(StageStarted("pvalues", len(distinct)))
        results = {}
        for done, text in enumerate(distinct, start=1):
            results[text] = await self.tests[text]
            on_event(StepDone("pvalues", done, len(distinct)))
        p_values = [None if results[o] is None else results[o].p_value for o in outputs]
        draws = [None if results[o] is None else results[o].draws for o in outputs]
        quantised = [result for result in results.values() if result is not None and result.quantised]
        return p_values, draws, quantised


def _sampling_extras(config, sampled, deltas, noise_floor, warn) -> dict:
    """With k samples per prompt: the k answers of each prompt and the sampling-noise floor."""
    if config.samples_per_prompt == 1:
        return {}
    below = int(np.sum(deltas[1:] <= noise_floor)) if noise_floor is not None else 0
    if noise_floor is not None and len(deltas) > 1 and below * 2 > len(deltas) - 1:
        warn(
            f"{below} of {len(deltas) - 1} perturbations moved the answer no more than sampling "
            f"noise does (noise floor {noise_floor:.4f}): most of the movement may be chance"
        )
    return {
        "sampling": {
            "samples_per_prompt": config.samples_per_prompt,
            "noise_floor": noise_floor,
            "perturbations_within_noise": below,
            "original_samples": list(sampled.samples[next(iter(sampled.samples))]),
            "noise_samples": list(sampled.noise_samples),
        }
    }


def _cloud_extras(config, original, vectors, outputs, tests_quantised, warn) -> dict:
    """How large the answers' clouds were (method.clouds), and what was quantised to bound them.

    A quantised permutation test is still a valid test (its statistic is the distance between the
    quantised halves); `test_statistic_error_bound` says how far that statistic may be from the
    unquantised distance, at most, over the tests."""
    tests = {
        "test_points": TEST_POINTS,
        "tests_quantised": len(tests_quantised),
        "test_statistic_error_bound": max((t.observed_error_bound for t in tests_quantised), default=0.0),
    }
    if config.output_distance not in CLOUD_DISTANCES:
        return tests
    distinct = [vectors[o] for o in dict.fromkeys(outputs)]
    quantised = [v for v in distinct if v.cloud.quantised]
    bound = max((original.cloud.error_bound(config.p) + v.cloud.error_bound(config.p) for v in distinct), default=0.0)
    if quantised:
        warn(f"{len(quantised)} answer(s) have more than {MAX_POINTS} distinct word vectors: their distances were "
             f"computed on {MAX_POINTS} k-means representatives, within {bound:.4g} of the exact value")
    return {
        "max_points": MAX_POINTS,
        "largest": max((v.cloud.size for v in distinct), default=0),
        "quantised_answers": len(quantised),
        "distance_error_bound": bound,
        **tests,
    }


def _warn_empty_bags(original, vectors, outputs, warn) -> None:
    if original.empty:
        warn("the original answer has no word the embedder knows: output distances use the null-word rule")
        return
    empty = sum(1 for o in dict.fromkeys(outputs) if vectors[o].empty)
    if empty:
        warn(f"{empty} answer(s) have no word the embedder knows: their distance uses the null-word rule")
