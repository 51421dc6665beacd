"""From keep-masks and a model's output vectors to an `Explanation`: gSMILE's fitting, reused.

Both model kinds (text classifiers and tabular models) end here with the same pieces: the
features, the masks (row 0 the original), the input each mask made, the model's output vector
for each, and the input distances (or NaN where the kernel does not use them). This module turns
the outputs into the target (`outputs.target_values`), fits through `method.fitting` — the
kernel, the surrogate and the fidelity of the text pipeline, with its explicit arguments — adds
the bootstrap intervals, the pairwise interactions and the per-feature permutation tests, and
builds the frozen `Explanation`. Nothing of the fit is re-implemented.

Model calls: a classifier or tabular model is a local, pure function, evaluated in batches on a
worker thread, not through the call engine. The engine's job is remote calls (concurrency,
retries, rate limits, cost, a response cache keyed by provider, model and prompt); a local model
is CPU-bound (threads would only contend), deterministic (nothing to retry or cache across runs:
re-evaluating costs less than a cache read for most models), and a scikit-learn model predicts a
whole batch in one call, where the engine would call it once per input. `max_calls` is honoured
(an over-budget run is refused before any call), duplicate inputs are evaluated once, and
`model_calls` counts the inputs evaluated.

The explanation's `config` holds the settings that applied (the generation settings of an LLM
run are left out) plus the target's; `extras["model"]` holds the kind of model, its classes, the
explained class or distance, and every output vector, so sessions and reports round-trip them.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .. import __version__
from ..config import ExplainConfig, fit_options
from ..errors import ConfigError, ModelError
from ..events import EventHandler, StageStarted, StepDone
from ..method.fitting import fit_perturbations
from ..method.interactions import pairwise_interactions
from ..method.uncertainty import INTERVALS_KEY, bootstrap_intervals, credible_intervals
from ..types import Explanation, Feature, PerturbationResult, Provenance, Timing
from .feature_tests import feature_permutation_tests
from .outputs import Target, class_names, output_text, target_values, tested_outputs

MODEL_KEY = "model"
TEXT_CLASSIFIER = "text-classifier"
TABULAR = "tabular"
BATCH = 256  # inputs per call of the model

# ExplainConfig fields that only an LLM run uses (generation, the call engine, the answer side).
GENERATION_ONLY = (
    "generation_seed", "max_tokens", "temperature", "system_prompt", "samples_per_prompt",
    "max_attempts", "call_timeout", "requests_per_minute", "max_cost", "answer_span",
    "output_distance", "exact_pvalues", "concurrency",
)


def model_kind(explanation: Explanation) -> str | None:
    """`text-classifier`, `tabular`, or None for an LLM explanation."""
    stored = explanation.extras.get(MODEL_KEY)
    return stored.get("kind") if isinstance(stored, dict) else None


def check_options(config: ExplainConfig) -> None:
    """Settings that have no meaning for a deterministic model are refused in one line."""
    if config.drop_insignificant:
        raise ConfigError(
            "--drop-insignificant needs per-perturbation p-values; a deterministic model has one output "
            "per input, so they are not defined (per-feature permutation tests replace them)"
        )
    if config.samples_per_prompt != 1:
        raise ConfigError("--samples-per-prompt applies to generated answers, not to a classifier or tabular model")


def evaluate(
    predict: Callable[[list[Any]], np.ndarray],
    inputs: Sequence[Any],
    key: Callable[[Any], Any],
    *,
    max_calls: int | None,
    on_event: EventHandler,
) -> tuple[np.ndarray, int]:
    """The model's output rows for `inputs` (duplicates by `key` evaluated once), in batches;
    and the number of inputs evaluated."""
    unique: dict[Any, int] = {}
    for item in inputs:
        unique.setdefault(key(item), len(unique))
    if max_calls is not None and len(unique) > max_calls:
        raise ConfigError(f"the run needs {len(unique)} model calls; --max-calls is {max_calls}")
    first_of = {}
    for item in inputs:
        first_of.setdefault(key(item), item)
    distinct = list(first_of.values())
    on_event(StageStarted("generate", len(distinct)))
    rows: list[np.ndarray] = []
    width = None
    for start in range(0, len(distinct), BATCH):
        block = np.asarray(predict(distinct[start : start + BATCH]), dtype=float)
        if width is None:
            width = block.shape[1]
        elif block.shape[1] != width:
            raise ModelError(f"the model returned {block.shape[1]} outputs for some inputs and {width} for others")
        rows.append(block)
        on_event(StepDone("generate", min(start + BATCH, len(distinct)), len(distinct)))
    table = np.vstack(rows)
    return table[[unique[key(item)] for item in inputs]], len(distinct)


@dataclass(frozen=True)
class PerturbedRun:
    """Everything a model explanation is made of, before the fit."""

    prompt: str
    features: tuple[Feature, ...]
    masks: tuple[tuple[int, ...], ...]
    enumerated: bool
    inputs: tuple[str, ...]  # the input each mask made, as text (the perturbed text or row)
    outputs: np.ndarray  # J × K, row 0 the original
    classes: tuple[str, ...]
    output_kind: str
    input_distances: np.ndarray  # J, NaN where the kernel does not use them
    model_calls: int
    kind: str
    model_name: str
    embedder: str = ""
    model_s: float = 0.0
    distances_s: float = 0.0
    details: dict[str, Any] | None = None  # kind-specific extras["model"] entries


def explain_run(
    run: PerturbedRun, target: Target, config: ExplainConfig, settings: dict[str, Any], *,
    on_event: EventHandler, started: float, warnings: Sequence[str] = (), unused: Sequence[str] = (),
) -> Explanation:
    """Fit the surrogate to `run`'s target and build the explanation."""
    import time

    warnings = list(warnings)
    run = replace(run, classes=class_names(run.classes))
    target = replace(target, class_name=None if target.class_name is None else class_names([target.class_name])[0])
    deltas = target_values(run.outputs, run.output_kind, target, config.p)
    if not np.all(np.isfinite(deltas)):
        raise ModelError("the model's outputs give a non-finite target (infinite scores?)")
    on_event(StageStarted("fit", 1))
    t0 = time.perf_counter()
    masks = np.asarray(run.masks, dtype=float)
    no_pvalues = [None] * len(run.masks)
    outcome = fit_perturbations(masks, deltas, run.input_distances, no_pvalues, len(run.features), **fit_options(config))
    fit, weights, used = outcome.fit, outcome.weights, outcome.used
    if np.allclose(deltas, 0):
        warnings.append("no perturbation moved the output: every score is 0")
    if outcome.surrogate != config.surrogate:
        warnings.append(f"{len(run.features)} features and {int(used.sum())} perturbations: least squares is "
                        f"(nearly) underdetermined, so the {outcome.surrogate} surrogate was fitted instead of "
                        f"{config.surrogate}")
    intervals: dict[str, Any] = {}
    credible = credible_intervals(fit.credible_intervals())
    if credible is not None:
        intervals["credible"] = credible.to_dict()
    if config.ci_resamples > 0:
        intervals["bootstrap"] = bootstrap_intervals(
            outcome.surrogate, masks[used], deltas[used], weights[used],
            resamples=config.ci_resamples, seed=config.seed, alpha=fit.alpha,
        ).to_dict()
    interactions = ()
    if config.interactions >= 2 and len(run.features) >= 2:
        interactions = pairwise_interactions(masks[used], deltas[used], weights[used], fit.importance, top=config.interactions)
    tests = feature_permutation_tests(
        masks, tested_outputs(run.outputs, run.output_kind, target), weights, draws=config.bootstrap, seed=config.seed
    )
    fit_seconds = time.perf_counter() - t0
    on_event(StepDone("fit", 1, 1))
    texts = [output_text(run.classes, row) for row in run.outputs]
    perturbations = tuple(
        PerturbationResult(
            mask=mask, prompt=run.inputs[j], output=texts[j],
            input_distance=None if np.isnan(run.input_distances[j]) else float(run.input_distances[j]),
            output_distance=float(deltas[j]), weight=float(weights[j]),
            p_value=None, p_value_draws=None, used_in_fit=bool(used[j]), cached=False,
        )
        for j, mask in enumerate(run.masks)
    )
    total = time.perf_counter() - started
    model = {
        "kind": run.kind,
        "name": run.model_name,
        "classes": list(run.classes),
        "output_kind": run.output_kind,
        "target": target.to_dict(),
        "outputs": [[float(v) for v in row] for row in run.outputs],
        "feature_tests": tests.to_dict(),
        **(run.details or {}),
    }
    return Explanation(
        prompt=run.prompt,
        features=run.features,
        original_output=texts[0],
        perturbations=perturbations,
        config=model_config(config, settings, unused),
        provenance=Provenance(
            gsmile_version=__version__, backend=run.kind, model=run.model_name,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            embedder=run.embedder, python=sys.version.split()[0], platform=platform.platform(terse=True),
        ),
        timing=Timing(total_s=total, model_s=run.model_s, distances_s=run.distances_s, fit_s=fit_seconds),
        model_calls=run.model_calls,
        cache_hits=0,
        unique_prompts=len(set(run.inputs)),
        warnings=tuple(warnings),
        **outcome.explanation_fields(),
        extras={
            "enumerated": run.enumerated,
            INTERVALS_KEY: intervals,
            "surrogate_fitted": outcome.surrogate,
            "interactions": [found.to_dict() for found in interactions],
            MODEL_KEY: model,
        },
    )


def model_config(config: ExplainConfig, settings: dict[str, Any], unused: Sequence[str] = ()) -> dict[str, Any]:
    """The settings stored with a model explanation: the shared ones that applied (`unused` and
    the generation settings left out), and the model's."""
    stored = {k: v for k, v in config.to_dict().items() if k not in GENERATION_ONLY and k not in unused}
    stored.update(settings)
    return stored
