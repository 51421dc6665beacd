"""The lime baseline against scikit-learn, Bayesian credible intervals, bootstrap intervals."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.linear_model import BayesianRidge, LinearRegression, Ridge
from sklearn.metrics.pairwise import cosine_distances

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain
from gsmile_core.method.surrogate import LIME_KERNEL_WIDTH, fit_surrogate, lime_distances, lime_weights
from gsmile_core.types import Explanation
from gsmile_core.method.uncertainty import WordIntervals, bootstrap_intervals, intervals_of


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 2, size=(40, 6)).astype(float)
    masks[0] = 1
    masks[masks.sum(axis=1) == 0, 0] = 1
    target = masks @ np.array([-1.0, -0.5, 0, 0, 0.2, 0]) + 1.5 + rng.normal(scale=0.05, size=40)
    weights = rng.uniform(0.1, 1.0, size=40)
    return masks, target, weights


def test_lime_kernel_is_limes_formula(data):
    masks, _, _ = data
    d = cosine_distances(masks, np.ones((1, 6))).ravel() * 100  # lime_text: distance_fn
    np.testing.assert_allclose(lime_distances(masks), d, atol=1e-9)
    np.testing.assert_allclose(lime_weights(masks), np.sqrt(np.exp(-(d**2) / 25.0**2)), rtol=1e-12)
    assert LIME_KERNEL_WIDTH == 25.0
    assert lime_weights(masks[:1])[0] == pytest.approx(1.0)  # the original has distance 0


def test_lime_surrogate_is_sklearn_ridge_with_lime_weights(data):
    masks, target, _ = data
    weights = lime_weights(masks)
    ours = fit_surrogate("lime", masks, target, weights)
    ridge = Ridge(alpha=1.0).fit(masks, target, sample_weight=weights)
    np.testing.assert_allclose(ours.coefficients, ridge.coef_, rtol=1e-10)
    assert ours.intercept == pytest.approx(ridge.intercept_)
    assert ours.coefficient_std is None and ours.credible_intervals() is None


def test_credible_intervals_are_gaussian_posterior_quantiles(data):
    masks, target, weights = data
    fit = fit_surrogate("bayes", masks, target, weights)
    model = BayesianRidge().fit(masks, target, sample_weight=weights)
    std = np.sqrt(np.diag(model.sigma_))
    bounds = fit.credible_intervals(0.9)
    np.testing.assert_allclose(bounds[:, 0], -model.coef_ - norm.ppf(0.95) * std, rtol=1e-9)
    np.testing.assert_allclose(bounds[:, 1], -model.coef_ + norm.ppf(0.95) * std, rtol=1e-9)


def test_bootstrap_intervals_are_percentiles_of_seeded_refits(data):
    masks, target, weights = data
    result = bootstrap_intervals("wls", masks, target, weights, resamples=150, seed=3, level=0.9)
    again = bootstrap_intervals("wls", masks, target, weights, resamples=150, seed=3, level=0.9)
    assert result == again
    # the same resamples by hand, refitted with scikit-learn
    rng = np.random.default_rng(np.random.SeedSequence(entropy=3, spawn_key=(0xB00757,)))
    scores = []
    for _ in range(150):
        rows = rng.integers(0, 40, size=40)
        model = LinearRegression().fit(masks[rows], target[rows], sample_weight=weights[rows])
        scores.append(-model.coef_)
    lower, upper = np.percentile(scores, [5, 95], axis=0)
    np.testing.assert_allclose(result.lower, lower, rtol=1e-9)
    np.testing.assert_allclose(result.upper, upper, rtol=1e-9)
    # words 0 and 1 matter (true importances +1, +0.5), words 2, 3, 5 do not
    crosses = result.crosses_zero()
    assert not crosses[0] and not crosses[1]
    assert crosses[2] and crosses[3] and crosses[5]


def test_word_intervals_round_trip():
    w = WordIntervals("bootstrap", 0.95, (-1.0, 0.5), (1.0, 0.7), 100, 4)
    assert WordIntervals.from_dict(w.to_dict()) == w
    assert w.to_dict()["crosses_zero"] == [True, False]


@pytest.mark.parametrize("surrogate", ["wls", "bayes", "lime"])
async def test_explanations_carry_intervals_through_json(surrogate):
    config = ExplainConfig(surrogate=surrogate, bootstrap=0, ci_resamples=50)
    e = await explain("the doctor saw the ocean at night", FakeBackend(), config)
    intervals = intervals_of(e.extras)
    assert set(intervals) == ({"bootstrap", "credible"} if surrogate == "bayes" else {"bootstrap"})
    boot = intervals["bootstrap"]
    assert len(boot.lower) == len(e.features) and boot.resamples == 50
    assert all(lo <= hi for lo, hi in zip(boot.lower, boot.upper))
    doctor = next(f.index for f in e.features if f.text == "doctor")
    assert not boot.crosses_zero()[doctor] and boot.lower[doctor] > 0
    back = Explanation.from_dict(e.to_dict())
    assert intervals_of(back.extras) == intervals
    if surrogate == "lime":
        assert e.kernel_width == LIME_KERNEL_WIDTH


async def test_intervals_can_be_switched_off():
    e = await explain("the doctor saw the ocean", FakeBackend(), ExplainConfig(bootstrap=0, ci_resamples=0))
    assert intervals_of(e.extras) == {}
