"""The values that flow through gSMILE, as frozen dataclasses.

One `Explanation` feeds the CLI, the TUI, sessions and reports, so it carries everything needed
to re-draw and to re-derive it: features with character offsets, every perturbation with the
exact text sent and the answer received, the fit, the statistics and the provenance. Each result
type has `to_dict`/`from_dict` so JSON round-trips are lossless and versioned in one place.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

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


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: undefined statistics are stored as null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


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
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feature:
        return cls(int(data["index"]), str(data["text"]), int(data["start"]), int(data["end"]),
                   str(data.get("level", "word")))


@dataclass(frozen=True)
class GenerationParams:
    """Generation settings, identical for the original prompt and every perturbed prompt."""

    max_tokens: int = 48
    temperature: float = 0.0
    seed: int = 0
    top_p: float | None = None
    system_prompt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        data = asdict(self)
        data["mask"] = list(self.mask)
        for key in ("input_distance", "output_distance", "weight", "p_value"):
            data[key] = _finite_or_none(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerturbationResult:
        return cls(
            mask=tuple(int(v) for v in data["mask"]),
            prompt=str(data["prompt"]),
            output=str(data["output"]),
            input_distance=None if data.get("input_distance") is None else float(data["input_distance"]),
            output_distance=float(data["output_distance"]),
            weight=float(data["weight"]),
            p_value=None if data.get("p_value") is None else float(data["p_value"]),
            p_value_draws=data.get("p_value_draws"),
            used_in_fit=bool(data.get("used_in_fit", True)),
            cached=bool(data.get("cached", False)),
        )


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
        data = asdict(self)
        for f in fields(self):
            if f.name not in {"n_samples", "n_features"}:
                data[f.name] = _finite_or_none(data[f.name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fidelity:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


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
        data = asdict(self)
        data["model_fingerprints"] = list(self.model_fingerprints)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["model_fingerprints"] = tuple(values.get("model_fingerprints", ()))
        return cls(**values)


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
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timing:
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in known})


# Module and function that draw an Explanation as an HTML fragment (notebooks).
HTML_RENDERER = ("gsmile_core.report", "explanation_fragment_html")


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
        return {
            "format": EXPLANATION_FORMAT,
            "version": EXPLANATION_VERSION,
            "prompt": self.prompt,
            "features": [f.to_dict() for f in self.features],
            "attributions": [_finite_or_none(a) for a in self.attributions],
            "attribution_std": None
            if self.attribution_std is None
            else [_finite_or_none(s) for s in self.attribution_std],
            "intercept": _finite_or_none(self.intercept),
            "original_output": self.original_output,
            "perturbations": [p.to_dict() for p in self.perturbations],
            "fidelity": self.fidelity.to_dict(),
            "config": dict(self.config),
            "provenance": self.provenance.to_dict(),
            "timing": self.timing.to_dict(),
            "model_calls": self.model_calls,
            "cache_hits": self.cache_hits,
            "unique_prompts": self.unique_prompts,
            "kernel_width": _finite_or_none(self.kernel_width),
            "effective_sample_size": _finite_or_none(self.effective_sample_size),
            "dropped_insignificant": self.dropped_insignificant,
            "out_of_vocabulary": self.out_of_vocabulary,
            "warnings": list(self.warnings),
            "extras": dict(self.extras),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        if data.get("format") != EXPLANATION_FORMAT:
            raise ValueError(f"not a gSMILE explanation (format is {data.get('format')!r})")
        version = data.get("version")
        if not isinstance(version, int) or version > EXPLANATION_VERSION:
            raise ValueError(
                f"explanation version {version!r} is newer than this gSMILE understands "
                f"({EXPLANATION_VERSION}); upgrade gSMILE to read it"
            )
        data = strip_unsafe_everywhere(data)  # a file may hold anything: no escapes reach a display
        std = data.get("attribution_std")
        return cls(
            prompt=str(data["prompt"]),
            features=tuple(Feature.from_dict(f) for f in data["features"]),
            attributions=tuple(float(a) if a is not None else 0.0 for a in data["attributions"]),
            intercept=float(data.get("intercept") or 0.0),
            original_output=str(data["original_output"]),
            perturbations=tuple(PerturbationResult.from_dict(p) for p in data["perturbations"]),
            fidelity=Fidelity.from_dict(data["fidelity"]),
            config=dict(data.get("config", {})),
            provenance=Provenance.from_dict(data["provenance"]),
            timing=Timing.from_dict(data.get("timing", {})),
            model_calls=int(data.get("model_calls", 0)),
            cache_hits=int(data.get("cache_hits", 0)),
            attribution_std=None if std is None else tuple(float(s or 0.0) for s in std),
            # σ = ∞ (uniform weights) is stored as null, like every non-finite number
            kernel_width=float("inf")
            if data.get("kernel_width") is None and data.get("config", {}).get("kernel_width") == "uniform"
            else float(data.get("kernel_width") or 1.0),
            effective_sample_size=float(data.get("effective_sample_size") or 0.0),
            unique_prompts=int(data.get("unique_prompts", 0)),
            dropped_insignificant=int(data.get("dropped_insignificant", 0)),
            warnings=tuple(data.get("warnings", ())),
            out_of_vocabulary=int(data.get("out_of_vocabulary", 0)),
            extras=dict(data.get("extras", {})),
        )
