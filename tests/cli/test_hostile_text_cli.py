"""Escape sequences put where gSMILE reads (the sqlite response cache, a saved explanation) never
reach the terminal: `gsmile explain` served from a cache whose answers were rewritten behind its
back, and `gsmile metric` on a hand-edited explanation, print the words without the escapes (no
window title set, no screen cleared, no clipboard written, no bidi reordering). The renderers'
console strips them too, whatever it is handed."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace

from gsmile_core.backends import create_backend
from gsmile_core.calls.cache import CACHE_FILE
from gsmile_core.cli.console import stdout_console
from gsmile_core.cli.progress import ProgressPrinter
from gsmile_core.config import ExplainConfig
from gsmile_core.events import Notice
from gsmile_core.pipeline import explain_sync
from gsmile_core.reports.terminal import full_report

PROMPT = "What is the meaning of life?"
HOSTILE = ("safe words \x1b]0;pwned-title\x07\x1b[2J\x1b[H\x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07"
           "\x9b31m tail \u202egnirts \x1bPdcs\x1b\\ end")
SHOWN = "safe words red  tail gnirts  end"  # the words, the escapes and bidi override gone
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\x90", "\u202e")


def gsmile(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gsmile_core", *args], capture_output=True, text=True,
                          timeout=240, cwd=cwd, env={**os.environ, "COLUMNS": "200"})


def assert_clean(text: str, where: str) -> None:
    found = [repr(ch) for ch in FORBIDDEN if ch in text]
    assert not found, f"{where} carries {found}"


def test_escapes_planted_in_the_cache_never_reach_the_terminal(tmp_path):
    cache = tmp_path / "cache"
    common = ["explain", PROMPT, "--backend", "fake", "-n", "8", "--cache-dir", str(cache)]
    first = gsmile(*common, "--bootstrap", "50", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(cache / CACHE_FILE) as db:  # every answer rewritten behind gSMILE's back
        rows = db.execute("SELECT key, value FROM responses").fetchall()
        for key, value in rows:
            data = {**json.loads(value), "text": HOSTILE, "model": "fake\x1b]0;model-title\x07"}
            db.execute("UPDATE responses SET value = ? WHERE key = ?", (json.dumps(data), key))
    assert rows
    # other settings, the same prompts: no stored explanation, every answer from the response cache
    args = [*common, "--bootstrap", "60"]
    second = gsmile(*args, "--json", str(tmp_path / "e.json"), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert SHOWN in second.stdout  # shown, as text
    assert_clean(second.stdout, "stdout")
    assert_clean(second.stderr, "stderr")
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["original_output"] == SHOWN and saved["cache_hits"] == len(rows)
    as_json = gsmile(*args, "--json", "-", cwd=tmp_path)
    assert as_json.returncode == 0 and SHOWN in as_json.stdout
    assert_clean(as_json.stdout, "the JSON on stdout")
    # the finished explanation kept beside the cache, rewritten too, and shown again
    stored = list((cache / "explanations").glob("*.json"))
    assert stored
    for path in stored:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["original_output"], data["warnings"] = HOSTILE, ["warn \x1b]0;title\x07 here"]
        path.write_text(json.dumps(data), encoding="utf-8")
    third = gsmile(*args, cwd=tmp_path)
    assert third.returncode == 0 and "this exact run is stored" in third.stderr
    assert SHOWN in third.stdout and "warn" in third.stdout
    assert_clean(third.stdout, "stdout of a stored run")


def test_a_hand_edited_explanation_is_shown_without_its_escapes(tmp_path):
    explanation = explain_sync(PROMPT, create_backend("fake"), ExplainConfig(perturbations=8, bootstrap=50))
    data = explanation.to_dict()
    data["original_output"] = HOSTILE
    data["features"][1]["text"] = "is\x1b]0;title\x07"
    path = tmp_path / "hostile\x1b[2J.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    for args in (["metric", "accuracy", str(path), "--critical", "meaning"], ["metric", "fidelity", str(path)],
                 ["metric", "accuracy", "missing\x1b]0;t\x07.json", "--critical", "x"]):
        result = gsmile(*args, cwd=tmp_path)
        assert result.returncode == (2 if "missing" in args[2] else 0), result.stderr
        assert_clean(result.stdout, f"stdout of {args[:3]}")
        assert_clean(result.stderr, f"stderr of {args[:3]}")
    assert result.stderr.startswith("gsmile: error: explanation file missing") and "does not exist" in result.stderr


def test_the_console_strips_what_any_renderer_hands_it():
    """No ingress check involved: an Explanation built in memory with hostile text, and notices
    carrying escapes, printed through the CLI's consoles on a (forced) terminal."""
    explanation = explain_sync(PROMPT, create_backend("fake"), ExplainConfig(perturbations=8, bootstrap=50))
    hostile = replace(explanation, original_output=HOSTILE, warnings=("warn \x1b]0;t\x07 here",))
    buffer = io.StringIO()
    console = stdout_console(file=buffer, force_terminal=True, width=120)
    console.print(full_report(hostile))
    with ProgressPrinter(console) as progress:
        progress.handle(Notice("provider said \x1b[2J\x1b]0;title\x07 hello"))
    shown = buffer.getvalue()
    text_only = shown.replace("\x1b[", "CSI[")  # rich's own colour codes are CSI ... m
    assert "safe words" in shown and "hello" in shown
    for forbidden in ("\x1b]", "CSI[2J", "CSI[H", "\x9b", "\x07", "\u202e", "\x1bP"):
        assert forbidden not in text_only, repr(forbidden)
