"""Long answers (issue #10): the permutation test counts what it counted on token clouds, and
the distances and tests stay bounded in memory whatever an answer's length (a 1 MB answer)."""

import tracemalloc

import numpy as np
import ot
import pytest

from fakes.long_answers import token_clouds
from gsmile_core.method.clouds import MAX_POINTS, transport_entries
from gsmile_core.method.distances import DISTANCES, ground_cost
from gsmile_core.method.stats import TEST_POINTS, permutation_test, split_counts


def test_split_counts_are_the_token_permutations_of_one_random_stream():
    """The splits are the ones the token-level test drew: same seed, same permutations."""
    token_point = np.array([0, 1, 1, 2, 0, 3, 3, 3, 1, 4])
    ours = split_counts(np.random.default_rng(9), token_point, 4, 300, 5)
    permutations = np.random.default_rng(9).permuted(np.tile(np.arange(10), (300, 1)), axis=1)
    expected = np.array([np.bincount(token_point[row[:4]], minlength=5) for row in permutations])
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("seed", range(4))
def test_permutation_counts_equal_token_level_solves_with_repeated_words(p, seed):
    """Every split solved with ot.emd2 on the token clouds, the same random splits: the count of
    splits at least as far apart as observed is identical (the test of short answers is unchanged)."""
    rng = np.random.default_rng(200 + seed)
    x, y = token_clouds(rng, longest=16)
    fast = permutation_test(x, y, draws=256, p=p, seed=seed)
    nx, ny = len(x), len(y)
    pooled = np.vstack([x, y])
    cost = ground_cost(pooled, pooled, p)
    a, b = np.full(nx, 1 / nx), np.full(ny, 1 / ny)
    observed = ot.emd2(a, b, cost[:nx, nx:])
    splits = np.random.default_rng(seed).permuted(np.tile(np.arange(nx + ny), (256, 1)), axis=1)
    hits = sum(ot.emd2(a, b, cost[np.ix_(s[:nx], s[nx:])]) >= observed * (1 - 1e-9) - 1e-12 for s in splits)
    assert fast.exceedances == hits
    assert fast.observed == pytest.approx(observed ** (1 / p), rel=1e-7)
    assert not fast.quantised


def _megabyte_answer(seed: int) -> str:
    from gsmile_core.method.embed import glove_keyed_vectors

    words = [w for w in glove_keyed_vectors().index_to_key[:100_000] if w.isalpha()]
    return " ".join(np.random.default_rng(seed).choice(words, size=180_000))[:1_000_000]


@pytest.fixture(scope="module")
def megabyte():
    from gsmile_core.method.embed import get_embedder

    embedder = get_embedder("glove")
    return embedder, embedder.embed(_megabyte_answer(0)), embedder.embed(_megabyte_answer(1))


def test_a_megabyte_answer_is_compared_within_the_bounds(megabyte):
    """A 1 MB answer (~120,000 known tokens, ~75,000 distinct) against a short one and against
    another 1 MB answer: every distance is finite, no cost matrix exceeds MAX_POINTS², no test
    draws its splits over more than TEST_POINTS points, and the memory stays bounded (on token
    clouds the first cost matrix alone was 120,000² floats: 107 GiB)."""
    embedder, big, other = megabyte
    short = embedder.embed("The doctor examined the patient and prescribed medicine at the hospital.")
    assert big.cloud.quantised and big.cloud.size <= MAX_POINTS
    assert transport_entries(big.cloud, other.cloud) <= MAX_POINTS**2
    tracemalloc.start()
    try:
        for name in DISTANCES.names():
            for first, second in ((short, big), (big, other)):
                assert np.isfinite(DISTANCES.get(name)(first, second, 1.0)), name
        test = permutation_test(short.vectors, big.vectors, draws=256, seed=0, alpha=0.05)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert test.support <= TEST_POINTS and test.quantised
    assert 0 < test.p_value <= 1
    assert peak < 300 * 2**20  # measured: 170 MB (the test's pooled 120,000 tokens), 40 MB per distance


def test_the_quantised_distance_reports_its_error_bound(megabyte):
    _, big, other = megabyte
    value = DISTANCES.get("wmd")(big, other, 1.0)
    bound = big.cloud.error_bound(1.0) + other.cloud.error_bound(1.0)
    assert 0 < bound < np.inf and np.isfinite(value)


def test_a_quantised_test_reports_how_far_its_statistic_may_be_from_the_unquantised_one():
    """Pooled clouds beyond `max_points` are quantised: the observed statistic is the distance
    between the quantised halves, within `observed_error_bound` of the distance on the tokens."""
    rng = np.random.default_rng(11)
    for p in (1.0, 2.0):
        x, y = rng.normal(size=(90, 4)), rng.normal(size=(70, 4)) + 0.5
        test = permutation_test(x, y, draws=128, p=p, seed=1, max_points=12)
        exact = ot.emd2(np.full(90, 1 / 90), np.full(70, 1 / 70), ground_cost(x, y, p)) ** (1 / p)
        assert test.quantised and test.support <= 12
        assert 0 < test.observed_error_bound < np.inf
        assert abs(test.observed - exact) <= test.observed_error_bound + 1e-9
    unquantised = permutation_test(x, y, draws=128, seed=1)
    assert not unquantised.quantised and unquantised.observed_error_bound == 0.0


def test_an_explanation_of_long_answers_reports_its_clouds():
    """Through the pipeline: 700-word answers are tested on a quantised pooled cloud, and the
    explanation says so, with the bound of the statistic's error."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fakes.long_answers import glove_long_answers
    from gsmile_core import explain

    black_box = glove_long_answers(700)
    explanation = explain("why do doctors swim in the ocean at dawn", black_box, cache=False,
                          perturbations=8, bootstrap=128, max_tokens=1024)
    clouds = explanation.extras["answer_clouds"]
    assert clouds["quantised_answers"] == 0 and clouds["distance_error_bound"] == 0.0  # ~400 distinct < MAX_POINTS
    assert 300 < clouds["largest"] <= MAX_POINTS
    assert clouds["tests_quantised"] > 0 and clouds["test_statistic_error_bound"] > 0
    assert all(0 < p.p_value <= 1 for p in explanation.perturbations if p.p_value is not None)
