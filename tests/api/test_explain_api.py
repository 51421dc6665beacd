"""`gsmile explain` against the fake provider, end to end, in a real subprocess.

The run goes through the CLI, the resolved credentials, the real openai SDK, HTTP, the fake
server, the call engine and the whole method; the server counts what really reached it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import Fault, FakeProviderServer

PROMPT = "What is the meaning of life?"


def gsmile(args: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None, timeout: float = 240):
    """Run the gsmile CLI with HOME, caches and keyrings confined to tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.endswith("_BASE_URL")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        GSMILE_CACHE_DIR=str(tmp_path / "gsmile-cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        COLUMNS="120",
    )
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "gsmile_core", *args], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=timeout,
    )


def test_explain_through_an_openai_compatible_server(provider_server, tmp_path):
    out = tmp_path / "explanation.json"
    result = gsmile(
        ["explain", PROMPT, "--backend", "openai-compatible", "--base-url", provider_server.openai_base_url,
         "-n", "24", "--seed", "3", "--json", str(out), "-q"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["provenance"]["backend"] == "openai-compatible"
    assert data["provenance"]["model"] == "fake-model" + FakeProviderServer.MODEL_SUFFIX
    assert data["provenance"]["model_fingerprints"] == [FakeProviderServer.FINGERPRINT]
    described = data["extras"]["backend"]  # the backend's key-free describe()
    assert described["base_url"] == provider_server.openai_base_url
    assert described["provider"] == "openai-compatible" and described["sdk_retries"] == 0
    assert described["key_source"] == "none"
    # the fake provider answers from the words 'meaning' and 'life': they must rank first
    ranked = sorted(zip((f["text"] for f in data["features"]), data["attributions"]), key=lambda p: -p[1])
    assert {ranked[0][0], ranked[1][0]} == {"meaning", "life?"}
    # every unique prompt was asked exactly once, and the counts agree with the server's
    chat_requests = provider_server.per_path["/v1/chat/completions"]
    assert chat_requests == data["unique_prompts"] == data["model_calls"]
    assert all(count == 1 for count in provider_server.per_prompt.values())
    assert max(provider_server.per_prompt.values()) == 1
    assert provider_server.peak_concurrency <= 8  # the default --concurrency


def test_explain_with_a_model_and_the_completions_endpoint(provider_server, tmp_path):
    result = gsmile(
        ["explain", PROMPT, "--backend", "openai-compatible", "--base-url", provider_server.openai_base_url,
         "--model", "my-instruct", "--api", "completions", "-n", "8", "--json", "-", "-q"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["provenance"]["model"] == "my-instruct" + FakeProviderServer.MODEL_SUFFIX
    assert set(provider_server.per_path) == {"/v1/completions"}


def test_explain_survives_transient_faults(provider_server, tmp_path):
    """Faults the engine retries (429 with Retry-After, 5xx, reset, garbage) end in a full answer."""
    faults = [Fault.http(429, retry_after=0), Fault.http(500), Fault.http(503, retry_after=0),
              Fault.http(529), Fault.reset(), Fault.malformed(), Fault.empty(), Fault.wrong_shape()]
    for number, fault in enumerate(faults, start=2):
        provider_server.fail_request(number, fault)
    result = gsmile(
        ["explain", PROMPT, "--backend", "openai-compatible", "--base-url", provider_server.openai_base_url,
         "--model", "m", "-n", "16", "--json", "-"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    unique = data["unique_prompts"]
    # each fault cost one extra request and was retried to success
    assert provider_server.total_requests == unique + len(faults)
    assert provider_server.completed_requests == unique
    assert "retrying" in result.stderr


@pytest.mark.parametrize("fault,words", [
    (Fault.http(401), "rejected the API key (401)"),
    (Fault.http(404), "not found (404)"),
    (Fault.http(400), "refused the request (400)"),
])
def test_fatal_fault_is_one_clear_line(provider_server, tmp_path, fault, words):
    provider_server.fail_prompt_always(PROMPT, fault)
    result = gsmile(
        ["explain", PROMPT, "--backend", "openai-compatible", "--base-url", provider_server.openai_base_url,
         "--model", "m", "-n", "8", "-q"],
        tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("gsmile: error: ")
    assert words in result.stderr and f"openai-compatible server at {provider_server.openai_base_url}" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_key_is_one_clear_line_before_any_call(provider_server, tmp_path):
    result = gsmile(["explain", PROMPT, "--backend", "openai", "--base-url", provider_server.openai_base_url], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no OpenAI API key: set OPENAI_API_KEY" in result.stderr and "gsmile keys set openai" in result.stderr
    assert provider_server.total_requests == 0


def test_openai_compatible_without_base_url(tmp_path):
    result = gsmile(["explain", PROMPT, "--backend", "openai-compatible"], tmp_path)
    assert result.returncode == 2
    assert "gsmile: error: the openai-compatible backend needs the server's base URL, --base-url" in result.stderr
    assert result.stderr.count("\n") == 1


def test_unreachable_server_is_one_clear_line(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = gsmile(["explain", PROMPT, "--backend", "openai-compatible", "--base-url", f"http://127.0.0.1:{port}/v1"],
                    tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "connection refused" in result.stderr


@pytest.mark.parametrize("args,words", [
    (["--backend", "fake", "--base-url", "http://127.0.0.1:9/v1"], "--base-url applies to API backends"),
    (["--backend", "anthropic", "--api", "completions"], "--api (the API endpoint) applies to openai and openai-compatible only"),
    (["--backend", "openai-compatible", "--base-url", "localhost:8000"], "--base-url must be an http:// or https:// URL"),
    (["--backend", "openai", "--api", "responses"], "invalid choice: 'responses'"),
])
def test_api_flags_are_checked_in_one_line(args, words, capsys):
    from gsmile_core.cli import main

    code = main(["explain", PROMPT, *args])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1
