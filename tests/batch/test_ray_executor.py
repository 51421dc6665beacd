"""The Ray executor on a local two-CPU Ray instance (started once for the module: a Ray start
costs seconds): the same lines as the local executor for the same seeds, one concurrency limit
and one budget for every worker (the fake provider over HTTP counts what reached it), and a
resumed audit pays no call the first run finished (the desk's response cache)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

ray = pytest.importorskip("ray")

from gsmile_core.backends.fake import FakeBackend  # noqa: E402
from gsmile_core.batch.executors.local import LocalExecutor  # noqa: E402
from gsmile_core.batch.executors.ray import BackendRecipe, RayExecutor  # noqa: E402
from gsmile_core.batch.reader import PromptItem  # noqa: E402
from gsmile_core.batch.results import AuditFolder  # noqa: E402
from gsmile_core.batch.runner import run_audit  # noqa: E402
from gsmile_core.calls.cache import ResponseCache  # noqa: E402
from gsmile_core.calls.context import RunContext  # noqa: E402
from gsmile_core.config import ExplainConfig  # noqa: E402

pytestmark = pytest.mark.slow

PROMPTS = [
    "What is the meaning of life?",
    "Tell me about the ocean and the weather today",
    "A recipe for a rainy day at the doctor",
    "alpha bravo charlie delta echo foxtrot",
    "golf hotel india juliet kilo lima",
]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def items():
    return [PromptItem(str(i), p, i + 1) for i, p in enumerate(PROMPTS)]


def folder_in(tmp_path, name):
    folder = AuditFolder(tmp_path / name)
    folder.start({"x": 1}, {}, "new")
    return folder


def test_ray_lines_equal_the_local_executors(local_ray, tmp_path):
    config = ExplainConfig(perturbations=12, bootstrap=100, ci_resamples=20, concurrency=4, seed=5)
    local, remote = folder_in(tmp_path, "local"), folder_in(tmp_path, "ray")
    asyncio.run(run_audit(items(), local, LocalExecutor(FakeBackend(), config)))
    executor = RayExecutor(BackendRecipe("fake", options={"latency": 0.01}), config, workers=2)
    try:
        outcome = asyncio.run(run_audit(items(), remote, executor))
    finally:
        executor.close()
    assert outcome.stopped is None and outcome.progress.done == 5
    mine, theirs = {r["id"]: r for r in local.records()}, {r["id"]: r for r in remote.records()}
    assert set(mine) == set(theirs)
    for key in mine:
        assert theirs[key]["attributions"] == mine[key]["attributions"]
        assert theirs[key]["intervals"] == mine[key]["intervals"]
        assert [p["p_value"] for p in theirs[key]["explanation"]["perturbations"]] == \
               [p["p_value"] for p in mine[key]["explanation"]["perturbations"]]


def test_one_budget_and_one_concurrency_across_workers_and_a_resume_pays_nothing_twice(local_ray, provider_server, tmp_path):
    provider_server.latency = 0.05
    recipe = BackendRecipe("openai-compatible", model="ray-model", base_url=provider_server.openai_base_url)
    cache = ResponseCache(tmp_path / "cache")
    folder = folder_in(tmp_path, "audit")
    light = dict(perturbations=8, bootstrap=0, ci_resamples=0, interactions=0, concurrency=3)
    first = RayExecutor(recipe, ExplainConfig(max_calls=20, **light), RunContext(cache=cache),
                        cache_dir=str(cache.directory), workers=2)
    try:
        outcome = asyncio.run(run_audit(items(), folder, first))
    finally:
        first.close()
    assert outcome.stopped is not None and "--max-calls 20" in outcome.stopped
    assert provider_server.total_requests == 20 == first.calls  # one budget for both workers
    assert provider_server.peak_concurrency <= 3 and first.peak_in_flight == 3
    asked_first = Counter(provider_server.per_prompt)
    provider_server.reset_counters()
    second = RayExecutor(recipe, ExplainConfig(**light), RunContext(cache=cache), cache_dir=str(cache.directory), workers=2)
    try:
        outcome = asyncio.run(run_audit(items(), folder, second))
    finally:
        second.close()
    assert outcome.stopped is None and set(folder.statuses()) == {str(i) for i in range(5)}
    assert not set(provider_server.per_prompt) & set(asked_first)  # answers of the first run came from the cache
    assert all(status == "ok" for status in folder.statuses().values())
    cache.close()
