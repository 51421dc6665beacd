"""Every command that calls a model honours the engine flags it accepts: `--audit-dir` writes the
trail and `--refresh` asks again, for `gsmile metric` and `gsmile experiment` as for `gsmile
explain` (the flags used to be accepted and dropped on the way to the call engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gsmile_core.calls.audit import read_audit
from gsmile_core.cli import main

FAST = ["-n", "8", "--bootstrap", "0", "--quiet"]


def audit_records(directory: Path) -> list[dict]:
    files = sorted(directory.glob("gsmile-audit-*.jsonl"))
    assert len(files) == 1, f"expected one audit file in {directory}, found {files}"
    return read_audit(files[0])


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "explanation.json"
    assert main(["explain", "Could you tell me what the doctor said", "--backend", "fake", *FAST,
                 "--json", str(path), "--no-cache"]) == 0
    return str(path)


def commands(saved: str, out: Path) -> dict[str, list[str]]:
    return {
        "metric deletion": ["metric", "deletion", saved, "--backend", "fake", "--random-seeds", "2"],
        "metric consistency": ["metric", "consistency", "What is the meaning of life?", "--backend", "fake",
                               "--repeats", "2", *FAST],
        "experiment": ["experiment", "stability", "--backend", "fake", "--out", str(out), "--prompts", "1", *FAST],
    }


@pytest.mark.parametrize("command", ["metric deletion", "metric consistency", "experiment"])
def test_audit_dir_writes_every_request_and_response(saved, tmp_path, capsys, command):
    audit = tmp_path / "audit"
    argv = commands(saved, tmp_path / "out")[command]
    assert main([*argv, "--no-cache", "--audit-dir", str(audit)]) == 0, capsys.readouterr().err
    records = audit_records(audit)
    requests = [r for r in records if r["type"] == "request"]
    responses = [r for r in records if r["type"] == "response"]
    assert requests and len(requests) == len(responses)
    assert {r["call"] for r in requests} == {r["call"] for r in responses}


@pytest.mark.parametrize("command", ["metric deletion", "metric consistency", "experiment"])
def test_the_cache_serves_a_second_run_and_refresh_asks_again(saved, tmp_path, capsys, command):
    argv = commands(saved, tmp_path / "out")[command]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main([*argv, *cache]) == 0
    assert main([*argv, *cache, "--audit-dir", str(tmp_path / "again")]) == 0
    again = audit_records(tmp_path / "again")
    assert not [r for r in again if r["type"] == "request"] and [r for r in again if r["type"] == "cache_hit"]
    assert main([*argv, *cache, "--refresh", "--audit-dir", str(tmp_path / "refreshed")]) == 0
    refreshed = audit_records(tmp_path / "refreshed")
    assert [r for r in refreshed if r["type"] == "request"] and not [r for r in refreshed if r["type"] == "cache_hit"]
    capsys.readouterr()
