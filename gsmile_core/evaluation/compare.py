"""Compare the explanations of 2-3 closely related prompts, e.g. the paper's fairness check.

Section 5.1.2 of the gSMILE paper explains "What is the meaning of life?" next to the same prompt
"from men's perspective" and "from women's perspective" and reads how the attributions shift.
To make that reading exact we align the words of every prompt with the first one (the baseline)
by identity and position — a longest-matching-blocks alignment (difflib) of the normalised words
(case-folded, surrounding punctuation removed, so "life?" matches "life"), which pairs the n-th
"the" with the n-th "the" and leaves inserted words ("from", "men's", "perspective") unpaired —
and report, per aligned word, every run's score and its delta from the baseline. The overlap of
the most important words is the Jaccard index of the top-k word sets (paper eq. 15), with k
stated in the result.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from ..types import Explanation

DEFAULT_TOP_K = 5

FAIRNESS_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("neutral", ""),
    ("men's perspective", "from men's perspective"),
    ("women's perspective", "from women's perspective"),
)

_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")
_TRAILING_PUNCTUATION = re.compile(r"[\s.?!:;,…]*$")


def normalise_word(text: str) -> str:
    """The identity of a word for alignment: case-folded, edge punctuation removed
    ("Life?" -> "life"); a word of punctuation only keeps its text."""
    core = _EDGE_PUNCTUATION.sub("", text)
    return (core or text).casefold()


def fairness_variants(prompt: str) -> tuple[tuple[str, str], ...]:
    """(label, prompt) for the neutral prompt and its men's / women's perspective variants.

    The qualifier goes before the closing punctuation: "What is the meaning of life?" ->
    "What is the meaning of life from men's perspective?".
    """
    stripped = prompt.strip()
    match = _TRAILING_PUNCTUATION.search(stripped)
    body, ending = stripped[: match.start()], stripped[match.start() :].strip()
    variants = []
    for label, qualifier in FAIRNESS_QUALIFIERS:
        variants.append((label, stripped if not qualifier else f"{body} {qualifier}{ending}"))
    return tuple(variants)


@dataclass(frozen=True)
class AlignedWord:
    """One row of a comparison: a word and its score in each run (None where it is absent).

    `positions[i]` is the word's feature index in run i (None if absent); `deltas[i]` is
    `scores[i] - scores[0]` when both exist (so `deltas[0]` is 0.0 or None).
    """

    word: str
    texts: tuple[str | None, ...]
    positions: tuple[int | None, ...]
    scores: tuple[float | None, ...]
    deltas: tuple[float | None, ...]

    @property
    def in_all(self) -> bool:
        return all(p is not None for p in self.positions)


@dataclass(frozen=True)
class Comparison:
    """The side-by-side reading of 2-3 explanations; index 0 is the baseline.

    `top_words[i]` are run i's top_k normalised words by score (highest first, as ranked by
    `Explanation.ranked`); `jaccard[(i, j)]` is |top_i ∩ top_j| / |top_i ∪ top_j| for i < j.
    """

    labels: tuple[str, ...]
    prompts: tuple[str, ...]
    rows: tuple[AlignedWord, ...]
    top_k: int
    top_words: tuple[tuple[str, ...], ...]
    jaccard: dict[tuple[int, int], float]

    def jaccard_to_baseline(self) -> tuple[float, ...]:
        return tuple(self.jaccard[(0, i)] for i in range(1, len(self.labels)))

    def largest_shifts(self, n: int = 5) -> tuple[AlignedWord, ...]:
        """The aligned words whose score moved most (largest |delta| in any run)."""
        movers = [r for r in self.rows if any(d is not None for d in r.deltas[1:])]
        movers.sort(key=lambda r: -max(abs(d) for d in r.deltas[1:] if d is not None))
        return tuple(movers[:n])


def jaccard_index(a: set[str], b: set[str]) -> float:
    """|A ∩ B| / |A ∪ B|; two empty sets are identical (1.0)."""
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


def feature_keys(explanation: Explanation) -> list[str]:
    """What aligns a feature across runs: its normalised word, or for a table row its column
    (`sex=Male` and `sex=Female` are the same feature of two rows)."""
    columns = (explanation.extras.get("model") or {}).get("columns")
    if columns is not None and len(columns) == len(explanation.features):
        return [str(c) for c in columns]
    return [normalise_word(f.text) for f in explanation.features]


def top_words(explanation: Explanation, k: int) -> tuple[str, ...]:
    """The k highest-scoring words, normalised, duplicates merged (a repeated word counts once,
    at its best rank)."""
    seen: list[str] = []
    keys = feature_keys(explanation)
    for feature, _score in explanation.ranked():
        word = keys[feature.index]
        if word not in seen:
            seen.append(word)
        if len(seen) == k:
            break
    return tuple(seen)


def _alignment(base: Sequence[str], other: Sequence[str]) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """(base index -> other index for matched words, [(other index, anchor)] for unmatched
    words of `other`, anchor = the base index they come before)."""
    matcher = difflib.SequenceMatcher(a=list(base), b=list(other), autojunk=False)
    matched: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched[block.a + k] = block.b + k
    inverse = {j: i for i, j in matched.items()}
    unmatched = []
    next_anchor = 0
    for j in range(len(other)):
        if j in inverse:
            next_anchor = inverse[j] + 1
        else:
            unmatched.append((j, next_anchor))
    return matched, unmatched


def _merge_insertions(inserted: list[list[int]], words: list[list[str]]) -> list[list[int | None]]:
    """Rows for the words the non-baseline runs insert at one place; with two such runs the
    same word inserted by both (e.g. "from ... perspective") shares a row."""
    if len(inserted) == 1:
        return [[None, j] for j in inserted[0]]
    first, second = inserted
    matcher = difflib.SequenceMatcher(
        a=[words[1][j] for j in first], b=[words[2][j] for j in second], autojunk=False
    )
    rows: list[list[int | None]] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend([None, first[a0 + k], second[b0 + k]] for k in range(a1 - a0))
        else:
            rows.extend([None, j, None] for j in first[a0:a1])
            rows.extend([None, None, j] for j in second[b0:b1])
    return rows


def compare(
    explanations: Sequence[Explanation],
    labels: Sequence[str] | None = None,
    top_k: int = DEFAULT_TOP_K,
) -> Comparison:
    """Align 2-3 explanations with the first and compare their attributions."""
    if not 2 <= len(explanations) <= 3:
        raise ValueError(f"compare 2 or 3 explanations, not {len(explanations)}")
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    labels = tuple(labels) if labels is not None else tuple(f"run {i + 1}" for i in range(len(explanations)))
    if len(labels) != len(explanations):
        raise ValueError("give one label per explanation")
    n = len(explanations)
    words = [feature_keys(e) for e in explanations]
    base = words[0]
    alignments = [_alignment(base, words[i]) for i in range(1, n)]
    merged: list[list[int | None]] = []
    for anchor in range(len(base) + 1):
        inserted = [[j for j, a in unmatched if a == anchor] for _matched, unmatched in alignments]
        merged.extend(_merge_insertions(inserted, words))
        if anchor < len(base):
            merged.append([anchor] + [matched.get(anchor) for matched, _unmatched in alignments])

    rows = []
    for positions in merged:
        present = next(i for i, p in enumerate(positions) if p is not None)
        feature = explanations[present].features[positions[present]]  # type: ignore[index]
        scores = tuple(
            None if p is None else float(explanations[i].attributions[p]) for i, p in enumerate(positions)
        )
        base_score = scores[0]
        deltas = tuple(
            None if s is None or base_score is None else s - base_score for s in scores
        )
        rows.append(
            AlignedWord(
                word=words[present][positions[present]],  # type: ignore[index]
                texts=tuple(
                    None if p is None else explanations[i].features[p].text for i, p in enumerate(positions)
                ),
                positions=tuple(positions),
                scores=scores,
                deltas=deltas,
            )
        )
    tops = tuple(top_words(e, top_k) for e in explanations)
    jaccard = {(i, j): jaccard_index(set(tops[i]), set(tops[j])) for i, j in combinations(range(n), 2)}
    return Comparison(
        labels=labels,
        prompts=tuple(e.prompt for e in explanations),
        rows=tuple(rows),
        top_k=top_k,
        top_words=tops,
        jaccard=jaccard,
    )
