"""Settings that go to the provider with every call are bounded in the config (one line, exit 2,
before any call); `-n 1`, which would change no word, is refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gsmile_core.config import MAX_SEED, MAX_TEMPERATURE, MAX_TOKENS, ExplainConfig
from gsmile_core.errors import ConfigError

from fakes import FakeProviderServer


@pytest.mark.parametrize(
    "flags,message",
    [
        (["-n", "1"], "--perturbations must be at least 2: the original prompt is one of them"),
        (["--temperature", "50"], "--temperature must be between 0 and 2, got 50.0"),
        (["--temperature", "-0.5"], "--temperature must be between 0 and 2"),
        (["--max-tokens", "1000000000"], "--max-tokens must be at most 131072, got 1000000000"),
        (["--seed", str(2**63 + 1)], f"--seed must be an integer from 0 to {MAX_SEED} (2^31 - 1)"),
        (["--seed", str(2**31)], f"--seed must be an integer from 0 to {MAX_SEED}"),
    ],
)
def test_out_of_bounds_settings_are_one_line_before_any_call(flags, message):
    with FakeProviderServer() as server:
        result = subprocess.run(
            [sys.executable, "-m", "gsmile_core", "explain", "What is the meaning of life?", "--backend",
             "openai-compatible", "--base-url", server.openai_base_url, "--model", "m", *flags],
            capture_output=True, text=True, timeout=120, env={**os.environ, "OPENAI_API_KEY": "sk-test"},
        )
        calls = server.total_requests
    assert result.returncode == 2
    assert result.stderr.startswith(f"gsmile: error: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert calls == 0


def test_the_bounds_themselves_are_accepted():
    config = ExplainConfig(perturbations=2, seed=MAX_SEED, generation_seed=MAX_SEED,
                           temperature=MAX_TEMPERATURE, max_tokens=MAX_TOKENS)
    assert config.generation_params().seed == MAX_SEED


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"generation_seed": MAX_SEED + 1}, "generation_seed"),
        ({"seed": -1}, "seed"),
        ({"seed": True}, "seed"),
        ({"temperature": float("nan")}, "temperature"),
        ({"system_prompt": "be \udcff brief"}, "system_prompt"),
        ({"perturbations": 1}, "perturbations"),
    ],
)
def test_the_config_names_the_setting_at_fault(changes, field):
    with pytest.raises(ConfigError) as caught:
        ExplainConfig(**changes)
    assert caught.value.field == field


def test_a_consistency_check_past_the_largest_seed_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="seed must be an integer from 0 to"):
        ExplainConfig(seed=MAX_SEED).reseeded(1)
