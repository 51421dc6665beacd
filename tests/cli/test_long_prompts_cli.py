"""Long prompts from the command line: --prompt-file, --unit, --drill-down, --answer-span,
--interactions, and their bad inputs (one line, exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fakes.documents import long_document

ENV = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}


def gsmile(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gsmile_core", *args], capture_output=True, text=True,
                          env=ENV, input=input, timeout=300)


@pytest.fixture
def document(tmp_path):
    text, causal = long_document()
    path = tmp_path / "doc.txt"
    path.write_text("\ufeff" + text + "\n\n[[Question: what happened?]]", encoding="utf-8")
    return path, causal


def test_a_prompt_file_explained_by_sentences_then_drilled_down_to_words(document):
    path, causal = document
    result = gsmile("explain", "--prompt-file", str(path), "--backend", "fake", "-n", "128",
                    "--drill-down", "2", "--json", "-", "--no-cache")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {f["level"] for f in data["features"]} == {"sentence"}
    assert not data["prompt"].startswith("\ufeff") and data["prompt"].endswith("Question: what happened?")
    assert all("Question: what happened?" in p["prompt"] for p in data["perturbations"])
    ranked = sorted(range(len(data["attributions"])), key=lambda i: -data["attributions"][i])
    assert sorted(ranked[:2]) == causal
    nested = data["extras"]["drill_down"]
    assert nested["units"] == causal and nested["level"] == "sentence"
    words = nested["explanation"]
    top_words = sorted(zip(words["attributions"], (f["text"] for f in words["features"])), reverse=True)[:2]
    assert {w for _, w in top_words} == {"doctor", "ocean"}


def test_the_terminal_shows_both_levels(document):
    path, _ = document
    result = gsmile("explain", "--prompt-file", str(path), "--backend", "fake", "-n", "96", "--drill-down", "1", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "Drill-down: the words inside the top sentence" in result.stdout
    assert result.stdout.count("Prompt heatmap") == 1  # one report, the words inside their sentence
    assert "Sentences by importance" in result.stdout


def test_answer_span_and_interactions_reach_the_json():
    result = gsmile("explain", "Tell me about the doctor and the ocean today", "--backend", "fake", "-n", "64",
                    "--answer-span", "The ocean is a vast body of salt water with waves, fish and whales.",
                    "--json", "-", "--no-cache")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    best = max(range(len(data["attributions"])), key=lambda i: data["attributions"][i])
    assert data["features"][best]["text"] == "ocean"
    assert isinstance(data["extras"]["interactions"], list)


@pytest.mark.parametrize(
    "make, args, message",
    [
        (None, ["--prompt-file", "/nonexistent/prompt.txt"], "does not exist"),
        (b"\x00\x01binary", ["--prompt-file", "{path}"], "is binary"),
        (b"caf\xe9 latin-1", ["--prompt-file", "{path}"], "is not UTF-8"),
        (b"some text", ["--prompt-file", "{path}", "inline prompt"], "not both"),
        (None, ["One. Two. Three. " + "word " * 110, "--unit", "sentence", "--drill-down", "9"], "more than the"),
        (None, ["hello there", "--answer-span", "Penguins are birds."], "is not in the original answer"),
        (None, ["[[all of it protected]]"], "every part of the prompt is protected"),
        (None, ["fine", "--keep", "("], "not a valid regular expression"),
    ],
)
def test_bad_long_prompt_input_is_one_line_and_exit_2(tmp_path, make, args, message):
    path = tmp_path / "prompt.txt"
    if make is not None:
        path.write_bytes(make)
    args = [a.replace("{path}", str(path)) for a in args]
    result = gsmile("explain", *args, "--backend", "fake", "-n", "8", "--no-cache")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("gsmile: error:") and message in lines[-1]
    assert "Traceback" not in result.stderr
