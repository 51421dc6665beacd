"""What a long prompt's report adds, computed once for every renderer: the unit level (word,
phrase, sentence, paragraph) that names headings and columns, the drill-down (the coarse units
explained, each with the words inside it), and the strongest pairwise interactions.

A drill-down explanation (`drill_down.py`) carries its word-level explanation in
`extras["drill_down"]`, whose features point into the same prompt by offsets: the words of a
coarse unit are the word features inside its span. The interactions (`method/interactions.py`)
are stored as dicts in `extras["interactions"]`, each pair by unit index; a damaged entry is
left out rather than failing the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..method.interactions import Interaction
from ..method.word_support import WordSupport, word_support
from ..types import Explanation, Feature

DRILL_DOWN_KEY = "drill_down"  # as drill_down.py stores it
INTERACTIONS_KEY = "interactions"

PLURALS = {"word": "words", "phrase": "phrases", "sentence": "sentences", "paragraph": "paragraphs"}

INTERACTION_COLUMNS = ("first unit", "second unit", "how they act", "γ", "std. error", "p (Holm)", "removed together")
INTERACTION_NOTE = (
    "γ: how far removing both moves the answer beyond their two effects added (a weighted fit with "
    "the pair's product term). Only together (γ > 0): the answer moves when both are removed, much "
    "less when one is. Either one (γ < 0): removing either moves it about as much as removing both. "
    "p: two-sided t-test of γ = 0, Holm-adjusted over the pairs tested; below α the pair interacts."
)


def unit_level(explanation: Explanation) -> str:
    """What the explanation's units are: "word", "phrase", "sentence" or "paragraph"."""
    return explanation.features[0].level if explanation.features else "word"


def plural(level: str) -> str:
    return PLURALS.get(level, f"{level}s")


def counted(count: int, level: str) -> str:
    """"the top sentence" / "the top 3 sentences"."""
    return f"the top {level}" if count == 1 else f"the top {count} {plural(level)}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class InteractionRow:
    first: str
    second: str
    first_index: int
    second_index: int
    kind: str
    coefficient: float
    std_error: float
    p_adjusted: float
    both_removed: int
    significant: bool


def interaction_rows(explanation: Explanation) -> tuple[InteractionRow, ...]:
    """The stored interactions, strongest evidence first, with their units' texts."""
    stored = explanation.extras.get(INTERACTIONS_KEY)
    if not isinstance(stored, list):
        return ()
    alpha = float(explanation.config.get("alpha", 0.05))
    rows = []
    n = len(explanation.features)
    for data in stored:
        try:
            found = Interaction.from_dict(data)
        except (KeyError, TypeError, ValueError):
            continue
        if not (0 <= found.first < n and 0 <= found.second < n) or not math.isfinite(found.p_adjusted):
            continue
        rows.append(InteractionRow(
            explanation.features[found.first].text, explanation.features[found.second].text, found.first,
            found.second, found.kind, float(found.coefficient), float(found.std_error), float(found.p_adjusted),
            int(found.both_removed), found.p_adjusted < alpha,
        ))
    return tuple(sorted(rows, key=lambda r: (r.p_adjusted, -abs(r.coefficient))))


@dataclass(frozen=True)
class DrilledUnit:
    """One coarse unit explained word by word: the unit, its verdict and the words inside it."""

    feature: Feature
    score: float
    support: WordSupport
    words: tuple[tuple[Feature, float, WordSupport], ...]


@dataclass(frozen=True)
class DrillDown:
    level: str  # of the coarse units
    units: tuple[DrilledUnit, ...]  # in prompt order
    words: Explanation  # the word-level explanation

    @property
    def scale(self) -> float:
        return max((abs(a) for a in self.words.attributions if math.isfinite(a)), default=0.0)


def drill_down_of(explanation: Explanation) -> DrillDown | None:
    """The drill-down inside a coarse explanation (None when it has none or it is damaged)."""
    nested = explanation.extras.get(DRILL_DOWN_KEY)
    if not isinstance(nested, dict) or not isinstance(nested.get("explanation"), dict):
        return None
    try:
        fine = Explanation.from_dict(nested["explanation"])
        chosen = sorted({int(i) for i in nested.get("units", [])})
    except (KeyError, TypeError, ValueError):
        return None
    coarse_support = word_support(explanation)
    fine_support = word_support(fine)
    units = []
    for i in chosen:
        if not 0 <= i < len(explanation.features):
            continue
        unit = explanation.features[i]
        inside = tuple(
            (f, float(score), fine_support[f.index])
            for f, score in zip(fine.features, fine.attributions)
            if unit.start <= f.start and f.end <= unit.end
        )
        units.append(DrilledUnit(unit, float(explanation.attributions[i]), coarse_support[i], inside))
    return DrillDown(unit_level(explanation), tuple(units), fine) if units else None


def unit_anchor(anchor: str, index: int) -> str:
    """The id of a drilled unit's section in an HTML report."""
    return f"{anchor}-unit-{index + 1}"
