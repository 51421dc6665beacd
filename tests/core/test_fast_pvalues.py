"""The fast permutation test against slow references: bounds are sound, counts are exact,
sequential stopping keeps the decision, and the p-value matches full enumeration."""

from itertools import combinations

import numpy as np
import ot
import pytest

from gsmile_core.method.distances import ground_cost
from gsmile_core.method.stats import permutation_test
from gsmile_core.method.transport_bounds import dual_lower_bounds, feasible_plan_costs


def _problems(seed, count=40):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, m = rng.integers(1, 9), rng.integers(1, 9)
        x, y = rng.normal(size=(n, 3)), rng.normal(size=(m, 3)) + rng.uniform(0, 2)
        if rng.uniform() < 0.3:  # repeated words: duplicated points, zero costs
            y[: min(n, m)] = x[: min(n, m)]
        yield x, y


def test_upper_bound_is_sound_and_close():
    costs, exact = [], []
    for x, y in _problems(0):
        a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
        c = ground_cost(x, y, 1.0)
        upper = feasible_plan_costs(c, a, b)[0]
        lower = dual_lower_bounds(c, a, b)[0]
        optimum = ot.emd2(a, b, c)
        assert lower - 1e-12 <= optimum <= upper + 1e-12
        costs.append(upper)
        exact.append(optimum)
    # not only sound but useful: within a few percent on average
    assert np.mean(np.array(costs) - np.array(exact)) <= 0.05 * np.mean(exact)


def test_upper_bound_of_zero_cost_is_zero():
    a = b = np.full(3, 1 / 3)
    assert feasible_plan_costs(np.zeros((3, 3)), a, b)[0] == pytest.approx(0.0, abs=1e-15)


def _exact_permutation_p(x, y):
    """Every split of the pooled sample into sizes |x|, |y| (the exact permutation p-value)."""
    nx = len(x)
    pooled = np.vstack([x, y])
    cost = ground_cost(pooled, pooled, 1.0)
    a, b = np.full(nx, 1 / nx), np.full(len(y), 1 / len(y))
    observed = ot.emd2(a, b, cost[:nx, nx:])
    everyone = range(len(pooled))
    hits = total = 0
    for left in combinations(everyone, nx):
        right = [i for i in everyone if i not in left]
        hits += ot.emd2(a, b, cost[np.ix_(left, right)]) >= observed * (1 - 1e-9) - 1e-12
        total += 1
    return hits / total


@pytest.mark.parametrize("shift", [0.0, 0.8, 2.5])
def test_monte_carlo_p_matches_full_enumeration(shift):
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(4, 2)) + shift
    exact = _exact_permutation_p(x, y)  # 126 splits
    result = permutation_test(x, y, draws=20_000, seed=1)
    estimate = result.exceedances / result.draws
    assert abs(estimate - exact) <= 4 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-4
    assert result.mc_error == pytest.approx(np.sqrt(estimate * (1 - estimate) / 20_000))


@pytest.mark.parametrize("seed", range(6))
def test_bounds_never_change_the_count(seed):
    """Same random splits, every one solved exactly with POT: the counts are identical."""
    rng = np.random.default_rng(100 + seed)
    nx, ny = rng.integers(3, 15), rng.integers(3, 15)
    x = rng.normal(size=(nx, 5))
    y = rng.normal(size=(ny, 5)) + rng.uniform(0, 1.5)
    fast = permutation_test(x, y, draws=256, seed=seed)
    pooled = np.vstack([x, y])
    cost = ground_cost(pooled, pooled, 1.0)
    a, b = np.full(nx, 1 / nx), np.full(ny, 1 / ny)
    observed = ot.emd2(a, b, cost[:nx, nx:])
    split_rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(4):
        for perm in split_rng.permuted(np.tile(np.arange(nx + ny), (64, 1)), axis=1):
            hits += ot.emd2(a, b, cost[np.ix_(perm[:nx], perm[nx:])]) >= observed * (1 - 1e-9) - 1e-12
    assert fast.exceedances == hits
    assert fast.exact_solves <= 256


def test_sequential_decisions_agree_with_a_long_fixed_run():
    """Across cases spread around alpha, stopping early never flips the fixed-budget decision
    except where the long run's own p-value is within its Monte-Carlo error of alpha."""
    rng = np.random.default_rng(21)
    for shift in np.linspace(0.0, 1.2, 12):
        x, y = rng.normal(size=(8, 3)), rng.normal(size=(7, 3)) + shift
        fast = permutation_test(x, y, draws=4000, seed=2, alpha=0.05)
        slow = permutation_test(x, y, draws=10_000, seed=99)
        if abs(slow.p_value - 0.05) > 4 * slow.mc_error:
            assert (fast.p_value < 0.05) == (slow.p_value < 0.05), (shift, fast, slow)


@pytest.mark.parametrize("seed", range(10))
def test_bounds_decide_exactly_at_near_ties(seed):
    """Where a bound equals the optimum (twins: every point's nearest neighbour is its twin, so
    the relaxed bound is tight) and the threshold is a hair (1e-7, 3e-7 relative) away from it,
    a rounding error could flip a decision; the count must still equal the exact one."""
    from gsmile_core.method.stats import SINKHORN_SHARPNESS, _count_exceedances
    from gsmile_core.method.transport_bounds import SharedCostBounds

    rng = np.random.default_rng(seed)
    n = 12
    x = np.sort(rng.uniform(0, 10, n))[:, None] * np.ones((1, 3)) / np.sqrt(3)
    y = x + rng.uniform(0.001, 0.01) / np.sqrt(3)
    pooled = np.vstack([x, y])
    cost = ground_cost(pooled, pooled, 1.0)
    a = b = np.full(n, 1 / n)
    left = np.concatenate([a, np.zeros(n)])[None]
    right = np.concatenate([np.zeros(n), b])[None]
    exact = ot.emd2(a, b, cost[:n, n:])
    bounds = SharedCostBounds(cost, SINKHORN_SHARPNESS)
    for nudge in (-3e-7, -1e-7, 1e-7, 3e-7):
        threshold = exact * (1 + nudge)
        hits, _ = _count_exceedances(bounds, left, right, threshold, 1.0)
        assert hits == int(exact >= threshold)
