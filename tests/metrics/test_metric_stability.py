"""ATT stability: Jaccard of top-k words with alignment, checked by hand and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import jaccard_score

from gsmile_core.errors import ConfigError
from gsmile_core.evaluation.metrics.stability import align_words, attribution_stability, jaccard, top_k


def test_appended_token_keeps_alignment():
    a = "What is the meaning of life?".split()
    b = "What is the meaning of life? please".split()
    keys_a, keys_b = align_words(a, b)
    assert keys_b[:6] == keys_a and keys_b[6] not in keys_a


def test_insertion_shifts_positions_but_keeps_identity():
    a = "the cat saw the dog".split()
    b = "the big cat saw the dog".split()
    keys_a, keys_b = align_words(a, b)
    assert keys_b[0] == keys_a[0]          # first "the"
    assert keys_b[2] == keys_a[1]          # cat
    assert keys_b[4] == keys_a[3]          # second "the" stays the second
    assert keys_b[1] not in keys_a         # "big" is new


def test_jaccard_by_hand():
    a_words = "What is the meaning of life?".split()
    b_words = "What is the meaning of life? please".split()
    # top-2 before: meaning, life?   after: meaning, please -> {meaning} / {meaning, life?, please}
    result = attribution_stability(a_words, [0, 0, 0, 0.9, 0.1, 0.5], b_words, [0, 0, 0, 0.8, 0.1, 0.2, 0.7], k=2)
    assert result.jaccard == pytest.approx(1 / 3)
    assert result.shared == ("meaning",)
    identical = attribution_stability(a_words, [0, 0, 0, 0.9, 0.1, 0.5], b_words, [0, 0, 0, 0.8, 0.1, 0.7, 0], k=2)
    assert identical.jaccard == 1.0


def test_abs_ranking_counts_negative_drivers():
    assert top_k([0.1, -0.9, 0.5], 2, "abs") == [1, 2]
    assert top_k([0.1, -0.9, 0.5], 2, "signed") == [2, 0]
    with pytest.raises(ConfigError):
        top_k([1.0], 1, "other")


def test_matches_sklearn_jaccard_on_indicator_vectors():
    rng = np.random.default_rng(0)
    for _ in range(20):
        words = [f"w{i}" for i in range(8)]
        s1, s2 = rng.normal(size=8), rng.normal(size=8)
        k = int(rng.integers(1, 6))
        result = attribution_stability(words, s1, words, s2, k=k)
        v1 = np.zeros(8, int)
        v1[top_k(s1, k)] = 1
        v2 = np.zeros(8, int)
        v2[top_k(s2, k)] = 1
        assert result.jaccard == pytest.approx(jaccard_score(v1, v2))


def test_empty_sets_and_bad_input():
    assert jaccard(set(), set()) == 1.0
    with pytest.raises(ConfigError):
        attribution_stability(["a"], [1.0], ["a"], [1.0], k=0)
    with pytest.raises(ConfigError):
        attribution_stability(["a", "b"], [1.0], ["a"], [1.0])


def test_side_by_side_pads_the_shorter_top_list():
    from gsmile_core.evaluation.metrics.stability import StabilityResult

    result = StabilityResult(0.5, 3, "abs", ("sky", "blue", "why"), ("sky", "blue"), ("sky", "blue"))
    assert result.side_by_side() == [(1, "sky", "sky"), (2, "blue", "blue"), (3, "why", "")]
