"""Split a prompt into words (the interpretable features) and rebuild it from a keep-mask.

A feature is a maximal run of non-whitespace, so punctuation stays attached to its word and is
sent to the model exactly as typed ("life?" is one feature), and a repeated word is two features.
Rebuilding keeps word order and the whitespace that preceded each kept word, so the text sent for
a mask is exactly the original with the dropped words cut out — the mask is the truth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import ConfigError
from ..sanitize import strip_unsafe
from ..types import Feature

_WORD = re.compile(r"\S+")


def split_words(prompt: str) -> tuple[Feature, ...]:
    """Words of `prompt` with their character offsets."""
    return tuple(
        Feature(index=i, text=m.group(), start=m.start(), end=m.end())
        for i, m in enumerate(_WORD.finditer(prompt))
    )


def apply_mask(prompt: str, features: Sequence[Feature], mask: Sequence[int]) -> str:
    """The prompt with the features whose mask entry is 0 removed, order and spacing kept."""
    if len(mask) != len(features):
        raise ValueError(f"mask has {len(mask)} entries for {len(features)} features")
    pieces: list[str] = []
    previous_end: int | None = None
    for feature, keep in zip(features, mask):
        if keep:
            if previous_end is not None:
                pieces.append(prompt[previous_end : feature.start] or " ")
            pieces.append(feature.text)
        if keep or previous_end is not None:
            # The separator before the next kept word is the whitespace just before it.
            previous_end = feature.end
    return "".join(pieces)


def prepare_prompt(prompt: str, *, max_words: int) -> tuple[str, tuple[Feature, ...]]:
    """Sanitise and split the prompt; refuse empty or over-long prompts with a clear message."""
    clean = strip_unsafe(prompt).strip()
    if not clean:
        raise ConfigError("the prompt is empty")
    features = split_words(clean)
    if len(features) > max_words:
        raise ConfigError(
            f"the prompt has {len(features)} words; the limit is {max_words} "
            f"(raise it with --max-words)"
        )
    return clean, features
