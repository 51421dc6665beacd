"""A canary key must not appear anywhere a run writes: files, logs, stdout/stderr, exceptions.

The canary is a real credential as far as gSMILE knows (it is sent, and the server checks it), so
the test fails if any path (the explanation JSON, the cache, the audit trail, SDK debug logs,
error messages, tracebacks with locals) carries it.
"""

from __future__ import annotations

import logging
import subprocess
import traceback
from pathlib import Path

import pytest
from fakes import Fault
from test_explain_api import PROMPT, gsmile

from gsmile_core.backends import create_backend
from gsmile_core.calls.audit import read_audit
from gsmile_core.errors import BackendError
from gsmile_core.backends.secrets import Secret
from gsmile_core.types import GenerationParams

CANARY = "sk-CANARY-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e"
FRAGMENTS = (CANARY, CANARY[3:], CANARY[-16:])  # the key, without its prefix, its tail


def assert_no_canary(text: str | bytes, where: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    for fragment in FRAGMENTS:
        assert fragment.encode() not in data, f"the canary key leaked into {where}"


def explain_help(tmp_path: Path) -> str:
    return gsmile(["explain", "--help"], tmp_path).stdout


def test_canary_absent_from_everything_a_faulty_run_writes(provider_server, tmp_path):
    provider_server.expected_key = CANARY
    faults = [Fault.http(429, retry_after=0), Fault.http(500), Fault.http(529), Fault.reset(),
              Fault.malformed(), Fault.empty(), Fault.wrong_shape(), Fault.html()]
    for number, fault in enumerate(faults, start=2):
        provider_server.fail_request(number, fault)
    args = ["explain", PROMPT, "--backend", "openai-compatible", "--base-url", provider_server.openai_base_url,
            "--model", "m", "-n", "16", "--json", str(tmp_path / "out" / "explanation.json"),
            "--audit-dir", str(tmp_path / "audit")]
    (tmp_path / "out").mkdir()
    assert "--audit-dir" in explain_help(tmp_path)
    env = {"OPENAI_COMPATIBLE_API_KEY": CANARY}
    runs: list[subprocess.CompletedProcess] = [gsmile(args, tmp_path, env)]
    assert runs[0].returncode == 0, runs[0].stderr
    # a second, failing run: the server now refuses the key
    provider_server.expected_key = "something-else"
    runs.append(gsmile(["explain", "What is the meaning of death?", *args[2:]], tmp_path, env))
    assert runs[1].returncode == 1 and "rejected the API key (401)" in runs[1].stderr

    # the key really was in use: every request carried it
    assert all(r.headers.get("authorization") == f"Bearer {CANARY}" for r in provider_server.requests)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "explanation.json" for p in written)
    assert any(p.suffix.startswith(".sqlite") for p in written), "expected the response cache under tmp"
    # the audit half: both runs wrote their trail (requests, responses, the errors, the 401), key-free
    trails = sorted((tmp_path / "audit").glob("gsmile-audit-*.jsonl"))
    assert len(trails) == 2, trails
    first, second = (read_audit(t) for t in trails)
    kinds = {r["type"] for r in first}
    assert {"run", "request", "response", "error"} <= kinds
    assert sum(r["type"] == "request" for r in first) + sum(r["type"] == "request" for r in second) \
        == len(provider_server.requests)
    assert any(r["type"] == "error" and r["kind"] == "auth" for r in second)
    for path in written:
        assert_no_canary(path.read_bytes(), str(path.relative_to(tmp_path)))
    for index, run in enumerate(runs):
        assert_no_canary(run.stdout, f"stdout of run {index}")
        assert_no_canary(run.stderr, f"stderr of run {index}")


BACKENDS = ["openai", "anthropic", "together", "openai-compatible"]
FAULTS = [Fault.http(401), Fault.http(429, retry_after=1), Fault.http(500), Fault.slow(2.0), Fault.malformed(),
          Fault.empty(), Fault.wrong_shape(), Fault.reset(), Fault.html()]


@pytest.mark.parametrize("which", BACKENDS)
async def test_canary_absent_from_sdk_debug_logs_errors_and_tracebacks(provider_server, caplog, which):
    caplog.set_level(logging.DEBUG)  # every logger, the SDKs' and their HTTP stacks' included
    provider_server.expected_key = CANARY
    root = provider_server.url if which in ("anthropic", "together") else provider_server.openai_base_url
    backend = create_backend(which, model="m", api_key=Secret(CANARY), base_url=root, timeout=0.5)
    texts: list[str] = [repr(backend.describe()), repr(vars(backend))]
    try:
        generation = await backend.generate(PROMPT, GenerationParams())
        texts.append(repr(generation))
        for fault in FAULTS:
            provider_server.fail_prompt(PROMPT, fault)
            with pytest.raises(BackendError) as caught:
                await backend.generate(PROMPT, GenerationParams())
            error = caught.value
            texts += [str(error), repr(error)]
            texts.append("".join(traceback.TracebackException.from_exception(error, capture_locals=True).format()))
    finally:
        await backend.aclose()
    assert any(f"Bearer {CANARY}" == r.headers.get("authorization") or r.headers.get("x-api-key") == CANARY
               for r in provider_server.requests)
    assert caplog.records, "expected SDK debug logging to be captured"
    assert_no_canary(caplog.text, "the log")
    for record in caplog.records:
        assert_no_canary(repr(record.args), "log record arguments")
    for text in texts:
        assert_no_canary(text, "an error, repr or traceback")
