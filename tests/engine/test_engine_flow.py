"""The engine's flow control: bounded concurrency, real cancellation, requests-per-minute pacing,
budgets that refuse to start or stop cleanly, and the response cache's semantics."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from scripted_backend import HANG, FakeClock, ScriptedBackend

from gsmile_core.calls.cache import CallIdentity, ResponseCache, cache_key
from gsmile_core.calls.budget import Budget, BudgetExceeded
from gsmile_core.calls.engine import CallEngine
from gsmile_core.calls.jobs import CallJob
from gsmile_core.calls.retry import RetryPolicy
from gsmile_core.errors import BackendError, ResourceError
from gsmile_core.calls.pricing import Price
from gsmile_core.types import Generation, GenerationParams

PARAMS = GenerationParams(max_tokens=16)


def engine(backend, **options):
    return CallEngine(backend, options.pop("params", PARAMS), **options)


# -- concurrency and cancellation ------------------------------------------------------------------
@pytest.mark.parametrize("limit", [1, 3, 8])
async def test_calls_in_flight_never_exceed_the_limit(limit):
    backend = ScriptedBackend()
    prompts = [f"p{i}" for i in range(40)]
    for i, p in enumerate(prompts):
        backend.script(p, 0.001 * (i % 5))
    answers, stats = await engine(backend, concurrency=limit).generate_all(prompts)
    assert len(answers) == 40 and stats.model_calls == 40
    assert backend.peak == limit  # reached, never passed


async def test_cancelling_the_run_cancels_the_calls_in_flight_and_starts_no_more():
    backend = ScriptedBackend()
    prompts = [f"p{i}" for i in range(30)]
    for p in prompts:
        backend.script(p, HANG)
    run = asyncio.ensure_future(engine(backend, concurrency=5).generate_all(prompts))
    while backend.in_flight < 5:
        await asyncio.sleep(0)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert backend.cancelled == 5 and backend.in_flight == 0
    assert len(backend.calls) == 5


async def test_requests_per_minute_spaces_call_starts():
    backend, clock = ScriptedBackend(), FakeClock()
    run = engine(backend, concurrency=4, requests_per_minute=30, clock=clock, sleep=clock.sleep)
    await run.generate_all([f"p{i}" for i in range(5)])
    # 30 per minute = one start every 2 s: the first at once, each later one waits its turn
    assert clock.sleeps == [2.0, 2.0, 2.0, 2.0]
    assert clock.now == 1008.0 and len(backend.calls) == 5


# -- budgets --------------------------------------------------------------------------------------
async def test_max_calls_refuses_to_start_a_run_that_needs_more():
    backend = ScriptedBackend()
    with pytest.raises(BudgetExceeded, match="needs 5 model calls .* --max-calls is 4"):
        await engine(backend, budget=Budget(max_calls=4)).generate_all([f"p{i}" for i in range(5)])
    assert backend.calls == []


async def test_max_calls_stops_cleanly_when_retries_would_overspend(tmp_path):
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("p0", 0.02, BackendError("scripted: 500", kind="server"))
    backend.script("p1", 0.01)
    backend.script("p2", (0.005, BackendError("scripted: 500", kind="server")))
    cache = ResponseCache(tmp_path)
    run = engine(backend, concurrency=3, budget=Budget(max_calls=3), cache=cache, clock=clock, sleep=clock.sleep)
    with pytest.raises(BudgetExceeded, match="stopped after 3 model calls"):
        await run.generate_all(["p0", "p1", "p2"])
    # p2's retry was refused; the calls in flight (p0, p1) finished and were kept
    assert len(backend.calls) == 3
    assert len(cache) == 2


async def test_max_cost_refuses_to_start_and_needs_a_price():
    backend = ScriptedBackend()
    price = Price(input=1_000_000.0, output=0.0)  # a dollar per input token
    with pytest.raises(BudgetExceeded, match=r"may cost up to \$"):
        await engine(backend, budget=Budget(max_cost=5, price=price)).generate_all(["one two three four five six"])
    with pytest.raises(BudgetExceeded, match="no price is known for scripted model"):
        engine(backend, budget=Budget(max_cost=5))
    assert backend.calls == []


async def test_max_cost_stops_cleanly_when_actual_usage_exceeds_the_estimate():
    backend = ScriptedBackend()
    backend.usage = (1000, 16)  # the provider counts far more tokens than estimated
    price = Price(input=1000.0, output=0.0)  # $0.001 per input token: $1 per call as billed
    run = engine(backend, concurrency=1, budget=Budget(max_cost=2.5, price=price))
    with pytest.raises(BudgetExceeded, match=r"stopped at \$2\.0000 spent"):
        await run.generate_all([f"p{i}" for i in range(10)])
    assert len(backend.calls) == 2
    assert run.spent_usd == pytest.approx(2.0)


# -- cache ----------------------------------------------------------------------------------------
async def test_a_second_run_is_served_from_the_cache(tmp_path):
    backend = ScriptedBackend()
    prompts = [f"p{i}" for i in range(6)]
    first, stats1 = await engine(backend, cache=ResponseCache(tmp_path)).generate_all(prompts)
    second, stats2 = await engine(backend, cache=ResponseCache(tmp_path)).generate_all(prompts)
    assert (stats1.model_calls, stats1.cache_hits) == (6, 0)
    assert (stats2.model_calls, stats2.cache_hits) == (0, 6)
    assert len(backend.calls) == 6
    assert all(second[p].cached and not first[p].cached for p in prompts)
    assert [second[p].text for p in prompts] == [first[p].text for p in prompts]
    assert second["p0"].fingerprint == "fp_scripted" and second["p0"].model == "scripted-1-2026"


async def test_errors_are_never_cached(tmp_path):
    backend = ScriptedBackend()
    backend.script("bad", BackendError("scripted: context too long", kind="context_length"))
    with pytest.raises(BackendError):
        await engine(backend, cache=ResponseCache(tmp_path), concurrency=1).generate_all(["good", "bad"])
    assert len(ResponseCache(tmp_path)) == 1
    answers, stats = await engine(backend, cache=ResponseCache(tmp_path)).generate_all(["good", "bad"])
    assert (stats.model_calls, stats.cache_hits) == (1, 1)
    assert backend.per_prompt == {"good": 1, "bad": 2}


async def test_refresh_asks_again_and_overwrites(tmp_path):
    backend = ScriptedBackend()
    await engine(backend, cache=ResponseCache(tmp_path)).generate_all(["a"])

    class Changed(ScriptedBackend):
        def answer(self, prompt, params):
            return "a new answer"

    changed = Changed()
    answers, stats = await engine(changed, cache=ResponseCache(tmp_path), refresh=True).generate_all(["a"])
    assert (stats.model_calls, stats.cache_hits) == (1, 0) and answers["a"].text == "a new answer"
    again, stats = await engine(changed, cache=ResponseCache(tmp_path)).generate_all(["a"])
    assert stats.cache_hits == 1 and again["a"].text == "a new answer"


def test_the_key_covers_everything_that_can_change_an_answer():
    base = CallIdentity("openai", "gpt-4o-mini", "https://api.openai.com/v1", "chat")
    reference = cache_key(base, PARAMS, "hello", 0)
    variants = [
        cache_key(CallIdentity("together", "gpt-4o-mini", "https://api.openai.com/v1", "chat"), PARAMS, "hello", 0),
        cache_key(CallIdentity("openai", "gpt-4o", "https://api.openai.com/v1", "chat"), PARAMS, "hello", 0),
        cache_key(CallIdentity("openai", "gpt-4o-mini", "http://127.0.0.1:8000/v1", "chat"), PARAMS, "hello", 0),
        cache_key(CallIdentity("openai", "gpt-4o-mini", "https://api.openai.com/v1", "completions"), PARAMS, "hello", 0),
        cache_key(base, GenerationParams(max_tokens=17), "hello", 0),
        cache_key(base, GenerationParams(max_tokens=16, temperature=0.5), "hello", 0),
        cache_key(base, GenerationParams(max_tokens=16, seed=1), "hello", 0),
        cache_key(base, GenerationParams(max_tokens=16, system_prompt="be brief"), "hello", 0),
        cache_key(base, PARAMS, "hello ", 0),
        cache_key(base, PARAMS, "hello", 1),
    ]
    assert len(set(variants)) == len(variants) and reference not in variants
    assert cache_key(base, PARAMS, "hello", 0) == reference


def test_cache_file_is_sqlite_in_wal_mode_and_commits_each_answer(tmp_path):
    cache = ResponseCache(tmp_path)
    identity = CallIdentity("scripted", "m")
    cache.put("k1", identity, Generation(text="one", model="m"))
    # a second connection (another process would be the same) sees it at once: committed
    with sqlite3.connect(cache.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 1
    assert cache.get("k1").text == "one" and cache.get("k1").cached
    assert cache.get("missing") is None


def test_an_unreadable_cache_is_one_clear_error(tmp_path):
    (tmp_path / "responses.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(ResourceError, match="cannot use the response cache at .*--no-cache"):
        ResponseCache(tmp_path)


async def test_sample_index_and_seed_separate_samples_in_cache_and_requests(tmp_path):
    backend = ScriptedBackend()
    params = GenerationParams(max_tokens=16, temperature=0.8, seed=3)
    jobs = [CallJob("a", i) for i in range(4)]
    answers, stats = await engine(backend, params=params, cache=ResponseCache(tmp_path)).run_jobs(jobs)
    seeds = [p.seed for _, p in backend.calls]
    assert seeds[0] == 3 and len(set(seeds)) == 4  # sample 0 keeps the run seed
    assert stats.model_calls == 4
    again, stats = await engine(backend, params=params, cache=ResponseCache(tmp_path)).run_jobs(jobs)
    assert stats.cache_hits == 4 and [again[j].text for j in jobs] == [answers[j].text for j in jobs]


async def test_timeout_policy_applies_to_slow_calls_only():
    backend = ScriptedBackend()
    backend.script("slow", HANG)
    run = engine(backend, retry=RetryPolicy(max_attempts=1, timeout=0.05))
    with pytest.raises(BackendError, match="timed out"):
        await run.generate_all(["fast", "slow"])


async def test_each_answer_event_carries_the_spend_so_far():
    from gsmile_core.events import GenerationReceived

    backend = ScriptedBackend()
    backend.usage = (1000, 16)
    price = Price(input=1000.0, output=0.0)  # $1 per call as billed
    events = []
    run = engine(backend, concurrency=1, budget=Budget(price=price), on_event=events.append)
    await run.generate_all(["p1", "p2", "p3"])
    spends = [e.spent_usd for e in events if isinstance(e, GenerationReceived)]
    assert spends == pytest.approx([1.0, 2.0, 3.0])
    unpriced = []
    await engine(ScriptedBackend(), on_event=unpriced.append).generate_all(["p1"])
    assert [e.spent_usd for e in unpriced if isinstance(e, GenerationReceived)] == [None]
