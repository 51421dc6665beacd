"""Parallel appends to one session file: every run lands, each with its own id (8 real processes)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gsmile_core.backends import create_backend
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain_sync
from gsmile_core.session import load_session, save_session, Session, update_session

PROCESSES = 8


@pytest.fixture(scope="module")
def explanation_file(tmp_path_factory) -> Path:
    explanation = explain_sync("meaning of life", create_backend("fake"),
                               ExplainConfig(perturbations=8, bootstrap=0, ci_resamples=0, interactions=0))
    path = tmp_path_factory.mktemp("lock") / "explanation.json"
    path.write_text(json.dumps(explanation.to_dict()))
    return path


def start_appenders(session: Path, explanation: Path, go: Path) -> list[subprocess.Popen]:
    """Processes that each load the explanation, wait for `go` to exist (so they all append at
    once), then append it through the CLI's own `append_run`."""
    code = textwrap.dedent(
        f"""
        import json, os, time
        from gsmile_core.cli.session_option import append_run
        from gsmile_core.types import Explanation
        explanation = Explanation.from_dict(json.load(open({str(explanation)!r})))
        while not os.path.exists({str(go)!r}):
            time.sleep(0.001)
        append_run({str(session)!r}, explanation)
        """
    )
    return [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
            for _ in range(PROCESSES)]


def test_eight_processes_appending_at_once_keep_eight_runs_with_distinct_ids(tmp_path, explanation_file):
    session = tmp_path / "s.json"
    go = tmp_path / "go"
    appenders = start_appenders(session, explanation_file, go)
    go.touch()
    messages = []
    for process in appenders:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        messages.append(err.strip())
    saved = load_session(session)
    assert [run.id for run in saved.runs] == [f"r{i}" for i in range(1, PROCESSES + 1)]
    reported = sorted(int(re.fullmatch(r"run r(\d+) appended to session .*", m).group(1)) for m in messages)
    assert reported == list(range(1, PROCESSES + 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "s.json"]  # no lock or temporary file left


def test_an_update_reads_the_file_again_under_the_lock(tmp_path, explanation_file):
    """A run appended by someone else between our read and our save is kept."""
    from gsmile_core.types import Explanation

    explanation = Explanation.from_dict(json.loads(explanation_file.read_text()))
    path = save_session(Session.new("s").with_run(explanation), tmp_path / "s.json")
    stale = load_session(path)
    update_session(path, lambda current: current.with_run(explanation, label="other process"))
    final = update_session(path, lambda current: current.renamed("renamed"))
    assert [r.id for r in final.runs] == ["r1", "r2"] and final.name == "renamed"
    assert len(stale.runs) == 1


def test_a_lock_held_by_another_process_is_waited_for(tmp_path, explanation_file):
    """While a second process holds the lock, an update waits, then sees that process's run."""
    path = tmp_path / "s.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import json, sys
            from gsmile_core.session import update_session
            from gsmile_core.types import Explanation
            explanation = Explanation.from_dict(json.load(open({str(explanation_file)!r})))
            def slow(session):
                print("holding", flush=True)
                sys.stdin.readline()  # until the test lets go
                return session.with_run(explanation, label="holder")
            update_session({str(path)!r}, slow)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    waiter = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            from gsmile_core.session import update_session
            final = update_session({str(path)!r}, lambda s: s.renamed("waited"))
            print([r.label for r in final.runs])
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    with pytest.raises(subprocess.TimeoutExpired):
        waiter.wait(timeout=1.5)  # blocked on the lock, not finished
    holder.communicate("go\n", timeout=60)
    out, _ = waiter.communicate(timeout=60)
    assert out.strip() == "['holder']"
    assert load_session(path).name == "waited"
    assert os.path.exists(path) and not (tmp_path / ".s.json.lock").exists()
