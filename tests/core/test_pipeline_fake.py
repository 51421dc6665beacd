"""A golden end-to-end run on the deterministic fake backend with a fixed seed."""

import json

import numpy as np
import pytest

from gsmile_core.backends import create_backend
from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.events import Finished, GenerationReceived, StageStarted
from gsmile_core.pipeline import explain_sync
from gsmile_core.method.segment import apply_mask
from gsmile_core.types import Explanation
from gsmile_core.calls.context import RunContext

PROMPT = "Could you please tell me what the doctor said about the ocean today"


@pytest.fixture(scope="module")
def explanation():
    return explain_sync(PROMPT, create_backend("fake"), ExplainConfig(seed=0))


def test_trigger_words_rank_first(explanation):
    top = [f.text for f, _ in explanation.ranked()[:2]]
    assert set(top) == {"doctor", "ocean"}
    others = [s for f, s in explanation.ranked()[2:]]
    assert max(abs(s) for s in others) < 0.25 * min(s for _, s in explanation.ranked()[:2])


def test_every_mask_is_the_text_sent(explanation):
    for p in explanation.perturbations:
        assert p.prompt == apply_mask(explanation.prompt, explanation.features, p.mask)
        assert p.output == FakeBackend().answer(p.prompt)
    assert explanation.perturbations[0].mask == (1,) * 13
    assert explanation.perturbations[0].output_distance == pytest.approx(0, abs=1e-6)
    assert explanation.perturbations[0].weight == 1.0


def test_weights_follow_the_kernel(explanation):
    """The default uniform kernel weighs every perturbation 1 and computes no prompt distance; a
    Gaussian kernel follows exp(-(d/σ)²) of the prompts' distances."""
    assert all(p.weight == 1.0 and p.input_distance is None for p in explanation.perturbations)
    gaussian = explain_sync(PROMPT, create_backend("fake"), ExplainConfig(seed=0, kernel_width="auto", bootstrap=0))
    assert all(p.input_distance is not None for p in gaussian.perturbations)
    for p in gaussian.perturbations:
        assert p.weight == pytest.approx(np.exp(-((p.input_distance / gaussian.kernel_width) ** 2)))


def test_golden_numbers_are_stable(explanation):
    again = explain_sync(PROMPT, create_backend("fake"), ExplainConfig(seed=0))
    assert again.attributions == explanation.attributions
    assert [p.p_value for p in again.perturbations] == [p.p_value for p in explanation.perturbations]
    assert explanation.fidelity.r2_w > 0.95
    assert explanation.model_calls == 64 and explanation.unique_prompts == 64


def test_json_shape_round_trips(explanation):
    data = json.loads(json.dumps(explanation.to_dict()))
    for key in ("format", "version", "prompt", "features", "attributions", "intercept", "original_output",
                "perturbations", "fidelity", "config", "provenance", "timing", "model_calls", "cache_hits"):
        assert key in data
    assert data["format"] == "gsmile.explanation" and data["version"] == 1
    assert set(data["fidelity"]) >= {"wmse", "r2_w", "adj_r2_w", "wmae", "mean_l1", "mean_l2"}
    assert set(data["perturbations"][1]) >= {"mask", "prompt", "output", "input_distance", "output_distance", "weight", "p_value"}
    assert data["config"]["seed"] == 0
    assert set(data["provenance"]) >= {"gsmile_version", "backend", "model", "created_at"}
    assert Explanation.from_dict(data) == explanation


def test_events_are_emitted():
    events = []
    explain_sync("meaning of life", create_backend("fake"), ExplainConfig(), run=RunContext(on_event=events.append))
    assert isinstance(events[0], StageStarted) and events[0].stage == "generate"
    assert sum(isinstance(e, GenerationReceived) for e in events) == 7
    assert isinstance(events[-1], Finished)


def test_duplicate_texts_are_asked_once():
    backend = FakeBackend()
    result = explain_sync("life life life", backend, ExplainConfig())
    assert len(result.perturbations) == 7  # every non-empty mask
    assert backend.calls == 3 == result.unique_prompts  # "life", "life life", "life life life"


def test_bayes_reports_std_and_drop_insignificant_counts():
    result = explain_sync(PROMPT, FakeBackend(), ExplainConfig(surrogate="bayes", drop_insignificant=True))
    assert result.attribution_std is not None and len(result.attribution_std) == 13
    assert result.dropped_insignificant == sum(not p.used_in_fit for p in result.perturbations)
    assert result.dropped_insignificant > 0
    assert all(p.p_value < 0.05 for p in result.perturbations[1:] if p.used_in_fit)


def test_one_word_prompt_works():
    result = explain_sync("life", FakeBackend(), ExplainConfig())
    assert result.attributions == (0.0,)
    assert result.warnings


def test_control_characters_are_removed_before_use():
    backend = FakeBackend()
    result = explain_sync("mean\x1b[31ming of\x00 life", backend, ExplainConfig())
    assert result.prompt == "meaning of life"


@pytest.mark.parametrize("prompt", ["", "   \n\t", "\x1b[0m\x00"])
def test_empty_prompts_are_refused(prompt):
    with pytest.raises(ConfigError, match="empty"):
        explain_sync(prompt, FakeBackend(), ExplainConfig())


def test_too_long_prompt_is_refused_with_the_limit():
    with pytest.raises(ConfigError, match="limit is 20000.*raise max words") as raised:
        explain_sync("word " * 20_001, FakeBackend(), ExplainConfig())
    assert raised.value.field == "max_words"
    with pytest.raises(ConfigError, match="limit is 300.*raise max words"):
        explain_sync("word " * 301, FakeBackend(), ExplainConfig(max_words=300))


def test_long_prompt_works_when_the_limit_is_raised():
    result = explain_sync("word " * 2000 + "doctor", FakeBackend(), ExplainConfig(max_words=2001, perturbations=16, bootstrap=50, unit="word"))
    assert len(result.features) == 2001


def test_answers_with_no_known_word_get_defined_distances():
    backend = FakeBackend(rules={"life": "qzxqzx vvvqqq"}, default="Life is long.")
    result = explain_sync("meaning of life", backend, ExplainConfig())
    assert all(np.isfinite(p.output_distance) for p in result.perturbations)
    assert any("null-word" in w for w in result.warnings)
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "changes",
    [{"perturbations": 0}, {"seed": -1}, {"sampler": "nope"}, {"surrogate": "forest"}, {"temperature": -1},
     {"alpha": 1.5}, {"kernel_width": "wide"}, {"kernel_width": 0}, {"p": 0.5}, {"sampler": "local"},
     {"bootstrap": -5}, {"max_tokens": 0}],
)
def test_bad_config_is_refused(changes):
    with pytest.raises(ConfigError):
        ExplainConfig(**changes)


def test_the_fake_backend_stops_at_max_tokens_like_a_model():
    """One word per token: an answer longer than --max-tokens is cut there, finish reason 'length'."""
    import asyncio

    from gsmile_core.types import GenerationParams

    backend = create_backend("fake")
    full = backend.answer("the doctor and the ocean")
    assert len(full.split()) > 8
    cut = asyncio.run(backend.generate("the doctor and the ocean", GenerationParams(max_tokens=8)))
    assert cut.text.split() == full.split()[:8]
    assert cut.finish_reason == "length" and cut.completion_tokens == 8
    whole = asyncio.run(backend.generate("the doctor", GenerationParams(max_tokens=48)))
    assert whole.text == backend.answer("the doctor") and whole.finish_reason == "stop"
