"""Split a prompt into words (the interpretable features) and rebuild it from a keep-mask.

A feature is a maximal run of non-whitespace, so punctuation stays attached to its word and is
sent to the model exactly as typed ("life?" is one feature), and a repeated word is two features.
Rebuilding keeps word order and the whitespace that preceded each kept word, so the text sent for
a mask is exactly the original with the dropped words cut out — the mask is the truth.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError
from ..sanitize import has_visible_text, lone_surrogate_at, strip_unsafe
from ..types import Feature
from .units import WORD, segment


def split_words(prompt: str) -> tuple[Feature, ...]:
    """Words of `prompt` with their character offsets."""
    return tuple(
        Feature(index=i, text=m.group(), start=m.start(), end=m.end())
        for i, m in enumerate(WORD.finditer(prompt))
    )


def apply_mask(prompt: str, features: Sequence[Feature], mask: Sequence[int]) -> str:
    """The prompt with the units whose mask entry is 0 removed, order and spacing kept.

    Text between units that is not whitespace is protected (a `[[...]]` or `--keep` span, see
    `units`) and always kept. Each kept piece is preceded by the whitespace between it and the
    piece just before it in the prompt, so removing a unit never glues its neighbours together
    nor doubles a space.
    """
    if len(mask) != len(features):
        raise ValueError(f"mask has {len(mask)} entries for {len(features)} features")
    pieces: list[str] = []
    previous_end: int | None = None
    for start, end, keep in _pieces(prompt, features, mask):
        if keep:
            if previous_end is not None:
                pieces.append(prompt[previous_end:start] or " ")
            pieces.append(prompt[start:end])
        if keep or previous_end is not None:
            # The separator before the next kept piece is the whitespace just before it.
            previous_end = end
    return "".join(pieces)


def _pieces(prompt: str, features: Sequence[Feature], mask: Sequence[int]):
    """(start, end, keep) of every unit and every protected stretch between units, in order."""
    cursor = 0
    for feature, keep in zip(features, mask):
        yield from _protected_between(prompt, cursor, feature.start)
        yield feature.start, feature.end, bool(keep)
        cursor = feature.end
    yield from _protected_between(prompt, cursor, len(prompt))


def _protected_between(prompt: str, start: int, end: int):
    gap = prompt[start:end]
    core = gap.strip()
    if core:
        left = start + len(gap) - len(gap.lstrip())
        yield left, left + len(core), True


def prepare_prompt(
    prompt: str, *, max_words: int, unit: str = "word", keep: str | None = None,
    protect: Sequence[tuple[int, int]] = (),
) -> tuple[str, tuple[Feature, ...]]:
    """Sanitise the prompt and cut it into units (`units.segment`: `[[...]]` markers removed,
    protected spans left out of the units); refuse empty, invisible, undecodable (lone
    surrogates: bytes that were not UTF-8) or over-long prompts with a clear message. A leading
    byte-order mark is dropped."""
    if lone_surrogate_at(prompt) is not None:
        raise ConfigError("the prompt is not valid UTF-8 text (it holds undecodable bytes); convert it, e.g. with iconv")
    clean = strip_unsafe(prompt.removeprefix("\ufeff")).strip()
    if not clean:
        raise ConfigError("the prompt is empty")
    if not has_visible_text(clean):
        raise ConfigError("the prompt is empty: it holds only invisible characters")
    words = sum(1 for _ in WORD.finditer(clean))
    if words > max_words:
        raise ConfigError(
            f"the prompt has {words} words; the limit is {max_words} "
            f"(raise it with --max-words, or explain the document in parts)"
        )
    segmented = segment(clean, unit, keep, protect)
    return segmented.text, segmented.units
