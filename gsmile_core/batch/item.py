"""One prompt of an audit: explained, and turned into the one line `results.jsonl` keeps.

Why here and not in an executor: the local executor and every Ray worker run exactly this, so
the two give the same line for the same prompt. A prompt's own failure (over the limits, empty
after sanitising, the provider gave up on it) becomes an `error` line and the audit goes on; a
failure that would fail every prompt alike (the budget is spent, the key is rejected, the user
cancelled) is raised and stops the audit.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from ..backends.base import Backend
from ..calls.budget import BudgetExceeded
from ..calls.context import RunContext
from ..config import ExplainConfig
from ..errors import BackendError, Cancelled, ConfigError, GsmileError
from ..method.uncertainty import intervals_of
from ..sanitize import one_line
from ..types import Explanation
from .reader import PromptItem

TOP_WORDS = 5
MESSAGE_CHARS = 500


def config_for(item: PromptItem, config: ExplainConfig) -> ExplainConfig:
    """The item's own system prompt, when it has one, replaces the set's."""
    return config if item.system_prompt is None else replace(config, system_prompt=item.system_prompt)


def planned_jobs(item: PromptItem, config: ExplainConfig) -> list:
    """Every call `explain` will make for `item` with `config` (its own config: `config_for`),
    without calling: what a Ray worker fetches from the desk's cache in one round trip."""
    from ..calls.sampling import plan_jobs
    from ..config import mask_options, unit_options
    from ..method.perturb import plan_perturbations
    from ..method.segment import prepare_prompt

    try:
        clean, features = prepare_prompt(item.prompt, **unit_options(config))
    except ConfigError:
        return []  # the prompt fails before any call
    _, texts, _ = plan_perturbations(clean, features, **mask_options(config))
    return plan_jobs(texts, config.samples_per_prompt)


def stops_the_audit(error: BaseException) -> bool:
    """Failures no other prompt would escape: the budget, a rejected key, a cancel."""
    if isinstance(error, (BudgetExceeded, Cancelled)):
        return True
    return isinstance(error, BackendError) and error.kind == "auth"


async def explain_item(item: PromptItem, backend: Backend, config: ExplainConfig, run: RunContext) -> dict[str, Any]:
    """The record of `item`: `ok` with its explanation, or `error` with one line saying why."""
    from ..pipeline import explain

    started = time.perf_counter()
    try:
        explanation = await explain(item.prompt, backend, config_for(item, config), run=run)
    except GsmileError as error:
        if stops_the_audit(error):
            raise
        message = f"bad input: {error}" if isinstance(error, ConfigError) else str(error)  # BackendError names its provider
        return error_record(item, message, time.perf_counter() - started)
    return ok_record(item, explanation, time.perf_counter() - started)


def _base(item: PromptItem) -> dict[str, Any]:
    data = item.to_dict()
    data.pop("line", None)
    return {**data, "line": item.line}


def error_record(item: PromptItem, message: str, seconds: float) -> dict[str, Any]:
    return {**_base(item), "status": "error", "error": one_line(message, MESSAGE_CHARS), "seconds": round(seconds, 4)}


def ok_record(item: PromptItem, explanation: Explanation, seconds: float) -> dict[str, Any]:
    bootstrap = intervals_of(explanation.extras).get("bootstrap")
    ranked = explanation.ranked()[:TOP_WORDS]
    record = {
        **_base(item),
        "status": "ok",
        "features": [f.text for f in explanation.features],
        "attributions": list(explanation.to_dict()["attributions"]),
        "intervals": None if bootstrap is None else {"lower": list(bootstrap.lower), "upper": list(bootstrap.upper)},
        "top": [[feature.text, score] for feature, score in ranked],
        "original_output": explanation.original_output,
        "fidelity": explanation.fidelity.to_dict(),
        "calls": explanation.model_calls,
        "cache_hits": explanation.cache_hits,
        "cost_usd": (explanation.extras.get("calls") or {}).get("cost_usd"),
        "timing": {**explanation.timing.to_dict(), "wall_s": round(seconds, 4)},
        "explanation": explanation.to_dict(),
    }
    if item.expected:
        record["accuracy"] = _accuracy(explanation, item.expected)
    return record


def _accuracy(explanation: Explanation, expected: tuple[str, ...]) -> dict[str, Any]:
    """ATT accuracy of this prompt against its expected keywords (or why it cannot be computed)."""
    from ..evaluation.metrics.accuracy import attribution_accuracy, labels_for

    try:
        labels = labels_for(explanation.features, expected)
    except ConfigError as error:
        return {"error": str(error)}
    result = attribution_accuracy(explanation.attributions, labels, words=explanation.words)
    return {"acc": result.acc, "f1": result.f1, "auroc": result.auroc, "expected": list(expected)}
