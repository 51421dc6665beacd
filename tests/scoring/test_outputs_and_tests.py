"""Distances between output distributions against scipy/POT oracles; the per-feature permutation
tests find a real effect and stay calibrated under the null; row distances in closed form."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from scipy import stats

from gsmile_core.errors import ConfigError
from gsmile_core.method.sliced_distances import ecdf_gaps
from gsmile_core.scoring.feature_tests import feature_permutation_tests
from gsmile_core.scoring.outputs import (
    OUTPUT_DISTANCES, as_distributions, choose_target, output_kind, target_values,
)
from gsmile_core.scoring.row_distances import background_quantiles
from gsmile_core.scoring.parts import ROW_DISTANCES
from gsmile_core.scoring.tabular_data import load_table

P = np.array([0.2, 0.5, 0.3])
Q = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.0, 0.25, 0.75], [0.3, 0.5, 0.2]])


def test_wasserstein_matches_scipy_with_weights():
    got = OUTPUT_DISTANCES.get("wasserstein-1d")(P, Q, 1.0)
    support = np.linspace(0, 1, 3)
    expected = [stats.wasserstein_distance(support, support, P, q) for q in Q]
    assert np.allclose(got, expected)
    assert got[0] == pytest.approx(0.0)


def test_total_variation_is_wasserstein_with_unordered_classes():
    cost = 1.0 - np.eye(3)
    expected = [ot.emd2(P, q, cost) for q in Q]
    assert np.allclose(OUTPUT_DISTANCES.get("tv")(P, Q), expected)


def test_ecdf_distances_match_the_text_pipelines_definitions_on_equal_samples():
    # P = (2, 5, 3)/10 and q = (6, 1, 3)/10 as two samples of 10 class positions each
    u = np.repeat([0.0, 0.5, 1.0], [2, 5, 3])
    v = np.repeat([0.0, 0.5, 1.0], [6, 1, 3])
    gaps = ecdf_gaps(u, v)
    q = Q[[1]]
    assert OUTPUT_DISTANCES.get("ks")(P, q)[0] == pytest.approx(np.abs(gaps).max())
    assert OUTPUT_DISTANCES.get("ks")(P, q)[0] == pytest.approx(stats.ks_2samp(u, v).statistic)
    assert OUTPUT_DISTANCES.get("kuiper")(P, q)[0] == pytest.approx(max(gaps.max(), 0) + max((-gaps).max(), 0))
    assert OUTPUT_DISTANCES.get("cvm")(P, q)[0] == pytest.approx(np.mean(gaps**2))


def test_swapping_two_classes_is_a_change():
    """The authors' code compared probability vectors as samples of numbers: swapping two classes'
    probabilities was distance 0. Here the classes are the support."""
    swapped = P[[2, 1, 0]][None, :]
    for name in OUTPUT_DISTANCES.names():
        assert OUTPUT_DISTANCES.get(name)(P, swapped)[0] > 0.005, name
    assert stats.wasserstein_distance(P, P[[2, 1, 0]]) == 0.0  # what the coordinate histogram said


def test_anderson_darling_weighs_disagreement_and_is_zero_on_equality():
    ad = OUTPUT_DISTANCES.get("ad")(P, Q)
    assert ad[0] == 0 and np.all(ad[1:] > 0)


def test_kinds_targets_and_softmax():
    assert output_kind(Q) == "probabilities"
    assert output_kind(np.array([[2.0, -1.0], [0.3, 0.1]])) == "scores"
    assert output_kind(np.array([[3.2], [1.0]])) == "value"
    assert np.allclose(as_distributions(np.array([[0.0, 0.0]]), "scores"), [[0.5, 0.5]])
    target = choose_target(("neg", "neu", "pos"), "probabilities", "pos")
    assert target.class_index == 2
    values = np.vstack([P, Q])
    assert np.allclose(target_values(values, "probabilities", target), P[2] - values[:, 2])
    with pytest.raises(ConfigError, match="not one of the model's classes: neg, neu, pos"):
        choose_target(("neg", "neu", "pos"), "probabilities", "happy")
    with pytest.raises(ConfigError, match="unknown output distance"):
        choose_target(("a", "b"), "probabilities", None, "wmd")


def _synthetic(seed: int, j: int = 96, d: int = 8):
    rng = np.random.default_rng(seed)
    masks = rng.integers(0, 2, size=(j, d))
    masks[0] = 1
    outputs = 0.8 * masks[:, 0] + rng.normal(0, 0.3, j)  # only feature 0 acts
    return masks, outputs


def test_permutation_tests_find_the_acting_feature():
    masks, outputs = _synthetic(0)
    tests = feature_permutation_tests(masks, outputs, np.ones(len(outputs)), draws=2000, seed=1)
    assert tests.p_values[0] < 0.001
    assert min(tests.p_values[1:]) > 0.001


def test_permutation_tests_are_calibrated_under_the_null():
    rejected = total = 0
    for seed in range(25):
        masks, outputs = _synthetic(seed)
        tests = feature_permutation_tests(masks, outputs, np.ones(len(outputs)), draws=399, seed=seed)
        rejected += sum(p < 0.05 for p in tests.p_values[1:])
        total += len(tests.p_values) - 1
    assert 0.01 <= rejected / total <= 0.10  # nominal 0.05 over 175 null features


def test_permutation_tests_refuse_an_unidentified_fit():
    masks = np.ones((5, 8), dtype=int)
    tests = feature_permutation_tests(masks, np.zeros(5), np.ones(5), draws=100)
    assert tests.p_values == (None,) * 8 and "no test" in tests.note


def test_row_distances_in_closed_form():
    table = load_table({"x": [1.0, 2.0, 3.0, 4.0], "colour": ["red", "red", "blue", "green"]})
    instance = (1.0, "red")
    rows = [(1.0, "red"), (3.0, "red"), (4.0, "blue")]
    b = background_quantiles(table.data[0], np.array([1.0, 3.0, 4.0]))
    assert np.allclose(b, [0.125, 0.625, 0.875])  # mid-rank ECDF
    w1 = ROW_DISTANCES.get("wasserstein-1d")(table, instance, rows)
    expected_x = [stats.wasserstein_distance([b[0]], [q]) for q in b]  # W1 in background quantiles
    assert np.allclose(w1, (np.array(expected_x) + np.array([0, 0, 1])) / 2)
    assert np.allclose(ROW_DISTANCES.get("cvm")(table, instance, rows), w1)
    assert np.allclose(ROW_DISTANCES.get("ks")(table, instance, rows), [0, 0.5, 1.0])
    logit = lambda u: np.log(u / (1 - u))  # noqa: E731
    ad = ROW_DISTANCES.get("ad")(table, instance, rows)
    assert ad[2] == pytest.approx((abs(logit(0.875) - logit(0.125)) + 1) / 2)
