"""The results of the trust checks of one explanation, as values a session can keep.

A check (see `checks`) asks the model again, so its result is worth keeping with the run it
checked: reopening a session must show it without another call, and a report must carry it. Each
result holds what it was computed from (the edited prompt and its scores, the R rows of scores,
the deletion curves), what it cost (model calls, cache hits, seconds) and when it was made; the
metric itself is the `metrics` module's own result type.

This module holds values only (no pipeline, no model), so `session` can import it cheaply.
JSON has no NaN: an undefined number is stored as null and read back as NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import records
from ..records import BOOL, FLOAT, INT, STR, nested, tuple_of, with_missing
from .metrics.consistency import ConsistencyResult
from .metrics.faithfulness import DeletionResult
from .metrics.stability import StabilityResult
from ..sanitize import strip_unsafe_everywhere
from ..types import json_safe

CHECK_KINDS = ("stability", "consistency", "deletion")
CHECK_TITLES = {
    "stability": "Stability: top words after a minimal edit (paper 4.4.3)",
    "consistency": "Consistency: re-seeded runs (paper 4.4.4)",
    "deletion": "Faithfulness: deletion and insertion test",
}


def _restored(value: Any) -> Any:
    """The inverse of `types.json_safe` for numbers: None becomes NaN, recursively."""
    if value is None:
        return math.nan
    if isinstance(value, dict):
        return {k: _restored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restored(v) for v in value]
    return value


def _floats(values: Any) -> tuple[float, ...]:
    return tuple(math.nan if v is None else float(v) for v in values)


SCORES = records.Codec(list, _floats)  # NaN written as null (json_safe) and read back as NaN


@dataclass(frozen=True)
class CheckCost:
    """What a check spent: calls that reached the model, answers the cache gave, wall time."""

    model_calls: int = 0
    cache_hits: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckCost:
        return records.from_dict(cls, data, {"model_calls": INT, "cache_hits": INT, "seconds": FLOAT})


def _codecs(result_type: type, **own: records.Codec) -> dict[str, records.Codec]:
    """A check's codecs: its own fields', and those every check has (the metric's result, whose
    NaNs come back from null, the cost and the time)."""
    result = records.Codec(lambda r: r.to_dict(), lambda d: result_type.from_dict(_restored(d)))
    return {**own, "result": result, "cost": with_missing(nested(CheckCost), {}), "created_at": with_missing(STR, "")}


def _envelope(check: CheckResult, own: tuple[str, ...]) -> dict[str, Any]:
    """A check's dict: its kind and time, its own fields, the metric's result and the cost."""
    return json_safe(records.to_dict(check, check.codecs, order=("created_at", *own, "result", "cost"),
                                     head={"kind": check.kind}))


@dataclass(frozen=True)
class StabilityCheck:
    """The explanation of an edited prompt and the Jaccard of both top-k word sets."""

    kind: ClassVar[str] = "stability"
    edited_prompt: str
    edited_words: tuple[str, ...]
    edited_scores: tuple[float, ...]
    result: StabilityResult
    cost: CheckCost
    created_at: str

    codecs: ClassVar[dict[str, records.Codec]] = _codecs(
        StabilityResult, edited_prompt=STR, edited_words=tuple_of(STR), edited_scores=SCORES)

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, ("edited_prompt", "edited_words", "edited_scores"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StabilityCheck:
        return records.from_dict(cls, data, cls.codecs)


@dataclass(frozen=True)
class ConsistencyCheck:
    """R explanations of one prompt with seeds seed..seed+R-1 and the per-word spread."""

    kind: ClassVar[str] = "consistency"
    prompt: str
    seeds: tuple[int, ...]
    scores: tuple[tuple[float, ...], ...]  # one row per run, one column per word
    enumerated: bool  # every run enumerated all masks: only the model can make them differ
    result: ConsistencyResult
    cost: CheckCost
    created_at: str

    codecs: ClassVar[dict[str, records.Codec]] = _codecs(
        ConsistencyResult, prompt=STR, seeds=tuple_of(INT), scores=tuple_of(SCORES),
        enumerated=with_missing(BOOL, False))

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, ("prompt", "seeds", "scores", "enumerated"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsistencyCheck:
        return records.from_dict(cls, data, cls.codecs)


@dataclass(frozen=True)
class DeletionCheck:
    """Deletion and insertion curves of the explanation's order and of random orders."""

    kind: ClassVar[str] = "deletion"
    result: DeletionResult
    cost: CheckCost
    created_at: str

    codecs: ClassVar[dict[str, records.Codec]] = _codecs(DeletionResult)

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, ())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeletionCheck:
        return records.from_dict(cls, data, cls.codecs)


CheckResult = StabilityCheck | ConsistencyCheck | DeletionCheck
_BY_KIND: dict[str, type] = {c.kind: c for c in (StabilityCheck, ConsistencyCheck, DeletionCheck)}


def check_from_dict(data: dict[str, Any]) -> CheckResult:
    """A check result from its dict (escapes removed from every string: a file may hold anything);
    ValueError for an unknown kind."""
    data = strip_unsafe_everywhere(data)
    kind = data.get("kind")
    if kind not in _BY_KIND:
        raise ValueError(f"unknown check kind {kind!r} (known: {', '.join(CHECK_KINDS)})")
    return _BY_KIND[kind].from_dict(data)


def latest(checks: tuple[CheckResult, ...], kind: str) -> CheckResult | None:
    """The most recent check of `kind` (checks are kept in the order they were made)."""
    return next((c for c in reversed(checks) if c.kind == kind), None)
