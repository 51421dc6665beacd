"""Compare: word alignment by identity and position, deltas, top-k Jaccard (sklearn oracle)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import jaccard_score

from gsmile_core.backends import create_backend
from gsmile_core.evaluation.compare import compare, fairness_variants, jaccard_index, normalise_word, top_words
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain_sync
from gsmile_core.method.segment import split_words


def fixed(prompt: str, scores: list[float]):
    """A real explanation (fake backend) with its attributions replaced by known numbers."""
    e = explain_sync(prompt, create_backend("fake"), ExplainConfig(perturbations=8))
    assert len(e.features) == len(scores)
    return dataclasses.replace(e, attributions=tuple(scores))


def test_fairness_variants_follow_the_paper():
    assert fairness_variants("What is the meaning of life?") == (
        ("neutral", "What is the meaning of life?"),
        ("men's perspective", "What is the meaning of life from men's perspective?"),
        ("women's perspective", "What is the meaning of life from women's perspective?"),
    )
    assert fairness_variants("  Describe a good doctor  ")[2] == (
        "women's perspective",
        "Describe a good doctor from women's perspective",
    )
    assert fairness_variants("Why?!")[1][1] == "Why from men's perspective?!"


def test_normalise_word():
    assert normalise_word("Life?") == "life"
    assert normalise_word("«men's»") == "men's"
    assert normalise_word("...") == "..."


@pytest.fixture(scope="module")
def fairness():
    backend = create_backend("fake")
    variants = fairness_variants("What is the meaning of life?")
    explanations = [explain_sync(p, backend, ExplainConfig(perturbations=48)) for _, p in variants]
    return explanations, [label for label, _ in variants]


def test_fairness_compare_aligns_inserted_words(fairness):
    explanations, labels = fairness
    c = compare(explanations, labels, top_k=3)
    assert [r.word for r in c.rows] == [
        "what", "is", "the", "meaning", "of", "life", "from", "men's", "women's", "perspective",
    ]
    by_word = {r.word: r for r in c.rows}
    assert by_word["life"].positions == (5, 5, 5)
    assert by_word["life"].texts == ("life?", "life", "life")
    assert by_word["from"].positions == (None, 6, 6)
    assert by_word["men's"].positions == (None, 7, None)
    assert by_word["women's"].positions == (None, None, 7)
    assert by_word["perspective"].positions == (None, 8, 8)
    for row in c.rows:
        for i, position in enumerate(row.positions):
            expected = None if position is None else explanations[i].attributions[position]
            assert row.scores[i] == expected
        base = row.scores[0]
        assert row.deltas == tuple(None if s is None or base is None else s - base for s in row.scores)
    assert by_word["from"].deltas == (None, None, None)
    assert c.top_k == 3 and all(len(t) == 3 for t in c.top_words)
    assert set(c.top_words[0][:2]) == {"meaning", "life"}  # the fake backend's trigger words


def test_jaccard_matches_sklearn(fairness):
    explanations, labels = fairness
    c = compare(explanations, labels, top_k=4)
    vocabulary = sorted({w for top in c.top_words for w in top})
    indicator = [np.array([w in top for w in vocabulary], dtype=int) for top in c.top_words]
    for (i, j), value in c.jaccard.items():
        assert value == pytest.approx(jaccard_score(indicator[i], indicator[j]))
    assert set(c.jaccard) == {(0, 1), (0, 2), (1, 2)}
    assert c.jaccard_to_baseline() == (c.jaccard[(0, 1)], c.jaccard[(0, 2)])


def test_repeated_words_pair_by_occurrence():
    base = fixed("the cat and the dog", [1.0, 2.0, 3.0, 4.0, 5.0])
    other = fixed("the big cat and the dog", [1.5, 9.0, 2.5, 3.5, 4.5, 5.5])
    c = compare([base, other], ["a", "b"])
    assert [(r.word, r.positions) for r in c.rows] == [
        ("the", (0, 0)), ("big", (None, 1)), ("cat", (1, 2)), ("and", (2, 3)), ("the", (3, 4)), ("dog", (4, 5)),
    ]
    assert [r.deltas[1] for r in c.rows] == [0.5, None, 0.5, 0.5, 0.5, 0.5]
    assert c.largest_shifts(1)[0].word == "the"


def test_words_only_in_the_baseline_and_replacements():
    base = fixed("a red apple today", [1.0, 2.0, 3.0, 0.0])
    other = fixed("a green apple", [1.0, -2.0, 4.0])
    c = compare([base, other])
    assert c.labels == ("run 1", "run 2")
    assert [(r.word, r.positions) for r in c.rows] == [
        ("a", (0, 0)), ("green", (None, 1)), ("red", (1, None)), ("apple", (2, 2)), ("today", (3, None)),
    ]
    assert c.rows[3].deltas == (0.0, 1.0)


def test_top_words_merge_repeats_and_jaccard_edges():
    e = fixed("the cat the dog", [5.0, 1.0, 4.0, 3.0])
    assert top_words(e, 2) == ("the", "dog")
    assert jaccard_index(set(), set()) == 1.0
    assert jaccard_index({"a"}, {"b"}) == 0.0


def test_bad_requests_are_refused():
    e = fixed("one two", [1.0, 2.0])
    with pytest.raises(ValueError, match="2 or 3"):
        compare([e])
    with pytest.raises(ValueError, match="top_k"):
        compare([e, e], top_k=0)
    with pytest.raises(ValueError, match="one label per"):
        compare([e, e], ["x"])


def test_split_words_is_what_compare_aligns():
    # compare works on the explanation's features: punctuation stays attached in the features
    assert [f.text for f in split_words("life from men's perspective?")][-1] == "perspective?"
