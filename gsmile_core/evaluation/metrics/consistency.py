"""ATT consistency (paper 4.4.4, Table 4): the same explanation repeated with different seeds.

R runs of one prompt on one model differ only in the perturbation seed (seed, seed+1, ...). For
each word, the variance and standard deviation of its score across the R runs (sample variance,
ddof = 1); Table 4's single figures are the means over words. Greedy decoding makes the model
itself deterministic, so what is measured is the sampling noise of the explanation. When the
sampler enumerates every mask (short prompts), every run sees the same masks and the variance
is exactly 0 — reported, not hidden, by `enumerated`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ...errors import ConfigError


@dataclass(frozen=True)
class ConsistencyResult:
    words: tuple[str, ...]
    mean_score: tuple[float, ...]
    variance: tuple[float, ...]
    std: tuple[float, ...]
    mean_variance: float
    mean_std: float
    repeats: int
    ddof: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsistencyResult:
        return cls(
            words=tuple(str(w) for w in data["words"]),
            mean_score=tuple(float(v) for v in data["mean_score"]),
            variance=tuple(float(v) for v in data["variance"]),
            std=tuple(float(v) for v in data["std"]),
            mean_variance=float(data["mean_variance"]),
            mean_std=float(data["mean_std"]),
            repeats=int(data["repeats"]),
            ddof=int(data.get("ddof", 1)),
        )


def attribution_consistency(runs: Sequence[Sequence[float]], words: Sequence[str]) -> ConsistencyResult:
    """Per-word variance and std (ddof=1) of the scores of R runs (rows) over words (columns)."""
    scores = np.asarray(runs, dtype=float)
    if scores.ndim != 2 or scores.shape[0] < 2:
        raise ConfigError("consistency needs at least 2 runs")
    if scores.shape[1] != len(words):
        raise ConfigError(f"{scores.shape[1]} scores per run for {len(words)} words")
    variance = scores.var(axis=0, ddof=1)
    std = scores.std(axis=0, ddof=1)
    return ConsistencyResult(
        words=tuple(words),
        mean_score=tuple(float(v) for v in scores.mean(axis=0)),
        variance=tuple(float(v) for v in variance),
        std=tuple(float(v) for v in std),
        mean_variance=float(variance.mean()),
        mean_std=float(std.mean()),
        repeats=int(scores.shape[0]),
    )
