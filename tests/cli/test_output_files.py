"""Output files through the CLI: checked before the first model call, written through special
files (never renamed over), and never lost when the write at the end fails."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fakes import FakeProviderServer

GSMILE = [sys.executable, "-m", "gsmile_core"]
FAST = ["--bootstrap", "0", "--ci-resamples", "0", "--interactions", "0", "-n", "8"]


def api(server: FakeProviderServer) -> list[str]:
    return ["--backend", "openai-compatible", "--base-url", server.openai_base_url, "--model", "m"]


def run(*args, env=None, input=None, timeout=300):
    environment = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", **(env or {})}
    return subprocess.run([*GSMILE, *args], capture_output=True, text=True, env=environment, input=input,
                          timeout=timeout)


def test_dev_null_is_still_a_character_device_after_json_dev_null():
    before = os.stat("/dev/null")
    result = run("explain", "meaning of life", "--backend", "fake", *FAST, "--json", "/dev/null")
    assert result.returncode == 0, result.stderr
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_json_into_a_fifo_reaches_its_reader_and_the_fifo_stays(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = run("explain", "meaning of life", "--backend", "fake", *FAST, "--json", str(fifo))
    reader.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(received[0])["prompt"] == "meaning of life"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_json_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "real.json").write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    result = run("explain", "meaning of life", "--backend", "fake", *FAST, "--json", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and json.loads((tmp_path / "real.json").read_text())["prompt"] == "meaning of life"


@pytest.mark.parametrize(
    "flag,value,needle",
    [
        ("--json", "/proc/x.json", "--json: cannot write /proc/x.json: folder /proc takes no new file"),
        ("--json", "{tmp}/missing/x.json", "folder {tmp}/missing does not exist"),
        ("--json", "{tmp}", "it is a folder"),
        ("--session", "/proc/s.json", "--session: cannot write /proc/s.json"),
    ],
)
def test_an_unwritable_output_is_refused_before_any_model_call(tmp_path, flag, value, needle):
    with FakeProviderServer() as server:
        result = run("explain", "What is the meaning of life?", *api(server), *FAST, flag,
                     value.format(tmp=tmp_path), env={"OPENAI_API_KEY": "sk-test"})
        calls = server.total_requests
    assert result.returncode == 2
    assert result.stderr.startswith("gsmile: error: ") and needle.format(tmp=tmp_path) in result.stderr
    assert result.stderr.count("\n") == 1
    assert calls == 0


@pytest.mark.parametrize(
    "command,needle",
    [
        (["metric", "consistency", "What is the meaning of life?", "--repeats", "2", "--out", "/proc/t.md"],
         "--out: cannot write /proc/t.md: folder /proc takes no new file"),
        (["experiment", "consistency", "--out", "/proc/results"], "--out: cannot write into /proc/results: folder /proc takes no new file"),
    ],
)
def test_metric_and_experiment_outputs_are_checked_before_any_call(command, needle):
    with FakeProviderServer() as server:
        result = run(*command, *api(server), env={"OPENAI_API_KEY": "sk-test"})
        calls = server.total_requests
    assert result.returncode == 2 and needle in result.stderr, result.stderr
    assert calls == 0


def test_a_write_that_fails_at_the_end_keeps_the_result_and_says_where(tmp_path):
    """The folder is fine when checked and is a file when written (swapped while the model answers):
    the paid-for run is kept, printed, and the command says where."""
    folder = tmp_path / "out"
    folder.mkdir()
    cache = tmp_path / "cache"
    with FakeProviderServer(latency=0.5) as server:
        def remove_once_asked() -> None:
            while server.total_requests == 0:
                threading.Event().wait(0.01)
            for child in folder.iterdir():
                child.unlink()
            folder.rmdir()
            folder.write_text("a file now stands where the folder was")

        remover = threading.Thread(target=remove_once_asked, daemon=True)
        remover.start()
        result = run("explain", "meaning of life", *api(server), *FAST, "--json", str(folder / "x.json"),
                     "--session", str(folder / "s.json"), env={"OPENAI_API_KEY": "sk-test", "GSMILE_CACHE_DIR": str(cache)})
        remover.join(timeout=30)
    assert result.returncode == 1, result.stderr
    kept = sorted((cache / "unsaved").iterdir())
    assert [k.name.split("-", 2)[-1] for k in kept] == ["explanation.json", "x.json"]
    for path in kept:
        assert json.loads(path.read_text())["prompt"] == "meaning of life"
        assert f"the result is kept in {path}" in result.stderr
    assert "Prompt heatmap" in result.stdout  # the report is still shown


def test_eight_gsmile_processes_appending_to_one_session_keep_every_run(tmp_path):
    session = tmp_path / "s.json"
    environment = {**os.environ, "NO_COLOR": "1"}
    processes = [
        subprocess.Popen([*GSMILE, "explain", f"meaning of life number {i}", "--backend", "fake", *FAST, "-q",
                          "--session", str(session)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, env=environment)
        for i in range(8)
    ]
    lines = []
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        lines += [line for line in err.splitlines() if line.startswith("run ")]
    data = json.loads(session.read_text())
    assert [run["id"] for run in data["runs"]] == [f"r{i}" for i in range(1, 9)]
    assert sorted(run["explanation"]["prompt"] for run in data["runs"]) == sorted(
        f"meaning of life number {i}" for i in range(8))
    assert sorted(lines) == sorted(f"run r{i} appended to session {session}" for i in range(1, 9))
