"""Every provider fault, through the real SDKs, becomes one classified, one-line BackendError.

The call engine retries on `kind` and waits `retry_after`; these tests pin that contract for each
backend and each fault the fake provider can script, and check that the SDKs' own retries are
off (exactly one request per call) and that the backend still works after the fault.
"""

from __future__ import annotations

import email.utils
import socket
import time

import pytest
from fakes import Fault, FakeProviderServer, rule_answer

from gsmile_core.backends import create_backend
from gsmile_core.backends.api_errors import parse_retry_after
from gsmile_core.errors import BackendError
from gsmile_core.types import GenerationParams

KEY = "sk-faults-0123456789abcdefKEY9"
PROMPT = "what is the weather"
BACKENDS = ["openai", "openai-completions", "anthropic", "together", "openai-compatible"]


def make(server: FakeProviderServer, which: str, timeout: float = 5.0):
    return make_at(server.url, which, timeout)


def make_at(root: str, which: str, timeout: float = 5.0):
    if which == "openai-completions":
        return create_backend("openai", model="gpt-3.5-turbo-instruct", api_key=KEY,
                              base_url=f"{root}/v1", timeout=timeout)
    url = root if which in ("anthropic", "together") else f"{root}/v1"
    return create_backend(which, model="m" if which == "openai-compatible" else None,
                          api_key=KEY, base_url=url, timeout=timeout)


def provider_label(which: str, server: FakeProviderServer) -> str:
    if which == "openai-compatible":
        return f"openai-compatible server at {server.openai_base_url}: "
    return ("openai" if which.startswith("openai") else which) + ": "


FAULTS = [
    # fault, expected kind, expected retry_after, words in the message
    (Fault.http(429, retry_after=7), "rate_limit", 7.0, "rate limited (429); retry after 7 s"),
    (Fault.http(429), "rate_limit", None, "rate limited (429)"),
    (Fault.http(500), "server", None, "internal error (500)"),
    (Fault.http(502), "server", None, "bad gateway (502)"),
    (Fault.http(503, retry_after=2), "server", 2.0, "unavailable (503); retry after 2 s"),
    (Fault.http(529), "server", None, "overloaded (529)"),
    (Fault.http(401), "auth", None, "rejected the API key (401)"),
    (Fault.http(403), "auth", None, "permission denied"),
    (Fault.http(404), "unavailable", None, "not found (404)"),
    (Fault.http(400), "bad_request", None, "refused the request (400)"),
    (Fault.slow(3.0), "timeout", None, "no answer within 0.5 s"),
    (Fault.malformed(), "bad_response", None, "malformed JSON"),
    (Fault.empty(), "bad_response", None, "empty body"),
    (Fault.wrong_shape(), "bad_response", None, "wrong shape"),
    (Fault.html(), "bad_response", None, "not JSON"),
    (Fault.reset(), "connection", None, "connection reset"),
    (Fault.truncated(), "connection", None, "closed before a complete answer"),
]


@pytest.mark.parametrize("which", BACKENDS)
@pytest.mark.parametrize("fault,kind,retry_after,words", FAULTS,
                         ids=[f"{f.kind}{f.status if f.kind == 'status' else ''}" for f, *_ in FAULTS])
async def test_fault_is_classified_in_one_line(provider_server, which, fault, kind, retry_after, words):
    backend = make(provider_server, which, timeout=0.5)
    provider_server.fail_prompt(PROMPT, fault)
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate(PROMPT, GenerationParams())
        error = caught.value
        message = str(error)
        assert error.kind == kind
        assert error.retry_after == retry_after
        assert words in message
        assert message.startswith(provider_label(which, provider_server))
        assert "\n" not in message and len(message) < 300
        assert KEY not in message and KEY[-8:] not in message
        # no chain back to the SDK exception (its request object holds the Authorization header)
        assert error.__cause__ is None and error.__context__ is None
        # SDK retries are off: the fault was met exactly once
        assert provider_server.per_prompt[PROMPT] == 1
        # the backend is still usable once the fault has passed (what a retry will see)
        if fault.kind == "slow":
            backend.timeout = 5.0
        generation = await backend.generate(PROMPT, GenerationParams())
        assert generation.text == rule_answer(PROMPT)
        assert provider_server.per_prompt[PROMPT] == 2
    finally:
        await backend.aclose()


@pytest.mark.parametrize("which", BACKENDS)
async def test_retry_after_as_http_date(provider_server, which):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    provider_server.fail_prompt(PROMPT, Fault.http(429, retry_after=when))
    backend = make(provider_server, which)
    with pytest.raises(BackendError) as caught:
        await backend.generate(PROMPT, GenerationParams())
    await backend.aclose()
    assert caught.value.kind == "rate_limit"
    assert 25 <= caught.value.retry_after <= 31


@pytest.mark.parametrize("which", BACKENDS)
async def test_connection_refused(which):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = make_at(f"http://127.0.0.1:{port}", which, timeout=2.0)
    with pytest.raises(BackendError) as caught:
        await backend.generate(PROMPT, GenerationParams())
    await backend.aclose()
    assert caught.value.kind == "connection"
    assert "connection refused" in str(caught.value)
    assert caught.value.retryable


@pytest.mark.parametrize("which", BACKENDS)
async def test_quota_and_context_length_are_not_retryable(provider_server, which):
    backend = make(provider_server, which)
    provider_server.fail_prompt(PROMPT, Fault.http(400, message="This model's maximum context length is 8192 tokens"))
    with pytest.raises(BackendError) as caught:
        await backend.generate(PROMPT, GenerationParams())
    assert caught.value.kind == "context_length" and not caught.value.retryable
    assert "maximum context length is 8192 tokens" in str(caught.value)
    if which != "anthropic":  # OpenAI-format bodies carry the insufficient_quota code
        provider_server.fail_prompt(PROMPT, Fault.http(429, code="insufficient_quota"))
        with pytest.raises(BackendError) as caught:
            await backend.generate(PROMPT, GenerationParams())
        assert caught.value.kind == "quota" and not caught.value.retryable
        assert "out of quota" in str(caught.value)
    await backend.aclose()


async def test_provider_text_in_errors_is_scrubbed_of_keys(provider_server):
    backend = make(provider_server, "openai")
    provider_server.fail_prompt(PROMPT, Fault.http(400, message=f"bad request from key {KEY} \x1b[31mred"))
    with pytest.raises(BackendError) as caught:
        await backend.generate(PROMPT, GenerationParams())
    await backend.aclose()
    message = str(caught.value)
    assert KEY not in message and KEY[3:] not in message and "\x1b" not in message
    assert "bad request from key" in message


def test_retryable_kinds_match_the_engine_contract():
    assert BackendError("x", kind="rate_limit").retryable
    assert BackendError("x", kind="server").retryable
    assert BackendError("x", kind="timeout").retryable
    assert BackendError("x", kind="connection").retryable
    assert BackendError("x", kind="bad_response").retryable
    for fatal in ("auth", "bad_request", "unavailable", "quota", "context_length"):
        assert not BackendError("x", kind=fatal).retryable


def test_parse_retry_after():
    assert parse_retry_after({"retry-after": "12"}) == 12.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "nan"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(42.0)
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=now) == 0.0
