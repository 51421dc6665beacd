"""The helpers behind metrics and experiments: answer memo, refit without the model, the peers."""

from __future__ import annotations

import asyncio
import itertools
import math

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import BackendError, ConfigError
from gsmile_core.calls.memo import MemoBackend
from gsmile_core.evaluation.peers import leave_one_out, lime_scores, lime_weights, shapley_permutations, shapley_sampling
from gsmile_core.pipeline import explain
from gsmile_core.evaluation.probe import OutputProbe
from gsmile_core.evaluation.refit import DistanceTable, refit
from gsmile_core.method.segment import split_words
from gsmile_core.types import GenerationParams

PROMPT = "What is the meaning of life?"


def test_memo_asks_each_prompt_once_even_concurrently():
    memo = MemoBackend(FakeBackend(latency=0.01))
    params = GenerationParams()

    async def go():
        return await asyncio.gather(*(memo.generate(p, params) for p in ["a life", "a life", "b", "a life"]))

    answers = asyncio.run(go())
    assert memo.model_calls == 2 and memo.memo_hits == 2
    assert memo.inner.calls == 2
    assert [a.cached for a in answers].count(True) == 2
    assert answers[0].text == answers[1].text
    asyncio.run(memo.generate("b", GenerationParams(max_tokens=5)))  # other params: a new call
    assert memo.model_calls == 3


class _FailingOnce(FakeBackend):
    def __init__(self):
        super().__init__()
        self.failed = False

    async def generate(self, prompt, params):
        if not self.failed:
            self.failed = True
            raise BackendError("boom", kind="server")
        return await super().generate(prompt, params)


def test_memo_does_not_remember_failures():
    memo = MemoBackend(_FailingOnce())
    with pytest.raises(BackendError):
        asyncio.run(memo.generate("life", GenerationParams()))
    assert asyncio.run(memo.generate("life", GenerationParams())).text.startswith("Life")


def test_refit_with_the_same_config_reproduces_the_explanation():
    config = ExplainConfig(perturbations=24, bootstrap=0)
    original = asyncio.run(explain(PROMPT, FakeBackend(), config))
    again = refit(original)
    np.testing.assert_allclose(again.attributions, original.attributions, atol=1e-9)
    assert again.model_calls == 0


@pytest.mark.parametrize("changes", [
    {"surrogate": "bayes"},
    {"input_distance": "cosine", "output_distance": "cosine"},
    {"kernel_width": 0.7},
])
def test_refit_equals_a_fresh_explanation_with_that_setting(changes):
    config = ExplainConfig(perturbations=24, bootstrap=0)
    backend = MemoBackend(FakeBackend())
    original = asyncio.run(explain(PROMPT, backend, config))
    calls = backend.model_calls
    fresh = asyncio.run(explain(PROMPT, FakeBackend(), config.with_changes(**changes)))
    refitted = refit(original, **changes)
    np.testing.assert_allclose(refitted.attributions, fresh.attributions, atol=1e-9)
    assert refitted.fidelity.to_dict() == pytest.approx(fresh.fidelity.to_dict())
    assert backend.model_calls == calls  # refit asked nothing


def test_refit_refuses_changes_that_need_new_answers_and_shares_distances():
    original = asyncio.run(explain(PROMPT, FakeBackend(), ExplainConfig(perturbations=16, bootstrap=0, sampler="bernoulli")))
    with pytest.raises(ConfigError, match="sampler"):
        refit(original, sampler="uniform-count")
    with pytest.raises(ConfigError, match="seed"):
        refit(original, seed=3)
    table = DistanceTable(original)
    refit(original, table=table, surrogate="bayes")
    refit(original, table=table, surrogate="wls")
    assert table.settings_computed == 1  # the output wmd, once for both fits (the uniform kernel needs no input one)
    refit(original, table=table, surrogate="bayes", kernel_width="auto")
    refit(original, table=table, surrogate="wls", kernel_width="auto")
    assert table.settings_computed == 2  # and the input wmd, once for both Gaussian-kernel fits


def test_lime_kernel_by_hand_and_ridge_oracle():
    masks = np.array([[1, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0]])
    # cosine similarity of [1,0,1,1] with ones = 3 / (sqrt(3) * 2) = 0.866...; d = 13.397...
    expected = [1.0, math.sqrt(math.exp(-((1 - 3 / (math.sqrt(3) * 2)) * 100) ** 2 / 625)),
                math.sqrt(math.exp(-((1 - 1 / 2) * 100) ** 2 / 625))]
    np.testing.assert_allclose(lime_weights(masks), expected)
    deltas = np.array([0.0, 0.4, 1.5])
    oracle = Ridge(alpha=1.0).fit(masks, deltas, sample_weight=expected)
    np.testing.assert_allclose(lime_scores(masks, deltas), -oracle.coef_)


def _probe(prompt):
    backend = MemoBackend(FakeBackend())
    return OutputProbe(prompt, split_words(prompt), backend, ExplainConfig(bootstrap=0)), backend


def test_leave_one_out_on_the_fake_model():
    probe, backend = _probe(PROMPT)
    scores, asked = asyncio.run(leave_one_out(probe))
    assert asked == 6
    words = PROMPT.split()
    top = sorted(range(6), key=lambda i: -scores[i])[:2]
    assert {words[i] for i in top} == {"meaning", "life?"}
    assert max(scores[i] for i in range(6) if i not in top) == pytest.approx(0.0, abs=1e-6)


def _exact_shapley(d, value):
    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for size in range(d):
            for subset in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
                with_i = tuple(1 if (j in subset or j == i) else 0 for j in range(d))
                without = tuple(1 if j in subset else 0 for j in range(d))
                phi[i] += weight * (value[with_i] - value[without])
    return phi


def test_shapley_sampling_with_every_permutation_equals_the_brute_force_formula():
    prompt = "meaning of life"
    probe, _ = _probe(prompt)
    estimate, asked = asyncio.run(shapley_sampling(probe, budget=1000, seed=0))
    masks = list(itertools.product((0, 1), repeat=3))
    value = dict(zip(masks, -asyncio.run(probe.deltas(masks))))
    exact = _exact_shapley(3, value)
    assert len(shapley_permutations(3, 999, 0)) == 6  # every permutation: the exact value
    np.testing.assert_allclose(estimate, exact, atol=1e-9)
    # efficiency holds for every permutation: the scores sum to v(N) - v(∅)
    assert estimate.sum() == pytest.approx(value[(1, 1, 1)] - value[(0, 0, 0)])
    assert asked == 7  # every non-empty coalition of 3 words


def _prefix_coalitions(perms, d):
    coalitions = set()
    for order in perms:
        mask = [0] * d
        for i in order[:-1]:
            mask[i] = 1
            coalitions.add(tuple(mask))
    return coalitions


def test_shapley_permutations_respect_the_budget():
    """Each order is a permutation of the 8 words; together they need at most 20 prompts, and the
    budget is used: 20 prompts hold at least two orders (each adds at most 7 new coalitions), and a
    budget one prompt smaller than what was used yields fewer orders."""
    perms = shapley_permutations(8, 20, 1)
    assert all(sorted(order.tolist()) == list(range(8)) for order in perms)
    used = _prefix_coalitions(perms, 8)
    assert len(used) <= 20 and len(perms) >= 2
    fewer = shapley_permutations(8, len(used) - 1, 1)
    assert len(fewer) < len(perms) and len(_prefix_coalitions(fewer, 8)) <= len(used) - 1
