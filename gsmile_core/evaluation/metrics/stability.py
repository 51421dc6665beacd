"""ATT stability (paper 4.4.3, Table 3): do the top words survive a minimal edit of the prompt?

Jaccard(A, B) = |A ∩ B| / |A ∪ B| (eq. 15) of the top-k words of the explanation of a prompt (A)
and of an edited prompt (B). The paper appends one token; any edit is allowed here.

Words are aligned by position and identity: the two word sequences are matched in order by their
identity (case and edge punctuation ignored) with `difflib.SequenceMatcher`, so a word keeps its
match when words are inserted or removed before it, and two occurrences of "the" are told apart
by where they sit. Aligned words are the same element; a word without a partner is its own
element (it can only enlarge the union). Top-k is by |score| by default (a strongly negative word
also drives the answer), or by signed score; k is stated with every result. Ties: prompt order.

`minimal_edit` is the paper's default edit (one token appended); the experiment and the app's
stability check both use it, so "the default edit" means one thing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ...errors import ConfigError
from .words import word_identity


DEFAULT_EDIT_SUFFIX = "please"


def minimal_edit(prompt: str, suffix: str = DEFAULT_EDIT_SUFFIX) -> str:
    """The paper's minimal edit of a prompt: one token appended."""
    return f"{prompt} {suffix}"


def align_words(first: Sequence[str], second: Sequence[str]) -> tuple[list[str], list[str]]:
    """Element keys for each word of both prompts; aligned words share a key."""
    a = [word_identity(w) for w in first]
    b = [word_identity(w) for w in second]
    keys_a = [f"a{i}:{w}" for i, w in enumerate(a)]
    keys_b = [f"b{j}:{w}" for j, w in enumerate(b)]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            i, j = block.a + offset, block.b + offset
            keys_b[j] = keys_a[i]
    return keys_a, keys_b


def top_k(scores: Sequence[float], k: int, by: str = "abs") -> list[int]:
    """Indices of the k largest scores (|score| or signed), ties broken by prompt order."""
    if by not in ("abs", "signed"):
        raise ConfigError(f"rank by 'abs' or 'signed', got {by!r}")
    values = np.asarray(scores, dtype=float)
    values = np.abs(values) if by == "abs" else values
    return sorted(range(len(values)), key=lambda i: (-values[i], i))[: min(k, len(values))]


def jaccard(a: set, b: set) -> float:
    """|A ∩ B| / |A ∪ B|; 1.0 for two empty sets."""
    union = a | b
    return len(a & b) / len(union) if union else 1.0


@dataclass(frozen=True)
class StabilityResult:
    jaccard: float
    k: int
    ranked_by: str
    top_first: tuple[str, ...]
    top_second: tuple[str, ...]
    shared: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def side_by_side(self) -> list[tuple[int, str, str]]:
        """(rank, top word of the prompt, top word of the edited prompt), "" where a list is shorter."""
        first, second = self.top_first, self.top_second
        return [(i + 1, first[i] if i < len(first) else "", second[i] if i < len(second) else "")
                for i in range(max(len(first), len(second)))]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StabilityResult:
        return cls(
            jaccard=float(data["jaccard"]),
            k=int(data["k"]),
            ranked_by=str(data["ranked_by"]),
            top_first=tuple(str(w) for w in data["top_first"]),
            top_second=tuple(str(w) for w in data["top_second"]),
            shared=tuple(str(w) for w in data["shared"]),
        )


def attribution_stability(
    words_first: Sequence[str],
    scores_first: Sequence[float],
    words_second: Sequence[str],
    scores_second: Sequence[float],
    k: int = 3,
    by: str = "abs",
) -> StabilityResult:
    """Jaccard index of the top-k words of two explanations, words aligned by position and identity."""
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    if len(words_first) != len(scores_first) or len(words_second) != len(scores_second):
        raise ConfigError("each explanation needs one score per word")
    keys_a, keys_b = align_words(words_first, words_second)
    top_a = top_k(scores_first, k, by)
    top_b = top_k(scores_second, k, by)
    set_a = {keys_a[i] for i in top_a}
    set_b = {keys_b[j] for j in top_b}
    shared = [words_first[i] for i in top_a if keys_a[i] in set_b]
    return StabilityResult(
        jaccard=jaccard(set_a, set_b),
        k=k,
        ranked_by=by,
        top_first=tuple(words_first[i] for i in top_a),
        top_second=tuple(words_second[j] for j in top_b),
        shared=tuple(shared),
    )
