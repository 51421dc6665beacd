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


def test_most_influential_ranks_either_sign_and_leaves_out_words_without_effect():
    aggregate = WordAggregate()
    aggregate.add(["tell", "me", "doctor", "harm"], [1e-15, -2e-16, 3.0, -4.0])
    aggregate.add(["tell", "me", "ocean", "harm"], [2e-15, 1e-16, 2.0, -2.0])
    assert [s.word for s in aggregate.most_influential(top=5)] == ["harm"]  # the only shared word with an effect
    aggregate = WordAggregate()
    aggregate.add(["tell", "doctor"], [1e-15, 3.0])
    aggregate.add(["tell", "ocean"], [-1e-15, -5.0])
    assert [s.word for s in aggregate.most_influential(top=5)] == ["ocean", "doctor"]  # no shared word moves
