"""`gsmile metric deletion` asks the model that made the explanation, over real HTTP: its backend,
model and base URL are the defaults and the key comes from the environment, so an explanation made
on a server at 127.0.0.1 is tested on that server, never on a provider's public API (another model,
and the key would go there). Every engine flag it accepts acts, and so does --audit-dir on the
other commands that call a model. The fake provider counts what really reached it."""

from __future__ import annotations

import json
from pathlib import Path

from fakes import Fault, FakeProviderServer
from test_explain_api import gsmile

from gsmile_core.calls.audit import read_audit

PROMPT = "What is the meaning of life?"
KEY = "sk-metric-key-4b9d2f7a1c3e5b8d"


def explained(server: FakeProviderServer, tmp_path: Path, *extra: str, backend: str = "openai-compatible",
              env: dict[str, str] | None = None) -> Path:
    out = tmp_path / "e.json"
    result = gsmile(["explain", PROMPT, "--backend", backend, "--base-url", server.openai_base_url, "--model", "m",
                     "-n", "8", "--bootstrap", "0", "--json", str(out), "-q", *extra], tmp_path, env)
    assert result.returncode == 0, result.stderr
    server.reset_counters()
    return out


def deletion(path: Path, tmp_path: Path, *extra: str, env: dict[str, str] | None = None):
    return gsmile(["metric", "deletion", str(path), "--random-seeds", "1", "--format", "json", *extra], tmp_path, env)


def audit_runs(folder: Path) -> list[dict]:
    return [r for path in sorted(folder.glob("*.jsonl")) for r in read_audit(path) if r["type"] == "run"]


def test_deletion_asks_the_explanations_model_at_its_base_url_with_the_key_from_the_environment(tmp_path):
    with FakeProviderServer(expected_key=KEY) as server:
        env = {"OPENAI_COMPATIBLE_API_KEY": KEY}
        path = explained(server, tmp_path, env=env)
        result = deletion(path, tmp_path, "--no-cache", env=env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["result"]["random_seeds"] == 1
        assert server.total_requests > 0
        assert {r.body["model"] for r in server.requests} == {"m"}
        assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {KEY}"}


def test_the_openai_backend_on_an_explanation_made_at_127_0_0_1_stays_there(provider_server, tmp_path):
    env = {"OPENAI_API_KEY": KEY}
    path = explained(provider_server, tmp_path, backend="openai", env=env)
    result = deletion(path, tmp_path, "--backend", "openai", "--no-cache", env=env)
    assert result.returncode == 0, result.stderr  # the public API is not reachable from here
    assert provider_server.total_requests > 0
    assert {r.body["model"] for r in provider_server.requests} == {"m"}


def test_another_backend_is_refused_unless_the_model_is_named(provider_server, tmp_path):
    path = explained(provider_server, tmp_path)
    result = deletion(path, tmp_path, "--backend", "openai", env={"OPENAI_API_KEY": KEY})
    assert result.returncode == 2
    assert result.stderr.startswith("gsmile: error: this explanation was made by openai-compatible model m at http://127.0.0.1")
    assert "--backend openai would ask another model" in result.stderr
    assert provider_server.total_requests == 0


def test_base_url_points_the_test_at_another_server(provider_server, tmp_path):
    path = explained(provider_server, tmp_path)
    with FakeProviderServer() as other:
        result = deletion(path, tmp_path, "--base-url", other.openai_base_url, "--no-cache")
        assert result.returncode == 0, result.stderr
        assert other.total_requests > 0 and provider_server.total_requests == 0


def test_a_masked_base_url_must_be_given_again(provider_server, tmp_path):
    out = tmp_path / "e.json"
    url = f"{provider_server.openai_base_url}?token=tok-0123456789abcdef"
    assert gsmile(["explain", PROMPT, "--backend", "openai-compatible", "--base-url", url, "--model", "m", "-n", "8",
                   "--bootstrap", "0", "--json", str(out), "-q"], tmp_path).returncode == 0
    provider_server.reset_counters()
    refused = deletion(out, tmp_path)
    assert refused.returncode == 2 and "stored masked: give the base URL again with --base-url" in refused.stderr
    given = deletion(out, tmp_path, "--base-url", url, "--no-cache")
    assert given.returncode == 0, given.stderr
    assert provider_server.total_requests > 0
    assert all(r.query == {"token": "tok-0123456789abcdef"} for r in provider_server.requests)


# -- every flag acts ---------------------------------------------------------------------------
def test_max_calls_and_max_cost_refuse_before_any_call(provider_server, tmp_path):
    path = explained(provider_server, tmp_path)
    calls = deletion(path, tmp_path, "--max-calls", "1")
    assert calls.returncode == 1 and "model calls" in calls.stderr and "--max-calls is 1" in calls.stderr
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"providers": {"openai-compatible": {"m": {"input": 1e6, "output": 1e6}}}}))
    cost = deletion(path, tmp_path, "--max-cost", "0.5", env={"GSMILE_PRICES": str(prices)})
    assert cost.returncode == 1 and "--max-cost is $0.5000" in cost.stderr
    assert provider_server.total_requests == 0


def test_max_attempts_bounds_the_tries_of_a_failing_call(provider_server, tmp_path):
    path = explained(provider_server, tmp_path)
    provider_server.fail_prompt_always(PROMPT, Fault.http(500))
    result = deletion(path, tmp_path, "--max-attempts", "2", "--no-cache")
    assert result.returncode == 1 and "(gave up after 2 attempts)" in result.stderr
    assert provider_server.per_prompt[PROMPT] == 2


def test_samples_per_prompt_asks_each_prompt_k_times(provider_server, tmp_path):
    path = explained(provider_server, tmp_path, "--temperature", "0.7")
    inherited = deletion(path, tmp_path, "--no-cache")
    assert inherited.returncode == 0, inherited.stderr
    assert provider_server.per_prompt[PROMPT] == 1  # the explanation's k = 1
    provider_server.reset_counters()
    sampled = deletion(path, tmp_path, "--samples-per-prompt", "3", "--no-cache")
    assert sampled.returncode == 0, sampled.stderr
    counts = {n for p, n in provider_server.per_prompt.items() if p != PROMPT}
    assert counts == {3} and provider_server.per_prompt[PROMPT] == 6  # + k for the noise floor


def test_pacing_concurrency_timeout_and_audit_reach_the_engine(provider_server, tmp_path):
    path = explained(provider_server, tmp_path)
    result = deletion(path, tmp_path, "--rpm", "6000", "--concurrency", "3", "--timeout", "7", "--no-cache",
                      "--audit-dir", str(tmp_path / "audit"))
    assert result.returncode == 0, result.stderr
    runs = audit_runs(tmp_path / "audit")
    assert runs and all((r["requests_per_minute"], r["concurrency"], r["timeout_s"]) == (6000, 3, 7) for r in runs)
    assert runs[0]["backend"]["timeout_s"] == 7  # the SDK's timeout is the engine's
    assert provider_server.peak_concurrency <= 3


def test_audit_dir_acts_on_consistency_and_experiment(provider_server, tmp_path):
    common = ["--backend", "openai-compatible", "--base-url", provider_server.openai_base_url, "--model", "m",
              "--bootstrap", "0", "-q", "--no-cache"]
    consistency = gsmile(["metric", "consistency", PROMPT, "--repeats", "2", "-n", "8", *common,
                          "--audit-dir", str(tmp_path / "a1")], tmp_path)
    assert consistency.returncode == 0, consistency.stderr
    experiment = gsmile(["experiment", "perturbations", "--counts", "8", "--prompt", PROMPT, "--out", str(tmp_path / "x"),
                         *common, "--audit-dir", str(tmp_path / "a2")], tmp_path)
    assert experiment.returncode == 0, experiment.stderr
    for folder in ("a1", "a2"):
        records = [r for p in (tmp_path / folder).glob("*.jsonl") for r in read_audit(p)]
        asked = {r["prompt"] for r in records if r["type"] == "request"}
        assert PROMPT in asked and {r["type"] for r in records} >= {"run", "request", "response"}


def test_an_out_folder_that_does_not_exist_is_refused_before_any_call(provider_server, tmp_path):
    path = explained(provider_server, tmp_path)
    result = deletion(path, tmp_path, "--out", str(tmp_path / "missing" / "t.md"))
    assert result.returncode == 2 and "folder" in result.stderr and "does not exist" in result.stderr
    assert provider_server.total_requests == 0
