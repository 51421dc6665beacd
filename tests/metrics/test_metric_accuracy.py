"""ATT accuracy against hand-computed values and scikit-learn's own metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from gsmile_core.errors import ConfigError
from gsmile_core.evaluation.metrics.accuracy import (
    LABELLING_RULE,
    SelectionRule,
    attribution_accuracy,
    labels_for,
    load_labelled_prompts,
    summarise,
)
from gsmile_core.method.segment import split_words


def test_hand_computed_example():
    # words: What is the meaning of life?  critical: meaning, life?
    scores = [0.1, 0.0, -0.2, 0.9, 0.3, 0.5]
    labels = [0, 0, 0, 1, 0, 1]
    result = attribution_accuracy(scores, labels)
    # top-2 = meaning (0.9), life? (0.5): perfect prediction
    assert result.predicted == (0, 0, 0, 1, 0, 1)
    assert result.acc == 1.0 and result.f1 == 1.0
    # AUROC: both positives (0.9, 0.5) beat all four negatives (0.1, 0, -0.2, 0.3)
    assert result.auroc == 1.0


def test_imperfect_ranking_by_hand():
    scores = [0.8, 0.1, 0.5, 0.2]
    labels = [0, 1, 1, 0]
    result = attribution_accuracy(scores, labels)
    # top-2 = idx 0 (0.8), idx 2 (0.5): TP=1 FP=1 FN=1 TN=1
    assert result.predicted == (1, 0, 1, 0)
    assert result.acc == pytest.approx(0.5)
    assert result.f1 == pytest.approx(0.5)
    # pairs (pos, neg): (0.1 vs 0.8) lose, (0.1 vs 0.2) lose, (0.5 vs 0.8) lose, (0.5 vs 0.2) win -> 1/4
    assert result.auroc == pytest.approx(0.25)


def test_matches_sklearn_on_random_data():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(3, 15))
        labels = rng.integers(0, 2, n)
        labels[0], labels[1] = 0, 1
        scores = rng.normal(size=n)
        for rule in (SelectionRule(), SelectionRule(top_k=2), SelectionRule(threshold=0.0)):
            result = attribution_accuracy(scores, labels, rule)
            assert result.auroc == pytest.approx(roc_auc_score(labels, scores))
            assert result.acc == pytest.approx(accuracy_score(labels, result.predicted))
            assert result.f1 == pytest.approx(f1_score(labels, result.predicted, zero_division=0))
            if rule.threshold is not None:
                assert result.predicted == tuple(int(s > 0) for s in scores)
            else:
                k = rule.top_k or int(labels.sum())
                assert sum(result.predicted) == k
                chosen = [s for s, p in zip(scores, result.predicted) if p]
                rest = [s for s, p in zip(scores, result.predicted) if not p]
                assert min(chosen) >= max(rest)


def test_ties_are_broken_by_prompt_order_and_rule_is_stated():
    result = attribution_accuracy([1.0, 1.0, 1.0], [0, 1, 0], SelectionRule(top_k=1))
    assert result.predicted == (1, 0, 0)
    assert "top 1" in result.rule
    assert "k = number of critical words" in SelectionRule().describe()
    assert "> 0.5" in SelectionRule(threshold=0.5).describe()


def test_one_class_prompt_has_no_auroc_and_bad_rules_are_refused():
    assert attribution_accuracy([0.2, 0.1], [0, 0]).auroc is None
    with pytest.raises(ConfigError):
        SelectionRule(top_k=2, threshold=0.1)
    with pytest.raises(ConfigError):
        attribution_accuracy([0.1], [0, 1])


def test_labels_ignore_case_and_punctuation_and_refuse_missing_words():
    features = split_words("What is the Meaning of life?")
    assert labels_for(features, ["meaning", "LIFE"]) == (0, 0, 0, 1, 0, 1)
    with pytest.raises(ConfigError, match="not in the prompt: death"):
        labels_for(features, ["death"])


def test_summary_means_over_prompts():
    a = attribution_accuracy([0.9, 0.1], [1, 0])
    b = attribution_accuracy([0.1, 0.9], [1, 0])
    summary = summarise([a, b])
    assert summary.acc == pytest.approx(0.5) and summary.auroc == pytest.approx(0.5)
    assert summary.labelling_rule == LABELLING_RULE


def test_shipped_labelled_set_is_consistent():
    prompts = load_labelled_prompts()
    assert len(prompts) >= 10
    assert prompts[0].prompt == "What is the meaning of life?"
    for item in prompts:
        labels = labels_for(split_words(item.prompt), item.critical)
        assert 0 < sum(labels) < len(labels), item.prompt
