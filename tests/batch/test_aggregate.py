"""Each word's importance across prompts: the streamed mean and interval equal scipy's Student's t
interval over the per-prompt values; a word is one word whatever its case and edge punctuation;
a word twice in a prompt counts once (its mean there)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gsmile_core.batch.aggregate import WordAggregate


def test_mean_and_interval_match_scipy():
    rng = np.random.default_rng(3)
    values = rng.normal(0.4, 0.3, size=25)
    aggregate = WordAggregate()
    for value in values:
        aggregate.add(["Life?", "other"], [value, 0.0])
    life = next(s for s in aggregate.stats() if s.word == "life")
    lower, upper = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert life.prompts == 25
    assert life.mean == pytest.approx(values.mean())
    assert (life.lower, life.upper) == (pytest.approx(lower), pytest.approx(upper))
    assert life.std == pytest.approx(values.std(ddof=1))


def test_a_repeated_word_counts_once_per_prompt_and_one_prompt_has_no_interval():
    aggregate = WordAggregate()
    aggregate.add(["the", "cat", "The"], [1.0, 2.0, 3.0])
    the = next(s for s in aggregate.stats() if s.word == "the")
    assert (the.prompts, the.mean, the.lower, the.upper) == (1, 2.0, None, None)


def test_most_influential_prefers_words_seen_in_several_prompts():
    aggregate = WordAggregate()
    aggregate.add(["rare", "common"], [9.0, 1.0])
    aggregate.add(["common"], [2.0])
    assert [s.word for s in aggregate.most_influential(top=5)] == ["common"]
    assert [s.word for s in aggregate.stats()] == ["rare", "common"]
