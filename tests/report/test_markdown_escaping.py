"""Markdown escapes only what Markdown would read as syntax where it stands: a date or a decimal
stays as written, and a real Markdown renderer (markdown-it with GFM tables, strikethrough and
bare-URL links) still finds no link, image, raw HTML, heading or broken table in hostile text."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from report_fixtures import HTML_ATTACK

from gsmile_core.reports.format import markdown_table, md
from gsmile_core.reports.markdown import explanation_markdown, session_markdown

GFM = MarkdownIt("gfm-like")


@pytest.mark.parametrize("text", ["2026-12-04", "created 2026-12-04T10:30:00Z", "p = 0.05 (one-sided)", "-0.25", "a + b", "C# and 3.5"])
def test_plain_text_is_left_as_written(text):
    assert md(text) == text


@pytest.mark.parametrize(
    "text, rendered",
    [
        ("# not a heading", "<p># not a heading</p>"),
        ("- not a list", "<p>- not a list</p>"),
        ("1. not a list", "<p>1. not a list</p>"),
        ("---", "<p>---</p>"),
        ("*not* _emphasis_ ~~struck~~", "<p>*not* _emphasis_ ~~struck~~</p>"),
        ("[a link](javascript:alert(1))", "<p>[a link](javascript:alert(1))</p>"),
        ("see http://evil.example/x and www.evil.example", "<p>see http://evil.example/x and www.evil.example</p>"),
        ("<b>bold</b> &amp;", "<p>&lt;b&gt;bold&lt;/b&gt; &amp;amp;</p>"),
    ],
)
def test_syntax_is_shown_literally_by_a_renderer(text, rendered):
    assert GFM.render(md(text)).strip() == rendered


def test_a_table_cell_keeps_its_pipe_and_the_row_its_columns():
    html = GFM.render(markdown_table(["a", "b"], [[md("x | y"), md("2026-12-04")]]))
    assert html.count("<td>") == 2 and "<td>x | y</td>" in html and "<td>2026-12-04</td>" in html


def test_hostile_reports_render_without_links_images_or_html(hostile, session):
    for document in (explanation_markdown(hostile), session_markdown(session)):
        html = GFM.render(document)
        assert "<a " not in html and "<img" not in html and "<script" not in html
        assert HTML_ATTACK not in html  # only as escaped text


def test_dates_in_a_session_report_are_not_escaped(session):
    document = session_markdown(session)
    assert f"created {session.created_at}" in document and "\\-" not in document.split("\n## ")[0]
