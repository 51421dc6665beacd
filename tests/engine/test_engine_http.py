"""The engine over real HTTP: the real openai SDK (SDK retries off) against the fake provider on
127.0.0.1. Provider faults are survived by gSMILE's retry loop or reported in one line; 500
calls at concurrency 32 never exceed 32 at the server and keep memory flat; the audit trail and
the cache hold everything a reviewer needs and never the key."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest
from fakes import Fault, FakeProviderServer, rule_answer

from gsmile_core.calls.audit import AuditLog, read_audit, sha256_text
from gsmile_core.backends import create_backend
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.calls.engine import CallEngine
from gsmile_core.calls.retry import RetryPolicy
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import BackendError
from gsmile_core.events import Notice
from gsmile_core.pipeline import explain
from gsmile_core.types import GenerationParams
from gsmile_core.calls.context import RunContext

CANARY = "sk-canary-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"


def compatible(server: FakeProviderServer, key: str | None = None, model: str = "audit-model", **extra):
    options = {"model": model, "base_url": server.openai_base_url, **extra}
    if key is not None:
        options["api_key"] = key
    return create_backend("openai-compatible", **options)


class NoWait:
    """Records the delays the engine asks for and does not wait (retries stay instant)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


FAULTS = [
    (Fault.http(429, retry_after=12), "rate_limit"),
    (Fault.http(500), "server"),
    (Fault.http(503), "server"),
    (Fault.http(529), "server"),
    (Fault.malformed(), "bad_response"),
    (Fault.empty(), "bad_response"),
    (Fault.wrong_shape(), "bad_response"),
    (Fault.html(), "bad_response"),
    (Fault.reset(), "connection"),
]


@pytest.mark.parametrize(("fault", "kind"), FAULTS, ids=[f"{f.kind}-{f.status}" for f, _ in FAULTS])
async def test_a_transient_fault_is_retried_and_survived(provider_server, fault, kind):
    provider_server.fail_prompt("what is the meaning of life", fault)
    backend, sleep, events = compatible(provider_server), NoWait(), []
    engine = CallEngine(backend, GenerationParams(max_tokens=32), sleep=sleep, on_event=events.append)
    try:
        answers, stats = await engine.generate_all(["what is the meaning of life", "the ocean"])
    finally:
        await backend.aclose()
    assert answers["what is the meaning of life"].text == rule_answer("what is the meaning of life")
    assert provider_server.per_prompt["what is the meaning of life"] == 2
    assert stats.model_calls == 3 and stats.retries == 1
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and notices[0].startswith("retrying in ")
    if fault.retry_after:
        assert sleep.delays == [12.0] and notices[0].startswith("retrying in 12 s: ")


@pytest.mark.parametrize(("fault", "kind"), FAULTS[1:], ids=[f"{f.kind}-{f.status}" for f, _ in FAULTS[1:]])
async def test_a_persistent_fault_ends_in_one_clear_line(provider_server, fault, kind):
    provider_server.fail_prompt_always("the ocean", fault)
    backend = compatible(provider_server, key=CANARY)
    engine = CallEngine(backend, GenerationParams(max_tokens=32), sleep=NoWait(), retry=RetryPolicy(max_attempts=3))
    try:
        with pytest.raises(BackendError) as raised:
            await engine.generate_all(["the ocean"])
    finally:
        await backend.aclose()
    message = str(raised.value)
    assert raised.value.kind == kind
    assert message.endswith("(gave up after 3 attempts)") and "\n" not in message
    assert CANARY not in message and "Traceback" not in message
    assert provider_server.per_prompt["the ocean"] == 3


async def test_client_timeout_is_retried(provider_server):
    provider_server.fail_prompt("the ocean", Fault.slow(30))
    backend = compatible(provider_server, timeout=0.5)  # the SDK's timeout; the engine's is a backstop
    engine = CallEngine(backend, GenerationParams(max_tokens=32), sleep=NoWait(), retry=RetryPolicy(timeout=0.5))
    try:
        answers, stats = await engine.generate_all(["the ocean"])
    finally:
        await backend.aclose()
    assert answers["the ocean"].text == rule_answer("the ocean") and stats.retries == 1


async def test_wrong_key_stops_the_run_after_one_request():
    with FakeProviderServer(expected_key="sk-right", latency=0.05) as server:
        backend = compatible(server, key=CANARY)
        engine = CallEngine(backend, GenerationParams(max_tokens=32), concurrency=1, sleep=NoWait())
        try:
            with pytest.raises(BackendError) as raised:
                await engine.generate_all([f"prompt {i}" for i in range(20)])
        finally:
            await backend.aclose()
        assert raised.value.kind == "auth" and CANARY not in str(raised.value)
        assert server.total_requests == 1


async def _load(server: FakeProviderServer, calls: int) -> tuple[int, int]:
    backend = compatible(server)
    engine = CallEngine(backend, GenerationParams(max_tokens=8), concurrency=32)
    tracemalloc.start()
    try:
        answers, stats = await engine.generate_all([f"load prompt number {i} about the ocean" for i in range(calls)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await backend.aclose()
    assert len(answers) == calls and stats.model_calls == calls
    return peak, engine.peak_in_flight


@pytest.mark.slow
async def test_load_500_calls_at_concurrency_32_stay_within_the_limit_and_memory_is_flat():
    # record=0: the server keeps no request bodies, so tracemalloc sees the client side only
    with FakeProviderServer(latency=0.02, record=0) as server:
        await _load(server, 40)  # warm-up: SDK imports, first-use allocations
        server.reset_counters()
        small_peak, _ = await _load(server, 100)
        server.reset_counters()
        peak, engine_peak = await _load(server, 500)
        assert server.total_requests == 500
        assert server.peak_concurrency <= 32 and engine_peak == 32
    # five times the calls must not need anywhere near five times the memory: the workers are a
    # fixed pool; only the answers themselves (under a kilobyte each) accumulate
    assert peak < small_peak * 1.5, (small_peak, peak)


async def test_audit_trail_and_cache_let_a_reviewer_rederive_and_never_hold_the_key(provider_server, tmp_path):
    provider_server.fail_prompt("What is the meaning of life?", Fault.http(500))
    provider_server.fail_prompt("What is the of life?", Fault.reset())
    backend = compatible(provider_server, key=CANARY)
    config = ExplainConfig(perturbations=12, bootstrap=50, max_tokens=32)
    cache, audit = ResponseCache(tmp_path / "cache"), AuditLog(tmp_path / "audit")
    events = []
    try:
        explanation = await explain(
            "What is the meaning of life?", backend, config,
            run=RunContext(cache=cache, audit=audit, on_event=events.append),
        )
    finally:
        audit.close()
        cache.close()
        await backend.aclose()
    assert explanation.model_calls == provider_server.total_requests
    records = read_audit(audit.path)
    kinds = [r["type"] for r in records]
    assert kinds[0] == "run" and kinds.count("response") == explanation.unique_prompts
    assert kinds.count("request") == provider_server.total_requests
    assert kinds.count("error") == provider_server.total_requests - explanation.unique_prompts
    responses = {r["call"]: r for r in records if r["type"] == "response"}
    for request in (r for r in records if r["type"] == "request"):
        assert request["prompt_sha256"] == sha256_text(request["prompt"])
        assert request["params"]["max_tokens"] == 32 and request["model"] == "audit-model"
        assert request["base_url"] == provider_server.openai_base_url and request["ts"].endswith("+00:00")
    for response in responses.values():
        assert response["output_sha256"] == sha256_text(response["output"])
        assert response["response_model"] == "audit-model" + FakeProviderServer.MODEL_SUFFIX
        assert response["fingerprint"] == FakeProviderServer.FINGERPRINT
    # the answers in the explanation are exactly the audited ones
    by_prompt = {r["prompt"]: r for r in records if r["type"] == "request"}
    for perturbation in explanation.perturbations:
        call = by_prompt[perturbation.prompt]["call"]
        assert responses[call]["output"] == perturbation.output
    # the canary key is nowhere on disk
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    assert all(CANARY not in repr(e) for e in events)
    assert CANARY not in repr(explanation.to_dict())
