"""An unreachable server makes every call in flight fail, then every retry: 8 calls with 3
attempts each are 16 retries for one reason. The user sees one line that updates on a terminal
(a real tmux pane) and, without one, the first retry and one line counting the repeats."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest

PROMPT = "What is the meaning of life?"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


def command(tmp_path) -> list[str]:
    return [sys.executable, "-m", "gsmile_core", "explain", PROMPT, "--backend", "openai-compatible",
            "--base-url", f"http://127.0.0.1:{closed_port()}/v1", "--model", "m", "-n", "8",
            "--concurrency", "8", "--max-attempts", "3", "--cache-dir", str(tmp_path / "cache")]


def test_without_a_terminal_one_line_per_reason_and_a_count(tmp_path):
    result = subprocess.run(command(tmp_path), capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "400"})
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    retrying = [line for line in lines if "retrying" in line]
    assert len(retrying) == 1 and retrying[0].startswith("info: retrying in ")
    assert "connection refused" in retrying[0]
    assert "info: 15 more retries for the same reason" in lines
    assert lines[-1].startswith("gsmile: error: cannot reach the provider: ") and "(gave up after 3 attempts)" in lines[-1]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make system-deps)")
def test_on_a_terminal_one_status_line_updates_in_place(tmp_path):
    socket_name = f"gsmile-retry-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket_name, *args], capture_output=True, text=True).stdout

    inner = shlex.join(["env", "-u", "COLUMNS", "-u", "LINES", *command(tmp_path)])
    tmux("new-session", "-d", "-s", "run", "-x", "160", "-y", "40",
         "sh", "-c", f'{inner}; echo "[exited $?]"; sleep 60')
    screens = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", "run")
            screens.append(screen)
            if "[exited " in screen:
                break
            time.sleep(0.05)
    finally:
        tmux("kill-server")
    final = screens[-1]
    assert "[exited 1]" in final and "gsmile: error: cannot reach the provider" in final
    counts = [sum("retrying" in line for line in s.splitlines()) for s in screens]
    assert max(counts) == 1, "more than one retry line on screen at once"
    assert any("retrying ×" in s for s in screens), "the status line never counted the retries"
    assert counts[-1] == 0  # the status line goes with the bar; the error line stays
