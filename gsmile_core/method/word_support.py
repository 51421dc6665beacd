"""Is a word's importance backed by evidence? One rule, shared by every view that marks words.

gSMILE's p-values belong to perturbations (did this perturbed prompt change the answer beyond
what sampling noise explains?), not to words, so "is this word significant" needs a stated rule:

- with an interval for the word's importance — the Bayesian surrogate's credible interval
  (stored by the pipeline, or importance ± 1.96 posterior std), else the bootstrap percentile
  interval (`uncertainty.py`) — the word is supported when the interval excludes 0;
- otherwise, with p-values: the word is supported when dropping it goes with significant
  answer changes more often than keeping it does — Fisher's exact test (scipy, one-sided) on
  the 2×2 table (word dropped / kept) × (p < α / p ≥ α), at level α. Counting only "some
  perturbation without the word was significant" would credit every word that merely shares
  masks with an important one;
- with neither, there is no evidence either way (`supported` is None) and nothing is marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..types import Explanation, Feature
from .uncertainty import INTERVALS_KEY, intervals_of

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class WordSupport:
    """The evidence behind one word's importance.

    `feature` and `score` are the word and its importance; `without` holds the indices (into
    `explanation.perturbations`) of the perturbations that dropped the word; `tested` of them
    have a p-value and `significant_count` of those have p < alpha (`kept_tested` /
    `kept_significant`: the same for perturbations that keep the word). `fisher_p` is the
    one-sided Fisher exact p-value (None without p-values on both sides); `interval` the 95 %
    credible interval (None without a posterior std). `significant` is the verdict (None: no
    evidence either way) and `rule` says, in one sentence, how it was reached.
    """

    feature: Feature
    score: float
    without: tuple[int, ...]
    tested: int
    significant_count: int
    kept_tested: int
    kept_significant: int
    fisher_p: float | None
    std: float | None
    interval: tuple[float, float] | None
    significant: bool | None
    rule: str
    interval_kind: str | None = None

    @property
    def supported(self) -> bool | None:
        """Alias of `significant`."""
        return self.significant


def word_support(explanation: Explanation, alpha: float | None = None) -> tuple[WordSupport, ...]:
    """One `WordSupport` per feature, in prompt order."""
    alpha = float(explanation.config.get("alpha", 0.05) if alpha is None else alpha)
    rule = support_rule(explanation, alpha)
    kind, stored = _stored_intervals(explanation)
    perturbations = explanation.perturbations
    result = []
    for feature, score in zip(explanation.features, explanation.attributions):
        i = feature.index
        without = tuple(j for j, p in enumerate(perturbations) if i < len(p.mask) and not p.mask[i])
        dropped = [perturbations[j] for j in without if perturbations[j].p_value is not None]
        kept = [p for p in perturbations if p.p_value is not None and i < len(p.mask) and p.mask[i]]
        sig_dropped = sum(1 for p in dropped if p.p_value < alpha)
        sig_kept = sum(1 for p in kept if p.p_value < alpha)
        fisher_p = None
        if dropped and kept:
            table = [[sig_dropped, len(dropped) - sig_dropped], [sig_kept, len(kept) - sig_kept]]
            from scipy.stats import fisher_exact  # here, not at import: drawing a saved run needs no scipy

            fisher_p = float(fisher_exact(table, alternative="greater").pvalue)
        std = None
        if explanation.attribution_std is not None and i < len(explanation.attribution_std):
            std = float(explanation.attribution_std[i])
        interval = stored[i] if stored is not None and i < len(stored) else None
        interval_kind = kind if interval is not None else None
        if interval is None and std is not None and math.isfinite(std) and math.isfinite(score):
            interval, interval_kind = (score - Z_95 * std, score + Z_95 * std), "credible"
        if interval is not None:
            significant: bool | None = not (interval[0] <= 0.0 <= interval[1])
        elif fisher_p is not None:
            significant = fisher_p < alpha
        else:
            significant = None
        result.append(
            WordSupport(
                feature=feature,
                score=float(score),
                without=without,
                tested=len(dropped),
                significant_count=sig_dropped,
                kept_tested=len(kept),
                kept_significant=sig_kept,
                fisher_p=fisher_p,
                std=std,
                interval=interval,
                significant=significant,
                rule=rule,
                interval_kind=interval_kind,
            )
        )
    return tuple(result)


def _stored_intervals(explanation: Explanation) -> tuple[str | None, list[tuple[float, float]] | None]:
    """The pipeline's stored intervals: credible first, then bootstrap (None if absent/damaged)."""
    stored = explanation.extras.get(INTERVALS_KEY)
    if not isinstance(stored, dict):
        return None, None
    for kind in ("credible", "bootstrap"):
        try:
            intervals = intervals_of({INTERVALS_KEY: {kind: stored[kind]}})[kind]
        except (KeyError, TypeError, ValueError):
            continue
        if len(intervals.lower) == len(explanation.features):
            return kind, list(zip(intervals.lower, intervals.upper))
    return None, None


def support_rule(explanation: Explanation, alpha: float | None = None) -> str:
    """The rule `word_support` applies to this explanation, in one sentence for a legend."""
    alpha = explanation.config.get("alpha", 0.05) if alpha is None else alpha
    kind, _ = _stored_intervals(explanation)
    if kind is None and explanation.attribution_std is not None:
        kind = "credible"
    if kind == "credible":
        return "significant when the 95% credible interval of the score (Bayesian surrogate) excludes 0"
    if kind == "bootstrap":
        return "significant when the 95% bootstrap interval of the score (perturbations resampled) excludes 0"
    if not any(p.p_value is not None for p in explanation.perturbations):
        return "no p-values or intervals in this run: significance unknown"
    return (
        "significant when dropping the word is followed by significant answer changes more often "
        f"than keeping it (one-sided Fisher exact test on the perturbations' p-values, at {alpha})"
    )
