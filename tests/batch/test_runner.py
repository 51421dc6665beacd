"""The audit runner with the local executor, on the deterministic fake backend: one concurrency
limit for the whole set, a prompt's own failure recorded while the audit goes on, one budget for
the set (a resume continues without paying a finished call twice), --retry-failed, and each line
equal to what `explain` gives for that prompt alone."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.batch.executors.local import LocalExecutor
from gsmile_core.batch.reader import PromptItem
from gsmile_core.batch.results import AuditFolder
from gsmile_core.batch.runner import run_audit
from gsmile_core.batch.summary import build_summary
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.calls.context import RunContext
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import BackendError
from gsmile_core.pipeline import explain

LIGHT = dict(perturbations=16, bootstrap=0, ci_resamples=0, interactions=0)
TOPICS = ["meaning of life", "ocean", "weather", "doctor", "recipe", "math", "rainy day", "life"]


def prompts(count: int) -> list[PromptItem]:
    return [PromptItem(str(i), f"Please tell me about the {TOPICS[i % len(TOPICS)]} number {i} today", i + 1)
            for i in range(count)]


class Recording(FakeBackend):
    """The fake backend, counting calls in flight; prompts holding `failing` fail with `kind`."""

    def __init__(self, latency=0.0, failing: str | None = None, kind: str = "server") -> None:
        super().__init__(latency=latency)
        self.in_flight = self.peak = 0
        self.failing, self.kind = failing, kind
        self.asked: Counter[str] = Counter()

    async def generate(self, prompt, params):
        self.asked[prompt] += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.failing and self.failing in prompt:
                raise BackendError(f"fake: refused {self.kind}", kind=self.kind)
            return await super().generate(prompt, params)
        finally:
            self.in_flight -= 1


def audit(items, folder, backend, config, run=RunContext(), **options):
    executor = LocalExecutor(backend, config, run)
    outcome = asyncio.run(run_audit(items, folder, executor, **options))
    return outcome, executor


def new_folder(tmp_path, name="audit") -> AuditFolder:
    folder = AuditFolder(tmp_path / name)
    folder.start({"x": 1}, {}, "new")
    return folder


def test_every_prompt_shares_one_concurrency_limit(tmp_path):
    backend = Recording(latency=0.01)
    config = ExplainConfig(concurrency=8, **LIGHT)
    folder = new_folder(tmp_path)
    outcome, executor = audit(prompts(40), folder, backend, config)
    assert outcome.stopped is None and outcome.progress.done == 40
    assert backend.peak == 8  # 40 prompts x 16 calls, never more than 8 at once in all
    assert executor.limits.peak_in_flight == 8
    records = list(folder.records())
    assert len(records) == 40 and {r["status"] for r in records} == {"ok"}
    assert sum(r["calls"] for r in records) == backend.calls == executor.calls


def test_a_line_equals_explaining_the_prompt_alone(tmp_path):
    config = ExplainConfig(perturbations=16, concurrency=4)
    items = prompts(3)
    folder = new_folder(tmp_path)
    audit(items, folder, FakeBackend(), config)
    alone = asyncio.run(explain(items[1].prompt, FakeBackend(), config))
    record = next(r for r in folder.records() if r["id"] == "1")
    assert record["attributions"] == list(alone.attributions)
    assert record["features"] == list(alone.words)
    assert record["explanation"]["perturbations"] == alone.to_dict()["perturbations"]


def test_a_prompt_over_the_limits_and_a_provider_that_gives_up_fail_alone(tmp_path):
    items = [*prompts(3), PromptItem("long", "word " * 40, 9), PromptItem("doomed", "the doomed ocean prompt", 10)]
    config = ExplainConfig(max_words=30, max_attempts=1, **LIGHT)
    folder = new_folder(tmp_path)
    outcome, _ = audit(items, folder, Recording(failing="doomed"), config)
    assert outcome.stopped is None
    records = {r["id"]: r for r in folder.records()}
    assert [records[i]["status"] for i in ("0", "1", "2")] == ["ok"] * 3
    assert records["long"]["status"] == "error" and records["long"]["error"].startswith("bad input:")
    assert "30" in records["long"]["error"]
    assert records["doomed"]["status"] == "error" and records["doomed"]["error"].startswith("provider error: fake: refused server")
    assert (outcome.progress.done, outcome.progress.failed) == (3, 2)


def test_retry_failed_runs_only_the_failed_prompts(tmp_path):
    items = [*prompts(2), PromptItem("doomed", "the doomed ocean prompt", 10)]
    config = ExplainConfig(max_attempts=1, **LIGHT)
    folder = new_folder(tmp_path)
    audit(items, folder, Recording(failing="doomed"), config)
    again = Recording()
    outcome, _ = audit(items, folder, again, config)  # without --retry-failed: nothing to do
    assert again.calls == 0 and outcome.progress.earlier == 3
    outcome, _ = audit(items, folder, again, config, retry_failed=True)
    assert outcome.progress.done == 1 and again.calls > 0
    assert folder.statuses() == {"0": "ok", "1": "ok", "doomed": "ok"}


def test_a_rejected_key_stops_the_audit(tmp_path):
    config = ExplainConfig(**LIGHT)
    folder = new_folder(tmp_path)
    outcome, _ = audit([PromptItem("k", "the ocean key prompt", 1), *prompts(2)], folder, Recording(failing="key", kind="auth"), config,)
    assert outcome.stopped is not None and "refused auth" in outcome.stopped
    assert "k" not in folder.statuses()  # not a failure of that prompt: nothing recorded for it


def test_one_budget_for_the_set_and_a_resume_pays_no_call_twice(tmp_path):
    items = prompts(5)  # 80 perturbed prompts, some shared between prompts
    cache = ResponseCache(tmp_path / "cache")
    folder = new_folder(tmp_path)
    first = Recording()
    outcome, _ = audit(items, folder, first, ExplainConfig(max_calls=40, concurrency=4, **LIGHT), RunContext(cache=cache))
    assert outcome.stopped is not None and "--max-calls 40" in outcome.stopped
    assert first.calls == 40  # the set's budget, not each prompt's
    done_before = set(folder.statuses())
    assert 0 < len(done_before) < 5  # slots go to the earliest prompt first: whole prompts got done
    second = Recording()
    outcome, _ = audit(items, folder, second, ExplainConfig(concurrency=4, **LIGHT), RunContext(cache=cache))
    assert outcome.stopped is None and set(folder.statuses()) == {str(i) for i in range(5)}
    assert not set(first.asked) & set(second.asked)  # no call the first run finished is paid again
    summary = build_summary(folder, {}, total=5)
    assert summary["counts"]["ok"] == 5
    assert summary["calls"]["model_calls"] + summary["calls"]["cache_hits"] == 80
    cache.close()


@pytest.mark.parametrize("parallel", [1, 3])
def test_records_arrive_whole_whatever_runs_at_once(tmp_path, parallel):
    folder = new_folder(tmp_path, f"audit{parallel}")
    executor = LocalExecutor(FakeBackend(), ExplainConfig(**LIGHT), parallel_prompts=parallel)
    asyncio.run(run_audit(prompts(6), folder, executor))
    assert sorted(folder.statuses()) == sorted(str(i) for i in range(6))
