"""The engine's one retry loop: backoff with jitter, Retry-After with a cap, timeouts, error
classes in one line, auth stopping the run at once. Time is a fake clock: nothing waits."""

from __future__ import annotations

import random

import pytest
from scripted_backend import HANG, FakeClock, ScriptedBackend

from gsmile_core.calls.engine import CallEngine
from gsmile_core.calls.jobs import CallJob
from gsmile_core.calls.retry import RetryPolicy
from gsmile_core.errors import BackendError
from gsmile_core.events import Retrying
from gsmile_core.types import GenerationParams


def make_engine(backend, clock=None, events=None, **options):
    clock = clock or FakeClock()
    return CallEngine(
        backend,
        GenerationParams(max_tokens=16),
        sleep=clock.sleep,
        clock=clock,
        on_event=(events.append if events is not None else (lambda e: None)),
        **options,
    )


async def test_transient_server_error_is_retried_with_a_notice():
    backend, clock, events = ScriptedBackend(), FakeClock(), []
    backend.script("a", BackendError("scripted: 503 from the provider", kind="server"))
    engine = make_engine(backend, clock, events, retry=RetryPolicy(base_delay=2.0))
    answers, stats = await engine.generate_all(["a", "b"])
    assert answers["a"].text == "a answered"
    assert backend.per_prompt["a"] == 2 and backend.per_prompt["b"] == 1
    assert stats.model_calls == 3 and stats.retries == 1
    assert len(clock.sleeps) == 1 and 1.0 <= clock.sleeps[0] <= 2.0  # equal jitter of 2 s
    notices = [e for e in events if isinstance(e, Retrying)]
    assert [n.message for n in notices] == [f"retrying in {clock.sleeps[0]:.1f} s: scripted: 503 from the provider"]
    assert notices[0].reason == "scripted: 503 from the provider" and notices[0].delay == clock.sleeps[0]


async def test_backoff_grows_exponentially_with_seeded_jitter_and_a_ceiling():
    def delays(seed):
        backend, clock = ScriptedBackend(), FakeClock()
        backend.script("a", *[BackendError("scripted: 500", kind="server")] * 6)
        policy = RetryPolicy(max_attempts=7, base_delay=1.0, max_delay=8.0)
        engine = make_engine(backend, clock, retry=policy, rng=random.Random(seed))
        return engine, clock

    engine, clock = delays(7)
    await engine.generate_all(["a"])
    ceilings = [1, 2, 4, 8, 8, 8]
    assert len(clock.sleeps) == 6
    for delay, ceiling in zip(clock.sleeps, ceilings):
        assert ceiling / 2 <= delay <= ceiling
    again, clock_again = delays(7)
    await again.generate_all(["a"])
    assert clock_again.sleeps == clock.sleeps  # same seed, same jitter
    other, clock_other = delays(8)
    await other.generate_all(["a"])
    assert clock_other.sleeps != clock.sleeps


async def test_retry_after_is_honoured_and_announced():
    backend, clock, events = ScriptedBackend(), FakeClock(), []
    backend.script("a", BackendError("429 from openai", kind="rate_limit", retry_after=12))
    engine = make_engine(backend, clock, events)
    await engine.generate_all(["a"])
    assert clock.sleeps == [12]
    assert Retrying("retrying in 12 s: 429 from openai", level="info", reason="429 from openai", delay=12) in events


async def test_retry_after_up_to_the_cap_is_waited_exactly():
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("a", BackendError("429 from openai", kind="rate_limit", retry_after=60))
    await make_engine(backend, clock).generate_all(["a"])
    assert clock.sleeps == [60.0]


async def test_retry_after_beyond_the_cap_fails_at_once_saying_when_to_retry():
    """A provider asking for 300 s is neither retried early (against its word) nor waited on."""
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("a", BackendError("429 from openai", kind="rate_limit", retry_after=300))
    with pytest.raises(BackendError) as raised:
        await make_engine(backend, clock).generate_all(["a"])
    message = str(raised.value)
    assert backend.per_prompt["a"] == 1 and clock.sleeps == []
    assert raised.value.kind == "rate_limit" and raised.value.retry_after == 300
    assert message.startswith("rate limited: 429 from openai: the provider asks to wait 300 s, longer than gSMILE waits (60 s); try again after ")
    assert message.endswith(" UTC (answers received so far are cached)")


async def test_gives_up_after_max_attempts_with_one_clear_line():
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("a", *[BackendError("scripted: 502 bad gateway", kind="server")] * 10)
    engine = make_engine(backend, clock, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(BackendError) as raised:
        await engine.generate_all(["a"])
    assert backend.per_prompt["a"] == 3
    assert raised.value.kind == "server"
    assert str(raised.value) == "provider error: scripted: 502 bad gateway (gave up after 3 attempts)"
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("auth", "authentication failed"),
        ("context_length", "prompt too long for the model"),
        ("unavailable", "model unavailable"),
        ("quota", "quota or credit exhausted"),
    ],
)
async def test_errors_retrying_cannot_fix_are_not_retried(kind, label):
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("a", BackendError("scripted: refused", kind=kind))
    with pytest.raises(BackendError) as raised:
        await make_engine(backend, clock).generate_all(["a"])
    assert backend.per_prompt["a"] == 1 and clock.sleeps == []
    assert raised.value.kind == kind
    assert str(raised.value) == f"{label}: scripted: refused"


async def test_auth_error_stops_the_run_at_once_and_cancels_calls_in_flight():
    backend = ScriptedBackend()
    prompts = [f"p{i}" for i in range(20)]
    for p in prompts[1:]:
        backend.script(p, HANG)  # would never finish
    backend.script("p0", (0.05, BackendError("openai: 401 invalid key", kind="auth")))
    engine = make_engine(backend, concurrency=4)
    with pytest.raises(BackendError) as raised:
        await engine.generate_all(prompts)
    assert raised.value.kind == "auth"
    assert len(backend.calls) == 4  # only the first wave started; nothing after the auth error
    assert backend.cancelled == 3  # the three hanging calls were really cancelled
    assert backend.in_flight == 0


async def test_per_call_timeout_is_a_retryable_timeout():
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("a", HANG)
    engine = make_engine(backend, clock, retry=RetryPolicy(timeout=0.05))
    answers, _ = await engine.generate_all(["a"])
    assert answers["a"].text == "a answered"
    assert backend.per_prompt["a"] == 2 and backend.cancelled == 1


async def test_timeouts_every_time_end_in_one_timeout_line():
    backend = ScriptedBackend()
    backend.script("a", HANG, HANG)
    engine = make_engine(backend, retry=RetryPolicy(max_attempts=2, timeout=0.02))
    with pytest.raises(BackendError) as raised:
        await engine.generate_all(["a"])
    assert raised.value.kind == "timeout"
    assert str(raised.value) == "timed out: scripted: no answer within 0.02 s (gave up after 2 attempts)"


async def test_a_backend_breaking_its_contract_becomes_one_bad_response_line():
    backend, clock = ScriptedBackend(), FakeClock()
    backend.script("a", KeyError("choices\n\x1b[31mred"), KeyError("choices"))
    engine = make_engine(backend, clock, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(BackendError) as raised:
        await engine.generate_all(["a"])
    message = str(raised.value)
    assert raised.value.kind == "bad_response"
    assert message.startswith("unusable response: scripted: KeyError: ")
    assert "\n" not in message and "\x1b" not in message


async def test_answers_are_sanitised_at_the_edge():
    class Escaping(ScriptedBackend):
        def answer(self, prompt, params):
            return "safe \x1b]52;c;ZXZpbA==\x07text\x1b[2J"

    answers, _ = await make_engine(Escaping()).generate_all(["a"])
    assert "\x1b" not in answers["a"].text and "\x07" not in answers["a"].text
    assert "safe" in answers["a"].text


async def test_jobs_are_asked_once_each_even_when_repeated():
    backend = ScriptedBackend()
    answers, stats = await make_engine(backend).run_jobs(
        [CallJob("a"), CallJob("a"), CallJob("a", 1), CallJob("b")]
    )
    assert len(answers) == 3 and stats.model_calls == 3


async def test_a_backend_with_its_own_timeout_gets_a_grace_before_the_engine_cancels():
    class SelfTimed(ScriptedBackend):
        timeout = 0.05

    backend = SelfTimed()
    backend.script("a", 0.1)  # slower than its own timeout, within the grace: the engine waits
    engine = make_engine(backend, retry=RetryPolicy(timeout=0.05))
    answers, stats = await engine.generate_all(["a"])
    assert stats.retries == 0 and backend.cancelled == 0
