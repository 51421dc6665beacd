"""`gsmile report` and `gsmile explain --session`, run as the user runs them (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gsmile_core.session import load_session

PROMPTS = ("What is the meaning of life?", "Tell me about the ocean <b>[@click=app.quit]</b>")


def gsmile(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gsmile_core", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A session made of two `gsmile explain --session` runs and one `--json` explanation."""
    folder = tmp_path_factory.mktemp("cli")
    for prompt in PROMPTS:
        done = gsmile("explain", prompt, "--backend", "fake", "-n", "16", "-q", "--session", "s.json", cwd=folder)
        assert done.returncode == 0, done.stderr
    done = gsmile("explain", PROMPTS[0], "--backend", "fake", "-n", "16", "-q", "--json", "e.json", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def test_explain_appends_runs_to_a_session(workdir):
    session = load_session(workdir / "s.json")
    assert [r.id for r in session.runs] == ["r1", "r2"]
    assert [r.explanation.prompt for r in session.runs] == list(PROMPTS)
    assert session.name == "s"


def test_report_writes_every_format(workdir):
    done = gsmile("report", "s.json", "--html", "r.html", "--markdown", "r.md", "--svg", "r.svg",
                  "--json", "r.json", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"wrote {f} report: r.{e}" for f, e in
                                        (("html", "html"), ("markdown", "md"), ("svg", "svg"), ("json", "json"))]
    html = (workdir / "r.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "<script" not in html
    assert "&lt;b&gt;[@click=app.quit]&lt;/b&gt;" in html
    assert html.count('<h2 id="r') == 2
    assert (workdir / "r.md").read_text(encoding="utf-8").startswith("# gSMILE session")
    assert (workdir / "r.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert load_session(workdir / "r.json") == load_session(workdir / "s.json")


def test_report_of_one_run_and_of_an_explanation_file(workdir):
    done = gsmile("report", "s.json", "--run", "2", "--html", "one.html", "--json", "one.json", cwd=workdir)
    assert done.returncode == 0, done.stderr
    html = (workdir / "one.html").read_text(encoding="utf-8")
    assert html.count("<h2") and "gSMILE report — Tell me about the ocean" in html
    assert json.loads((workdir / "one.json").read_text())["format"] == "gsmile.explanation"
    done = gsmile("report", "e.json", "--html", "e.html", "--palette", "red-blue", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "#d62728" in (workdir / "e.html").read_text(encoding="utf-8")
    done = gsmile("report", "s.json", "--run", "r1", "--md", "r1.md", cwd=workdir)
    assert done.returncode == 0 and "What is the meaning of life" in (workdir / "r1.md").read_text()


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("{", ["--html", "x.html"], "cannot open in.json: broken JSON at line 1"),
        ('{"format": "gsmile.session", "version": 3}', ["--html", "x.html"], "newer than this gSMILE reads"),
        ('{"format": "other"}', ["--html", "x.html"], "not a gSMILE session"),
        ('{"format": "gsmile.session", "version": 1}', ["--html", "x.html"], "holds no runs"),
        (None, [], "nothing to write"),
        (None, ["--html", "x.html", "--run", "7"], "--run 7: the file has 2 run(s)"),
        (None, ["--html", "x.html", "--run", "r9"], "--run r9: no such run (runs: r1, r2)"),
        (None, ["--html", "nowhere/x.html"], "folder nowhere does not exist"),
        (None, ["--json", "in.json"], "would overwrite the input file"),
        (None, ["--html", "x.html", "--palette", "rainbow"], "invalid choice: 'rainbow'"),
    ],
)
def test_report_errors_are_one_line_and_touch_nothing(workdir, tmp_path, content, args, message):
    source = tmp_path / "in.json"
    if content is None:
        source.write_bytes((workdir / "s.json").read_bytes())
    else:
        source.write_text(content, encoding="utf-8")
    before = source.read_bytes()
    done = gsmile("report", "in.json", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("gsmile: error: ")
    assert message in done.stderr
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json"]


def test_explain_refuses_a_bad_session_file_before_running(tmp_path):
    target = tmp_path / "future.json"
    target.write_text('{"format": "gsmile.session", "version": 9, "runs": []}', encoding="utf-8")
    before = target.read_bytes()
    done = gsmile("explain", "hello world", "--backend", "fake", "-q", "--session", "future.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "gsmile: error: --session: cannot open future.json: it is a version 9 session, newer than this "
        "gSMILE reads (version 2); upgrade gSMILE to open it"
    )
    assert target.read_bytes() == before
    done = gsmile("explain", "hello world", "--backend", "fake", "-q", "--session", "no/s.json", cwd=tmp_path)
    assert done.returncode == 2 and "folder no does not exist" in done.stderr
