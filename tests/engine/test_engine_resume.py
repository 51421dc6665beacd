"""A run killed with SIGKILL (or stopped with Ctrl-C) and started again repeats no call that had
finished: `gsmile explain` in a subprocess against the fake provider, whose request counts are
the witness. The first 8 prompts answer at once; the rest hang until the kill, so exactly 8 calls
have finished when the process dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gsmile_core.calls.cache import ResponseCache
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import plan_perturbations, prepare_prompt

PROMPT = "What is the meaning of life and the weather on a rainy day?"
PERTURBATIONS = 24
CONCURRENCY = 4
FAST = 8


def perturbed_prompts() -> list[str]:
    config = ExplainConfig(perturbations=PERTURBATIONS)
    clean, features = prepare_prompt(PROMPT, config)
    _, texts, _ = plan_perturbations(clean, features, config)
    return list(dict.fromkeys(texts))


def gsmile(server, cache_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "gsmile_core", "explain", PROMPT,
        "--backend", "openai-compatible", "--base-url", server.openai_base_url, "--model", "resume-model",
        "-n", str(PERTURBATIONS), "--concurrency", str(CONCURRENCY), "--bootstrap", "50",
        "--cache-dir", str(cache_dir), "--quiet", *extra,
    ]


def wait_for(condition, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def cached_count(cache_dir: Path) -> int:
    if not (cache_dir / "responses.sqlite3").exists():
        return 0
    with ResponseCache(cache_dir) as cache:
        return len(cache)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_a_killed_run_resumes_without_repeating_finished_calls(provider_server, tmp_path, stop):
    prompts = perturbed_prompts()
    assert len(prompts) == PERTURBATIONS
    fast, slow = prompts[:FAST], prompts[FAST:]
    for prompt in slow:
        provider_server.set_prompt_latency(prompt, 120.0)
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(gsmile(provider_server, cache_dir), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: provider_server.completed_requests == FAST and provider_server.in_flight == CONCURRENCY,
                 "8 finished calls and 4 hanging ones")
        wait_for(lambda: cached_count(cache_dir) == FAST, "the 8 answers in the cache")
        first.send_signal(stop)
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    if stop == signal.SIGKILL:
        assert first.returncode == -signal.SIGKILL
    else:
        assert first.returncode == 130 and stderr.strip().endswith("gsmile: error: cancelled")
        assert "Traceback" not in stderr
    assert provider_server.completed_requests == FAST
    assert all(provider_server.per_prompt[p] == 1 for p in fast + slow[:CONCURRENCY])

    # the second run: no latency any more; count what reaches the server
    for prompt in slow:
        provider_server.set_prompt_latency(prompt, 0.0)
    provider_server.reset_counters()
    second = subprocess.run(gsmile(provider_server, cache_dir, "--json", "-"), env=env,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    explanation = json.loads(second.stdout)
    assert all(provider_server.per_prompt[p] == 0 for p in fast)  # no finished call repeated
    assert all(provider_server.per_prompt[p] == 1 for p in slow)
    assert provider_server.completed_requests == len(slow)
    assert (explanation["model_calls"], explanation["cache_hits"]) == (len(slow), FAST)
    assert {p["prompt"] for p in explanation["perturbations"] if p["cached"]} == set(fast)
