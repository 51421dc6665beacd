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
    nor doubles a space. To rebuild many masks of one prompt, build one `MaskedText`.
    """
    return MaskedText(prompt, features)(mask)


class MaskedText:
    """The text of any mask of one prompt (`apply_mask`), with the prompt's layout worked out once.

    Why: a plan of thousands of masks rebuilds the same prompt thousands of times; the pieces
    (units and protected stretches) and the whitespace before each are the same for every mask,
    so only the choice of pieces is left per mask.
    """

    def __init__(self, prompt: str, features: Sequence[Feature]) -> None:
        self.n_features = len(features)
        owners: list[int] = []  # the feature index of each piece; -1: a protected stretch, always kept
        texts: list[str] = []
        joined: list[str] = []  # the piece after its separator (the whitespace just before it)
        previous_end: int | None = None
        for start, end, owner in _pieces(prompt, features):
            owners.append(owner)
            texts.append(prompt[start:end])
            joined.append((prompt[previous_end:start] or " ") + prompt[start:end] if previous_end is not None else "")
            previous_end = end
        self._owners, self._texts, self._joined = tuple(owners), tuple(texts), tuple(joined)

    def __call__(self, mask: Sequence[int]) -> str:
        if len(mask) != self.n_features:
            raise ValueError(f"mask has {len(mask)} entries for {self.n_features} features")
        kept = [i for i, owner in enumerate(self._owners) if owner < 0 or mask[owner]]
        if not kept:
            return ""
        return self._texts[kept[0]] + "".join([self._joined[i] for i in kept[1:]])


def _pieces(prompt: str, features: Sequence[Feature]):
    """(start, end, feature index) of every unit and (start, end, -1) of every protected stretch
    between units, in order."""
    cursor = 0
    for index, feature in enumerate(features):
        yield from _protected_between(prompt, cursor, feature.start)
        yield feature.start, feature.end, index
        cursor = feature.end
    yield from _protected_between(prompt, cursor, len(prompt))


def _protected_between(prompt: str, start: int, end: int):
    gap = prompt[start:end]
    core = gap.strip()
    if core:
        left = start + len(gap) - len(gap.lstrip())
        yield left, left + len(core), -1


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
            f"(raise max words, or explain the document in parts)",
            field="max_words",
        )
    segmented = segment(clean, unit, keep, protect)
    return segmented.text, segmented.units
