"""`gsmile audit` end to end against the fake provider over HTTP (the real openai SDK): the
folder's four files, a resume that asks nothing, other options refused and --force, the dry
run's total, the set's budget refused before any call, and each bad input as one clear line."""

from __future__ import annotations

import json

import pytest

from gsmile_core.cli import main

PROMPTS = [
    {"id": "life", "prompt": "What is the meaning of life?", "expected": ["meaning", "life"]},
    {"id": "ocean", "prompt": "Tell me about the ocean and the weather today"},
    {"id": "recipe", "prompt": "A recipe for a rainy day", "system_prompt": "Answer in one line."},
]


def write_set(tmp_path, rows=PROMPTS, name="set.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def audit(server, path, out, *extra):
    return main(["audit", str(path), "--out", str(out), "--backend", "openai-compatible",
                 "--base-url", server.openai_base_url, "--model", "audit-model", "-n", "12",
                 "--bootstrap", "50", "--ci-resamples", "20", "--concurrency", "6", "--quiet", *extra])


def test_an_audit_writes_its_four_files(provider_server, tmp_path, capsys):
    out = tmp_path / "audit"
    assert audit(provider_server, write_set(tmp_path), out) == 0
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in lines) == ["life", "ocean", "recipe"]
    life = next(r for r in lines if r["id"] == "life")
    assert life["status"] == "ok" and life["features"] == ["What", "is", "the", "meaning", "of", "life?"]
    assert len(life["attributions"]) == 6 and life["calls"] + life["cache_hits"] == 12
    assert set(life["fidelity"]) >= {"wmse", "r2_w"} and life["timing"]["wall_s"] > 0
    assert life["accuracy"]["expected"] == ["meaning", "life"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"prompts": 3, "ok": 3, "failed": 0, "not_done": 0, "bad_lines_skipped": 0}
    assert summary["calls"]["model_calls"] == provider_server.total_requests
    assert summary["accuracy"]["prompts"] == 1
    words = {s["word"]: s for s in summary["aggregate"]["words"]}
    assert words["the"]["prompts"] == 2 and words["life"]["prompts"] == 1
    html = (out / "report.html").read_text()
    assert 'id="prompts"' in html and "meaning" in html and "script-src 'sha256-" in html
    assert "| life | ok |" in (out / "report.md").read_text()
    assert "audit: 3 ok · 0 failed · 0 not done" in capsys.readouterr().out
    system_prompts = [r.body.get("messages", [{}])[0] for r in provider_server.requests if "rainy" in (r.prompt or "")]
    assert system_prompts and all(m.get("content") == "Answer in one line." for m in system_prompts)


def test_the_same_command_again_asks_nothing_and_other_options_are_refused(provider_server, tmp_path, capsys):
    path, out = write_set(tmp_path), tmp_path / "audit"
    assert audit(provider_server, path, out) == 0
    provider_server.reset_counters()
    assert audit(provider_server, path, out) == 0
    assert provider_server.total_requests == 0
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    capsys.readouterr()
    assert audit(provider_server, path, out, "--seed", "3") == 2
    err = capsys.readouterr().err
    assert err.startswith("gsmile: error: ") and "method.seed 0 -> 3" in err and "--force" in err
    assert audit(provider_server, path, out, "--seed", "3", "--force") == 0
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    assert json.loads((out / "audit.json").read_text())["identity"]["method.seed"] == 3


def test_the_dry_run_prints_the_sets_total_and_calls_nothing(provider_server, tmp_path, capsys):
    assert audit(provider_server, write_set(tmp_path), tmp_path / "audit", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "life: 6 units · 12 calls · 0 cached · 12 to make" in out
    assert "total: 3 prompts to do (0 already done, 0 will fail) · 36 calls" in out
    assert provider_server.total_requests == 0 and not (tmp_path / "audit").exists()


def test_the_sets_budget_is_refused_before_any_call(provider_server, tmp_path, capsys):
    assert audit(provider_server, write_set(tmp_path), tmp_path / "audit", "--max-calls", "20") == 1
    err = capsys.readouterr().err
    assert "needs 36 model calls" in err and "--max-calls is 20" in err
    assert provider_server.total_requests == 0


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("", (), "holds no prompt"),
        ('{"id": "a", "prompt": "one"}\n{"id": "b", "prompt" "two"}\n', (), "line 2: not valid JSON"),
        ('{"id": "a", "prompt": "one"}\n{"id": "a", "prompt": "two"}\n', (), "line 2: duplicate id 'a' (first on line 1)"),
        ('{"id": "a", "prompt": "one"}\n', ("--ray-address", "127.0.0.1:1", "--executor", "ray"), "cannot reach the Ray cluster at 127.0.0.1:1"),
        ('{"id": "a", "prompt": "one"}\n', ("--executor", "ray", "--audit-dir", "trail"), "use it with --executor local"),
    ],
    ids=["empty", "broken-line", "duplicate-id", "unreachable-ray", "ray-with-audit-dir"],
)
def test_bad_input_is_one_line_and_no_call(provider_server, tmp_path, capsys, content, extra, message):
    path = tmp_path / "set.jsonl"
    path.write_text(content)
    assert audit(provider_server, path, tmp_path / "audit", *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("gsmile: error: ") and message in err and err.count("\n") == 1
    assert provider_server.total_requests == 0


def test_a_broken_line_skipped_on_request_and_a_prompt_over_the_limits_recorded(provider_server, tmp_path, capsys):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "prompt": "What is the meaning of life?"}\n{oops\n'
                    '{"id": "long", "prompt": "' + "word " * 40 + '"}\n')
    out = tmp_path / "audit"
    assert audit(provider_server, path, out, "--on-bad-line", "skip", "--max-words", "30") == 0
    err = capsys.readouterr().err
    assert "warning: skipped:" in err and "line 2" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["ok"] == 1 and summary["counts"]["failed"] == 1 and summary["counts"]["bad_lines_skipped"] == 1
    assert summary["failures"][0]["id"] == "long" and "bad input" in summary["failures"][0]["error"]
    assert "long" in (out / "report.html").read_text()


def test_fairness_inputs_are_checked_before_any_call(provider_server, tmp_path, capsys):
    templates = tmp_path / "t.txt"
    templates.write_text("The {person} asked the doctor.\nThe {job} went home.\n")
    groups = tmp_path / "g.txt"
    groups.write_text("person: [he, she]\n")
    code = main(["audit", "--templates", str(templates), "--groups", str(groups), "--out", str(tmp_path / "f"),
                 "--backend", "fake"])
    assert code == 2
    err = capsys.readouterr().err
    assert "line 2 uses {job}, which the groups file does not define (it defines: person)" in err
