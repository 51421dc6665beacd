"""`gsmile tui` / `gsmile-tui` refuse bad start-up input in one line, before drawing anything,
and leave a session file they cannot read untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*args], capture_output=True, text=True, timeout=60)


def test_missing_session_file_is_one_line(tmp_path):
    result = run(str(BIN / "gsmile"), "tui", "--session", str(tmp_path / "nope.json"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"gsmile: error: session file {tmp_path / 'nope.json'} does not exist"]


def test_newer_session_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({"format": "gsmile.session", "version": 42, "runs": []}))
    before = path.read_bytes()
    result = run(str(BIN / "gsmile"), "tui", "--session", str(path))
    assert result.returncode != 0
    line, = result.stderr.strip().splitlines()
    assert line.startswith("gsmile: error: cannot open") and "newer" in line
    assert path.read_bytes() == before


def test_unknown_theme_is_bad_input(tmp_path):
    for command in ([str(BIN / "gsmile"), "tui"], [str(BIN / "gsmile-tui")]):
        result = run(*command, "--theme", "neon")
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "gsmile: error: unknown theme 'neon' (known: gsmile-blue-orange, gsmile-dark, gsmile-light)"
        )


def test_unknown_backend_is_bad_input_never_another_backend(tmp_path):
    for command in ([str(BIN / "gsmile"), "tui"], [str(BIN / "gsmile-tui")]):
        result = run(*command, "--backend", "x", "--sessions-dir", str(tmp_path))
        assert result.returncode == 2
        line, = result.stderr.strip().splitlines()
        assert line.startswith("gsmile: error: unknown backend 'x' (known: ")
        assert "anthropic" in line and "fake" in line


def test_tui_is_listed_by_gsmile_help():
    assert "tui" in run(str(BIN / "gsmile"), "--help").stdout
