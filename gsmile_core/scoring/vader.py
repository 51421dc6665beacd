"""The bundled demo classifier: VADER sentiment (PyPI `vaderSentiment`, its lexicon inside the
package, offline, no weights to download).

VADER (Hutto & Gilbert 2014) is a real, rule-based sentiment model: a lexicon of rated words with
rules for negation, boosters, capitals and "but". Its `polarity_scores` returns the shares of the
text that read negative, neutral and positive (summing to 1, rounded to 3 decimals) — a
distribution over three ordered classes. A text without any rated word gets VADER's own reading,
all neutral; an empty text (VADER returns all zeros) is read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

VADER_CLASSES = ("neg", "neu", "pos")


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader(texts: Sequence[str]) -> np.ndarray:
    """neg / neu / pos shares of every text (rows sum to 1)."""
    analyzer = _analyzer()
    rows = []
    for text in texts:
        scores = analyzer.polarity_scores(text)
        row = [float(scores[c]) for c in VADER_CLASSES]
        rows.append(row if sum(row) > 0 else [0.0, 1.0, 0.0])
    return np.asarray(rows, dtype=float)


def vader_compound(text: str) -> float:
    """VADER's compound sentiment in [-1, 1] (a one-value model, for examples and tests)."""
    return float(_analyzer().polarity_scores(text)["compound"])
