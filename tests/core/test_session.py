"""Sessions: lossless round-trips, atomic saves, clear errors for files we cannot read, migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gsmile_core.backends import create_backend
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain_sync
from gsmile_core.session import (
    SESSION_FORMAT,
    SESSION_VERSION,
    Session,
    SessionError,
    default_sessions_dir,
    list_sessions,
    load_session,
    migrate,
    new_session_path,
    save_session,
    session_json,
)

NOW = "2026-01-02T03:04:05Z"


@pytest.fixture(scope="module")
def explanations():
    backend = create_backend("fake")
    prompts = (
        "What is the meaning of life?",
        "What is the meaning of life from men's perspective?",
        "What is the meaning of life from women's perspective?",
    )
    wls = [explain_sync(p, backend, ExplainConfig(perturbations=32)) for p in prompts]
    bayes = explain_sync(prompts[0], backend, ExplainConfig(perturbations=32, surrogate="bayes"))
    return wls, bayes


@pytest.fixture
def session(explanations) -> Session:
    (neutral, men, women), bayes = explanations
    return (
        Session.new("audit of life", now=NOW, session_id="abc123")
        .with_run(neutral, now=NOW)
        .with_run(bayes, label="bayes run", now=NOW)
        .with_compare_group([neutral, men, women], ["neutral", "men", "women"], top_k=3, now=NOW)
    )


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# -- values and round-trips ------------------------------------------------------------------------


def test_runs_and_groups_are_ordered_with_sequential_ids(session):
    assert [r.id for r in session.runs] == ["r1", "r2", "r3", "r4", "r5"]
    assert [r.kind for r in session.runs] == ["single", "single", "compare", "compare", "compare"]
    assert session.runs[0].label == "What is the meaning of life?"
    (group,) = session.groups
    assert group.id == "g1" and group.run_ids == ("r3", "r4", "r5") and group.top_k == 3
    assert group.label == "neutral vs men vs women"
    assert [r.label for r in session.group_runs("g1")] == ["neutral", "men", "women"]
    assert all(r.group_id == "g1" for r in session.group_runs(group))


def test_save_and_load_restore_everything(session, tmp_path):
    path = save_session(session, tmp_path / "s.json")
    loaded = load_session(path)
    assert loaded == session
    # the restored explanation is complete: heatmap inputs, tables, statistics, provenance
    original, restored = session.runs[1].explanation, loaded.runs[1].explanation
    assert restored.attributions == original.attributions
    assert restored.attribution_std == original.attribution_std
    assert restored.perturbations == original.perturbations
    assert restored.fidelity == original.fidelity and restored.provenance == original.provenance
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == SESSION_FORMAT and data["version"] == SESSION_VERSION
    assert list(data)[:2] == ["format", "version"]


def test_reopening_calls_no_model(session, tmp_path):
    """Loading in a fresh interpreter imports neither a backend nor the pipeline."""
    path = save_session(session, tmp_path / "s.json")
    code = textwrap.dedent(
        f"""
        import sys
        from gsmile_core.session import load_session
        s = load_session({str(path)!r})
        assert len(s.runs) == 5 and s.runs[0].explanation.attributions
        loaded = [m for m in sys.modules if m.startswith(("gsmile_core.backends", "gsmile_core.pipeline",
                  "gsmile_core.calls", "xllamacpp", "openai", "anthropic", "together"))]
        print(loaded)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40), label=st.text(max_size=40))
def test_any_name_and_label_round_trip(explanations, tmp_path, name, label):
    (neutral, *_), _bayes = explanations
    s = Session.new(name, now=NOW, session_id="x").with_run(neutral, label=label, now=NOW)
    path = save_session(s, tmp_path / "h.json")
    assert load_session(path) == s


def test_without_run_dissolves_a_group_left_with_one_run(session):
    smaller = session.without_run("r4", now=NOW)
    assert smaller.group("g1").run_ids == ("r3", "r5")
    alone = smaller.without_run("r5", now=NOW)
    assert alone.groups == ()
    assert alone.run("r3").kind == "single" and alone.run("r3").group_id is None
    with pytest.raises(KeyError):
        session.without_run("r99")


def test_compare_group_holds_two_or_three(explanations):
    (neutral, men, women), _ = explanations
    base = Session.new("x", now=NOW)
    with pytest.raises(ValueError, match="2 or 3"):
        base.with_compare_group([neutral])
    with pytest.raises(ValueError, match="2 or 3"):
        base.with_compare_group([neutral, men, women, neutral])
    with pytest.raises(ValueError, match="one label per"):
        base.with_compare_group([neutral, men], ["only one"])


def test_relabel_and_rename(session):
    changed = session.with_run_label("r1", "first", now="2026-02-02T00:00:00Z").renamed("new name", now="2026-02-03T00:00:00Z")
    assert changed.run("r1").label == "first" and changed.name == "new name"
    assert changed.updated_at == "2026-02-03T00:00:00Z" and changed.created_at == NOW
    assert session.run("r1").label != "first"  # frozen: the original is unchanged


# -- atomic saving -----------------------------------------------------------------------------------


def test_failing_write_leaves_the_old_file_intact(session, tmp_path):
    """A real write failure (file size limit hit mid-write, EFBIG) in a child process."""
    path = save_session(Session.new("old", now=NOW).with_run(session.runs[0].explanation, now=NOW), tmp_path / "s.json")
    before = snapshot(path)
    big = session.renamed("x" * 10, now=NOW)
    assert len(session_json(big).encode()) > 2 * path.stat().st_size
    code = textwrap.dedent(
        f"""
        import pickle, resource, signal, sys
        from gsmile_core.session import load_session, save_session, SessionError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        session = load_session({str(path)!r})
        big = pickle.loads(sys.stdin.buffer.read())
        resource.setrlimit(resource.RLIMIT_FSIZE, ({path.stat().st_size + 100}, resource.RLIM_INFINITY))
        try:
            save_session(big, {str(path)!r})
        except SessionError as error:
            print("ERROR", error)
        else:
            print("SAVED")
        """
    )
    import pickle

    result = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(big), capture_output=True, check=True
    )
    out = result.stdout.decode()
    assert out.startswith("ERROR cannot write") and "\n" == out[-1] and out.count("\n") == 1
    assert snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]  # no temporary file left


def test_unserialisable_session_never_touches_the_disk(session, tmp_path):
    path = save_session(session, tmp_path / "s.json")
    before = snapshot(path)
    broken = Session(**{**session.__dict__, "extras": {"bad": object()}})
    with pytest.raises(SessionError, match="cannot save session"):
        save_session(broken, path)
    assert snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_save_creates_the_folder_and_keeps_umask_permissions(session, tmp_path):
    old = os.umask(0o022)
    try:
        path = save_session(session, tmp_path / "deep" / "er" / "s.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    save_session(session, path)
    assert path.stat().st_mode & 0o777 == 0o600  # a replaced file keeps its permissions


@pytest.mark.parametrize(
    "content, reason",
    [
        ('{"format": "gsmile.session", "version": 99, "runs": []}', "newer than this gSMILE writes"),
        ('{"hello": "world"}', "not a gSMILE session"),
        ("{broken", "not a readable gSMILE session"),
    ],
)
def test_save_refuses_to_replace_files_it_cannot_read(session, tmp_path, content, reason):
    path = tmp_path / "s.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot(path)
    with pytest.raises(SessionError, match=reason):
        save_session(session, path)
    assert snapshot(path) == before
    save_session(session, path, overwrite_foreign=True)
    assert load_session(path) == session


# -- reading files we cannot use -----------------------------------------------------------------


def _load_error(path: Path) -> str:
    before = snapshot(path)
    with pytest.raises(SessionError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert snapshot(path) == before  # left untouched
    return message


def test_broken_json_gives_line_and_column(tmp_path):
    path = tmp_path / "b.json"
    path.write_text('{"format": "gsmile.session",\n  "version": 1,\n  "runs": [ }', encoding="utf-8")
    message = _load_error(path)
    assert "broken JSON at line 3" in message


def test_truncated_real_session_is_refused(session, tmp_path):
    path = save_session(session, tmp_path / "t.json")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "broken JSON" in _load_error(path)


def test_newer_version_is_refused_and_left_untouched(session, tmp_path):
    data = session.to_dict()
    data["version"] = SESSION_VERSION + 1
    data["some_future_field"] = {"x": 1}
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    message = _load_error(path)
    assert f"version {SESSION_VERSION + 1} session, newer than this gSMILE reads" in message
    assert "upgrade gSMILE" in message


def test_newer_explanation_inside_a_session_is_refused(session, tmp_path):
    data = session.to_dict()
    data["runs"][0]["explanation"]["version"] = 42
    path = tmp_path / "inner.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "explanation version 42 is newer" in _load_error(path)


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"format": "something.else", "version": 1}', "not a gSMILE session (format is 'something.else'"),
        ("[1, 2, 3]", "top level is not an object"),
        ('{"format": "gsmile.session"}', "has no valid version number"),
        ('{"format": "gsmile.session", "version": "1"}', "has no valid version number"),
        ('{"format": "gsmile.session", "version": 1, "runs": [{"label": "x"}]}', "damaged session (missing field 'id')"),
        ('{"format": "gsmile.session", "version": 1, "runs": 5}', "damaged session (a field has the wrong type)"),
        (
            '{"format": "gsmile.session", "version": 1, "groups": [{"id": "g1", "run_ids": ["r7"]}]}',
            "compare group g1 names unknown run r7",
        ),
    ],
)
def test_foreign_or_damaged_files_get_one_line(tmp_path, content, expected):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    assert expected in _load_error(path)


def test_missing_binary_and_folder_inputs(tmp_path):
    with pytest.raises(SessionError, match="does not exist"):
        load_session(tmp_path / "nope.json")
    with pytest.raises(SessionError, match="is a folder"):
        load_session(tmp_path)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "is binary" in _load_error(binary)


def test_run_claiming_a_group_that_does_not_list_it(session, tmp_path):
    data = session.to_dict()
    data["groups"][0]["run_ids"] = ["r3", "r4"]
    path = tmp_path / "g.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "run r5 claims compare group g1, which does not list it" in _load_error(path)
    data = session.to_dict()
    data["runs"][0]["group_id"] = "g1"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "a single run must not have one" in _load_error(path)


def test_a_single_explanation_file_opens_as_a_one_run_session(explanations, tmp_path):
    (neutral, *_), _ = explanations
    path = tmp_path / "e.json"
    path.write_text(json.dumps(neutral.to_dict()), encoding="utf-8")
    session = load_session(path)
    assert len(session.runs) == 1 and session.runs[0].explanation == neutral
    assert session.created_at == neutral.provenance.created_at


# -- versions ----------------------------------------------------------------------------------------


def test_migrations_chain_one_step_at_a_time():
    calls = []

    def one_to_two(data):
        calls.append(1)
        data["title"] = data.pop("name")
        return data

    def two_to_three(data):
        calls.append(2)
        data["tags"] = []
        return data

    old = {"format": SESSION_FORMAT, "version": 1, "name": "n"}
    upgraded = migrate(dict(old), {1: one_to_two, 2: two_to_three}, target=3)
    assert upgraded == {"format": SESSION_FORMAT, "version": 3, "title": "n", "tags": []}
    assert calls == [1, 2]
    with pytest.raises(ValueError, match="no upgrade from it"):
        migrate(dict(old), {1: one_to_two}, target=3)
    with pytest.raises(ValueError, match="newer than this gSMILE reads"):
        migrate({"version": 4}, {}, target=3)
    assert migrate({"version": SESSION_VERSION}) == {"version": SESSION_VERSION}  # current version: unchanged


# -- folders and listing -------------------------------------------------------------------------------


def test_default_folder_follows_xdg_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("GSMILE_SESSIONS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_sessions_dir() == tmp_path / "xdg" / "gsmile" / "sessions"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_sessions_dir() == tmp_path / "home" / ".local" / "share" / "gsmile" / "sessions"
    monkeypatch.setenv("GSMILE_SESSIONS_DIR", str(tmp_path / "mine"))
    assert default_sessions_dir() == tmp_path / "mine"


def test_listing_shows_good_and_broken_files(session, tmp_path, monkeypatch):
    monkeypatch.setenv("GSMILE_SESSIONS_DIR", str(tmp_path))
    first = save_session(session, new_session_path(session))
    later = session.renamed("Later audit!", now="2026-03-01T00:00:00Z")
    second = save_session(later, new_session_path(later))
    third = new_session_path(later)
    assert third != second and third.name.endswith("-2.json")
    assert first.name == "20260102-030405-audit-of-life.json"
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    (tmp_path / ".s.json.123.tmp").write_text("{", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    infos = list_sessions()
    assert [i.path.name for i in infos] == [second.name, first.name, "broken.json"]
    assert infos[0].name == "Later audit!" and infos[0].runs == 5 and infos[0].groups == 1
    assert infos[0].error is None
    assert infos[2].error and "broken JSON" in infos[2].error
    assert list_sessions(tmp_path / "missing") == []
