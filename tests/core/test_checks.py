"""The trust checks of one explanation (`gsmile_core.evaluation.checks`) on the deterministic fake backend:
each equals the metric computed by hand from explanations made independently, counts its calls
before running exactly, survives JSON, and refuses bad inputs with a message naming the field."""

from __future__ import annotations

import json

import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.evaluation.check_results import ConsistencyCheck, DeletionCheck, StabilityCheck, check_from_dict
from gsmile_core.evaluation.checks import (
    CheckInputs,
    config_of,
    consistency_check,
    deletion_check,
    plan_check,
    run_check,
    stability_check,
    validate_check,
)
from gsmile_core.config import ExplainConfig
from gsmile_core.calls.dryrun import static_identity
from gsmile_core.errors import ConfigError
from gsmile_core.evaluation.metrics.consistency import attribution_consistency
from gsmile_core.evaluation.metrics.faithfulness import deletion_test
from gsmile_core.evaluation.metrics.stability import attribution_stability, minimal_edit
from gsmile_core.pipeline import explain
from gsmile_core.evaluation.probe import OutputProbe
from gsmile_core.calls.context import RunContext

PROMPT = "Could you tell me what the doctor said about life"
CONFIG = ExplainConfig(perturbations=12, bootstrap=0, seed=3)
IDENTITY = static_identity("fake", {})


def words(e):
    return [f.text for f in e.features]


@pytest.fixture
async def explanation():
    return await explain(PROMPT, FakeBackend(), CONFIG)


async def test_stability_check_is_the_metric_of_the_edited_explanation(explanation):
    check = await stability_check(explanation, FakeBackend(), CheckInputs(k=2))
    edited = await explain(minimal_edit(PROMPT), FakeBackend(), CONFIG)
    assert check.edited_prompt == PROMPT + " please"
    assert check.edited_scores == tuple(edited.attributions)
    oracle = attribution_stability(words(explanation), explanation.attributions, words(edited), edited.attributions, k=2)
    assert check.result == oracle
    assert check.cost.model_calls == edited.model_calls > 0


async def test_stability_check_with_a_typed_edit_and_signed_ranking(explanation):
    inputs = CheckInputs(edited_prompt="Could you tell me what the nurse said about life", k=3, by="signed")
    check = await stability_check(explanation, FakeBackend(), inputs)
    edited = await explain(inputs.edited_prompt, FakeBackend(), CONFIG)
    assert check.result == attribution_stability(words(explanation), explanation.attributions, words(edited),
                                                 edited.attributions, k=3, by="signed")


async def test_consistency_check_is_the_metric_of_re_seeded_explanations():
    check = await consistency_check(PROMPT, FakeBackend(), CONFIG, 3)
    runs = [await explain(PROMPT, FakeBackend(), CONFIG.reseeded(r)) for r in range(3)]
    assert check.seeds == (3, 4, 5)
    assert check.scores == tuple(tuple(e.attributions) for e in runs)
    assert check.result == attribution_consistency([e.attributions for e in runs], words(runs[0]))
    assert check.result.mean_variance > 0  # 12 of 2^10 masks: the seeds do see different masks
    assert not check.enumerated
    assert check.cost.model_calls == sum(e.model_calls for e in runs)


async def test_deletion_check_is_the_deletion_test_on_the_run(explanation):
    check = await deletion_check(explanation, FakeBackend(), 2)
    probe = OutputProbe(PROMPT, explanation.features, FakeBackend(), CONFIG, explanation.original_output)
    assert check.result == await deletion_test(probe, explanation.attributions, random_seeds=2, seed=CONFIG.seed)
    assert check.cost.model_calls == probe.engine.model_calls


@pytest.mark.parametrize("kind, inputs", [
    ("stability", CheckInputs(k=2)),
    ("consistency", CheckInputs(repeats=2)),
    ("deletion", CheckInputs(random_orders=2)),
])
async def test_plan_counts_the_calls_the_check_then_makes(tmp_path, explanation, kind, inputs):
    with ResponseCache(tmp_path / "cache") as cache:
        before = plan_check(kind, explanation, inputs, IDENTITY, RunContext(cache=cache))
        assert before.cached == 0
        backend = FakeBackend()
        result = await run_check(kind, explanation, backend, inputs, run=RunContext(cache=cache))
        assert backend.calls == result.cost.model_calls == before.calls
        after = plan_check(kind, explanation, inputs, IDENTITY, RunContext(cache=cache))
        assert after.answers == before.answers and after.calls == 0
        again = FakeBackend()
        repeated = await run_check(kind, explanation, again, inputs, run=RunContext(cache=cache))
        assert again.calls == 0 and repeated.result == result.result


async def test_results_survive_json(explanation):
    checks = [
        await stability_check(explanation, FakeBackend(), CheckInputs(k=2), now="2026-01-02T03:04:05Z"),
        await consistency_check(PROMPT, FakeBackend(), CONFIG, 2),
        await deletion_check(explanation, FakeBackend(), 1),
    ]
    for check, kind in zip(checks, (StabilityCheck, ConsistencyCheck, DeletionCheck)):
        back = check_from_dict(json.loads(json.dumps(check.to_dict(), allow_nan=False)))
        assert isinstance(back, kind) and back == check
    assert checks[0].created_at == "2026-01-02T03:04:05Z"


def test_undefined_numbers_are_stored_as_null_and_read_back_as_nan():
    from gsmile_core.evaluation.check_results import CheckCost
    from gsmile_core.evaluation.metrics.stability import StabilityResult

    check = StabilityCheck("a b", ("a", "b"), (float("nan"), 1.0),
                           StabilityResult(1.0, 1, "abs", ("a",), ("a",), ("a",)), CheckCost(), "")
    data = check.to_dict()
    assert data["edited_scores"] == [None, 1.0]
    json.dumps(data, allow_nan=False)
    back = check_from_dict(data)
    assert back.edited_scores[0] != back.edited_scores[0] and back.edited_scores[1] == 1.0


@pytest.mark.parametrize("kind, inputs, message", [
    ("stability", CheckInputs(edited_prompt=PROMPT), "edited prompt: it is the same"),
    ("stability", CheckInputs(edited_prompt="  \x1b[2J "), "the prompt is empty"),
    ("stability", CheckInputs(k=0), "k: must be between 1 and 10"),
    ("stability", CheckInputs(k=11), "k: must be between 1 and 10"),
    ("consistency", CheckInputs(repeats=1), "repeats: must be between 2 and 100"),
    ("deletion", CheckInputs(random_orders=0), "random orders: must be between 1 and 100"),
    ("entropy", CheckInputs(), "unknown check 'entropy'"),
])
async def test_bad_inputs_are_refused_before_any_call(explanation, kind, inputs, message):
    with pytest.raises(ConfigError, match=message):
        validate_check(kind, explanation, inputs)
    backend = FakeBackend()
    with pytest.raises(ConfigError, match=message):
        await run_check(kind, explanation, backend, inputs)
    assert backend.calls == 0


async def test_a_check_repeats_the_runs_settings(explanation):
    assert config_of(explanation) == CONFIG


def test_re_seeding_changes_the_perturbations_not_the_models_seed():
    again = CONFIG.reseeded(2)
    assert again.seed == CONFIG.seed + 2
    assert again.generation_params() == CONFIG.generation_params()
    assert again.reseeded(1).generation_params().seed == CONFIG.seed


@pytest.mark.parametrize("with_cache", [True, False])
async def test_consistency_asks_a_masked_prompt_once_across_runs(tmp_path, explanation, with_cache):
    """Runs share the model's seed: with a cache, a prompt two runs draw (the original at least)
    is asked once; without one each run asks its own. The plan says so before any call."""
    inputs = CheckInputs(repeats=3)
    with ResponseCache(tmp_path / "cache") as store:
        run = RunContext(cache=store if with_cache else None)
        plan = plan_check("consistency", explanation, inputs, IDENTITY, run)
        backend = FakeBackend()
        result = await run_check("consistency", explanation, backend, inputs, run=run)
        assert backend.calls == plan.calls
        per_run = sum(len({p.prompt for p in e.perturbations}) for e in [
            await explain(PROMPT, FakeBackend(), CONFIG.reseeded(r)) for r in range(3)])
        assert (backend.calls < per_run) if with_cache else (backend.calls == per_run)
        assert result.result.words
