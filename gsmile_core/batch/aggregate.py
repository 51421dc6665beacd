"""Each word's importance across the prompts of an audit, streamed.

Why streamed: an audit's results are read back one record at a time, so memory grows with the
vocabulary, never with the number of prompts. Per word (its identity: lower-cased, edge
punctuation removed, so "Life?" and "life" are one word) Welford's running mean and variance of
its importance, one value per prompt that contains it (a word twice in a prompt counts once,
with its mean importance there). The 95% interval of the mean is Student's t over those prompts
(scipy's `t.ppf`); with one prompt there is none. "Most influential" ranks words by the size of
their mean importance, either sign (a strongly negative word moves answers away wherever it is),
among those found in at least `min_prompts` prompts (all words if none is); words whose mean is
zero to rounding (at most 1e-9 of the largest) influence nothing and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..evaluation.metrics.words import word_identity

LEVEL = 0.95


@dataclass(frozen=True)
class WordStat:
    """A word's importance across the prompts that contain it."""

    word: str
    prompts: int
    mean: float
    lower: float | None
    upper: float | None
    std: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Running:
    __slots__ = ("count", "mean", "m2")

    def __init__(self) -> None:
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, value: float) -> None:
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (value - self.mean)


def mean_interval(count: int, mean: float, m2: float, level: float = LEVEL) -> tuple[float | None, float | None, float | None]:
    """(lower, upper, sample std) of the mean of `count` values (Student's t); None below 2."""
    if count < 2:
        return None, None, None
    from scipy.stats import t

    std = math.sqrt(max(m2, 0.0) / (count - 1))
    half = float(t.ppf(0.5 + level / 2, count - 1)) * std / math.sqrt(count)
    return mean - half, mean + half, std


ZERO_SHARE = 1e-9  # a mean this small next to the largest is rounding, not influence


class WordAggregate:
    """Running per-word statistics; `add` one prompt's words and scores at a time."""

    def __init__(self) -> None:
        self._words: dict[str, _Running] = {}
        self.prompts = 0

    def add(self, words: Sequence[str], scores: Sequence[float]) -> None:
        per_prompt: dict[str, list[float]] = {}
        for word, score in zip(words, scores):
            if score is None or not math.isfinite(score):
                continue
            per_prompt.setdefault(word_identity(word), []).append(float(score))
        for word, values in per_prompt.items():
            self._words.setdefault(word, _Running()).add(sum(values) / len(values))
        self.prompts += 1

    def stats(self) -> list[WordStat]:
        """Every word, most influential (highest mean) first; ties by word."""
        found = []
        for word, running in self._words.items():
            lower, upper, std = mean_interval(running.count, running.mean, running.m2)
            found.append(WordStat(word, running.count, running.mean, lower, upper, std))
        return sorted(found, key=lambda s: (-s.mean, s.word))

    def most_influential(self, top: int = 20, min_prompts: int = 2) -> list[WordStat]:
        """The `top` words of largest |mean| (module docstring), seen in `min_prompts` prompts
        when any such word has an effect."""
        every = self.stats()
        largest = max((abs(s.mean) for s in every), default=0.0)
        moving = sorted((s for s in every if abs(s.mean) > ZERO_SHARE * largest), key=lambda s: (-abs(s.mean), s.word))
        frequent = [s for s in moving if s.prompts >= min_prompts]
        return (frequent or moving)[:top]
