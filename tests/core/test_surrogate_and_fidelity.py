"""Surrogates against scikit-learn; fidelity against hand-computed values of eqs. 17-22."""

import numpy as np
import pytest
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.metrics import r2_score

from gsmile_core.method.fidelity import fidelity
from gsmile_core.method.surrogate import fit_surrogate


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 2, size=(40, 5)).astype(float)
    theta = np.array([-2.0, 0.5, 0.0, -1.0, 0.1])
    y = 3.0 + masks @ theta + rng.normal(scale=0.1, size=40)
    w = rng.uniform(0.1, 1.0, size=40)
    return masks, y, w, theta


def test_wls_equals_sklearn_and_recovers_importance(data):
    masks, y, w, theta = data
    fit = fit_surrogate("wls", masks, y, w)
    oracle = LinearRegression().fit(masks, y, sample_weight=w)
    np.testing.assert_allclose(fit.coefficients, oracle.coef_)
    assert fit.intercept == pytest.approx(oracle.intercept_)
    np.testing.assert_allclose(fit.importance, -theta, atol=0.1)


def test_bayes_reports_posterior_std(data):
    masks, y, w, _ = data
    fit = fit_surrogate("bayes", masks, y, w)
    oracle = BayesianRidge().fit(masks, y, sample_weight=w)
    np.testing.assert_allclose(fit.coefficients, oracle.coef_)
    np.testing.assert_allclose(fit.coefficient_std, np.sqrt(np.diag(oracle.sigma_)))
    assert np.all(fit.coefficient_std > 0)


def test_fidelity_hand_computed():
    f = np.array([1.0, 2.0, 4.0])
    g = np.array([1.5, 2.0, 3.0])
    w = np.array([1.0, 0.5, 0.5])
    result = fidelity(f, g, w, n_features=1)
    # weighted mean of f = (1 + 1 + 2) / 2 = 2
    assert result.wmse == pytest.approx((0.25 + 0 + 0.5) / 2)
    assert result.wmae == pytest.approx((0.5 + 0 + 0.5) / 2)
    assert result.mean_l1 == pytest.approx(1.5 / 3)
    assert result.mean_l2 == pytest.approx(1.25 / 3)
    r2 = 1 - 1.25 / (1 + 0 + 4)  # eq. 17: unweighted sums around the weighted mean
    assert result.r2_w == pytest.approx(r2)
    assert result.adj_r2_w == pytest.approx(1 - (1 - r2) * 2 / 1)
    assert result.r2_w_conventional == pytest.approx(r2_score(f, g, sample_weight=w))


def test_fidelity_undefined_cases_are_none():
    result = fidelity(np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0]), n_features=3)
    assert result.r2_w is None and result.adj_r2_w is None
    assert result.wmse == 0.0
