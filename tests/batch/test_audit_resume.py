"""An audit killed with SIGKILL (or stopped with Ctrl-C) and started again continues: finished
prompts are not redone (their lines are not repeated), finished calls are not paid again (the
response cache), and results.jsonl holds whole lines only. `gsmile audit` runs in a subprocess
against the fake provider, whose request counts are the witness: prompts 1 and 2 answer at once,
prompt 3's first four calls too, its last four hang until the kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from gsmile_core.calls.cache import ResponseCache
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import plan_perturbations, prepare_prompt

PROMPTS = [
    "alpha bravo charlie delta echo foxtrot",
    "golf hotel india juliet kilo lima",
    "mike november oscar papa quebec romeo",
    "sierra tango uniform victor whiskey xray",
    "yankee zulu amber basalt cobalt denim",
]
PERTURBATIONS = 8
SLOTS = 4


def texts_of(prompt: str) -> list[str]:
    config = ExplainConfig(perturbations=PERTURBATIONS)
    clean, features = prepare_prompt(prompt, config)
    _, texts, _ = plan_perturbations(clean, features, config)
    return list(dict.fromkeys(texts))


def command(server, prompt_file: Path, out: Path, cache_dir: Path) -> list[str]:
    return [sys.executable, "-m", "gsmile_core", "audit", str(prompt_file), "--out", str(out),
            "--backend", "openai-compatible", "--base-url", server.openai_base_url, "--model", "resume-model",
            "-n", str(PERTURBATIONS), "--concurrency", str(SLOTS), "--prompts-at-once", "1", "--bootstrap", "50",
            "--ci-resamples", "10", "--cache-dir", str(cache_dir), "--quiet"]


def wait_for(condition, what: str, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def lines_of(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def cached(cache_dir: Path) -> int:
    if not (cache_dir / "responses.sqlite3").exists():
        return 0
    with ResponseCache(cache_dir) as cache:
        return len(cache)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_a_killed_audit_resumes_without_redoing_prompts_or_calls(provider_server, tmp_path, stop):
    plans = [texts_of(p) for p in PROMPTS]
    assert all(len(t) == PERTURBATIONS for t in plans) and len({t for ts in plans for t in ts}) == 5 * PERTURBATIONS
    fast, slow = plans[2][:SLOTS], plans[2][SLOTS:]
    for text in slow:
        provider_server.set_prompt_latency(text, 120.0)
    prompt_file, out, cache_dir = tmp_path / "set.txt", tmp_path / "audit", tmp_path / "cache"
    prompt_file.write_text("\n".join(PROMPTS) + "\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(command(provider_server, prompt_file, out, cache_dir), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(lines_of(out)) == 2, "prompts 1 and 2 recorded")
        wait_for(lambda: cached(cache_dir) == 2 * PERTURBATIONS + SLOTS and provider_server.in_flight == SLOTS,
                 "prompt 3's four fast answers cached and its four slow calls hanging")
        first.send_signal(stop)
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    if stop == signal.SIGINT:
        assert first.returncode == 130 and "gsmile: error: cancelled" in stderr
        assert json.loads((out / "summary.json").read_text())["counts"]["not_done"] == 3
    else:
        assert first.returncode == -signal.SIGKILL
    assert [r["id"] for r in lines_of(out)] == ["1", "2"]

    before = Counter(provider_server.per_prompt)
    provider_server.clear_faults()
    for text in slow:
        provider_server.set_prompt_latency(text, 0.0)
    provider_server.reset_counters()
    second = subprocess.run(command(provider_server, prompt_file, out, cache_dir), env=env,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    asked = Counter(provider_server.per_prompt)
    assert not set(asked) & {t for t in plans[0] + plans[1] + fast}  # finished calls not paid again
    assert set(asked) == set(slow + plans[3] + plans[4]) and max(asked.values()) == 1
    assert all(before[t] == 1 for t in plans[0] + plans[1] + fast)
    lines = lines_of(out)
    assert sorted(r["id"] for r in lines) == ["1", "2", "3", "4", "5"]  # each prompt once: none redone
    assert all(r["status"] == "ok" for r in lines)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["ok"] == 5 and summary["calls"]["model_calls"] + summary["calls"]["cache_hits"] == 40
