"""What gSMILE accepts as an answer, from a provider or from the response cache: no terminal
escapes, and no more text than `max_tokens` tokens can hold.

Why: a provider is untrusted. One that returns 1 MB to a 48-token request (a bug, or hostile)
would make every later step pay for it (distances grow with the answer's words), and since the
answer is cached, every rerun would too. Tokens beyond `max_tokens` are the provider's bug: the
answer is cut to what `max_tokens` tokens can hold, and the engine warns. No tokenizer ships
offline, so the bound is one no honest answer reaches: at most `max_tokens` words (the tokenizers
in use split at white space, so every word is at least one token) and at most
`max_tokens * MAX_CHARS_PER_TOKEN` characters (the longest tokens of common vocabularies, runs of
spaces or symbols, are far shorter). The same rule applies on cache reads: a cache written by an
older version, or by hand, may hold anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..sanitize import one_line, strip_unsafe
from ..types import Generation

MAX_CHARS_PER_TOKEN = 64
MAX_LABEL_CHARS = 200  # a model id, fingerprint or finish reason
_WORD = re.compile(r"\S+")


def character_limit(max_tokens: int) -> int:
    """The most characters an answer of `max_tokens` tokens is accepted with."""
    return max(int(max_tokens), 1) * MAX_CHARS_PER_TOKEN


def within_limit(text: str, max_tokens: int) -> str:
    """`text` cut after its `max_tokens`-th word and to `character_limit(max_tokens)` characters."""
    limit = character_limit(max_tokens)
    text = text[:limit]
    for count, word in enumerate(_WORD.finditer(text), start=1):
        if count == max_tokens:
            return text[: word.end()]
    return text


@dataclass(frozen=True)
class Accepted:
    """An answer as gSMILE keeps it; `received_chars` is set when it had to be cut."""

    generation: Generation
    received_chars: int | None = None

    @property
    def cut(self) -> bool:
        return self.received_chars is not None


def accept(generation: Generation, max_tokens: int) -> Accepted:
    """`generation` with escapes removed (from its text and its labels: model id, fingerprint,
    finish reason) and its text within what `max_tokens` allows."""
    clean = strip_unsafe(generation.text)
    kept = within_limit(clean, max_tokens)
    received = len(generation.text) if len(kept) < len(clean) else None
    labels = {name: _label(getattr(generation, name)) for name in ("model", "fingerprint", "finish_reason")}
    labels["model"] = labels["model"] or ""
    accepted = replace(generation, text=kept, **labels)
    return Accepted(generation if accepted == generation else accepted, received)


def _label(value: str | None) -> str | None:
    return None if value is None else one_line(str(value), MAX_LABEL_CHARS)


def cut_warning(where: str, received_chars: int, max_tokens: int) -> str:
    """The one warning a run gives for answers that were cut (`where`: who sent them)."""
    return (
        f"{where} an answer of {received_chars:,} characters, more than --max-tokens {max_tokens} "
        f"allows: cut to at most {max_tokens} words (a provider bug; every such answer is cut, "
        "this is said once)"
    )
