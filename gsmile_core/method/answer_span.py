"""Explaining one part of a long answer: what drives this claim, this sentence of the summary?

With `--answer-span TEXT` the target is no longer how far the whole answer moved, but how far the
chosen part did: for every answer, its best-matching part is the candidate closest to the span
(by the output distance between their word clouds), and Δ is that distance. The candidates are the
answer's sentences and its windows of as many words as the span (every ⌈L/4⌉ words, at most
`MAX_WINDOWS` of them), so the cost is linear in the answer's length. The span must occur in the
original answer (case and whitespace aside), whose best match is then the span itself (Δ = 0).

So a perturbation that leaves the claim intact scores 0 even if the rest of the answer changed,
and one that drops or rewrites the claim scores the distance to whatever came closest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from ..errors import ConfigError
from .units import sentences

MAX_WINDOWS = 400


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_span(span: str, original_answer: str) -> str:
    """The span, whitespace-normalised; a span absent from the original answer is a clear error."""
    clean = " ".join(span.split())
    if not clean:
        raise ConfigError("--answer-span is empty")
    if normalised(clean) not in normalised(original_answer):
        preview = " ".join(original_answer.split())[:120]
        raise ConfigError(f"the answer span {clean[:80]!r} is not in the original answer ({preview!r}...)")
    return clean


def candidates(answer: str, span_words: int) -> list[str]:
    """The parts of `answer` a span is matched against: its sentences and span-sized word windows."""
    words = answer.split()
    parts: list[str] = []
    if answer.strip():
        parts += sentences(answer)  # an answer is plain text: `[[` in it is not a protection marker
    if len(words) > span_words:
        stride = max(1, math.ceil(span_words / 4))
        starts = range(0, len(words) - span_words + 1, stride)
        if len(starts) > MAX_WINDOWS:
            starts = range(0, len(words) - span_words + 1, math.ceil((len(words) - span_words + 1) / MAX_WINDOWS))
        parts += [" ".join(words[i : i + span_words]) for i in starts]
    elif words:
        parts.append(" ".join(words))
    return list(dict.fromkeys(parts)) or [""]


def best_matching_parts(
    span: str,
    answers: Sequence[str],
    distance: Callable[[str, str], float],
) -> list[str]:
    """For each answer, its part closest to `span` (an answer holding the span verbatim: the span)."""
    span_words = len(span.split())
    target = normalised(span)
    chosen = []
    for answer in answers:
        if target in normalised(answer):
            chosen.append(span)
            continue
        parts = candidates(answer, span_words)
        chosen.append(min(parts, key=lambda part: distance(span, part)))
    return chosen


def span_in(answer: str, span: str) -> tuple[int, int] | None:
    """Where `span` sits in `answer` (character offsets, whitespace-tolerant), for highlighting."""
    pattern = r"\s+".join(re.escape(word) for word in span.split())
    found = re.search(pattern, answer, flags=re.IGNORECASE)
    return None if found is None else (found.start(), found.end())
