"""The values that flow through gSMILE, as frozen dataclasses.

One `Explanation` feeds the CLI, the TUI, sessions and reports, so it carries everything needed
to re-draw and to re-derive it: features with character offsets, every perturbation with the
exact text sent and the answer received, the fit, the statistics and the provenance. Each result
type has `to_dict`/`from_dict` so JSON round-trips are lossless and versioned in one place: each
declares its fields' codecs for `records`, which does the work. An explanation read from a file is
checked (one score and one mask entry per feature, finite scores), so a damaged file is refused in
one line rather than reported wrong.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field, fields
from typing import Any

from . import records
from .records import BOOL, FINITE, FINITE_OR_NONE, FLOAT, INT, STR, nested, optional, tuple_of, with_missing
from .sanitize import strip_unsafe_everywhere

EXPLANATION_FORMAT = "gsmile.explanation"
EXPLANATION_VERSION = 1


def json_safe(value: Any) -> Any:
    """JSON has no NaN or infinity: non-finite floats become None, recursively through dicts,
    lists and tuples (tuples become lists)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class Feature:
    """One interpretable unit of the prompt (a word, phrase, sentence or paragraph: `level`),
    with where it sits in the prompt."""

    index: int
    text: str
    start: int
    end: int
    level: str = "word"

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _FEATURE)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feature:
        return records.from_dict(cls, data, _FEATURE)


_FEATURE = {"index": INT, "text": STR, "start": INT, "end": INT, "level": STR}


@dataclass(frozen=True)
class GenerationParams:
    """Generation settings, identical for the original prompt and every perturbed prompt."""

    max_tokens: int = 48
    temperature: float = 0.0
    seed: int = 0
    top_p: float | None = None
    system_prompt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self)


@dataclass(frozen=True)
class Generation:
    """One answer of the model under audit."""

    text: str
    model: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    fingerprint: str | None = None
    latency_s: float = 0.0
    cached: bool = False


@dataclass(frozen=True)
class PerturbationResult:
    """One perturbation: the keep-mask, the text sent, the answer, and what gSMILE made of it."""

    mask: tuple[int, ...]
    prompt: str
    output: str
    input_distance: float | None  # None: not computed, the kernel did not use it
    output_distance: float
    weight: float
    p_value: float | None = None
    p_value_draws: int | None = None
    used_in_fit: bool = True
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _PERTURBATION)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerturbationResult:
        return records.from_dict(cls, data, _PERTURBATION)


_PERTURBATION = {
    "mask": tuple_of(INT), "prompt": STR, "output": STR, "input_distance": with_missing(FINITE_OR_NONE, None),
    "output_distance": FINITE, "weight": FINITE, "p_value": FINITE_OR_NONE, "used_in_fit": BOOL, "cached": BOOL,
}


@dataclass(frozen=True)
class Fidelity:
    """How closely the surrogate reproduces the black box (paper eqs. 16-22).

    `r2_w` and `adj_r2_w` follow eqs. 17-18 literally (unweighted sums around the weighted mean);
    `r2_w_conventional` is the usual weighted R² (scikit-learn's `r2_score` with `sample_weight`).
    A figure that is undefined for the data (for example adjusted R² with fewer samples than
    features + 2) is None, never NaN.
    """

    wmse: float | None
    r2_w: float | None
    adj_r2_w: float | None
    wmae: float | None
    mean_l1: float | None
    mean_l2: float | None
    r2_w_conventional: float | None = None
    n_samples: int = 0
    n_features: int = 0

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _FIDELITY)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fidelity:
        return records.from_dict(cls, data, _FIDELITY)


# Figures are written with NaN as null and read back as they are (None stays None).
_FIDELITY = {f.name: records.Codec(records.finite_or_none) for f in fields(Fidelity)
             if f.name not in {"n_samples", "n_features"}}


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: enough to reproduce it or to question it."""

    gsmile_version: str
    backend: str
    model: str
    created_at: str
    model_fingerprints: tuple[str, ...] = ()
    embedder: str = ""
    python: str = ""
    platform: str = ""

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _PROVENANCE)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return records.from_dict(cls, data, _PROVENANCE)


_PROVENANCE = {"model_fingerprints": tuple_of()}


@dataclass(frozen=True)
class Timing:
    """Seconds spent in each stage; `model_s` is wall time while answers were being generated."""

    total_s: float = 0.0
    model_s: float = 0.0
    embed_s: float = 0.0
    distances_s: float = 0.0
    pvalues_s: float = 0.0
    fit_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timing:
        return records.from_dict(cls, data, {f.name: FLOAT for f in fields(cls)})


# Module and function that draw an Explanation as an HTML fragment (notebooks).
HTML_RENDERER = ("gsmile_core.reports.html", "explanation_fragment_html")


@dataclass(frozen=True)
class Explanation:
    """A finished explanation of one prompt on one model.

    `attributions[i]` is the importance of feature i: minus its surrogate coefficient, so a
    positive score means that keeping the word holds the answer near the original answer.
    """

    prompt: str
    features: tuple[Feature, ...]
    attributions: tuple[float, ...]
    intercept: float
    original_output: str
    perturbations: tuple[PerturbationResult, ...]
    fidelity: Fidelity
    config: dict[str, Any]
    provenance: Provenance
    timing: Timing
    model_calls: int
    cache_hits: int
    attribution_std: tuple[float, ...] | None = None
    kernel_width: float = 1.0
    effective_sample_size: float = 0.0
    unique_prompts: int = 0
    dropped_insignificant: int = 0
    warnings: tuple[str, ...] = ()
    out_of_vocabulary: int = 0
    extras: dict[str, Any] = field(default_factory=dict)

    # -- derived views -------------------------------------------------------------------------
    @property
    def words(self) -> tuple[str, ...]:
        """The prompt's words (the features' texts), in prompt order."""
        return tuple(f.text for f in self.features)

    def _repr_html_(self) -> str:
        """A notebook shows the explanation by itself: the heatmap, its legend and the top words,
        drawn by the HTML report's renderer (loaded here by name: the report imports this module)."""
        module, function = HTML_RENDERER
        return getattr(importlib.import_module(module), function)(self)

    def ranked(self) -> list[tuple[Feature, float]]:
        """Features with their scores, most important first (ties keep prompt order)."""
        pairs = list(zip(self.features, self.attributions))
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0].index))

    def significant_counts(self, alpha: float | None = None) -> tuple[int, int]:
        """(perturbations with p < alpha, perturbations with a p-value)."""
        alpha = self.config.get("alpha", 0.05) if alpha is None else alpha
        tested = [p.p_value for p in self.perturbations if p.p_value is not None]
        return sum(1 for p in tested if p < alpha), len(tested)

    # -- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _EXPLANATION, order=_EXPLANATION_KEYS,
                               head={"format": EXPLANATION_FORMAT, "version": EXPLANATION_VERSION})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        """An explanation from its JSON dict: escapes removed from every string (a file may hold
        anything), then checked (`_check_shapes`): a damaged file is a ValueError, one line."""
        if data.get("format") != EXPLANATION_FORMAT:
            raise ValueError(f"not a gSMILE explanation (format is {data.get('format')!r})")
        version = data.get("version")
        if not isinstance(version, int) or version > EXPLANATION_VERSION:
            raise ValueError(
                f"explanation version {version!r} is newer than this gSMILE understands "
                f"({EXPLANATION_VERSION}); upgrade gSMILE to read it"
            )
        data = strip_unsafe_everywhere(data)  # a file may hold anything: no escapes reach a display
        explanation = records.from_dict(cls, data, _EXPLANATION, kernel_width=_kernel_width_of(data))
        _check_shapes(explanation)
        return explanation


def _kernel_width_of(data: dict[str, Any]) -> float:
    """σ = ∞ (uniform weights) is stored as null, like every non-finite number."""
    if data.get("kernel_width") is None and data.get("config", {}).get("kernel_width") == "uniform":
        return float("inf")
    return float(data.get("kernel_width") or 1.0)


def _number(value: Any) -> float:
    """A JSON number as a float; anything else (null, text, true) is a ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _check_shapes(explanation: Explanation) -> None:
    """Refuse an explanation whose parts disagree: one score per feature, finite; one mask entry
    per feature; features in order inside the prompt. A report drawn from a damaged file would
    otherwise be silently wrong (two missing scores dropped the top word)."""
    d = len(explanation.features)
    if len(explanation.attributions) != d:
        raise ValueError(f"damaged explanation: {len(explanation.attributions)} attributions for {d} features")
    bad = next((i for i, a in enumerate(explanation.attributions) if not math.isfinite(a)), None)
    if bad is not None:
        raise ValueError(f"damaged explanation: attribution {bad + 1} is not a finite number")
    if explanation.attribution_std is not None and len(explanation.attribution_std) != d:
        raise ValueError(f"damaged explanation: {len(explanation.attribution_std)} standard deviations for {d} features")
    for i, feature in enumerate(explanation.features):
        if feature.index != i or not 0 <= feature.start <= feature.end <= len(explanation.prompt):
            raise ValueError(f"damaged explanation: feature {i + 1} ({feature.text!r}) is out of place")
    for j, perturbation in enumerate(explanation.perturbations):
        if len(perturbation.mask) != d or any(v not in (0, 1) for v in perturbation.mask):
            raise ValueError(f"damaged explanation: perturbation {j + 1}'s mask does not have one 0/1 entry per feature")


def _attributions(values: Any) -> tuple[float, ...]:
    try:
        return tuple(_number(v) for v in values)
    except ValueError:
        raise ValueError("damaged explanation: an attribution is not a number") from None


# The JSON keys in the order files have always had them (not the fields' order).
_EXPLANATION_KEYS = (
    "prompt", "features", "attributions", "attribution_std", "intercept", "original_output", "perturbations",
    "fidelity", "config", "provenance", "timing", "model_calls", "cache_hits", "unique_prompts", "kernel_width",
    "effective_sample_size", "dropped_insignificant", "out_of_vocabulary", "warnings", "extras",
)
_OR_ZERO = records.Codec(records.finite_or_none, lambda v: float(v or 0.0), None)
_EXPLANATION = {
    "prompt": STR,
    "features": tuple_of(nested(Feature)),
    "attributions": records.Codec(lambda v: [records.finite_or_none(a) for a in v], _attributions),
    "attribution_std": optional(tuple_of(records.Codec(records.finite_or_none, lambda v: float(v or 0.0)))),
    "intercept": _OR_ZERO,
    "original_output": STR,
    "perturbations": tuple_of(nested(PerturbationResult)),
    "fidelity": nested(Fidelity),
    "config": with_missing(records.Codec(dict, dict), {}),
    "provenance": nested(Provenance),
    "timing": with_missing(nested(Timing), {}),
    "model_calls": with_missing(INT, 0),
    "cache_hits": with_missing(INT, 0),
    "kernel_width": records.Codec(records.finite_or_none),
    "effective_sample_size": _OR_ZERO,
    "unique_prompts": INT,
    "dropped_insignificant": INT,
    "warnings": tuple_of(),
    "out_of_vocabulary": INT,
    "extras": records.Codec(dict, dict),
}
