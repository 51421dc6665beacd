"""One significance rule (`method.word_support`): a word is significant only when its interval
excludes 0 AND removing it moved the answer (a stratified exact test at α), the same verdict and
the same one-sentence rule in every report, the JSON and the TUI's word details."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pytest
from report_text import every_format, flat
from scipy.stats import fisher_exact

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.method.word_support import removal_test, support_rule, word_support
from gsmile_core.pipeline import explain_sync
from gsmile_core.reports.render import render

IGNORED = ("what", "is", "the", "of")  # words the fake backend never reacts to


@pytest.fixture(scope="module")
def ignored_words_run():
    """A real run where the model reacts to "meaning" and "life" only, with bootstrap intervals."""
    return explain_sync("What is the meaning of life?", FakeBackend(), ExplainConfig(perturbations=32, ci_resamples=200))


def verdicts(explanation):
    return {s.feature.text.lower().strip("?"): s.significant for s in word_support(explanation)}


def test_a_word_the_model_ignores_is_not_flagged(ignored_words_run, bayes):
    for explanation in (ignored_words_run, bayes):
        found = verdicts(explanation)
        assert found["meaning"] is True and found["life"] is True
        for word in IGNORED:
            assert found[word] is False, (word, found)


def test_the_interval_alone_would_have_flagged_an_ignored_word(ignored_words_run):
    """The case from the issue: "is" has an interval that excludes 0 (a tight fit spreads a small
    score onto it) while the answers did not move more often without it; the rule says no."""
    support = {s.feature.text: s for s in word_support(ignored_words_run)}["is"]
    assert support.interval_excludes_zero is True
    assert support.removal_p >= 0.05 and support.significant is False


def test_a_significant_word_never_sits_beside_evidence_against_it(ignored_words_run, bayes, hostile):
    for explanation in (ignored_words_run, bayes, hostile):
        alpha = explanation.config["alpha"]
        for s in word_support(explanation):
            if s.significant:
                assert s.interval_excludes_zero and s.removal_p < alpha and s.significant_count > 0


def test_the_hostile_run_flags_only_its_trigger_word(hostile):
    """Every word of the hostile prompt is dropped together with "life" often enough that an
    unstratified test credits many of them; stratified by the strongest other words, only "life?"
    is left."""
    assert [s.feature.text for s in word_support(hostile) if s.significant] == ["life?"]


@pytest.mark.parametrize("seed", range(20))
def test_without_strata_the_removal_test_is_fishers_exact_test(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 40))
    dropped, moved = rng.random(n) < 0.5, rng.random(n) < rng.random()
    if dropped.all() or not dropped.any():
        dropped[0] = not dropped[0]
    a, b = int((dropped & moved).sum()), int((dropped & ~moved).sum())
    c, d = int((~dropped & moved).sum()), int((~dropped & ~moved).sum())
    expected = fisher_exact([[a, b], [c, d]], alternative="greater").pvalue
    assert removal_test(dropped, moved, np.zeros(n, int)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def brute_force(dropped, moved, strata):
    """P(count ≥ observed) over every relabelling of `dropped` within each stratum."""
    observed = int((dropped & moved).sum())
    choices = []
    for label in np.unique(strata):
        inside = np.flatnonzero(strata == label)
        choices.append([set(c) for c in itertools.combinations(inside, int(dropped[inside].sum()))])
    total = at_least = 0
    for combo in itertools.product(*choices):
        chosen = set().union(*combo)
        total += 1
        at_least += sum(1 for j in chosen if moved[j]) >= observed
    return at_least / total


@pytest.mark.parametrize("seed", range(8))
def test_the_stratified_test_equals_enumerating_every_relabelling(seed):
    rng = np.random.default_rng(100 + seed)
    strata = rng.integers(0, 3, size=11)
    dropped, moved = rng.random(11) < 0.5, rng.random(11) < 0.5
    found = removal_test(dropped, moved, strata)
    if found is None:  # no stratum with both a dropped and a kept perturbation
        return
    assert found == pytest.approx(brute_force(dropped, moved, strata), rel=1e-9)


def test_one_kind_of_evidence_decides_alone_and_the_rule_says_so(ignored_words_run):
    no_interval = dataclasses.replace(ignored_words_run, extras={}, attribution_std=None)
    assert "no interval" in support_rule(no_interval)
    assert verdicts(no_interval)["meaning"] is True and verdicts(no_interval)["is"] is False
    no_p = dataclasses.replace(
        ignored_words_run, perturbations=tuple(dataclasses.replace(p, p_value=None) for p in ignored_words_run.perturbations)
    )
    assert "no p-values" in support_rule(no_p)
    assert verdicts(no_p)["is"] is True  # the interval alone: the reason the rule needs both
    neither = dataclasses.replace(no_p, extras={}, attribution_std=None)
    assert set(verdicts(neither).values()) == {None}


def test_every_report_names_and_explains_the_rule(ignored_words_run):
    rule = support_rule(ignored_words_run)
    for name, text in every_format(ignored_words_run).items():
        assert flat(f"Rule: {rule}.") in text, name


def test_the_json_report_carries_the_same_verdicts(ignored_words_run):
    record = json.loads(render(ignored_words_run, "json"))["extras"]["significance"]
    assert record["rule"] == support_rule(ignored_words_run)
    assert [w["significant"] for w in record["words"]] == [s.significant for s in word_support(ignored_words_run)]
    assert {w["text"] for w in record["words"] if w["significant"]} == {"meaning", "life?"}


def test_tables_show_the_verdict_beside_its_evidence(ignored_words_run):
    """In every table, the row of "is" reads: no significant changes beyond the kept ones, a
    removal-test p of 1, and "no"."""
    support = {s.feature.text: s for s in word_support(ignored_words_run)}["is"]
    for name, text in every_format(ignored_words_run).items():
        if name == "svg":
            continue
        cells = flat(text.replace("│", " ").replace("|", " "))
        assert f"{support.significant_count}/{support.tested} {support.kept_significant}/{support.kept_tested} 1.0000 no" in cells, name


@pytest.mark.parametrize("total", [1, 7, 64, 500])
def test_the_hypergeometric_law_equals_scipys(total):
    from scipy.stats import hypergeom

    from gsmile_core.method.word_support import _hypergeometric

    for changes in range(0, total + 1, max(1, total // 6)):
        for draws in range(0, total + 1, max(1, total // 8)):
            expected = hypergeom.pmf(np.arange(0, min(draws, changes) + 1), total, changes, draws)
            assert np.allclose(_hypergeometric(total, changes, draws), expected, rtol=1e-9, atol=1e-12)
