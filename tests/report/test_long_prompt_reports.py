"""Long prompts in every report (terminal, HTML, Markdown, SVG): units named at their level, a
drill-down's coarse unit followed by the words inside it (linked both ways in HTML), and the
strongest pairwise interactions with their Holm-adjusted p; hostile unit text stays inert."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET

import pytest
from markdown_it import MarkdownIt
from report_fixtures import CONTROL_CHARS, HTML_ATTACK, MARKUP
from report_text import every_format, flat, html_text, svg_text, terminal_text
from test_report_render import assert_inert_html, parse

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.drill_down import explain_drill_down
from gsmile_core.reports.format import p_value
from gsmile_core.reports.html import explanation_html
from gsmile_core.reports.markdown import explanation_markdown
from gsmile_core.reports.svg import heatmap_svg
from gsmile_core.reports.units import drill_down_of, interaction_rows

DOCUMENT = (
    "The weather was fine all week. We asked about the meaning of life at dinner. "
    "Then we went home and slept. A doctor called about the ocean trip."
)


def drilled(prompt: str, depth: int = 2):
    config = ExplainConfig(perturbations=64, unit="sentence", bootstrap=500, ci_resamples=50)
    return asyncio.run(explain_drill_down(prompt, FakeBackend(), config, depth))


@pytest.fixture(scope="module")
def long_run():
    return drilled(DOCUMENT)


@pytest.fixture(scope="module")
def hostile_long_run():
    return drilled(f"Nothing here at all. The meaning {HTML_ATTACK} of life {MARKUP} [x](javascript:alert(1)). "
                   "A doctor went home.", depth=1)


def test_units_are_named_at_their_level_in_every_report(long_run):
    for name, text in every_format(long_run).items():
        assert "keeping the sentence holds the answer" in text, name
        if name == "svg":
            assert "4 sentences, by importance" in text
        else:
            assert "Sentences by importance" in text, name
            assert "sentence position importance" in flat(text.replace("┃", " ").replace("|", " ")), name


def test_a_drill_down_shows_each_unit_then_the_words_inside_it(long_run):
    drill = drill_down_of(long_run)
    assert [u.feature.index for u in drill.units] == [1, 3]  # the sentences with trigger words
    for name, text in every_format(long_run).items():
        for unit in drill.units:
            heading = f"Sentence {unit.feature.index + 1}"
            start = text.index(heading, text.index("Drill-down") if name != "svg" else 0)
            inside = [w.text for w, _, _ in unit.words]
            assert inside == unit.feature.text.split()
            positions = [text.index(word, start) for word in inside]
            assert positions == sorted(positions) and positions[0] - start < 200, (name, heading)


def test_html_links_the_unit_and_its_words_both_ways(long_run):
    document = explanation_html(long_run)
    parsed = parse(document)
    ids = {attrs["id"] for _, attrs in parsed.tags if "id" in attrs}
    hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert {"#run-unit-2", "#run-unit-4", "#run-units"} <= set(hrefs)
    assert {h[1:] for h in hrefs} <= ids  # every link lands
    row = re.search(r"<tr>(?:(?!</tr>).)*run-unit-2(?:(?!</tr>).)*</tr>", document).group()
    assert "We asked about the meaning of life at dinner." in row


def test_interactions_with_their_significance_in_every_report(long_run):
    rows = interaction_rows(long_run)
    assert rows and rows[0].p_adjusted <= rows[-1].p_adjusted
    best = rows[0]
    for name, text in every_format(long_run).items():
        assert best.first in text and best.second in text and best.kind in text, name
        assert p_value(best.p_adjusted) in text, name
        if name != "svg":
            assert "Strongest interactions between sentences" in text and "Holm-adjusted" in text, name
            assert "Strongest interactions between words" in text, name  # the drill-down's own


def test_a_word_level_run_has_no_drill_down_section(plain):
    for name, text in every_format(plain).items():
        assert "Drill-down" not in text, name


def test_hostile_units_stay_inert_everywhere(hostile_long_run):
    assert drill_down_of(hostile_long_run) is not None and interaction_rows(hostile_long_run)
    document = explanation_html(hostile_long_run)
    assert_inert_html(document)
    assert HTML_ATTACK in html_text(document)  # shown as text
    rendered = MarkdownIt("gfm-like").render(explanation_markdown(hostile_long_run))
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    svg = heatmap_svg(hostile_long_run)
    root = ET.fromstring(svg.encode("utf-8"))
    assert not [e for e in root.iter() if e.tag.endswith(("script", "foreignObject", "a", "image"))]
    assert "onerror" not in " ".join(f"{k}" for e in root.iter() for k in e.attrib)
    assert HTML_ATTACK in svg_text(svg)
    shown = terminal_text(hostile_long_run)
    assert MARKUP in shown  # plain text, never markup
    for char in CONTROL_CHARS:
        assert char not in shown
