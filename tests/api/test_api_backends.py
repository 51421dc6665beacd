"""Happy paths of every API backend, through the real SDK clients, over HTTP to the fake provider."""

from __future__ import annotations

import pytest
from fakes import FakeProviderServer, rule_answer

from gsmile_core.backends import create_backend
from gsmile_core.backends.openai_api import api_for_model
from gsmile_core.errors import ConfigError
from gsmile_core.types import GenerationParams

KEY = "sk-test-0123456789abcdefXYZ"
PROMPT = "Tell me about the ocean and the weather"
PARAMS = GenerationParams(max_tokens=64, temperature=0.0, seed=7, system_prompt="Answer briefly.")


def make(server: FakeProviderServer, name: str, **options):
    url = server.url if name in ("anthropic", "together") else server.openai_base_url
    if name != "openai-compatible":
        options.setdefault("api_key", KEY)
    return create_backend(name, base_url=url, timeout=5, **options)


CASES = [
    # backend, options, path on the server, requested model
    ("openai", {}, "/v1/chat/completions", "gpt-4o-mini"),
    ("openai", {"model": "gpt-3.5-turbo-instruct"}, "/v1/completions", "gpt-3.5-turbo-instruct"),
    ("anthropic", {}, "/v1/messages", "claude-haiku-4-5"),
    ("together", {}, "/v1/chat/completions", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
    ("openai-compatible", {"model": "qwen2.5-7b"}, "/v1/chat/completions", "qwen2.5-7b"),
]


@pytest.mark.parametrize("name,options,path,model", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
async def test_answer_model_id_and_fingerprint(provider_server, name, options, path, model):
    backend = make(provider_server, name, **options)
    try:
        generation = await backend.generate(PROMPT, PARAMS)
    finally:
        await backend.aclose()
    assert generation.text == rule_answer(PROMPT)
    # the provider's own model id is recorded, not the name we asked for
    assert generation.model == model + FakeProviderServer.MODEL_SUFFIX
    if name == "anthropic":
        assert generation.fingerprint is None
        assert generation.finish_reason == "end_turn"
    else:
        assert generation.fingerprint == FakeProviderServer.FINGERPRINT
        assert generation.finish_reason == "stop"
    assert generation.prompt_tokens == len(provider_server.requests[-1].prompt.split())
    assert generation.completion_tokens == len(rule_answer(PROMPT).split())
    assert generation.latency_s > 0
    assert provider_server.per_path == {path: 1}
    request = provider_server.requests[-1]
    assert request.body["model"] == model
    if name != "openai-compatible":
        sent = request.headers.get("x-api-key") or request.headers["authorization"].removeprefix("Bearer ")
        assert sent == KEY
    # SDK retries are off: the SDK says so in the header it sends with every request
    assert request.headers.get("x-stainless-retry-count", "0") == "0"


@pytest.mark.parametrize("name,options,path,model", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
async def test_same_parameters_and_template_for_every_call(provider_server, name, options, path, model):
    backend = make(provider_server, name, **options)
    prompts = ["What is the meaning of life?", "What is the of life?", "meaning life?"]
    try:
        answers = [await backend.generate(p, PARAMS) for p in prompts]
    finally:
        await backend.aclose()
    assert [a.text for a in answers] == [rule_answer(p) for p in prompts]
    bodies = [r.body for r in provider_server.requests]
    assert len(bodies) == 3
    # everything but the prompt itself is identical across calls
    def without_prompt(body):
        body = dict(body)
        if "prompt" in body:
            body["prompt"] = body["prompt"].rsplit("\n\n", 1)[0]
        if "messages" in body:
            body["messages"] = [m for m in body["messages"] if m["role"] != "user"]
        return body
    assert without_prompt(bodies[0]) == without_prompt(bodies[1]) == without_prompt(bodies[2])
    first = bodies[0]
    assert first["temperature"] == 0.0
    if name == "anthropic":
        assert first["system"] == "Answer briefly."
        assert first["max_tokens"] == 64
        assert first["messages"] == [{"role": "user", "content": prompts[0]}]
    elif path == "/v1/completions":
        assert first["prompt"] == "Answer briefly.\n\n" + prompts[0]
        assert first["max_tokens"] == 64 and first["seed"] == 7
    else:
        assert first["messages"][0] == {"role": "system", "content": "Answer briefly."}
        assert first["messages"][-1] == {"role": "user", "content": prompts[0]}
        assert first["seed"] == 7
        limit_field = "max_completion_tokens" if name == "openai" else "max_tokens"
        assert first[limit_field] == 64


async def test_max_tokens_is_applied_and_reported(provider_server):
    backend = make(provider_server, "openai")
    generation = await backend.generate(PROMPT, GenerationParams(max_tokens=3))
    await backend.aclose()
    assert generation.text == " ".join(rule_answer(PROMPT).split()[:3])
    assert generation.finish_reason == "length"


async def test_anthropic_temperature_can_be_left_out(provider_server):
    backend = make(provider_server, "anthropic", temperature="ignore")
    await backend.generate(PROMPT, GenerationParams(temperature=0.7, top_p=0.9))
    await backend.aclose()
    body = provider_server.requests[-1].body
    assert "temperature" not in body and "top_p" not in body
    assert backend.describe()["temperature"] == "ignored"
    sent = make(provider_server, "anthropic")
    await sent.generate(PROMPT, GenerationParams(temperature=0.7, top_p=0.9))
    await sent.aclose()
    assert provider_server.requests[-1].body["temperature"] == 0.7
    assert provider_server.requests[-1].body["top_p"] == 0.9
    assert sent.describe()["temperature"] == "sent via extra_body"


def test_endpoint_chosen_by_model_name_and_overridable(provider_server):
    assert api_for_model("gpt-3.5-turbo-instruct") == "completions"
    assert api_for_model("gpt-3.5-turbo-instruct-0914") == "completions"
    assert api_for_model("davinci-002") == "completions"
    assert api_for_model("gpt-4o-mini") == "chat"
    assert api_for_model("meta-llama/Llama-3.1-8B-Instruct") == "chat"
    assert make(provider_server, "openai", model="gpt-3.5-turbo-instruct").describe()["api"] == "completions"
    assert make(provider_server, "openai", model="gpt-3.5-turbo-instruct", api="chat").describe()["api"] == "chat"
    assert make(provider_server, "openai", model="gpt-4o", api="completions").describe()["api"] == "completions"
    with pytest.raises(ConfigError, match="the API endpoint must be one of chat, completions") as raised:
        make(provider_server, "openai", api="responses")
    assert raised.value.field == "api"


async def test_forced_completions_endpoint_is_used(provider_server):
    backend = make(provider_server, "openai-compatible", model="my-base-model", api="completions")
    generation = await backend.generate(PROMPT, GenerationParams())
    await backend.aclose()
    assert generation.text == rule_answer(PROMPT)
    assert provider_server.per_path == {"/v1/completions": 1}


async def test_openai_compatible_discovers_the_single_model(provider_server):
    backend = make(provider_server, "openai-compatible")
    assert backend.model == "fake-model"
    generation = await backend.generate(PROMPT, GenerationParams())
    await backend.aclose()
    assert provider_server.requests[-1].body["model"] == "fake-model"
    assert generation.model == "fake-model" + FakeProviderServer.MODEL_SUFFIX


def test_openai_compatible_needs_a_base_url():
    with pytest.raises(ConfigError, match="needs the server's base URL") as raised:
        create_backend("openai-compatible", model="m")
    assert raised.value.field == "base_url"


def test_openai_compatible_never_takes_the_openai_key(provider_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-must-not-leave-0000")
    backend = make(provider_server, "openai-compatible", model="m")
    assert backend.credentials.secret is None
    assert backend.credentials.source == "none"


async def test_describe_names_the_destination_never_the_key(provider_server):
    backend = make(provider_server, "openai")
    described = backend.describe()
    assert described["base_url"] == provider_server.openai_base_url
    assert described["sdk_retries"] == 0
    assert KEY not in repr(described) and KEY not in repr(backend.__dict__)


def test_bad_base_url_is_one_clear_error():
    with pytest.raises(ConfigError, match="base_url must be an http") as raised:
        create_backend("openai", api_key=KEY, base_url="ftp://example.com")
    assert raised.value.field == "base_url"
    with pytest.raises(ConfigError, match="user name or password"):
        create_backend("openai", api_key=KEY, base_url="https://user:pw@example.com/v1")


async def test_concurrent_calls_share_one_client(provider_server):
    import asyncio

    provider_server.latency = 0.2
    backend = make(provider_server, "openai")
    prompts = [f"ocean number {i}" for i in range(12)]
    answers = await asyncio.gather(*(backend.generate(p, GenerationParams()) for p in prompts))
    await backend.aclose()
    assert [a.text for a in answers] == [rule_answer(p) for p in prompts]
    assert provider_server.total_requests == 12
    assert provider_server.peak_concurrency > 1


@pytest.mark.parametrize("name,env,root", [
    ("openai", "OPENAI_BASE_URL", "openai_base_url"),
    ("anthropic", "ANTHROPIC_BASE_URL", "url"),
    ("together", "TOGETHER_BASE_URL", "url"),
])
async def test_base_url_from_the_environment_is_the_one_shown_and_used(provider_server, monkeypatch, name, env, root):
    from gsmile_core.backends.providers import resolve_base_url

    monkeypatch.setenv(env, getattr(provider_server, root))
    backend = create_backend(name, api_key=KEY, timeout=5)
    assert backend.describe()["base_url"] == resolve_base_url(name) == getattr(provider_server, root)
    generation = await backend.generate(PROMPT, PARAMS)
    await backend.aclose()
    assert generation.text == rule_answer(PROMPT)
    assert provider_server.total_requests == 1
