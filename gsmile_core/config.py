"""The settings of one explanation, validated when they are made.

`ExplainConfig` is frozen and checks itself in `__post_init__`, so a bad value is reported in one
clear line before any model is called, whichever front end built it. `to_dict` is what gets
stored in every result (provenance: every parameter, the seed included).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import ConfigError
from .method.parts import DISTANCES, EMBEDDERS, SAMPLERS, SURROGATES
from .method.units import UNIT_CHOICES
from .sanitize import lone_surrogate_at
from .types import GenerationParams

DEFAULT_MAX_WORDS = 20_000  # words of the prompt; long ones are explained by sentences (unit auto)
# The largest prompt exact Shapley values enumerate (2^d prompts; evaluation.shapley).
MAX_SHAPLEY_WORDS = 12

# Bounds of what goes to the provider with every call, checked here so a typo is one line
# before any call rather than a provider's error (or silent wrap-around) after many:
# - a seed is 0..2^31-1, the widest every backend takes (llama.cpp's seed is 32-bit and some
#   OpenAI-compatible servers read an int32; the engine's derived sample seeds stay below it too);
# - a temperature is 0..2, the widest range the providers accept (OpenAI and Together 0-2,
#   Anthropic 0-1: the provider refuses above its own);
# - an answer is at most 131072 tokens (128k), above the longest output any provider offers.
MAX_SEED = 2**31 - 1
MAX_TEMPERATURE = 2.0
MAX_TOKENS = 131_072
# The original prompt is one of the perturbations: fewer than 2 would change no word.
MIN_PERTURBATIONS = 2

SURROGATE_NAMES = tuple(SURROGATES.names())
SAMPLER_NAMES = tuple(SAMPLERS.names())
KERNEL_WIDTH_RULES = ("auto", "uniform")  # besides a positive number (stats.kernel_width_for)
# The most perturbations one explanation plans. Each is a model call (times the samples per prompt),
# and planning holds every mask and its text in memory: 100,000 masks of a 300-word prompt take
# about 0.35 GB and 10 s to plan, so a larger count is refused before anything is planned.
MAX_PERTURBATIONS = 100_000


@dataclass(frozen=True)
class ExplainConfig:
    """Every knob of one gSMILE explanation.

    bootstrap: the most permutation draws per p-value; sampling stops earlier once p < alpha is
    settled unless exact_pvalues is set (then exactly `bootstrap` draws, p = (b+1)/(B+1)).
    kernel_width: "auto" sets σ to the median of the non-zero input distances (see
    `stats.auto_kernel_width`), "uniform" weighs every perturbation 1 (σ = ∞), or a positive
    number. Defaults (sampler, kernel width, surrogate) are the measured best on the labelled
    prompt set (docs/defaults.md); `--preset paper` restores the paper's.
    """

    perturbations: int = 64
    seed: int = 0
    # The seed sent to the model with every prompt; None = `seed`. A consistency check re-seeds
    # the perturbations only, so the same masked prompt keeps its (cached) answer.
    generation_seed: int | None = None
    sampler: str = "uniform-count"  # measured best with the kernel and surrogate below (docs/defaults.md)
    max_removed: int | None = None
    max_tokens: int = 48
    temperature: float = 0.0
    p: float = 1.0
    kernel_width: float | str = "uniform"
    surrogate: str = "wls"  # ties with bayes on the labelled set and stays fast on long prompts
    bootstrap: int = 10_000  # a ceiling: clear cases stop after 128-384 draws (stats.py)
    alpha: float = 0.05
    drop_insignificant: bool = False
    exact_pvalues: bool = False
    # Per-word bootstrap intervals over perturbations (gsmile_core.method.uncertainty); 0 = off.
    ci_resamples: int = 200
    embedder: str = "glove"
    input_distance: str = "wmd"
    output_distance: str = "wmd"
    concurrency: int = 8
    max_words: int = DEFAULT_MAX_WORDS
    system_prompt: str | None = None
    # The call engine (gsmile_core.calls): sampling, retries, pacing and budgets.
    samples_per_prompt: int = 1
    max_attempts: int = 5
    call_timeout: float = 120.0
    requests_per_minute: float | None = None
    max_calls: int | None = None
    max_cost: float | None = None
    # The units explained (method.units): word, phrase, sentence, paragraph, or auto (by length);
    # `keep` is a regular expression whose matches are never removed.
    unit: str = "auto"
    keep: str | None = None
    # Pairwise interactions tested among the top units by |score| (method.interactions); 0 = off.
    interactions: int = 6
    # Explain one part of the answer (method.answer_span): the target is the distance from this
    # text to each answer's best-matching part. None = the whole answer.
    answer_span: str | None = None

    def __post_init__(self) -> None:
        _positive_int("perturbations", self.perturbations)
        if self.perturbations < MIN_PERTURBATIONS:
            raise ConfigError(
                f"{{setting}} must be at least {MIN_PERTURBATIONS}: the original prompt is one of them, "
                f"so {self.perturbations} would remove no word and explain nothing",
                field="perturbations",
            )
        if self.perturbations > MAX_PERTURBATIONS:
            calls = self.perturbations * (
                self.samples_per_prompt if isinstance(self.samples_per_prompt, int) and self.samples_per_prompt > 0 else 1
            )
            raise ConfigError(
                f"{self.perturbations:,} perturbations would be up to {calls:,} model calls; "
                f"{{setting}} must be at most {MAX_PERTURBATIONS:,}",
                field="perturbations",
            )
        _positive_int("max-tokens", self.max_tokens)
        if self.max_tokens > MAX_TOKENS:
            raise ConfigError(f"{{setting}} must be at most {MAX_TOKENS}, got {self.max_tokens!r}", field="max_tokens")
        _positive_int("concurrency", self.concurrency)
        _positive_int("max-words", self.max_words)
        _check_engine(self)
        if not isinstance(self.ci_resamples, int) or isinstance(self.ci_resamples, bool) or self.ci_resamples < 0:
            raise ConfigError(f"{{setting}} must be 0 (off) or a positive integer, got {self.ci_resamples!r}", field="ci_resamples")
        _seed("seed", self.seed)
        if self.generation_seed is not None:
            _seed("generation_seed", self.generation_seed)
        if not isinstance(self.bootstrap, int) or self.bootstrap < 0:
            raise ConfigError(f"{{setting}} must be 0 (off) or a positive integer, got {self.bootstrap!r}", field="bootstrap")
        if self.sampler not in SAMPLER_NAMES:
            raise ConfigError(f"unknown sampler {self.sampler!r} (known: {', '.join(SAMPLER_NAMES)})", field="sampler")
        if self.sampler == "local":
            if self.max_removed is None:
                raise ConfigError("{setting} local needs --max-removed k", field="sampler")
        if self.max_removed is not None:
            _positive_int("max-removed", self.max_removed)
        if self.surrogate not in SURROGATE_NAMES:
            raise ConfigError(
                f"unknown surrogate {self.surrogate!r} (known: {', '.join(SURROGATE_NAMES)})", field="surrogate"
            )
        if not _finite(self.temperature) or not 0 <= self.temperature <= MAX_TEMPERATURE:
            raise ConfigError(f"{{setting}} must be between 0 and {MAX_TEMPERATURE:g}, got {self.temperature!r}",
                              field="temperature")
        for name in ("system_prompt", "answer_span", "keep"):
            if isinstance(getattr(self, name), str) and lone_surrogate_at(getattr(self, name)) is not None:
                raise ConfigError("{setting} is not valid UTF-8 text (it holds undecodable bytes)", field=name)
        if not _finite(self.p) or self.p < 1:
            raise ConfigError(f"{{setting}} must be a number >= 1, got {self.p!r}", field="p")
        if not _finite(self.alpha) or not 0 < self.alpha < 1:
            raise ConfigError(f"{{setting}} must be between 0 and 1, got {self.alpha!r}", field="alpha")
        if isinstance(self.kernel_width, str):
            if self.kernel_width not in KERNEL_WIDTH_RULES:
                raise ConfigError(
                    f"{{setting}} must be 'auto', 'uniform' or a positive number, got {self.kernel_width!r}",
                    field="kernel_width",
                )
        elif not _finite(self.kernel_width) or self.kernel_width <= 0:
            raise ConfigError(
                f"{{setting}} must be 'auto', 'uniform' or a positive number, got {self.kernel_width!r}",
                field="kernel_width",
            )
        _check_parts(self)
        _check_units(self)

    def generation_params(self) -> GenerationParams:
        return GenerationParams(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=self.seed if self.generation_seed is None else self.generation_seed,
            system_prompt=self.system_prompt,
        )

    def reseeded(self, offset: int) -> ExplainConfig:
        """The same explanation with perturbation seed `seed + offset` and the model's seed kept:
        what the consistency metric repeats (answers to masks already asked come from the cache)."""
        return self.with_changes(seed=self.seed + offset, generation_seed=self.generation_params().seed)

    def with_changes(self, **changes: Any) -> ExplainConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExplainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _check_engine(config: ExplainConfig) -> None:
    """The call engine's knobs: sampling needs a temperature, limits must be positive."""
    _positive_int("samples-per-prompt", config.samples_per_prompt)
    _positive_int("max-attempts", config.max_attempts)
    if config.samples_per_prompt > 1 and not config.temperature > 0:
        raise ConfigError(
            f"{{setting}} {config.samples_per_prompt} needs a temperature above 0 "
            "(at temperature 0 every sample is the same answer)",
            field="samples_per_prompt",
        )
    if not _finite(config.call_timeout) or config.call_timeout <= 0:
        raise ConfigError(f"{{setting}} must be a positive number of seconds, got {config.call_timeout!r}", field="call_timeout")
    if config.requests_per_minute is not None and (
        not _finite(config.requests_per_minute) or config.requests_per_minute <= 0
    ):
        raise ConfigError(f"{{setting}} must be a positive number, got {config.requests_per_minute!r}", field="requests_per_minute")
    if config.max_calls is not None:
        _positive_int("max-calls", config.max_calls)
    if config.max_cost is not None and (not _finite(config.max_cost) or config.max_cost < 0):
        raise ConfigError(f"{{setting}} must be a number of US dollars >= 0, got {config.max_cost!r}", field="max_cost")


def _check_units(config: ExplainConfig) -> None:
    if config.answer_span is not None and (not isinstance(config.answer_span, str) or not config.answer_span.strip()):
        raise ConfigError("{setting} must be a non-empty part of the original answer", field="answer_span")
    if not isinstance(config.interactions, int) or isinstance(config.interactions, bool) or not 0 <= config.interactions <= 50:
        raise ConfigError(f"{{setting}} must be 0 (off) or the number of top units to pair, at most 50; got {config.interactions!r}", field="interactions")
    if config.unit not in UNIT_CHOICES:
        raise ConfigError(f"unknown unit {config.unit!r} (known: {', '.join(UNIT_CHOICES)})", field="unit")
    if config.keep is not None:
        if not isinstance(config.keep, str) or not config.keep:
            raise ConfigError("{setting} must be a non-empty regular expression", field="keep")
        try:
            re.compile(config.keep)
        except re.error as error:
            raise ConfigError(f"{{setting}} {config.keep!r} is not a valid regular expression ({error})", field="keep") from None


def _check_parts(config: ExplainConfig) -> None:
    """Distances and embedders are checked against their registries' declared names (`method.parts`
    loads no POT or scipy)."""
    for field, name in (("input_distance", config.input_distance), ("output_distance", config.output_distance)):
        if name not in DISTANCES:
            raise ConfigError(f"unknown {{setting}} {name!r} (known: {', '.join(DISTANCES.names())})", field=field)
    if config.embedder not in EMBEDDERS:
        raise ConfigError(f"unknown {{setting}} {config.embedder!r} (known: {', '.join(EMBEDDERS.names())})",
                          field="embedder")


def unit_options(config: ExplainConfig) -> dict[str, Any]:
    """The keyword arguments of `method.segment.prepare_prompt` that this config decides."""
    return {"max_words": config.max_words, "unit": config.unit, "keep": config.keep}


def mask_options(config: ExplainConfig) -> dict[str, Any]:
    """The keyword arguments of `method.perturb.plan_perturbations` that this config decides."""
    return {
        "perturbations": config.perturbations,
        "sampler": config.sampler,
        "seed": config.seed,
        "max_removed": config.max_removed,
    }


def fit_options(config: ExplainConfig) -> dict[str, Any]:
    """The keyword arguments of `method.fitting.fit_perturbations` that this config decides."""
    return {
        "surrogate": config.surrogate,
        "kernel_width": config.kernel_width,
        # without a permutation test there are no p-values to drop perturbations by
        "drop_insignificant": config.drop_insignificant and config.bootstrap > 0,
        "alpha": config.alpha,
    }


# Named configurations, one flag away (`--preset NAME`): each pins the listed fields and leaves
# the rest at their defaults or at what the user set explicitly. "paper" is the configuration of
# the gSMILE paper (Bernoulli(0.5) masks, WMD on both sides, weighted least squares, kernel width
# from the distance scale), kept reproducible whatever the plain defaults become.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {
        "sampler": "bernoulli",
        "input_distance": "wmd",
        "output_distance": "wmd",
        "surrogate": "wls",
        "kernel_width": "auto",
        "embedder": "glove",
    },
}


def preset_config(name: str, **overrides: Any) -> ExplainConfig:
    """The config of preset `name`, with `overrides` applied on top."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    return ExplainConfig(**{**PRESETS[name], **overrides})


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _seed(field: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{{setting}} must be an integer from 0 to {MAX_SEED} (2^31 - 1), got {value!r}", field=field)


def _positive_int(name: str, value: object) -> None:
    """`name` is the field (max_tokens) or its flag spelling (max-tokens)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{{setting}} must be a positive integer, got {value!r}", field=name.replace("-", "_"))
