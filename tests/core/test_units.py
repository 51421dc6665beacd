"""Units of a long prompt: words, phrases, sentences, paragraphs; protected spans; the exact text
sent for a mask; the auto rule; and the causal sentences of a long document ranked first."""

from __future__ import annotations

import itertools
import re

import pytest

from fakes.documents import long_document

from gsmile_core import ExplainConfig, explain
from gsmile_core.errors import ConfigError
from gsmile_core.method.segment import apply_mask, prepare_prompt
from gsmile_core.method.units import AUTO_SENTENCES, AUTO_WORDS, auto_level, segment

DOC = ("Dr. Smith read the report. It said the patient, aged 40, was fine!\n\n"
       "Question: what did the report say? [[Answer briefly.]]")


def test_each_level_cuts_exact_spans_of_the_prompt():
    for level, expected in {
        "sentence": ["Dr. Smith read the report.", "It said the patient, aged 40, was fine!",
                     "Question: what did the report say?"],
        "paragraph": ["Dr. Smith read the report. It said the patient, aged 40, was fine!",
                      "Question: what did the report say?"],
        "phrase": ["Dr. Smith read the report.", "It said the patient,", "aged 40,", "was fine!",
                   "Question:", "what did the report say?"],
    }.items():
        cut = segment(DOC, level)
        assert [u.text for u in cut.units] == expected
        assert all(cut.text[u.start:u.end] == u.text and u.level == level for u in cut.units)
        assert cut.text.endswith("Answer briefly.") and "[[" not in cut.text


def test_the_protected_span_is_never_removed_and_nothing_is_glued_or_doubled():
    cut = segment(DOC, "phrase")
    n = len(cut.units)
    for mask in itertools.product((0, 1), repeat=n):
        text = apply_mask(cut.text, cut.units, mask)
        kept = [u.text for u, keep in zip(cut.units, mask) if keep] + ["Answer briefly."]
        # exactly the kept pieces, in order, each pair separated by whitespace: never glued, and
        # single spaces stay single (a paragraph break stays a paragraph break)
        assert re.fullmatch(r"\s+".join(re.escape(piece) for piece in kept), text), (mask, text)
        assert "   " not in text


def test_word_level_masks_send_exactly_what_they_did_before():
    prompt = "What  is the meaning of life?"
    clean, words = prepare_prompt(prompt, max_words=100, unit="word")
    assert apply_mask(clean, words, [1, 0, 1, 1, 1, 1]) == "What the meaning of life?"
    assert apply_mask(clean, words, [0, 1, 1, 0, 1, 1]) == "is the of life?"


def test_keep_regex_and_markers_protect_text():
    cut = segment("Context one. Context two. Q: which context? Answer in one word.", "sentence", keep=r"Q: [^?]*\?")
    assert "Q: which context?" not in [u.text for u in cut.units]
    assert apply_mask(cut.text, cut.units, [0] * len(cut.units)) == "Q: which context?"


def test_auto_picks_words_then_sentences_then_paragraphs():
    assert auto_level("short prompt here") == "word"
    sentences = " ".join(f"Sentence number {i} is here." for i in range(AUTO_WORDS))
    assert auto_level(sentences) == "sentence"
    paragraphs = "\n\n".join(" ".join(f"S{i}-{j} is short." for j in range(3)) for i in range(AUTO_SENTENCES))
    assert auto_level(paragraphs) == "paragraph"


@pytest.mark.parametrize(
    "prompt, options, message",
    [("[[everything is protected]]", {}, "every part of the prompt is protected"),
     ("all of it", {"keep": ".*"}, "every part of the prompt is protected"),
     ("an [[open span", {}, "never closed"),
     ("fine", {"keep": "("}, "not a valid regular expression")],
)
def test_bad_unit_input_is_one_clear_error(prompt, options, message):
    with pytest.raises(ConfigError, match=message):
        prepare_prompt(prompt, max_words=100, unit="sentence", **options)


@pytest.mark.slow
def test_the_causal_sentences_of_a_long_document_rank_first_at_256_perturbations():
    """A rule-based black box (the fake backend) whose answer depends on two sentences of a
    ~1,000-word document: at sentence level those two rank first."""
    document, causal = long_document()
    explanation = explain(document, "fake", cache=False, perturbations=256, bootstrap=0, ci_resamples=0)
    assert explanation.features[0].level == "sentence"
    top = [feature.index for feature, _ in explanation.ranked()[:2]]
    assert sorted(top) == causal


def test_more_units_than_perturbations_fits_ridge_and_says_so():
    document, causal = long_document()
    few = explain(document, "fake", cache=False, perturbations=48, bootstrap=0, ci_resamples=50, unit="sentence")
    assert few.extras["surrogate_fitted"] == "ridge"
    assert any("underdetermined" in w and "ridge" in w for w in few.warnings)
    assert sorted(f.index for f, _ in few.ranked()[:2]) == causal
    many = explain(document, "fake", cache=False, perturbations=256, bootstrap=0, ci_resamples=0, unit="sentence")
    assert many.extras["surrogate_fitted"] == "wls" and not any("underdetermined" in w for w in many.warnings)


def test_the_ridge_surrogate_is_scikit_learns_ridge_cv():
    import numpy as np
    from sklearn.linear_model import RidgeCV

    from gsmile_core.method.surrogate import RIDGE_ALPHAS, fit_surrogate

    rng = np.random.default_rng(0)
    masks = rng.integers(0, 2, size=(20, 40)).astype(float)
    target = masks[:, 3] * 2 - masks[:, 7] + rng.normal(0, 0.1, 20)
    weights = rng.uniform(0.5, 1.5, 20)
    ours = fit_surrogate("ridge", masks, target, weights)
    oracle = RidgeCV(alphas=RIDGE_ALPHAS).fit(masks, target, sample_weight=weights)
    np.testing.assert_allclose(ours.coefficients, oracle.coef_, rtol=1e-10, atol=1e-12)
    assert ours.alpha == oracle.alpha_


def test_batched_bootstrap_refits_are_scikit_learns_linear_regression():
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from gsmile_core.method.uncertainty import weighted_linear_fits

    rng = np.random.default_rng(3)
    masks = rng.integers(0, 2, size=(96, 12)).astype(float)
    target = masks @ rng.normal(size=12) + rng.normal(0, 0.1, 96)
    weights = rng.uniform(0.2, 1.0, 96)
    counts = np.stack([np.bincount(rng.integers(0, 96, 96), minlength=96) for _ in range(30)])
    counts[0, :] = 0
    counts[0, :5] = 20  # a resample too small to determine every coefficient: the minimum-norm one
    ours = weighted_linear_fits(masks, target, weights * counts)
    for row, count in zip(ours, counts):
        oracle = LinearRegression().fit(masks, target, sample_weight=weights * count).coef_
        np.testing.assert_allclose(row, oracle, atol=1e-8)


@pytest.mark.parametrize("units", [12, 150])
def test_batched_ridge_refits_are_scikit_learns_ridge_primal_and_dual(units):
    import numpy as np
    from sklearn.linear_model import Ridge

    from gsmile_core.method.uncertainty import weighted_linear_fits

    rng = np.random.default_rng(4)
    masks = rng.integers(0, 2, size=(64, units)).astype(float)
    target = masks[:, :3] @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 64)
    weights = rng.uniform(0.2, 1.0, 64) * rng.exponential(size=(5, 64))
    ours = weighted_linear_fits(masks, target, weights, alpha=0.7)
    for row, w in zip(ours, weights):
        np.testing.assert_allclose(row, Ridge(alpha=0.7).fit(masks, target, sample_weight=w).coef_, atol=1e-8)
