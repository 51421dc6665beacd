"""One `RunContext` carries a run's cache, refresh flag, audit trail and progress callback.

The four used to be separate arguments of every signature on the way to the call engine, and one
dropped on the way went unnoticed (`--audit-dir` was accepted by `gsmile metric` and `gsmile
experiment` and ignored). These tests check that the signatures take the context instead, that
it reaches the engine from every entry point (pipeline, drill-down, checks, experiments, Shapley
values), and that planning with it predicts what running with it does.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import inspect
from pathlib import Path

import pytest

import gsmile_core
from gsmile_core.calls.audit import AuditLog, read_audit
from gsmile_core.backends.fake import FakeBackend
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.config import ExplainConfig
from gsmile_core.drill_down import explain_drill_down
from gsmile_core.calls.dryrun import plan_dry_run, static_identity
from gsmile_core.evaluation import checks
from gsmile_core.evaluation.checks import CheckInputs, plan_check, run_check
from gsmile_core.evaluation.experiments import ExperimentContext, run_experiment
from gsmile_core.evaluation.probe import OutputProbe
from gsmile_core.evaluation.shapley import exact_shapley
from gsmile_core.events import GenerationReceived, ignore
from gsmile_core.pipeline import explain
from gsmile_core.calls.context import RunContext
from gsmile_core.calls.sampling import engine_for

RUN_ARGUMENTS = {"cache", "refresh", "audit", "on_event"}
CORE = Path(gsmile_core.__file__).resolve().parent
PROMPT = "Could you tell me what the doctor said about life"
CONFIG = ExplainConfig(perturbations=12, bootstrap=0, ci_resamples=0, seed=3)
IDENTITY = static_identity("fake", {})

# Where the four may still appear as parameters, and why.
ALLOWED = {
    ("api.py", "aexplain"): "the Python API's own keywords (a folder or True for the cache), turned into a RunContext",
    ("api.py", "_open_cache"): "opens the cache the API's `cache=` names",
    ("api.py", "aaudit_prompts"): "the Python API's own keywords for a prompt set, turned into a RunContext",
    ("calls/engine.py", "__init__"): "the call engine consumes them; sampling.engine_for unpacks the context",
    ("calls/cache_gate.py", "__init__"): "the engine's gate around the one cache it was given",
    ("calls/audit.py", "run"): "the audit record of a run: `refresh` is a value written down",
    ("calls/context.py", "with_events"): "derives a context",
    ("cli/engine_options.py", "refuse_over_budget"): "a budget check against one cache's stored answers",
    ("cli/engine_options.py", "run_context"): "builds a command's context from what it opened",
    ("cli/explain.py", "_compute"): "the cache the command opened, before a run context exists",
    ("calls/dryrun.py", "stored_jobs"): "a lookup in one cache",
    ("pipeline.py", "p_values"): "a step inside the pipeline, handed its run's callback",
    # Classifiers and tabular models run in-process: no call engine, no response cache, no audit
    # trail (nothing crosses a network), so the progress stream is the only run argument they take.
    ("api.py", "explain_tabular"): "the Python API's own keyword: the progress stream of a local model",
    ("api.py", "explain_counterfactual"): "the Python API's own keyword: the progress stream of a local model",
    ("api.py", "_explain_classifier"): "hands aexplain's progress stream to a local classifier",
    ("scoring/classifier.py", "explain_text_classifier"): "a local classifier: progress only",
    ("scoring/tabular.py", "explain_row"): "a local tabular model: progress only",
    ("scoring/engine.py", "evaluate"): "evaluates a local model in batches: progress only",
    ("scoring/engine.py", "explain_run"): "fits a local model's run: progress only",
    ("cli/audit.py", "_run"): "the cache the audit command opened, before a run context exists",
    ("batch/executors/ray.py", "__init__"): "a Ray worker gets the refresh flag as a value (a context does not cross processes)",
}


def test_no_signature_repeats_the_run_arguments():
    found = set()
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
                if params & RUN_ARGUMENTS:
                    found.add((path.relative_to(CORE).as_posix(), node.name))
    assert found - set(ALLOWED) == set(), "pass a RunContext (gsmile_core.calls.context) instead"


@pytest.mark.parametrize("function", [
    explain, explain_drill_down, checks.plan_check, checks.stability_check, checks.repeat_explanations,
    checks.consistency_check, checks.deletion_check, checks.run_check, exact_shapley, OutputProbe,
    ExperimentContext, engine_for, plan_dry_run,
])
def test_the_signatures_that_repeated_them_take_one_run_context(function):
    parameters = inspect.signature(function).parameters
    assert "run" in parameters and parameters["run"].default == RunContext()
    assert not RUN_ARGUMENTS & set(parameters)


def test_derived_contexts_keep_the_cache_and_the_audit_trail(tmp_path):
    with ResponseCache(tmp_path / "cache") as cache, AuditLog(tmp_path / "audit") as audit:
        events = []
        run = RunContext(cache=cache, refresh=True, audit=audit)
        louder = run.with_events(events.append)
        assert (louder.cache, louder.refresh, louder.audit, louder.on_event) == (cache, True, audit, events.append)
        assert louder.quiet().on_event is ignore and louder.quiet().audit is audit
        assert run.on_event is ignore  # the original is unchanged: frozen
        with pytest.raises(dataclasses.FrozenInstanceError):
            run.refresh = False  # type: ignore[misc]
        assert not run.reads_cache() and RunContext(cache=cache).reads_cache() and not RunContext().reads_cache()


def requests_in(directory: Path) -> list[dict]:
    files = sorted(directory.glob("gsmile-audit-*.jsonl"))
    assert len(files) == 1, files
    return [r for r in read_audit(files[0]) if r["type"] == "request"]


@pytest.mark.parametrize("kind, inputs", [
    ("stability", CheckInputs(k=2)),
    ("consistency", CheckInputs(repeats=2)),
    ("deletion", CheckInputs(random_orders=2)),
])
async def test_every_check_writes_the_audit_trail_and_the_events_of_its_context(tmp_path, kind, inputs):
    explanation = await explain(PROMPT, FakeBackend(), CONFIG)
    events = []
    backend = FakeBackend()
    with AuditLog(tmp_path) as audit:
        result = await run_check(kind, explanation, backend, inputs, run=RunContext(audit=audit, on_event=events.append))
    requests = requests_in(tmp_path)
    assert len(requests) == backend.calls == result.cost.model_calls > 0
    assert sum(isinstance(e, GenerationReceived) for e in events) >= backend.calls


async def test_drill_down_and_shapley_write_the_audit_trail(tmp_path):
    from fakes.documents import long_document

    document, _ = long_document()
    backend = FakeBackend()
    config = ExplainConfig(perturbations=64, bootstrap=0, ci_resamples=0)
    with AuditLog(tmp_path / "drill") as audit:
        await explain_drill_down(document, backend, config, 1, run=RunContext(audit=audit))
    # both levels write to the trail; the memo asks the original prompt once for both
    assert len({r["prompt"] for r in requests_in(tmp_path / "drill")}) == backend.calls > 0

    small = await explain("doctor and ocean", FakeBackend(), ExplainConfig(perturbations=4, bootstrap=0))
    backend = FakeBackend()
    with AuditLog(tmp_path / "shapley") as audit:
        values = await exact_shapley(small, backend, run=RunContext(audit=audit))
    assert len(requests_in(tmp_path / "shapley")) == values.model_calls == backend.calls > 0


def test_an_experiments_explanations_and_probes_write_the_audit_trail(tmp_path):
    backend = FakeBackend()
    events = []
    with AuditLog(tmp_path) as audit:
        context = ExperimentContext(backend, ExplainConfig(perturbations=8, bootstrap=0), {"prompts": 1},
                                    run=RunContext(audit=audit, on_event=events.append))
        asyncio.run(run_experiment("stability", context))
    prompts = {r["prompt"] for r in requests_in(tmp_path)}
    assert len(prompts) == backend.calls > 0  # the memo asks each prompt once; the trail has them all
    # the experiment's own progress, not its explanations' inner stages
    assert events and {getattr(e, "stage", "experiment") for e in events} == {"experiment"}


@pytest.mark.parametrize("kind, inputs", [
    ("stability", CheckInputs(k=2)),
    ("consistency", CheckInputs(repeats=3)),
    ("deletion", CheckInputs(random_orders=2)),
])
async def test_a_plan_with_refresh_counts_the_calls_a_refreshing_check_makes(tmp_path, kind, inputs):
    explanation = await explain(PROMPT, FakeBackend(), CONFIG)
    with ResponseCache(tmp_path) as cache:
        await run_check(kind, explanation, FakeBackend(), inputs, run=RunContext(cache=cache))
        assert plan_check(kind, explanation, inputs, IDENTITY, RunContext(cache=cache)).calls == 0
        refreshing = RunContext(cache=cache, refresh=True)
        plan = plan_check(kind, explanation, inputs, IDENTITY, refreshing)
        backend = FakeBackend()
        await run_check(kind, explanation, backend, inputs, run=refreshing)
    assert plan.cached == 0 and plan.calls == backend.calls > 0
