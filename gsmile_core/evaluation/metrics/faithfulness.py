"""ATT faithfulness (paper 4.4.2, Table 2), and an intervention test the paper lacks.

(a) The paper's: Pearson r (scipy.stats.pearsonr) between an attribution metric (ATT ACC, F1 or
AUROC) of several models and the accuracies reported for those models elsewhere — the
accuracies are supplied by the user. With three models r has one degree of freedom; its p-value
is reported so nobody over-reads it.

(b) Deletion and insertion curves on the real black box. Words are ordered by score (highest
first, ties in prompt order). For k = 0..d:
- deletion[k]  = Δ(original answer, answer with the top-k words removed)
- insertion[k] = Δ(original answer, answer with only the top-k words kept)
Δ is gSMILE's output distance (0 for the original answer); the empty prompt is never sent (see
`probe`). Both endpoints are the same for every order, so the AOPC figures average the inner
points k = 1..d-1:
- comprehensiveness = mean deletion[k]   (higher: removing the top words moves the answer more)
- sufficiency       = mean insertion[k]  (lower: the top words alone keep the answer closer)
Each comes with the same figure for random orders (mean over seeds), so a number can be read
against chance: a faithful explanation has comprehensiveness above random and sufficiency below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import ConfigError

if TYPE_CHECKING:  # the probe (embedders, distances) is only needed when a test really runs
    from ..probe import OutputProbe


@dataclass(frozen=True)
class PearsonResult:
    metric: str
    r: float | None
    p_value: float | None
    models: tuple[str, ...]
    metric_values: tuple[float, ...]
    accuracies: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pearson_faithfulness(
    metric: str, models: Sequence[str], metric_values: Sequence[float], accuracies: Sequence[float]
) -> PearsonResult:
    """Pearson r between a metric and external accuracies across models (None if undefined)."""
    if not (len(models) == len(metric_values) == len(accuracies)):
        raise ConfigError("give one metric value and one accuracy per model")
    if len(models) < 3:
        raise ConfigError("Pearson r across models needs at least 3 models")
    from scipy.stats import pearsonr  # here: sessions load these results without scipy.stats

    x = np.asarray(accuracies, dtype=float)
    y = np.asarray(metric_values, dtype=float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        r = p = None  # a constant input has no correlation
    else:
        result = pearsonr(x, y)
        r, p = float(result.statistic), float(result.pvalue)
    return PearsonResult(metric, r, p, tuple(models), tuple(map(float, y)), tuple(map(float, x)))


def attribution_order(scores: Sequence[float]) -> list[int]:
    """Word indices from highest to lowest score, ties in prompt order."""
    values = np.asarray(scores, dtype=float)
    return sorted(range(len(values)), key=lambda i: (-values[i], i))


def curve_masks(order: Sequence[int], d: int) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Deletion masks (top-k removed) and insertion masks (only top-k kept), k = 0..d."""
    deletion, insertion = [], []
    for k in range(d + 1):
        top = set(order[:k])
        deletion.append(tuple(0 if i in top else 1 for i in range(d)))
        insertion.append(tuple(1 if i in top else 0 for i in range(d)))
    return deletion, insertion


def aopc(curve: Sequence[float]) -> float:
    """Mean of the inner points of a curve over k = 0..d (the endpoints are order-independent)."""
    inner = np.asarray(curve, dtype=float)[1:-1]
    return float(inner.mean()) if inner.size else 0.0


@dataclass(frozen=True)
class DeletionResult:
    order: tuple[str, ...]
    deletion: tuple[float, ...]
    insertion: tuple[float, ...]
    comprehensiveness: float
    sufficiency: float
    random_deletion: tuple[float, ...]
    random_insertion: tuple[float, ...]
    random_comprehensiveness: float
    random_sufficiency: float
    random_seeds: int
    prompts_asked: int

    @property
    def comprehensiveness_gain(self) -> float:
        """Comprehensiveness above random (higher is more faithful)."""
        return self.comprehensiveness - self.random_comprehensiveness

    @property
    def sufficiency_gain(self) -> float:
        """How much lower sufficiency is than random (higher is more faithful)."""
        return self.random_sufficiency - self.sufficiency

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["comprehensiveness_gain"] = self.comprehensiveness_gain
        data["sufficiency_gain"] = self.sufficiency_gain
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeletionResult:
        """The inverse of `to_dict` (the derived gains are recomputed, not read)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data[f.name]
            if f.name == "order":
                values[f.name] = tuple(str(w) for w in value)
            elif f.name in ("random_seeds", "prompts_asked"):
                values[f.name] = int(value)
            elif isinstance(value, (list, tuple)):
                values[f.name] = tuple(float(v) for v in value)
            else:
                values[f.name] = float(value)
        return cls(**values)


def random_orders(d: int, seeds: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [[int(i) for i in rng.permutation(d)] for _ in range(seeds)]


def deletion_plan(
    scores: Sequence[float], d: int, random_seeds: int = 5, seed: int = 0
) -> tuple[list[int], list[tuple[list[tuple[int, ...]], list[tuple[int, ...]]]], list[tuple[int, ...]]]:
    """The attribution order, the (deletion, insertion) masks of it and of each random order
    (the attribution's first), and every mask in one list: what a deletion test will ask."""
    if len(scores) != d:
        raise ConfigError(f"{len(scores)} scores for {d} words")
    if d < 2:
        raise ConfigError("a deletion test needs at least 2 words")
    if random_seeds < 1:
        raise ConfigError("random_seeds must be at least 1")
    order = attribution_order(scores)
    orders = [order, *random_orders(d, random_seeds, seed)]
    plans = [curve_masks(o, d) for o in orders]
    every = [m for deletion, insertion in plans for m in (*deletion, *insertion)]
    return order, plans, every


async def deletion_test(
    probe: OutputProbe, scores: Sequence[float], random_seeds: int = 5, seed: int = 0
) -> DeletionResult:
    """Deletion and insertion curves for `scores` and for `random_seeds` random orders."""
    order, plans, every = deletion_plan(scores, len(probe.features), random_seeds, seed)
    deltas = dict(zip(every, await probe.deltas(every)))
    curves = [
        (np.array([deltas[m] for m in deletion]), np.array([deltas[m] for m in insertion]))
        for deletion, insertion in plans
    ]
    (own_del, own_ins), randoms = curves[0], curves[1:]
    random_del = np.mean([c[0] for c in randoms], axis=0)
    random_ins = np.mean([c[1] for c in randoms], axis=0)
    return DeletionResult(
        order=tuple(probe.features[i].text for i in order),
        deletion=tuple(map(float, own_del)),
        insertion=tuple(map(float, own_ins)),
        comprehensiveness=aopc(own_del),
        sufficiency=aopc(own_ins),
        random_deletion=tuple(map(float, random_del)),
        random_insertion=tuple(map(float, random_ins)),
        random_comprehensiveness=float(np.mean([aopc(c[0]) for c in randoms])),
        random_sufficiency=float(np.mean([aopc(c[1]) for c in randoms])),
        random_seeds=random_seeds,
        prompts_asked=len({probe.text(m) for m in every if any(m)}),
    )
