"""Exact Shapley values: the subset formula against the permutation (brute-force) definition,
the axioms, and the end-to-end value function on the fake backend with answer reuse."""

import itertools
import math

import numpy as np
import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.method.parts import DISTANCES
from gsmile_core.method.embed import get_embedder
from gsmile_core.errors import ConfigError
from gsmile_core.pipeline import explain
from gsmile_core.method.segment import apply_mask
from gsmile_core.evaluation.shapley import bits_to_mask, exact_shapley, mask_to_bits, missing_masks, shapley_from_table


def brute_force(d, v):
    """φ_i = average over all d! orders of i's marginal contribution when it joins."""
    phi = np.zeros(d)
    orders = list(itertools.permutations(range(d)))
    for order in orders:
        coalition = 0
        for player in order:
            phi[player] += v(coalition | (1 << player)) - v(coalition)
            coalition |= 1 << player
    return phi / len(orders)


@pytest.mark.parametrize("d", [1, 2, 3, 5, 6])
def test_subset_formula_equals_permutation_definition(d):
    rng = np.random.default_rng(d)
    table = rng.normal(size=2**d)
    np.testing.assert_allclose(shapley_from_table(table), brute_force(d, lambda s: table[s]), atol=1e-12)


def test_axioms_efficiency_symmetry_dummy():
    # v(S) = 3·[0 in S] + 2·[1 in S]·[2 in S]; player 3 is a dummy; 1 and 2 are symmetric.
    d = 4
    table = np.array([3.0 * (s & 1 > 0) + 2.0 * ((s >> 1) & 1) * ((s >> 2) & 1) for s in range(2**d)])
    phi = shapley_from_table(table)
    np.testing.assert_allclose(phi, [3.0, 1.0, 1.0, 0.0], atol=1e-12)
    assert phi.sum() == pytest.approx(table[-1] - table[0])


def test_mask_bits_round_trip():
    for bits in range(64):
        assert mask_to_bits(bits_to_mask(bits, 6)) == bits
    assert mask_to_bits((1, 0, 1)) == 0b101


def _reference_value(prompt, features, backend, original, mask, embedder):
    """v(S) computed from scratch: ask the fake model, embed, wmd; empty prompt → empty answer."""
    wmd = DISTANCES.get("wmd")
    if not any(mask):
        return -wmd(original, embedder.embed(""), 1.0)
    answer = backend.answer(apply_mask(prompt, features, mask))
    return -wmd(original, embedder.embed(answer), 1.0)


@pytest.mark.parametrize(
    "prompt,perturbations",
    [("the doctor saw the ocean", 64), ("please tell me about the rainy weather near the ocean", 64)],
)
async def test_end_to_end_against_brute_force_and_reuses_answers(prompt, perturbations):
    backend = FakeBackend()
    config = ExplainConfig(perturbations=perturbations, bootstrap=0)
    explanation = await explain(prompt, backend, config)
    d = len(explanation.features)
    calls_before = backend.calls
    missing = missing_masks(explanation)
    result = await exact_shapley(explanation, backend)

    embedder = get_embedder("glove")
    original = embedder.embed(backend.answer(prompt))
    cache = {}

    def v(bits):
        if bits not in cache:
            cache[bits] = _reference_value(prompt, explanation.features, backend, original, bits_to_mask(bits, d), embedder)
        return cache[bits]

    if d <= 7:
        expected = brute_force(d, v)
    else:  # 8+ words: the subset formula on the reference table (permutations would be 9! orders)
        expected = shapley_from_table(np.array([v(b) for b in range(2**d)]))
    np.testing.assert_allclose(result.values, expected, atol=1e-9)
    assert sum(result.values) == pytest.approx(-result.empty_value)
    assert result.masks_total == 2**d - 1
    assert result.masks_queried == len(missing) == result.masks_total - result.masks_reused
    # only the missing masks (plus the original, answered again: no cache here) were asked
    assert backend.calls - calls_before == result.model_calls == (len({apply_mask(prompt, explanation.features, m) for m in missing} | {prompt}) if missing else 0)
    ranked = sorted(range(d), key=lambda i: -result.values[i])
    top = {explanation.features[i].text.lower().strip(".,") for i in ranked[:2]}
    assert top <= {"doctor", "ocean", "rainy", "weather"}


async def test_fully_enumerated_explanation_needs_no_new_call():
    backend = FakeBackend()
    explanation = await explain("doctor and ocean", backend, ExplainConfig(perturbations=64, bootstrap=0))
    assert explanation.extras["enumerated"]
    before = backend.calls
    result = await exact_shapley(explanation, backend)
    assert backend.calls == before and result.masks_queried == 0 and result.model_calls == 0


async def test_too_long_prompt_is_refused_before_any_call():
    backend = FakeBackend()
    explanation = await explain(" ".join(["word"] * 13), backend, ExplainConfig(perturbations=8, bootstrap=0))
    before = backend.calls
    with pytest.raises(ConfigError, match="limit is 12"):
        await exact_shapley(explanation, backend)
    assert backend.calls == before


def test_factorial_weights_sum_to_one():
    d = 7
    total = sum(math.comb(d - 1, s) * math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) for s in range(d))
    assert total == pytest.approx(1.0)
