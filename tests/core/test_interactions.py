"""Pairwise interactions from the explanation's own answers: an AND of two words and an OR of two
synonyms are both found, with the right kind, on a black box that has exactly those."""

from __future__ import annotations

import numpy as np
import pytest

from gsmile_core import explain
from gsmile_core.method.interactions import EITHER, TOGETHER, holm, pairwise_interactions

PROMPT = "Please ask the doctor and the nurse about a car or an automobile for the trip tomorrow"


def black_box(prompt: str) -> str:
    """AND: the medical sentence needs both 'doctor' and 'nurse'; OR: the car sentence needs
    either 'car' or 'automobile' (synonyms)."""
    words = set(prompt.split())
    medical = "The clinic staff will answer questions about treatment." if {"doctor", "nurse"} <= words else ""
    vehicle = "Vehicles need fuel and tyres before a long drive." if words & {"car", "automobile"} else ""
    return " ".join(part for part in (medical, vehicle) if part) or "I am not sure what you mean."


def test_an_and_and_an_or_are_both_found_with_their_kind():
    explanation = explain(PROMPT, black_box, cache=False, perturbations=256, bootstrap=0, ci_resamples=0)
    found = {(explanation.features[i["first"]].text, explanation.features[i["second"]].text): i
             for i in explanation.extras["interactions"]}
    assert ("doctor", "nurse") in found and ("car", "automobile") in found
    assert found[("doctor", "nurse")]["kind"] == EITHER
    assert found[("car", "automobile")]["kind"] == TOGETHER
    for pair in (("doctor", "nurse"), ("car", "automobile")):
        assert found[pair]["p_adjusted"] < 0.01
    top_two = sorted(explanation.extras["interactions"], key=lambda i: i["p_adjusted"])[:2]
    assert {(explanation.features[i["first"]].text, explanation.features[i["second"]].text) for i in top_two} == {
        ("doctor", "nurse"), ("car", "automobile")}


def test_an_additive_black_box_shows_no_significant_interaction():
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 2, size=(200, 6)).astype(float)
    deltas = (1 - masks) @ np.array([1.0, 0.8, 0.5, 0.2, 0.1, 0.05]) + rng.normal(0, 0.05, 200)
    found = pairwise_interactions(masks, deltas, np.ones(200), np.array([1.0, 0.8, 0.5, 0.2, 0.1, 0.05]), report=15)
    assert len(found) == 15 and all(i.p_adjusted > 0.05 for i in found)


def test_the_interaction_coefficient_is_a_weighted_least_squares_oracles():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(1)
    masks = rng.integers(0, 2, size=(120, 3)).astype(float)
    removed = 1 - masks
    deltas = removed @ np.array([0.5, 0.4, 0.0]) + 0.7 * removed[:, 0] * removed[:, 1] + rng.normal(0, 0.05, 120)
    weights = rng.uniform(0.5, 1.0, 120)
    ours = next(i for i in pairwise_interactions(masks, deltas, weights, np.array([3.0, 2.0, 1.0]), report=3)
                if (i.first, i.second) == (0, 1))
    design = np.column_stack([removed, removed[:, 0] * removed[:, 1]])
    oracle = LinearRegression().fit(design, deltas, sample_weight=weights).coef_[-1]
    assert ours.coefficient == pytest.approx(oracle, rel=1e-9)
    assert ours.kind == TOGETHER


def test_holm_adjustment():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
