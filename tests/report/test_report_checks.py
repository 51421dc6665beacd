"""Reports carry each run's trust checks: HTML (escaped, inert, and as Chromium builds it),
Markdown, JSON, and `gsmile report` on a saved session."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re

import pytest
from report_fixtures import ESCAPES, HTML_ATTACK, MARKUP, MD_ATTACK, read_back, without_escapes
from test_report_chromium import dump_dom
from test_report_render import assert_inert_html

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.evaluation.checks import CheckInputs, run_check
from gsmile_core.cli import main
from gsmile_core.reports.render import render
from gsmile_core.session import Session, load_session, save_session

NOW = "2026-01-02T03:04:05Z"
HOSTILE_EDIT = f"What is the meaning of life? {HTML_ATTACK} {MARKUP} {MD_ATTACK} {ESCAPES}"


@pytest.fixture(scope="module")
def checked(plain):
    """A session whose first run has one check of each kind; the stability check's edited prompt
    and one of its top words are hostile (as a tampered session file could carry them)."""

    async def make():
        return [await run_check(kind, plain, FakeBackend(), CheckInputs(repeats=2, random_orders=2))
                for kind in ("stability", "consistency", "deletion")]

    stability, consistency, deletion = asyncio.run(make())
    result = dataclasses.replace(stability.result, top_second=(HTML_ATTACK, *stability.result.top_second[1:]))
    stability = dataclasses.replace(stability, edited_prompt=HOSTILE_EDIT, result=result)
    session = Session.new("audit", now=NOW, session_id="s1").with_run(plain, now=NOW).with_run(plain, now=NOW)
    for check in (stability, consistency, deletion):
        session = session.with_check("r1", check, now=NOW)
    return session


def test_html_report_shows_every_check_escaped(checked):
    document = render(checked, "html")
    parsed = assert_inert_html(document)
    text = "".join(parsed.text)
    stability, consistency, deletion = checked.run("r1").checks
    assert text.count("Trust checks") == 1  # run r2 has none
    assert f"Jaccard index {stability.result.jaccard:.3f} of the top-3 words" in text
    assert HTML_ATTACK in text and MARKUP in text  # shown as text...
    assert "<script>" not in document and "&lt;script&gt;" in document  # ...never as markup
    assert "red osc-link evil" in text  # escapes and bidi overrides removed
    assert f"{consistency.result.mean_variance:.6f}" in text and "mean over words" in text
    assert f"{deletion.result.comprehensiveness:.4f}" in text and f"{deletion.result.random_sufficiency:.4f}" in text
    assert text.count("model calls") >= 3


def test_markdown_report_shows_every_check_escaped(checked):
    document = render(checked, "markdown")
    assert document.count("### Trust checks") == 1
    assert "#### Stability: top words after a minimal edit" in document
    assert "<script>" not in document and "&lt;script&gt;" in document
    assert "\\](javascript" in document and not re.search(r"(?<!\\)\]\(javascript", document)  # "]" escaped: no link
    assert "\x1b" not in document
    assert "| **mean over words** |" in document
    assert "| comprehensiveness |" in document


def test_json_report_and_the_report_command_keep_the_checks(checked, tmp_path, capsys):
    assert load_session_from_text(render(checked, "json")).to_dict() == read_back(checked.to_dict())
    source = save_session(checked, tmp_path / "session.json")
    html_out, md_out, json_out = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.json"
    assert main(["report", str(source), "--html", str(html_out), "--markdown", str(md_out),
                 "--json", str(json_out), "--run", "r1"]) == 0
    assert "Trust checks" in html_out.read_text() and "Trust checks" in md_out.read_text()
    reread = [c.to_dict() for c in load_session(json_out).run("r1").checks]
    assert reread == without_escapes([c.to_dict() for c in checked.run("r1").checks])


def load_session_from_text(text: str) -> Session:
    from gsmile_core.session import session_from_data

    return session_from_data(json.loads(text))


def test_chromium_builds_the_checks_as_text(checked, tmp_path):
    dom = dump_dom(tmp_path, render(checked, "html"))
    assert 'id="r1-checks">Trust checks</h3>' in dom
    assert "<script>document" not in dom and "&lt;script&gt;document.title" in dom
    assert "<img" not in dom
