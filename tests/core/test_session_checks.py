"""Sessions keep each run's trust checks (format version 2), and version 1 files still open."""

from __future__ import annotations

import json

import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.evaluation.checks import CheckInputs, run_check
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain
from gsmile_core.session import SESSION_VERSION, Session, SessionError, load_session, save_session

CONFIG = ExplainConfig(perturbations=8, bootstrap=0)
NOW = "2026-01-02T03:04:05Z"


@pytest.fixture
async def session():
    explanation = await explain("What is the meaning of life?", FakeBackend(), CONFIG)
    return Session.new("audit", now=NOW, session_id="s1").with_run(explanation, now=NOW).with_run(explanation, now=NOW)


async def test_checks_are_kept_with_their_run_and_saved(tmp_path, session):
    explanation = session.runs[0].explanation
    stability = await run_check("stability", explanation, FakeBackend(), CheckInputs(k=2))
    deletion = await run_check("deletion", explanation, FakeBackend(), CheckInputs(random_orders=1))
    session = session.with_check("r2", stability, now=NOW).with_check("r2", deletion, now=NOW)
    assert session.runs[0].checks == () and session.runs[1].checks == (stability, deletion)
    with pytest.raises(KeyError):
        session.with_check("r9", stability)
    path = save_session(session, tmp_path / "s.json")
    data = json.loads(path.read_text())
    assert data["version"] == SESSION_VERSION == 2
    assert [c["kind"] for c in data["runs"][1]["checks"]] == ["stability", "deletion"]
    reopened = load_session(path)
    assert reopened == session
    # a label change or the removal of another run keeps the checks
    assert reopened.with_run_label("r2", "x").run("r2").checks == (stability, deletion)
    assert reopened.without_run("r1").run("r2").checks == (stability, deletion)


async def test_a_version_1_file_opens_upgraded_and_is_saved_as_version_2(tmp_path, session):
    v1 = session.to_dict()
    v1["version"] = 1
    for run in v1["runs"]:
        del run["checks"]  # exactly what gSMILE 1 wrote
    path = tmp_path / "old.json"
    path.write_text(json.dumps(v1), encoding="utf-8")
    before = path.read_bytes()
    opened = load_session(path)
    assert path.read_bytes() == before  # reading never rewrites
    assert [r.checks for r in opened.runs] == [(), ()]
    assert [r.explanation for r in opened.runs] == [r.explanation for r in session.runs]
    save_session(opened, path)  # our own older file may be replaced
    assert json.loads(path.read_text())["version"] == 2


def test_a_damaged_check_is_one_line(tmp_path, session):
    data = session.to_dict()
    data["runs"][0]["checks"] = [{"kind": "astrology"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SessionError, match="unknown check kind 'astrology'"):
        load_session(path)
    data["runs"][0]["checks"] = [{"kind": "deletion", "cost": {}}]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SessionError, match="damaged session \\(missing field 'result'\\)"):
        load_session(path)


def test_a_version_2_file_is_refused_by_a_reader_of_version_1_only(tmp_path, session):
    """What an older gSMILE does with a newer file: refuse to read it and to overwrite it."""
    from gsmile_core.session import migrate

    path = save_session(session, tmp_path / "new.json")
    with pytest.raises(ValueError, match="version 2 session, newer than this gSMILE reads \\(version 1\\)"):
        migrate(json.loads(path.read_text()), {}, target=1)
