"""Re-derive an explanation from its stored answers under another analysis setting — no model call.

An `Explanation` keeps every mask, the exact text sent and the answer received. Everything after
the answers (embedder, input and output distance, kernel width, surrogate, the significance
filter) is arithmetic on those, so comparing distances, kernels or surrogates (Table 9, the
defaults grid) needs the model only once per mask set. `refit` recomputes that arithmetic for a
new configuration and refuses changes that would need new answers (masks, seed, sampler,
generation parameters). Stored p-values are kept: they test the answers, not the fit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..config import ExplainConfig, fit_options
from ..method.parts import DISTANCES
from ..method.embed import get_embedder
from ..errors import ConfigError
from ..method.fitting import fit_perturbations, kernel_uses_input_distances
from ..method.interactions import pairwise_interactions
from ..types import Explanation

# Settings that decide which prompts are asked and how: changing them needs the model again.
ANSWER_SETTINGS = (
    "perturbations",
    "seed",
    "sampler",
    "max_removed",
    "max_tokens",
    "temperature",
    "system_prompt",
)


class DistanceTable:
    """Input and output distances of one explanation's perturbations, computed once per setting.

    Embeddings are cached per (embedder, text), distances per (side, distance, embedder, p), so a
    grid of refits pays for each distance once.
    """

    def __init__(self, explanation: Explanation) -> None:
        self.explanation = explanation
        self._embedded: dict[tuple[str, str], Any] = {}
        self._columns: dict[tuple[str, str, str, float], np.ndarray] = {}

    def _embed(self, embedder: str, text: str):
        key = (embedder, text)
        if key not in self._embedded:
            self._embedded[key] = get_embedder(embedder).embed(text)
        return self._embedded[key]

    @property
    def settings_computed(self) -> int:
        """How many distance columns (side, distance, embedder, p) have been computed so far."""
        return len(self._columns)

    def column(self, side: str, distance: str, embedder: str, p: float) -> np.ndarray:
        key = (side, distance, embedder, float(p))
        if key not in self._columns:
            function = DISTANCES.get(distance)
            e = self.explanation
            if side == "input":
                anchor, texts = e.prompt, [pert.prompt for pert in e.perturbations]
            else:
                anchor, texts = e.original_output, [pert.output for pert in e.perturbations]
            origin = self._embed(embedder, anchor)
            self._columns[key] = np.array(
                [float(function(origin, self._embed(embedder, t), p)) for t in texts], dtype=float
            )
        return self._columns[key]


def refit(
    explanation: Explanation,
    config: ExplainConfig | None = None,
    *,
    table: DistanceTable | None = None,
    **changes: Any,
) -> Explanation:
    """`explanation` recomputed under `config` (default: its own) with `changes` applied.

    Pass a shared `table` when refitting one explanation many times, so distances are computed
    once. Raises ConfigError when a change would need new model answers.
    """
    base = ExplainConfig.from_dict(explanation.config)
    config = (config or base).with_changes(**changes) if changes else (config or base)
    changed = [k for k in ANSWER_SETTINGS if getattr(config, k) != getattr(base, k)]
    if changed:
        raise ConfigError(
            f"refit cannot change {', '.join(changed)}: that needs new model answers (run explain)"
        )
    table = table or DistanceTable(explanation)
    deltas = table.column("output", config.output_distance, config.embedder, config.p)
    if kernel_uses_input_distances(surrogate=config.surrogate, kernel_width=config.kernel_width):
        deltas_in = table.column("input", config.input_distance, config.embedder, config.p)
    else:
        deltas_in = np.full(len(explanation.perturbations), np.nan)  # the kernel does not use them
    masks = np.asarray([pert.mask for pert in explanation.perturbations], dtype=float)
    p_values = [pert.p_value for pert in explanation.perturbations]
    outcome = fit_perturbations(masks, deltas, deltas_in, p_values, len(explanation.features), **fit_options(config))
    weights, used = outcome.weights, outcome.used
    perturbations = tuple(
        replace(
            pert,
            input_distance=None if np.isnan(deltas_in[j]) else float(deltas_in[j]),
            output_distance=float(deltas[j]),
            weight=float(weights[j]),
            used_in_fit=bool(used[j]),
        )
        for j, pert in enumerate(explanation.perturbations)
    )
    return replace(
        explanation,
        **outcome.explanation_fields(),
        perturbations=perturbations,
        config=config.to_dict(),
        provenance=replace(explanation.provenance, embedder=config.embedder),
        model_calls=0,
        cache_hits=explanation.unique_prompts,
        extras={**explanation.extras, "refit_of": _describe(base), "surrogate_fitted": outcome.surrogate,
                "interactions": _interactions(config, masks, deltas, outcome)},
    )


def _describe(config: ExplainConfig) -> dict[str, Any]:
    return {
        "input_distance": config.input_distance,
        "output_distance": config.output_distance,
        "kernel_width": config.kernel_width,
        "surrogate": config.surrogate,
        "embedder": config.embedder,
    }


def _interactions(config: ExplainConfig, masks: np.ndarray, deltas: np.ndarray, outcome) -> list[dict]:
    """The interactions of the refitted explanation (the same answers, its own weights and scores)."""
    if config.interactions < 2 or masks.shape[1] < 2:
        return []
    used = outcome.used
    found = pairwise_interactions(masks[used], deltas[used], outcome.weights[used], outcome.fit.importance,
                                  top=config.interactions)
    return [interaction.to_dict() for interaction in found]
