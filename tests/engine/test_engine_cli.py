"""`gsmile explain` with the engine's flags, as a user runs it (subprocess): --dry-run shows every
prompt and the cost and calls nothing; budgets refuse to start; bad values are one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import plan_perturbations, prepare_prompt
from gsmile_core.calls.pricing import estimate_input_tokens

GSMILE = [sys.executable, "-m", "gsmile_core"]
PROMPT = "What is the meaning of life?"


def run(*args, env_extra=None, drop=()):
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env_extra or {})}
    for name in drop:
        env.pop(name, None)
    return subprocess.run([*GSMILE, "explain", *args], capture_output=True, text=True, env=env, timeout=300)


def compatible(server):
    return ["--backend", "openai-compatible", "--base-url", server.openai_base_url, "--model", "cli-model"]


def planned(n: int):
    config = ExplainConfig(perturbations=n)
    clean, features = prepare_prompt(PROMPT, config)
    masks, texts, _ = plan_perturbations(clean, features, config)
    return masks, texts


def test_dry_run_lists_every_prompt_with_its_mask_and_calls_nothing(provider_server):
    result = run(PROMPT, *compatible(provider_server), "-n", "12", "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    masks, texts = planned(12)
    for index, (mask, text) in enumerate(zip(masks, texts)):
        row = next(line for line in out.splitlines() if line.startswith(f"│ {index:>2} │"))
        assert "".join(map(str, mask)) in row and text in row
    assert "12 perturbations · 12 unique prompts" in out
    assert "12 calls · 0 already cached · 12 to make" in out
    assert "estimated cost: unknown (no price for openai-compatible model 'cli-model'" in out
    assert provider_server.total_requests == 0


def test_dry_run_of_a_paid_model_needs_no_key_and_prices_it():
    result = run(PROMPT, "--backend", "openai", "--model", "gpt-4o-mini", "-n", "16", "--max-tokens", "20",
                 "--dry-run", drop=("OPENAI_API_KEY",))
    assert result.returncode == 0, result.stderr
    _, texts = planned(16)
    tokens_in = sum(estimate_input_tokens(t, None) for t in dict.fromkeys(texts))
    cost = (tokens_in * 0.15 + 16 * 20 * 0.60) / 1e6
    out = " ".join(result.stdout.split())
    assert f"{tokens_in} input (approx.) · 320 output at most (20 per call)" in out
    assert f"estimated cost: at most ${cost:.4f}" in out
    assert "at https://api.openai.com/v1" in out


def test_dry_run_of_the_local_model_loads_no_model():
    code = (
        "import sys; from gsmile_core.cli import main; "
        f"code = main(['explain', {PROMPT!r}, '--dry-run', '-n', '8']); "
        "print('LOADED' if 'xllamacpp' in sys.modules else 'NOT LOADED', code)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("NOT LOADED 0")
    assert "model SmolLM2-135M-Instruct.Q4_1" in result.stdout


def test_dry_run_after_a_run_counts_the_cached_answers(provider_server, tmp_path):
    cache = ["--cache-dir", str(tmp_path)]
    first = run(PROMPT, *compatible(provider_server), "-n", "10", "--bootstrap", "20", "-q", *cache)
    assert first.returncode == 0, first.stderr
    calls = provider_server.total_requests
    dry = run(PROMPT, *compatible(provider_server), "-n", "10", "--dry-run", *cache)
    assert f"{calls} calls · {calls} already cached · 0 to make" in dry.stdout
    refresh = run(PROMPT, *compatible(provider_server), "-n", "10", "--dry-run", "--refresh", *cache)
    assert f"{calls} calls · 0 already cached · {calls} to make" in refresh.stdout
    assert provider_server.total_requests == calls


def test_max_calls_refuses_to_start(provider_server):
    result = run(PROMPT, *compatible(provider_server), "-n", "16", "--max-calls", "10")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "gsmile: error: this run needs 16 model calls (0 more answers are cached) but --max-calls is 10: "
        "raise it or use fewer --perturbations"
    )
    assert provider_server.total_requests == 0


def test_max_cost_uses_the_users_price_file(provider_server, tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"providers": {"openai-compatible": {"cli-model": {"input": 1000, "output": 2000}}}}))
    env = {"GSMILE_PRICES": str(prices)}
    result = run(PROMPT, *compatible(provider_server), "-n", "16", "--max-cost", "0.5", env_extra=env)
    assert result.returncode == 1
    assert "gsmile: error: this run may cost up to $" in result.stderr and "--max-cost is $0.5000" in result.stderr
    unknown = run(PROMPT, *compatible(provider_server), "-n", "16", "--max-cost", "0.5")
    assert "no price is known for openai-compatible model 'cli-model'" in unknown.stderr
    assert provider_server.total_requests == 0
    affordable = run(PROMPT, *compatible(provider_server), "-n", "8", "--max-cost", "5", "--bootstrap", "20",
                     "--json", "-", env_extra=env)
    assert affordable.returncode == 0, affordable.stderr
    data = json.loads(affordable.stdout)
    spent = data["extras"]["calls"]["cost_usd"]
    assert 0 < spent <= 5 and data["model_calls"] == provider_server.total_requests == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples-per-prompt", "3"], "--samples-per-prompt 3 needs a temperature above 0"),
        (["--samples-per-prompt", "0"], "argument --samples-per-prompt: expected a positive integer"),
        (["--timeout", "0"], "argument --timeout: expected a positive number"),
        (["--rpm", "-5"], "argument --rpm: expected a positive number"),
        (["--max-cost", "lots"], "argument --max-cost: expected an amount in US dollars"),
        (["--max-calls", "0"], "argument --max-calls: expected a positive integer"),
        (["--max-attempts", "x"], "argument --max-attempts: expected a positive integer"),
        (["--no-cache", "--refresh"], "--refresh and --no-cache contradict each other"),
    ],
)
def test_bad_engine_flags_are_one_line_and_exit_2(args, message):
    result = run(PROMPT, "--backend", "fake", *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gsmile: error: ") and message in lines[0]


def test_samples_per_prompt_through_the_cli_and_the_audit_dir(provider_server, tmp_path):
    audit = tmp_path / "audit"
    result = run(PROMPT, *compatible(provider_server), "-n", "6", "--temperature", "0.7", "--samples-per-prompt", "2",
                 "--bootstrap", "20", "--no-cache", "--audit-dir", str(audit), "--json", "-")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model_calls"] == provider_server.total_requests == 2 * data["unique_prompts"] + 2
    assert data["extras"]["sampling"]["noise_floor"] == 0.0  # the fake provider is deterministic
    seeds = [r.body["seed"] for r in provider_server.requests if r.prompt == data["prompt"]]
    assert len(seeds) == len(set(seeds)) == 4
    [trail] = list(audit.glob("gsmile-audit-*.jsonl"))
    records = [json.loads(line) for line in trail.read_text().splitlines()]
    assert sum(r["type"] == "response" for r in records) == data["model_calls"]


def test_report_shows_calls_and_noise_floor(provider_server):
    result = run(PROMPT, *compatible(provider_server), "-n", "6", "--temperature", "0.7", "--samples-per-prompt", "2",
                 "--bootstrap", "20", "--no-cache")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "2 samples per prompt · sampling-noise floor 0.0000" in out
    assert f"{provider_server.total_requests} model calls · 0 cache hits" in out


def test_timeout_and_max_attempts_reach_the_provider_calls(provider_server):
    provider_server.fail_prompt_always(PROMPT, __import__("fakes").Fault.slow(30))
    result = run(PROMPT, *compatible(provider_server), "-n", "4", "--timeout", "0.5", "--max-attempts", "2",
                 "--no-cache")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("gsmile: error: timed out: ") and lines[-1].endswith("(gave up after 2 attempts)")
    assert provider_server.per_prompt[PROMPT] == 2
    assert any(line.startswith("info: retrying in ") for line in lines)
