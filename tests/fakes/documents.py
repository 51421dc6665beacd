"""Long documents with known causal sentences, for long-prompt tests and benchmarks.

Filler sentences of 12 words drawn from a small vocabulary the fake backend ignores, and two
sentences carrying 'doctor' and 'ocean', the words the fake backend answers to: a rule-based
black box whose answer depends on those two sentences (and, inside them, those two words) only.
"""

from __future__ import annotations

import random

FILLER = "the committee reviewed several quarterly figures and noted modest changes across regions".split()
DOCTOR = "The doctor examined every patient in the clinic carefully."
OCEAN = "Afterwards they walked along the ocean shore at dusk."


def long_document(n_sentences: int = 80, seed: int = 1) -> tuple[str, list[int]]:
    """The document and the indices of its two causal sentences (a quarter and three quarters in)."""
    rng = random.Random(seed)
    sentences = [" ".join(rng.choices(FILLER, k=12)).capitalize() + "." for _ in range(n_sentences)]
    causal = [n_sentences // 4 - 3 if n_sentences >= 16 else 0, (11 * n_sentences) // 16]
    sentences[causal[0]] = DOCTOR
    sentences[causal[1]] = OCEAN
    return " ".join(sentences), causal


def document_of_words(words: int, seed: int = 1) -> tuple[str, list[int]]:
    """A document of about `words` words (12 per sentence) and its causal sentence indices."""
    return long_document(max(words // 12, 4), seed)
