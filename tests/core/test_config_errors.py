"""Config errors say which setting they are about (`ConfigError.field`) in words any front end can
show; the CLI adds its flag. The number of perturbations has a documented ceiling."""

from __future__ import annotations

import math

import pytest

from gsmile_core.backends import create_backend
from gsmile_core.cli import main
from gsmile_core.config import MAX_PERTURBATIONS, ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.method.perturb import SAMPLERS, make_masks

def test_the_perturbation_ceiling_is_checked_before_anything_is_planned():
    assert ExplainConfig(perturbations=MAX_PERTURBATIONS).perturbations == MAX_PERTURBATIONS
    with pytest.raises(ConfigError) as raised:
        ExplainConfig(perturbations=99_999_999, samples_per_prompt=2, temperature=0.7)
    message = str(raised.value)
    # the cost is named: calls, the samples per prompt counted
    assert "99,999,999 perturbations would be up to 199,999,998 model calls" in message
    assert f"at most {MAX_PERTURBATIONS:,}" in message and raised.value.field == "perturbations"


def test_the_cli_refuses_an_absurd_count_in_one_line_naming_its_flag(capsys):
    code = main(["explain", "one two three four five", "--backend", "fake", "-n", "99999999", "--dry-run"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("gsmile: error: 99,999,999 perturbations would be up to 99,999,999 model calls")
    assert "--perturbations must be at most 100,000" in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(("d", "k"), [(3, 1), (5, 2), (6, 6), (8, 3), (10, 9)])
def test_local_sampler_fits_exactly_when_its_support_and_the_original_do(d, k):
    sampler = SAMPLERS.get("local")(d, k)
    support = sum(math.comb(d, r) for r in range(1, min(k, d - 1) + 1))
    for budget in (support - 1, support, support + 1, support + 2):
        assert sampler.fits(budget) == (support + 1 <= budget)


def test_a_local_sampler_on_a_long_prompt_samples_its_budget():
    masks, enumerated = make_masks(3000, 40, sampler="local", max_removed=2500, seed=1)
    assert not enumerated and len(masks) == len(set(masks)) == 40
    assert all(1 <= m.count(0) <= 2500 for m in masks[1:])
