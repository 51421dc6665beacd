"""Output as a distribution (paper eq. 2): k samples per prompt, pooled; the noise floor is the
distance between two independent sample sets of the original prompt (checked against POT)."""

from __future__ import annotations

import numpy as np
import ot
from scipy.spatial.distance import cdist
import pytest
from scripted_backend import ScriptedBackend

from gsmile_core.calls.jobs import sample_seed
from gsmile_core.config import ExplainConfig
from gsmile_core.method.embed import get_embedder
from gsmile_core.errors import ConfigError
from gsmile_core.pipeline import explain
from gsmile_core.calls.sampling import SAMPLE_SEPARATOR

PROMPT = "Tell me about the ocean today"


def oracle_w1(first: str, second: str) -> float:
    x, y = get_embedder().embed(first).vectors, get_embedder().embed(second).vectors
    a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
    # scipy's cdist: exact Euclidean distances (ot.dist's expanded form puts a word ~1e-8 from itself)
    return float(ot.emd2(a, b, cdist(x, y)))


async def test_k_samples_per_prompt_are_pooled_and_the_noise_floor_is_reported():
    backend = ScriptedBackend()
    config = ExplainConfig(perturbations=10, temperature=0.8, samples_per_prompt=3, bootstrap=0, seed=5)
    explanation = await explain(PROMPT, backend, config)
    unique = explanation.unique_prompts
    assert explanation.model_calls == len(backend.calls) == 3 * unique + 3

    # each prompt asked k times with k distinct seeds (sample 0 keeps the run seed); the original 2k
    seeds_by_prompt: dict[str, list[int]] = {}
    for prompt, params in backend.calls:
        seeds_by_prompt.setdefault(prompt, []).append(params.seed)
        assert params.temperature == 0.8
    original = explanation.prompt
    assert sorted(seeds_by_prompt[original]) == sorted(sample_seed(5, i) for i in range(6))
    for prompt, seeds in seeds_by_prompt.items():
        if prompt != original:
            assert sorted(seeds) == sorted(sample_seed(5, i) for i in range(3))

    sampling = explanation.extras["sampling"]
    assert sampling["samples_per_prompt"] == 3
    originals, noise = sampling["original_samples"], sampling["noise_samples"]
    assert len(originals) == len(noise) == 3 and originals != noise
    assert explanation.original_output == SAMPLE_SEPARATOR.join(originals)
    for perturbation in explanation.perturbations:
        assert perturbation.output.count(SAMPLE_SEPARATOR) == 2
    expected = oracle_w1(SAMPLE_SEPARATOR.join(originals), SAMPLE_SEPARATOR.join(noise))
    assert sampling["noise_floor"] == pytest.approx(expected, abs=1e-9)
    assert sampling["noise_floor"] > 0
    # the output distance of each perturbation is between the pooled word clouds
    for perturbation in explanation.perturbations[1:4]:
        assert perturbation.output_distance == pytest.approx(
            oracle_w1(explanation.original_output, perturbation.output), abs=1e-9
        )
    within = sum(1 for p in explanation.perturbations[1:] if p.output_distance <= sampling["noise_floor"])
    assert sampling["perturbations_within_noise"] == within


async def test_one_sample_per_prompt_is_exactly_one_call_per_unique_prompt():
    backend = ScriptedBackend()
    explanation = await explain(PROMPT, backend, ExplainConfig(perturbations=10, temperature=0.8, bootstrap=0))
    assert explanation.model_calls == explanation.unique_prompts == len(backend.calls)
    assert "sampling" not in explanation.extras


def test_samples_need_a_temperature():
    with pytest.raises(ConfigError, match="samples_per_prompt 2 needs a temperature above 0"):
        ExplainConfig(samples_per_prompt=2)
