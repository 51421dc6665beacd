"""Is a word significant? One rule, named and explained the same way in every view that marks words.

gSMILE's p-values belong to perturbations (did this perturbed prompt change the answer beyond
what sampling noise explains?), and its scores to a fitted surrogate; a word is called
significant only when both kinds of evidence agree:

1. **its score is not zero**: the 95 % interval of its importance excludes 0 — the Bayesian
   surrogate's credible interval (stored by the pipeline, or importance ± 1.96 posterior std),
   else the bootstrap percentile interval (`uncertainty.py`); and
2. **removing it moved the answer**: among the perturbations that drop the word, significant
   answer changes (p < α) are more frequent than among those that keep it — a one-sided exact
   test at α, *stratified by the keep/drop pattern of the two strongest other words* (the exact
   conditional test of a common odds ratio of 1: within each stratum the count of significant
   changes without the word is hypergeometric given the margins, and the strata's counts add up;
   with no other word it is Fisher's exact test). For a model explanation (one deterministic
   output per input, no per-perturbation p-value) this part is the feature's own permutation
   test (`scoring.feature_tests`, Freedman–Lane) at α.

Why both. Each alone misleads, and the reports showed it: (1) alone called a word "significant"
while none of the 27 perturbations without it changed the answer — a surrogate fitted to nearly
deterministic answers has tight intervals, and regularisation spreads small non-zero scores over
words the model ignores. (2) alone, unstratified, credited every word that merely shares masks
with an important one (drop "is" and "life" together often enough and "is" looks like it moves
the answer); stratifying by the strongest other words compares like with like. Requiring both is
an intersection–union test (Berger 1982): the null "this word does nothing" is rejected only when
each level-α test rejects its part, so the combined test keeps level α with no correction for
using two. (Words are tested one by one, without a correction across words, as every per-word
figure in the reports is.)

When a run has only one kind of evidence (no intervals: `ci_resamples = 0` with a non-Bayesian
surrogate; no p-values: `bootstrap = 0`), that one decides and the rule says so; with neither,
`significant` is None and nothing is marked. `support_rule` states the rule applied to a run in
one sentence, for every legend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..types import Explanation, Feature
from .uncertainty import INTERVALS_KEY, intervals_of

Z_95 = 1.959963984540054
# An exact p-value that equals α (a discrete test often lands on it, e.g. 1/20) is not below α;
# compared with this relative margin so floating-point rounding of the sum cannot flip the verdict.
P_TOLERANCE = 1e-9
STRATA_WORDS = 2  # the strongest other words whose keep/drop pattern stratifies the removal test
_MODEL_KEY = "model"  # where a model explanation keeps its per-feature permutation tests


@dataclass(frozen=True)
class WordSupport:
    """The evidence behind one word's importance.

    `feature` and `score` are the word and its importance; `without` holds the indices (into
    `explanation.perturbations`) of the perturbations that dropped the word; `tested` of them
    have a p-value and `significant_count` of those have p < alpha (`kept_tested` /
    `kept_significant`: the same for perturbations that keep the word). `removal_p` is the
    one-sided p-value that removing the word moved the answer (the stratified exact test, or a
    model's feature permutation test; None without p-values); `interval` the 95 % interval of the
    score (None without one). `significant` is the verdict (None: no evidence either way) and
    `rule` says, in one sentence, how it was reached.
    """

    feature: Feature
    score: float
    without: tuple[int, ...]
    tested: int
    significant_count: int
    kept_tested: int
    kept_significant: int
    removal_p: float | None
    std: float | None
    interval: tuple[float, float] | None
    significant: bool | None
    rule: str
    interval_kind: str | None = None

    @property
    def supported(self) -> bool | None:
        """Alias of `significant`."""
        return self.significant

    @property
    def interval_excludes_zero(self) -> bool | None:
        return None if self.interval is None else not (self.interval[0] <= 0.0 <= self.interval[1])


def removal_test(dropped: np.ndarray, moved: np.ndarray, strata: np.ndarray) -> float | None:
    """One-sided exact p-value that `moved` (p < α) is more frequent where `dropped` is true,
    within the strata given by the integer labels `strata` (None when no stratum has both a
    dropped and a kept perturbation). With one stratum it is Fisher's exact test ("greater")."""
    dropped, moved, strata = np.asarray(dropped, bool), np.asarray(moved, bool), np.asarray(strata)
    null = np.ones(1)
    observed = 0
    informative = False
    for label in np.unique(strata):
        inside = strata == label
        total, changes, draws = int(inside.sum()), int(moved[inside].sum()), int(dropped[inside].sum())
        observed += int((dropped & moved)[inside].sum())
        if draws in (0, total):
            null = np.concatenate([np.zeros(min(draws, changes)), null]) if draws else null
            continue
        informative = True
        null = np.convolve(null, _hypergeometric(total, changes, draws))
    if not informative:
        return None
    return float(min(1.0, null[observed:].sum()))


@lru_cache(maxsize=4096)
def _hypergeometric(total: int, changes: int, draws: int) -> np.ndarray:
    """P(k significant changes among `draws` perturbations), k = 0..min(draws, changes): the
    hypergeometric law C(changes, k) C(total - changes, draws - k) / C(total, draws), in log space
    with `math.lgamma` (scipy's `hypergeom.pmf` is the tests' oracle; importing scipy.stats here
    cost a cached re-run 0.7 s of its 0.8 s budget just to draw a saved explanation)."""
    def log_choose(n: int, k: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    ks = range(max(0, draws - (total - changes)), min(draws, changes) + 1)
    pmf = np.zeros(min(draws, changes) + 1)
    base = log_choose(total, draws)
    for k in ks:
        pmf[k] = math.exp(log_choose(changes, k) + log_choose(total - changes, draws - k) - base)
    pmf.setflags(write=False)
    return pmf


def _mask_matrix(explanation: Explanation) -> np.ndarray:
    """Perturbations × features, True where the feature was kept (a short mask: the rest dropped)."""
    d = len(explanation.features)
    masks = [p.mask for p in explanation.perturbations]
    if all(len(m) == d for m in masks):
        return np.array(masks, dtype=bool).reshape(len(masks), d)
    return np.array([[i < len(m) and bool(m[i]) for i in range(d)] for m in masks], dtype=bool).reshape(len(masks), d)


def word_support(explanation: Explanation, alpha: float | None = None) -> tuple[WordSupport, ...]:
    """One `WordSupport` per feature, in prompt order."""
    alpha = float(explanation.config.get("alpha", 0.05) if alpha is None else alpha)
    rule = support_rule(explanation, alpha)
    kind, stored = _stored_intervals(explanation)
    feature_p = _feature_test_p_values(explanation)
    perturbations = explanation.perturbations
    masks = _mask_matrix(explanation)
    has_p = np.array([p.p_value is not None for p in perturbations], dtype=bool)
    moved = np.array([p.p_value is not None and p.p_value < alpha for p in perturbations], dtype=bool)[has_p]
    tested_masks = masks[has_p]
    strength = np.array([abs(a) if math.isfinite(a) else 0.0 for a in explanation.attributions])
    order = [int(j) for j in np.argsort(-strength, kind="stable")]
    result = []
    for feature, score in zip(explanation.features, explanation.attributions):
        i = feature.index
        without = tuple(np.flatnonzero(~masks[:, i]).tolist())
        dropped = ~tested_masks[:, i]
        sig_dropped = int((dropped & moved).sum())
        sig_kept = int((~dropped & moved).sum())
        removal_p = None
        if feature_p is not None:
            removal_p = feature_p[i]
        elif dropped.any() and (~dropped).any():
            others = [j for j in order if j != i][:STRATA_WORDS]
            strata = tested_masks[:, others] @ (1 << np.arange(len(others))) if others else np.zeros(len(moved), int)
            removal_p = removal_test(dropped, moved, strata)
        std = None
        if explanation.attribution_std is not None and i < len(explanation.attribution_std):
            std = float(explanation.attribution_std[i])
        interval = stored[i] if stored is not None and i < len(stored) else None
        interval_kind = kind if interval is not None else None
        if interval is None and std is not None and math.isfinite(std) and math.isfinite(score):
            interval, interval_kind = (score - Z_95 * std, score + Z_95 * std), "credible"
        verdicts = []
        if interval is not None:
            verdicts.append(not (interval[0] <= 0.0 <= interval[1]))
        if removal_p is not None:
            verdicts.append(removal_p < alpha * (1 - P_TOLERANCE))
        significant = all(verdicts) if verdicts else None
        result.append(
            WordSupport(
                feature=feature,
                score=float(score),
                without=without,
                tested=int(dropped.sum()),
                significant_count=sig_dropped,
                kept_tested=int((~dropped).sum()),
                kept_significant=sig_kept,
                removal_p=removal_p,
                std=std,
                interval=interval,
                significant=significant,
                rule=rule,
                interval_kind=interval_kind,
            )
        )
    return tuple(result)


def significance_record(explanation: Explanation, alpha: float | None = None) -> dict:
    """The verdicts as JSON: the rule in one sentence and, per word, the verdict and its evidence."""
    supports = word_support(explanation, alpha)
    return {
        "rule": support_rule(explanation, alpha),
        "alpha": float(explanation.config.get("alpha", 0.05) if alpha is None else alpha),
        "words": [
            {
                "index": s.feature.index,
                "text": s.feature.text,
                "significant": s.significant,
                "interval": None if s.interval is None else list(s.interval),
                "interval_kind": s.interval_kind,
                "removal_p": s.removal_p,
                "without_significant": s.significant_count,
                "without_tested": s.tested,
            }
            for s in supports
        ],
    }


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


def _feature_test_p_values(explanation: Explanation) -> list[float | None] | None:
    """A model explanation's per-feature permutation p-values (None for an LLM explanation)."""
    model = explanation.extras.get(_MODEL_KEY)
    tests = model.get("feature_tests") if isinstance(model, dict) else None
    values = tests.get("p_values") if isinstance(tests, dict) else None
    if not isinstance(values, list) or len(values) != len(explanation.features):
        return None
    found = [float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None for v in values]
    return found if any(v is not None for v in found) else None


def _interval_kind(explanation: Explanation) -> str | None:
    kind, _ = _stored_intervals(explanation)
    if kind is None and explanation.attribution_std is not None:
        kind = "credible"
    return kind


def support_rule(explanation: Explanation, alpha: float | None = None) -> str:
    """The rule `word_support` applies to this explanation, in one sentence for a legend."""
    alpha = explanation.config.get("alpha", 0.05) if alpha is None else alpha
    kind = _interval_kind(explanation)
    interval = {
        "credible": "its 95% credible interval (Bayesian surrogate) excludes 0",
        "bootstrap": "its 95% bootstrap interval (perturbations resampled) excludes 0",
    }.get(kind or "")
    if _feature_test_p_values(explanation) is not None:
        removal = f"its permutation test (Freedman–Lane) gives p < {alpha}"
    elif any(p.p_value is not None for p in explanation.perturbations):
        removal = (
            "removing it moved the answer (answers changed with p < α more often without it than with it: "
            f"one-sided exact test at {alpha}, stratified by the two strongest other units)"
        )
    else:
        removal = None
    if interval and removal:
        return f"significant = {interval} and {removal}"
    if interval:
        return f"significant = {interval} (no p-values in this run to test that removing it moved the answer)"
    if removal:
        return f"significant = {removal} (no interval for the score in this run)"
    return "no p-values or intervals in this run: significance unknown"
