"""`gsmile explain` as a user runs it: real process, real output, one-line errors."""

import json
import os
import subprocess
import sys

import pytest

GSMILE = [sys.executable, "-m", "gsmile_core"]
ENV = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}


def run(*args, input=None):
    return subprocess.run([*GSMILE, *args], capture_output=True, text=True, input=input, env=ENV, timeout=600)


def test_fake_backend_prints_heatmap_tables_and_summary():
    result = run("explain", "Could you please tell me what the doctor said about the ocean today", "--backend", "fake")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Original answer" in out and "Prompt heatmap" in out
    assert "Positive: keeping the word holds the answer near the original" in " ".join(out.split())
    assert "Words by importance" in out and "Fidelity" in out and "model calls" in out
    rows = [line for line in out.splitlines() if line.startswith("│  1 ") or line.startswith("│  2 ")]
    assert any("doctor" in r for r in rows) and any("ocean" in r for r in rows)


def test_json_to_stdout_has_the_documented_shape():
    result = run("explain", "meaning of life", "--backend", "fake", "--json", "-", "--seed", "7")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format"] == "gsmile.explanation"
    assert len(data["attributions"]) == len(data["features"]) == 3
    assert data["config"]["seed"] == 7
    assert data["provenance"]["backend"] == "fake"


def test_json_to_file(tmp_path):
    target = tmp_path / "out.json"
    result = run("explain", "meaning of life", "--backend", "fake", "--json", str(target))
    assert result.returncode == 0
    assert json.loads(target.read_text())["prompt"] == "meaning of life"
    assert "Prompt heatmap" in result.stdout


def test_prompt_from_stdin():
    result = run("explain", "-", "--backend", "fake", "--json", "-", input="the ocean today\n")
    assert json.loads(result.stdout)["prompt"] == "the ocean today"


@pytest.mark.parametrize(
    "args,needle",
    [
        (["explain", ""], "the prompt is empty"),
        (["explain", "   "], "the prompt is empty"),
        (["explain", "hi", "--backend", "nope"], "unknown backend 'nope'"),
        (["explain", "hi", "--perturbations", "0"], "positive integer"),
        (["explain", "hi", "--perturbations", "-3"], "positive integer"),
        (["explain", "hi", "--max-tokens", "abc"], "positive integer"),
        (["explain", "hi", "--sampler", "zigzag"], "invalid choice"),
        (["explain", "hi", "--surrogate", "forest"], "invalid choice"),
        (["explain", "hi", "--kernel-width", "wide"], "expected a number"),
        (["explain", "hi", "--alpha", "2"], "--alpha"),
        (["explain", "hi", "--sampler", "local"], "--max-removed"),
        (["explain", "word " * 20_001], "limit is 20000"),
        (["explain", "hi", "--json", "/nonexistent/dir/x.json"], "does not exist"),
        (["explain"], "no prompt"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, needle):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gsmile: error:") and needle in lines[0]
    assert "Traceback" not in result.stderr


def test_hostile_answer_is_sanitised_in_the_terminal():
    code = (
        "from gsmile_core.backends.fake import FakeBackend\n"
        "from gsmile_core.config import ExplainConfig\n"
        "from gsmile_core.pipeline import explain_sync\n"
        "from gsmile_core.reports.terminal import full_report\n"
        "from rich.console import Console\n"
        "b = FakeBackend(rules={'life': 'Life \\x1b]0;pwned\\x07 is \\x1b[2J[@click=app.quit]red[/] \\u202egood'})\n"
        "Console(force_terminal=True, width=100).print(full_report(explain_sync('meaning of life', b, ExplainConfig())))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "pwned" not in result.stdout and "\x1b]" not in result.stdout and "\x1b[2J" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "[@click=app.quit]red[/]" in result.stdout


@pytest.mark.local_model
@pytest.mark.slow
def test_local_model_end_to_end_small():
    result = run("explain", "Name three colours of the rainbow.", "--perturbations", "8", "--max-tokens", "16", "--json", "-")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["provenance"]["backend"] == "local"
    assert data["model_calls"] == 8
    assert data["original_output"].strip()
