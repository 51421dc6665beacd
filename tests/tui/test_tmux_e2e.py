"""End to end in a real terminal: the installed `gsmile tui` in a 120×40 tmux pane.

A prompt is pasted (bracketed paste, `paste-buffer -p`), run, the heatmap is waited for by
polling `capture-pane` (no blind sleeps), the session is saved and exported as HTML, and the app
quits with ctrl+q, exiting 0. Once on the instant fake backend, once on the bundled local model
(under the local-model lock, see the brief). Each test runs its own tmux server (`-L`).
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from gsmile_core.session import load_session

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make system-deps)")

GSMILE = Path(sys.executable).with_name("gsmile")
PROMPT = "What is the meaning of life?"
LOCK = "/tmp/gsmile-local-model.lock"


class Tmux:
    def __init__(self, workdir: Path) -> None:
        self.socket = f"gsmile-e2e-{uuid.uuid4().hex[:8]}"
        self.target = "app"
        self.workdir = workdir
        # The wrapping shell writes the app's exit status here: tmux 3.3 reports neither
        # pane_dead_status nor the echoed line reliably once the pane is dead.
        self.status_file = workdir / f"{self.socket}.status"

    def __call__(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check)
        return result.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = [f"{k}={v}" for k, v in env.items()]
        # COLUMNS/LINES inherited from a test runner would override the pane's real size.
        # A wrapping shell passes the app's exit status on: tmux 3.3 often cannot report
        # pane_dead_status for the app itself (its pty closes before tmux reaps it).
        inner = shlex.join(["env", "-u", "COLUMNS", "-u", "LINES", *exports, *command])
        self(
            "new-session", "-d", "-s", self.target, "-x", "120", "-y", "40", "-c", str(self.workdir),
            "sh", "-c",
            f'{inner}; status=$?; echo "$status" > {shlex.quote(str(self.status_file))}; '
            f'echo "[gsmile exited with status $status]"; exit $status',
            ";", "set-option", "-w", "-t", self.target, "remain-on-exit", "on",
        )

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.target, check=False)

    def pane(self, fmt: str) -> str:
        return self("display-message", "-p", "-t", self.target, fmt, check=False).strip()

    def wait_for(self, condition, what: str, timeout: float) -> str:
        """Poll the pane until `condition(screen)` holds; fail with the last screen otherwise."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            if self.pane("#{pane_dead}") == "1":
                break
            time.sleep(0.1)
        raise AssertionError(f"gave up waiting for {what}; the pane shows:\n{screen}")

    def paste(self, text: str) -> None:
        self("set-buffer", "-b", "prompt", text)
        self("paste-buffer", "-p", "-d", "-b", "prompt", "-t", self.target)

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", self.target, *keys)

    def kill(self) -> None:
        socket_path = self("display-message", "-p", "#{socket_path}", check=False).strip()
        self("kill-server", check=False)
        if socket_path.endswith(self.socket):
            Path(socket_path).unlink(missing_ok=True)


def audit_in_tmux(tmp_path: Path, backend: str, run_timeout: float, check: bool = False) -> None:
    sessions = tmp_path / "sessions"
    env = {
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "GSMILE_CACHE_DIR": str(tmp_path / "cache"),
        "GSMILE_PRICES": str(tmp_path / "no-prices.json"),
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", ""),
    }
    tmux = Tmux(tmp_path)
    try:
        tmux.start([str(GSMILE), "tui", "--backend", backend, "--sessions-dir", str(sessions)], env)
        # drawn in full at 120×40: the footer on the last row, the whole settings form visible
        tmux.wait_for(
            lambda s: len(s.splitlines()) == 40 and "palette" in s.splitlines()[39] and "alpha" in s,
            "the prompt pane filling the 120×40 terminal",
            60,
        )
        tmux.paste(PROMPT)
        tmux.wait_for(lambda s: PROMPT in s, "the pasted prompt", 20)
        tmux.keys("C-r")
        screen = tmux.wait_for(
            lambda s: "score = −θ" in s and "Answer ·" in s and "1 runs" in s, "the heatmap", run_timeout
        )
        assert "meaning" in screen
        if check:  # the stability check of the run, from the Checks tab, with the default edit
            tmux.keys("F12")
            tmux.wait_for(lambda s: "Checks of run r1" in s and "will make" in s, "the Checks tab", 20)
            tmux.keys("Enter")
            tmux.wait_for(lambda s: "Jaccard" in s and "saved in the session" in s, "the stability check", run_timeout)
        tmux.keys("C-s")
        tmux.wait_for(lambda s: "session saved to" in s, "the save notice", 20)
        saved = list(sessions.glob("*.json"))
        assert len(saved) == 1
        session = load_session(saved[0])
        assert [r.explanation.prompt for r in session.runs] == [PROMPT]
        assert session.runs[0].explanation.provenance.backend == backend
        assert [c.kind for c in session.runs[0].checks] == (["stability"] if check else [])
        tmux.keys("F10")
        tmux.wait_for(lambda s: "Export (enter writes" in s, "the export dialog", 20)
        tmux.keys("Enter")
        report = tmp_path / f"{saved[0].stem}.html"
        tmux.wait_for(lambda s: report.exists(), "the HTML report", 30)
        html = report.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in html and "meaning" in html
        assert ("Trust checks" in html) == check
        tmux.keys("C-q")
        tmux.wait_for(lambda s: tmux.status_file.exists() and tmux.status_file.read_text().strip(), "the app to quit", 60)
        status = tmux.status_file.read_text().strip()
        assert status == "0", f"the app did not exit cleanly (status {status}):\n{tmux.screen()}"
    finally:
        tmux.kill()


def test_tmux_fake_backend(tmp_path):
    audit_in_tmux(tmp_path, "fake", run_timeout=120, check=True)


def test_tmux_long_prompt_from_a_file(tmp_path):
    """A 3,500-word prompt loaded from a file (ctrl+l), explained by sentences; the heatmap pane
    scrolls to its end and back, and the doctor's sentence is expanded to its words and folded."""
    sentences = [f"Plain words fill this sentence so that the prompt grows long enough here s{i}." for i in range(250)]
    sentences[2] = "Yesterday the doctor walked along the ocean before the clinic opened its doors."
    sentences[-1] = "This closing sentence carries the marker ZEBRA at the very end."
    prompt_file = tmp_path / "long prompt.txt"
    prompt_file.write_text(" ".join(sentences), encoding="utf-8")
    env = {
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "GSMILE_CACHE_DIR": str(tmp_path / "cache"),
        "GSMILE_PRICES": str(tmp_path / "no-prices.json"),
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", ""),
    }
    tmux = Tmux(tmp_path)
    try:
        tmux.start([str(GSMILE), "tui", "--backend", "fake", "--sessions-dir", str(tmp_path / "sessions")], env)
        tmux.wait_for(lambda s: len(s.splitlines()) == 40 and "palette" in s.splitlines()[39], "the app", 60)
        tmux.keys("C-l")
        tmux.wait_for(lambda s: "Open a prompt file" in s, "the prompt-file dialog", 20)
        tmux.paste("missing.txt")  # the app runs in tmp_path
        tmux.wait_for(lambda s: "missing.txt" in s, "the pasted path", 20)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "missing.txt does not exist" in s, "the one-line error", 20)
        tmux.keys("C-u")  # clear the path field, then the real file
        tmux.wait_for(lambda s: "path, e.g." in s, "the path field cleared", 20)
        tmux.paste(prompt_file.name)
        tmux.wait_for(lambda s: prompt_file.name in s, "the pasted path", 20)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "250 sentences" in s and "Plain words fill" in s, "the loaded prompt", 20)
        tmux.keys("C-r")
        screen = tmux.wait_for(lambda s: "Heatmap · sentences" in s and "1 runs" in s, "the heatmap", 120)
        assert "ZEBRA" not in screen  # the end of the prompt is below the pane
        tmux.keys("End")
        tmux.wait_for(lambda s: "ZEBRA" in s, "the heatmap scrolled to the last sentence", 20)
        tmux.keys("Home")
        screen = tmux.wait_for(lambda s: "Yesterday the doctor" in s and "ZEBRA" not in s, "the heatmap back at the top", 20)
        tmux.keys("Right", "Right", "Enter")
        tmux.wait_for(lambda s: "sentence 3: its 13 words" in s, "the words of sentence 3", 120)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "its 13 words" not in s, "the words folded again", 20)
        tmux.keys("C-q")
        tmux.wait_for(lambda s: tmux.status_file.exists() and tmux.status_file.read_text().strip(), "the app to quit", 60)
        status = tmux.status_file.read_text().strip()
        assert status == "0", f"the app did not exit cleanly (status {status}):\n{tmux.screen()}"
    finally:
        tmux.kill()


def lock_held_by_an_ancestor(lock: str) -> bool:
    """True when this test runs under `flock LOCK ...` (taking the lock again would deadlock)."""
    pid = os.getppid()
    while pid > 1:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        if argv and Path(argv[0].decode(errors="replace")).name == "flock" and lock.encode() in argv:
            return True
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


@contextmanager
def local_model_lock():
    """Hold the local-model lock while the app in the pane runs SmolLM2, unless the test run
    already holds it (`flock /tmp/gsmile-local-model.lock pytest ...`; taking it again would
    deadlock)."""
    if lock_held_by_an_ancestor(LOCK):
        yield
        return
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits for any other local-model user
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.mark.local_model
@pytest.mark.slow
def test_tmux_local_model(tmp_path):
    with local_model_lock():
        audit_in_tmux(tmp_path, "local", run_timeout=900)
