"""ATT consistency: per-word sample variance and std, checked by hand and against numpy/statistics."""

from __future__ import annotations

import statistics

import pytest

from gsmile_core.errors import ConfigError
from gsmile_core.evaluation.metrics.consistency import attribution_consistency


def test_hand_computed_variance_and_std():
    runs = [[1.0, 0.0], [3.0, 0.0], [2.0, 0.0]]
    result = attribution_consistency(runs, ["a", "b"])
    # word a: mean 2, squared deviations 1+1+0 = 2, ddof=1 -> variance 1, std 1
    assert result.variance == (pytest.approx(1.0), 0.0)
    assert result.std == (pytest.approx(1.0), 0.0)
    assert result.mean_variance == pytest.approx(0.5)
    assert result.mean_std == pytest.approx(0.5)
    assert result.mean_score == (pytest.approx(2.0), 0.0)
    assert result.repeats == 3


def test_matches_statistics_module():
    runs = [[0.1, 0.5, -0.2], [0.3, 0.4, -0.1], [0.2, 0.9, 0.0], [0.0, 0.1, -0.3]]
    result = attribution_consistency(runs, ["x", "y", "z"])
    for j in range(3):
        column = [r[j] for r in runs]
        assert result.variance[j] == pytest.approx(statistics.variance(column))
        assert result.std[j] == pytest.approx(statistics.stdev(column))


def test_needs_two_runs_and_matching_words():
    with pytest.raises(ConfigError):
        attribution_consistency([[1.0]], ["a"])
    with pytest.raises(ConfigError):
        attribution_consistency([[1.0], [2.0]], ["a", "b"])
