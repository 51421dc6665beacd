"""The bundled SmolLM2 model, really run: the product's offline promise."""

import pytest

from gsmile_core.backends import create_backend
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain_sync
from gsmile_core.types import GenerationParams

pytestmark = [pytest.mark.local_model, pytest.mark.slow]


@pytest.fixture(scope="module")
def backend():
    return create_backend("local")


def test_meaning_of_life_ranks_the_paper_ground_truth_first(backend):
    result = explain_sync("What is the meaning of life?", backend, ExplainConfig())
    top = {f.text for f, _ in result.ranked()[:2]}
    assert top == {"meaning", "life?"}
    assert result.extras["enumerated"] and len(result.perturbations) == 63
    assert result.model_calls == 63
    assert result.fidelity.r2_w > 0.3
    assert result.effective_sample_size > 30
    assert "SmolLM2" in result.provenance.model


async def test_greedy_answers_are_deterministic(backend):
    import asyncio

    params = GenerationParams(max_tokens=24)
    alone = await backend.generate("Name a colour.", params)
    together = await asyncio.gather(*(backend.generate(p, params) for p in ["Name a colour.", "Name a fruit.", "Name a city."]))
    assert together[0].text == alone.text
    assert alone.completion_tokens and alone.completion_tokens <= 24


def test_unknown_local_model_is_refused():
    from gsmile_core.errors import BackendError

    with pytest.raises(BackendError, match="ships only"):
        create_backend("local", model="gpt-5")
