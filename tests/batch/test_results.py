"""The audit folder: whole lines only, the newest line of an id wins, a cut tail is repaired, and a
folder holding another audit (other options) or foreign files is refused before anything runs."""

from __future__ import annotations

import json

import pytest

from gsmile_core.batch.results import AuditFolder
from gsmile_core.errors import ConfigError

IDENTITY = {"input_sha256": "abc", "model": "m", "method.perturbations": 16}


def test_appended_records_read_back_with_the_newest_line_of_each_id(tmp_path):
    folder = AuditFolder(tmp_path / "audit")
    folder.start(IDENTITY, {}, folder.check(IDENTITY))
    folder.append({"id": "a", "status": "ok", "score": float("nan")})
    folder.append({"id": "b", "status": "error", "error": "x"})
    folder.append({"id": "b", "status": "ok"})
    assert folder.statuses() == {"a": "ok", "b": "ok"}
    assert [r["id"] for r in folder.records()] == ["a", "b"]
    assert next(folder.records())["score"] is None  # JSON has no NaN
    assert all(json.loads(line) for line in folder.results.read_text().splitlines())


def test_a_cut_last_line_is_removed_and_the_rest_kept(tmp_path):
    folder = AuditFolder(tmp_path / "audit")
    folder.start(IDENTITY, {}, "new")
    folder.append({"id": "a", "status": "ok"})
    with open(folder.results, "a", encoding="utf-8") as handle:
        handle.write('{"id": "b", "stat')
    assert folder.statuses() == {"a": "ok"}  # the cut line is not a record
    assert folder.repair_tail() is True
    assert folder.results.read_text() == '{"id": "a", "status": "ok"}\n'
    assert folder.repair_tail() is False


def test_the_same_options_resume_and_other_options_are_refused(tmp_path):
    folder = AuditFolder(tmp_path / "audit")
    folder.start(IDENTITY, {}, folder.check(IDENTITY))
    assert folder.check(IDENTITY) == "resume"
    other = {**IDENTITY, "method.perturbations": 32}
    with pytest.raises(ConfigError, match=r"other options \(method.perturbations 16 -> 32\).*--force"):
        folder.check(other)
    assert folder.check(other, force=True) == "restart"


def test_force_deletes_only_the_audit_files(tmp_path):
    folder = AuditFolder(tmp_path / "audit")
    folder.start(IDENTITY, {}, "new")
    folder.append({"id": "a", "status": "ok"})
    mine = folder.directory / "notes.txt"
    mine.write_text("keep me")
    folder.start({**IDENTITY, "model": "n"}, {}, "restart")
    assert not folder.results.exists() and mine.read_text() == "keep me"
    assert folder.read_manifest()["identity"]["model"] == "n"


def test_a_folder_that_is_not_an_audit_is_refused(tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "thesis.tex").write_text("...")
    with pytest.raises(ConfigError, match="not empty and holds no audit"):
        AuditFolder(target).check(IDENTITY, force=True)
    with pytest.raises(ConfigError, match="does not exist"):
        AuditFolder(tmp_path / "no" / "such").check(IDENTITY)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        AuditFolder(tmp_path / "file").check(IDENTITY)
