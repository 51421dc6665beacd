"""cosine, wmd+cosine and the sliced ECDF family against numpy / scipy / POT and hand values."""

import math

import numpy as np
import pytest
from scipy import stats

from gsmile_core.config import ExplainConfig
from gsmile_core.method.clouds import bounded_cloud
from gsmile_core.method.distances import DISTANCES, cloud_size, mean_vector_cosine, normalised_wmd, wasserstein_p
from gsmile_core.method.embed import EmbeddedText
from gsmile_core.errors import ConfigError
from gsmile_core.method.sliced_distances import (
    PROJECTIONS,
    anderson_darling_distance,
    cramer_von_mises_columns,
    ks_columns,
    kuiper_columns,
    cramer_von_mises_distance,
    ecdf_gaps,
    kuiper_statistic,
    project,
    projection_directions,
)


def cloud(array) -> EmbeddedText:
    array = np.asarray(array, dtype=float)
    return EmbeddedText(tuple(f"w{i}" for i in range(array.shape[0])), array, ())


EMPTY = cloud(np.zeros((0, 3)))
ECDF_FAMILY = ("ks", "kuiper", "cvm", "ad", "wasserstein-1d")


@pytest.fixture
def pair():
    rng = np.random.default_rng(7)
    return cloud(rng.normal(size=(9, 3))), cloud(rng.normal(size=(6, 3)) + 0.7)


def test_every_distance_is_registered():
    assert set(DISTANCES.names()) >= {"wmd", "cosine", "wmd+cosine", *ECDF_FAMILY}


def test_cosine_against_numpy(pair):
    x, y = pair
    u, v = x.vectors.mean(axis=0), y.vectors.mean(axis=0)
    expected = 1 - u @ v / (np.linalg.norm(u) * np.linalg.norm(v))
    assert DISTANCES.get("cosine")(x, y, 1.0) == pytest.approx(expected, rel=1e-12)


def test_cosine_empty_and_zero_mean_rules():
    x = cloud([[1.0, 2.0, 3.0]])
    assert mean_vector_cosine(EMPTY.vectors, EMPTY.vectors) == 0.0
    assert mean_vector_cosine(x.vectors, EMPTY.vectors) == 1.0
    cancelling = np.array([[1.0, 0, 0], [-1.0, 0, 0]])
    assert mean_vector_cosine(cancelling, x.vectors) == 1.0
    assert mean_vector_cosine(cancelling, cancelling) == 0.0


def test_wmd_plus_cosine_is_the_documented_mean(pair):
    x, y = pair
    w = wasserstein_p(x.vectors, y.vectors, 1.0)
    size_x = np.mean(np.linalg.norm(x.vectors, axis=1))
    size_y = np.mean(np.linalg.norm(y.vectors, axis=1))
    expected = 0.5 * (w / (size_x + size_y) + 0.5 * DISTANCES.get("cosine")(x, y, 1.0))
    assert DISTANCES.get("wmd+cosine")(x, y, 1.0) == pytest.approx(expected, rel=1e-9)
    assert 0 <= expected <= 1


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_normalised_wmd_is_bounded_by_one(p):
    """W_p <= M_p(x) + M_p(y): even clouds on opposite sides stay within [0, 1]."""
    rng = np.random.default_rng(3)
    for _ in range(30):
        x = rng.normal(size=(rng.integers(1, 6), 4)) + 5
        y = rng.normal(size=(rng.integers(1, 6), 4)) - 5
        value = normalised_wmd(bounded_cloud(x), bounded_cloud(y), p)
        assert 0 <= value <= 1
        assert cloud_size(bounded_cloud(x), p) == pytest.approx(np.mean(np.linalg.norm(x, axis=1) ** p) ** (1 / p))


def test_wmd_plus_cosine_empty_bags():
    x = cloud([[1.0, 2.0, 3.0], [0.5, 0.0, 1.0]])
    f = DISTANCES.get("wmd+cosine")
    assert f(EMPTY, EMPTY, 1.0) == 0.0
    assert f(x, EMPTY, 1.0) == pytest.approx(0.75)


def test_kuiper_hand_computed():
    # u = {1, 3}, v = {2}: at 1: F-G = 1/2-0; at 2: 1/2-1 = -1/2; at 3: 1-1 = 0.
    # D+ = 1/2, D- = 1/2, V = 1.
    assert kuiper_statistic(np.array([1.0, 3.0]), np.array([2.0])) == pytest.approx(1.0)
    # u = {0, 1, 2, 3}, v = {2, 3}: F-G at 0,1,2,3 = 1/4, 1/2, 1/4, 0 → D+ = 1/2, D- = 0.
    assert kuiper_statistic(np.array([0.0, 1, 2, 3]), np.array([2.0, 3])) == pytest.approx(0.5)
    assert kuiper_statistic(np.array([1.0, 2]), np.array([2.0, 1])) == 0.0


def test_kuiper_is_at_least_ks_and_at_most_twice_it():
    rng = np.random.default_rng(11)
    for _ in range(50):
        u, v = rng.normal(size=rng.integers(1, 12)), rng.normal(size=rng.integers(1, 12)) + 0.3
        ks = stats.ks_2samp(u, v).statistic
        assert ks - 1e-12 <= kuiper_statistic(u, v) <= 2 * ks + 1e-12


def _sliced_reference(x, y, statistic):
    directions = projection_directions(x.vectors.shape[1])
    values = [statistic(x.vectors @ d, y.vectors @ d) for d in directions]
    return float(np.mean(values))


def test_sliced_ks_against_scipy(pair):
    x, y = pair
    expected = _sliced_reference(x, y, lambda u, v: stats.ks_2samp(u, v).statistic)
    assert DISTANCES.get("ks")(x, y, 1.0) == pytest.approx(expected, rel=1e-12)


def test_sliced_cvm_against_scipy(pair):
    x, y = pair
    n, m = len(x.vectors), len(y.vectors)
    expected = _sliced_reference(x, y, lambda u, v: stats.cramervonmises_2samp(u, v).statistic * (n + m) / (n * m))
    assert DISTANCES.get("cvm")(x, y, 1.0) == pytest.approx(expected, rel=1e-9)


def test_cvm_small_sample_formula_equals_scipy_where_both_apply():
    rng = np.random.default_rng(5)
    for _ in range(20):
        u, v = rng.normal(size=rng.integers(2, 9)), rng.normal(size=rng.integers(2, 9))
        direct = float(np.mean(ecdf_gaps(u, v) ** 2))
        assert cramer_von_mises_distance(u, v) == pytest.approx(direct, rel=1e-9)
    # one-point samples (scipy refuses them) use the same integral
    assert cramer_von_mises_distance(np.array([0.0]), np.array([1.0, 2.0])) == pytest.approx(
        np.mean(np.array([1.0, 0.5, 0.0]) ** 2)
    )


@pytest.mark.filterwarnings("ignore:p-value")
def test_sliced_ad_against_scipy(pair):
    x, y = pair
    expected = _sliced_reference(
        x, y, lambda u, v: max(stats.anderson_ksamp([u, v], variant="midrank").statistic, 0.0)
    )
    assert DISTANCES.get("ad")(x, y, 1.0) == pytest.approx(expected, rel=1e-9)


def test_ad_of_a_single_repeated_value_is_zero():
    assert anderson_darling_distance(np.array([2.0, 2.0]), np.array([2.0])) == 0.0


def test_sliced_wasserstein_against_scipy_and_pot(pair):
    x, y = pair
    expected = _sliced_reference(x, y, stats.wasserstein_distance)
    assert DISTANCES.get("wasserstein-1d")(x, y, 1.0) == pytest.approx(expected, rel=1e-9)
    # p = 2: sorted samples of equal size → W2² is the mean squared gap of the order statistics
    a, b = cloud(np.random.default_rng(2).normal(size=(5, 3))), cloud(np.random.default_rng(4).normal(size=(5, 3)))
    directions = projection_directions(3)
    manual = np.mean([math.sqrt(np.mean((np.sort(a.vectors @ d) - np.sort(b.vectors @ d)) ** 2)) for d in directions])
    assert DISTANCES.get("wasserstein-1d")(a, b, 2.0) == pytest.approx(manual, rel=1e-9)


def test_projections_are_seeded_unit_vectors():
    d = projection_directions(50)
    assert d.shape == (PROJECTIONS, 50)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    np.testing.assert_array_equal(d, projection_directions(50))


@pytest.mark.parametrize("name", ECDF_FAMILY + ("cosine", "wmd+cosine", "wmd"))
def test_every_distance_is_zero_on_itself_finite_on_empty(name, pair):
    x, y = pair
    f = DISTANCES.get(name)
    assert f(x, x, 1.0) == pytest.approx(0.0, abs=1e-9)
    assert f(EMPTY, EMPTY, 1.0) == 0.0
    for value in (f(x, y, 1.0), f(x, EMPTY, 1.0), f(EMPTY, y, 1.0), f(cloud([[0.0, 0, 0]]), EMPTY, 1.0)):
        assert math.isfinite(value) and value >= 0
    assert f(x, y, 1.0) > 0


def test_empty_bag_is_the_null_word_at_the_origin(pair):
    x, _ = pair
    px, pe = project(x, EMPTY)
    assert pe.shape == (1, PROJECTIONS) and not pe.any()
    origin = cloud(np.zeros((1, 3)))
    for name in ECDF_FAMILY:
        assert DISTANCES.get(name)(x, EMPTY, 1.0) == DISTANCES.get(name)(x, origin, 1.0)


def test_unknown_distance_is_a_config_error():
    with pytest.raises(ConfigError, match="known: .*kuiper"):
        ExplainConfig(output_distance="hamming")
    ExplainConfig(input_distance="kuiper", output_distance="wmd+cosine")


def test_columnwise_ks_and_kuiper_handle_ties_like_scipy_and_the_pointwise_formula():
    rng = np.random.default_rng(8)
    for _ in range(30):
        n, m = rng.integers(1, 10), rng.integers(1, 10)
        pu = rng.integers(0, 4, size=(n, 5)).astype(float)  # many ties within and across
        pv = rng.integers(0, 4, size=(m, 5)).astype(float) + rng.integers(0, 2)
        ks = ks_columns(pu, pv)
        kuiper = kuiper_columns(pu, pv)
        for k in range(5):
            assert ks[k] == pytest.approx(stats.ks_2samp(pu[:, k], pv[:, k]).statistic, abs=1e-12)
            assert kuiper[k] == pytest.approx(kuiper_statistic(pu[:, k], pv[:, k]), abs=1e-12)


def test_columnwise_cvm_equals_scipy_per_column():
    rng = np.random.default_rng(9)
    pu, pv = rng.normal(size=(7, 4)), rng.normal(size=(5, 4)) + 0.3
    for k, value in enumerate(cramer_von_mises_columns(pu, pv)):
        expected = stats.cramervonmises_2samp(pu[:, k], pv[:, k]).statistic * 12 / 35
        assert value == pytest.approx(expected, rel=1e-9)
