"""A re-run of the same `gsmile explain` is read from the explanation store: no model call, no
recomputation, the same output; anything that changes the result recomputes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gsmile_core.config import ExplainConfig
from gsmile_core.explanation_store import FOLDER, code_digest, explanation_key

STORED = "this exact run is stored"


def gsmile(*args: str, cache: Path, server=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GSMILE_CACHE_DIR": str(cache), "COLUMNS": "100", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "gsmile_core", *args], capture_output=True, text=True, env=env, timeout=300)


def compatible(server, *extra: str) -> list[str]:
    return ["explain", "The doctor looked at the ocean", "--backend", "openai-compatible",
            "--base-url", server.openai_base_url, "--model", "fake-chat", "-n", "16", *extra]


def test_a_rerun_calls_nothing_and_prints_the_same_report(tmp_path, provider_server, monkeypatch):
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "sk-test-key")
    first = gsmile(*compatible(provider_server), cache=tmp_path)
    assert first.returncode == 0, first.stderr
    asked = provider_server.total_requests
    second = gsmile(*compatible(provider_server), cache=tmp_path)
    assert second.returncode == 0, second.stderr
    assert provider_server.total_requests == asked
    assert STORED in second.stderr and STORED not in first.stderr
    assert second.stdout == first.stdout
    assert len(list((tmp_path / FOLDER).glob("*.json"))) == 1


def test_another_seed_refresh_or_no_cache_recompute(tmp_path, provider_server, monkeypatch):
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "sk-test-key")
    assert gsmile(*compatible(provider_server), cache=tmp_path).returncode == 0
    for extra in (("--seed", "5"), ("--refresh",), ("--no-cache",)):
        result = gsmile(*compatible(provider_server, *extra), cache=tmp_path)
        assert result.returncode == 0, result.stderr
        assert STORED not in result.stderr, extra


def test_a_damaged_stored_file_is_recomputed_not_trusted(tmp_path):
    args = ("explain", "meaning of life", "--backend", "fake", "--json", "-")
    first = gsmile(*args, cache=tmp_path)
    stored = next((tmp_path / FOLDER).glob("*.json"))
    stored.write_text('{"format": "gsmile.explanation", "prompt": "\\u001b]0;owned\\u0007"')
    again = gsmile(*args, cache=tmp_path)
    assert again.returncode == 0 and STORED not in again.stderr
    assert json.loads(again.stdout)["attributions"] == json.loads(first.stdout)["attributions"]


def test_the_key_covers_code_prompt_settings_and_model():
    identity = {"provider": "fake", "model": "fake-rules-v1"}
    base = explanation_key("a b c", ExplainConfig(), identity, {})
    assert base == explanation_key("a b c", ExplainConfig(), dict(identity), {})
    assert base != explanation_key("a b d", ExplainConfig(), identity, {})
    assert base != explanation_key("a b c", ExplainConfig(seed=1), identity, {})
    assert base != explanation_key("a b c", ExplainConfig(), {**identity, "model": "other"}, {})
    assert base != explanation_key("a b c", ExplainConfig(), identity, {"shapley": True})
    assert len(code_digest()) == 64


def test_changed_code_does_not_reuse_a_result(monkeypatch):
    from gsmile_core import explanation_store

    before = explanation_key("a b c", ExplainConfig(), {}, {})
    monkeypatch.setattr(explanation_store, "code_digest", lambda: "another version of the method")
    assert explanation_key("a b c", ExplainConfig(), {}, {}) != before
