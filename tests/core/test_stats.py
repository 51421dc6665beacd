"""Kernel, width rule, effective sample size and the permutation test of Algorithm 1."""

import numpy as np
import ot
import pytest

from gsmile_core.method.distances import ground_cost
from gsmile_core.method.stats import (
    auto_kernel_width,
    effective_sample_size,
    gaussian_kernel,
    permutation_test,
)


def test_kernel_is_one_at_zero_and_decreasing():
    d = np.linspace(0, 5, 50)
    w = gaussian_kernel(d, 1.5)
    assert w[0] == 1.0
    assert np.all(np.diff(w) < 0)
    assert gaussian_kernel(np.array([1.5]), 1.5)[0] == pytest.approx(np.exp(-1))


def test_auto_width_is_median_of_positive_distances():
    assert auto_kernel_width(np.array([0.0, 1.0, 2.0, 4.0])) == 2.0
    assert auto_kernel_width(np.zeros(5)) == 1.0


def test_effective_sample_size():
    assert effective_sample_size(np.ones(10)) == pytest.approx(10)
    assert effective_sample_size(np.array([1.0, 0, 0, 0])) == pytest.approx(1)


def _naive_p(x, y, draws, seed):
    """Algorithm 1 done the slow way: every split solved with ot.emd2, same random splits."""
    nx, ny = len(x), len(y)
    pooled = np.vstack([x, y])
    cost = ground_cost(pooled, pooled, 1.0)
    a, b = np.full(nx, 1 / nx), np.full(ny, 1 / ny)
    observed = ot.emd2(a, b, cost[:nx, nx:])
    rng = np.random.default_rng(seed)
    perms = np.vstack([rng.permuted(np.tile(np.arange(nx + ny), (min(64, draws - k), 1)), axis=1) for k in range(0, draws, 64)])
    hits = sum(ot.emd2(a, b, cost[np.ix_(p[:nx], p[nx:])]) >= observed * (1 - 1e-9) - 1e-12 for p in perms)
    return (hits + 1) / (draws + 1)


@pytest.mark.parametrize("shift", [0.0, 0.4, 3.0])
def test_bounded_test_equals_naive_test(shift):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 4))
    y = rng.normal(size=(9, 4)) + shift
    result = permutation_test(x, y, draws=300, seed=5)
    assert result.draws == 300
    assert result.p_value == pytest.approx(_naive_p(x, y, 300, 5))


def test_identical_samples_give_large_p():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 3))
    assert permutation_test(x, x.copy(), draws=200, seed=0).p_value == 1.0


def test_far_samples_give_small_p():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(15, 3))
    y = rng.normal(size=(15, 3)) + 10
    result = permutation_test(x, y, draws=999, seed=0, alpha=None)
    assert result.p_value == pytest.approx(1 / 1000)


def test_sequential_stopping_keeps_the_decision_and_saves_draws():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(15, 3))
    far = rng.normal(size=(15, 3)) + 10
    full = permutation_test(x, far, draws=2000, seed=0)
    early = permutation_test(x, far, draws=2000, seed=0, alpha=0.05)
    assert early.stopped_early and early.draws < 500
    assert (early.p_value < 0.05) == (full.p_value < 0.05)
    same = permutation_test(x, x.copy(), draws=2000, seed=0, alpha=0.05)
    assert same.stopped_early and same.p_value > 0.05


def test_permutation_test_is_seeded():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 3)) + 0.5
    assert permutation_test(x, y, draws=200, seed=9) == permutation_test(x, y, draws=200, seed=9)


def test_needs_tokens_on_both_sides():
    with pytest.raises(ValueError):
        permutation_test(np.zeros((0, 3)), np.ones((2, 3)), draws=10)
