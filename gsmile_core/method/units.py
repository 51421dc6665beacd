"""The prompt's interpretable units: words, phrases, sentences or paragraphs, and protected spans.

A long prompt (a system prompt, a retrieved document, a contract) is explained first by its
sentences or paragraphs, then by the words of the units that matter (the drill-down). Every unit
is an exact span of the prompt (start, end offsets), so the text sent for a mask is the original
with the removed units cut out, each kept piece preceded by the whitespace that preceded it: nothing
is glued or doubled (`segment.apply_mask`).

Levels:
- word: a maximal run of non-whitespace (punctuation stays on its word, as typed);
- phrase: a sentence cut after `,` `;` `:` or a dash followed by whitespace;
- sentence: text up to `.` `!` `?` `…` (with closing quotes or brackets) followed by whitespace,
  or a line break; not after common abbreviations ("Dr.", "e.g.") or single initials;
- paragraph: text between blank lines.
`auto` picks by length: words while the prompt has at most `AUTO_WORDS` words, else sentences
while there are at most `AUTO_SENTENCES` of them, else paragraphs when the text has at least two
(else sentences all the same).

Protected spans are never removed: every match of a `keep` regular expression, and any text the
user wraps in `[[` and `]]` (the brackets are dropped before anything is sent). Units are cut from
the text outside protected spans only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ConfigError
from ..types import Feature

UNIT_LEVELS = ("word", "phrase", "sentence", "paragraph")
UNIT_CHOICES = ("auto", *UNIT_LEVELS)
AUTO_WORDS = 100
AUTO_SENTENCES = 300
MARK_OPEN, MARK_CLOSE = "[[", "]]"

WORD = re.compile(r"\S+")  # a word: a maximal run of non-whitespace
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "no", "fig", "al"}
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_PHRASE_END = re.compile(r"(?:[,;:]|\s[–—-])(?=\s)")


@dataclass(frozen=True)
class Segmentation:
    """The prompt as sent (markers removed), its units, and the spans never removed."""

    text: str
    units: tuple[Feature, ...]
    protected: tuple[tuple[int, int], ...]
    level: str


def strip_markers(prompt: str) -> tuple[str, list[tuple[int, int]]]:
    """The prompt without `[[`/`]]` markers, and the spans (in the new text) they enclosed."""
    if MARK_OPEN not in prompt:
        return prompt, []
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    cursor = 0
    while True:
        opening = prompt.find(MARK_OPEN, cursor)
        if opening < 0:
            break
        closing = prompt.find(MARK_CLOSE, opening + len(MARK_OPEN))
        if closing < 0:
            raise ConfigError(f"a protected span opened with {MARK_OPEN} at character {opening} is never closed with {MARK_CLOSE}")
        before = prompt[cursor:opening]
        inside = prompt[opening + len(MARK_OPEN) : closing]
        out += [before, inside]
        length += len(before)
        spans.append((length, length + len(inside)))
        length += len(inside)
        cursor = closing + len(MARK_CLOSE)
    out.append(prompt[cursor:])
    return "".join(out), spans


def _merge(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    left = len(piece) - len(piece.lstrip())
    return start + left, start + left + len(stripped)


def _cuts(text: str, start: int, end: int, level: str) -> list[tuple[int, int]]:
    """Unit spans of `text[start:end]` at `level`, trimmed of surrounding whitespace."""
    region = text[start:end]
    if level == "word":
        return [(start + m.start(), start + m.end()) for m in WORD.finditer(region)]
    if level == "paragraph":
        bounds = [0] + [m.end() for m in _PARAGRAPH_BREAK.finditer(region)] + [len(region)]
    else:
        bounds = [0]
        for m in _SENTENCE_END.finditer(region):
            if m.group() != "\n" and _is_abbreviation(region, m.start()):
                continue
            bounds.append(m.end())
        bounds.append(len(region))
        if level == "phrase":
            finer = [0]
            for a, b in zip(bounds, bounds[1:]):
                finer += [a + m.end() for m in _PHRASE_END.finditer(region[a:b])] + [b]
            bounds = finer
    spans = (_trimmed(text, start + a, start + b) for a, b in zip(bounds, bounds[1:]) if b > a)
    return [s for s in spans if s is not None]


def _is_abbreviation(region: str, dot: int) -> bool:
    word = re.search(r"(\S+)$", region[:dot])
    if word is None:
        return False
    token = word.group(1).lower().strip("(\"'")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def sentences(text: str) -> list[str]:
    """The sentences of a plain text (an answer: no protection markers, nothing refused)."""
    return [text[a:b] for a, b in _cuts(text, 0, len(text), "sentence")]


def count_at(text: str, level: str) -> int:
    return len(_cuts(text, 0, len(text), level))


def auto_level(text: str) -> str:
    """The level `auto` picks for `text` (see the module docstring)."""
    if count_at(text, "word") <= AUTO_WORDS:
        return "word"
    if count_at(text, "sentence") <= AUTO_SENTENCES or count_at(text, "paragraph") < 2:
        return "sentence"
    return "paragraph"


def segment(
    prompt: str, level: str = "word", keep: str | None = None, protect: Sequence[tuple[int, int]] = ()
) -> Segmentation:
    """Units of `prompt` at `level` (or `auto`), never cutting into a protected span: `[[...]]`,
    matches of `keep`, and the (start, end) spans of `protect` (offsets in the text without
    markers; the drill-down protects everything outside the units it explains)."""
    if level not in UNIT_CHOICES:
        raise ConfigError(f"unknown unit {level!r} (known: {', '.join(UNIT_CHOICES)})", field="unit")
    text, marked = strip_markers(prompt)
    spans = [*marked, *protect]
    if keep:
        try:
            pattern = re.compile(keep)
        except re.error as error:
            raise ConfigError(
                f"the kept-text pattern {keep!r} is not a valid regular expression ({error})", field="keep"
            ) from None
        spans += [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
    protected = _merge(spans)
    chosen = auto_level(text) if level == "auto" else level
    cuts: list[tuple[int, int]] = []
    cursor = 0
    for start, end in (*protected, (len(text), len(text))):
        cuts += _cuts(text, cursor, start, chosen)
        cursor = end
    units = tuple(Feature(index=i, text=text[a:b], start=a, end=b, level=chosen) for i, (a, b) in enumerate(cuts))
    if not units:
        raise ConfigError("every part of the prompt is protected: nothing is left to remove and explain")
    return Segmentation(text, units, protected, chosen)
