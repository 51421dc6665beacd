"""The report renderers: structure, escaping of hostile text, palettes, secrets, formats."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from report_fixtures import CONTROL_CHARS, HTML_ATTACK, MARKUP, read_back

from gsmile_core.reports import format as report_format
from gsmile_core.reports.html import CSP, explanation_html, heatmap_html
from gsmile_core.reports.markdown import explanation_markdown, session_markdown
from gsmile_core.reports.palette import PALETTES, Palette, get_palette
from gsmile_core.reports.provenance import redact
from gsmile_core.reports.render import export, render
from gsmile_core.reports.svg import heatmap_svg, session_svg
from gsmile_core.session import load_session, save_session
from gsmile_core.types import Explanation
from gsmile_core.method.word_support import word_support

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p", "div", "span",
    "table", "caption", "thead", "tbody", "tr", "th", "td", "nav", "ul", "li", "a", "strong",
    "section", "dl", "dt", "dd",
}


class Collector(HTMLParser):
    """Every start tag with its attributes and all text, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(document: str) -> Collector:
    collector = Collector()
    collector.feed(document)
    collector.close()
    return collector


def assert_inert_html(document: str) -> Collector:
    parsed = parse(document)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name in {"class", "style", "title", "id", "href", "lang", "charset", "http-equiv",
                            "content", "name"}, (tag, name)
            if name == "href":
                assert value.startswith("#"), value  # only in-page anchors
            if name == "style":
                assert "url(" not in value and "expression" not in value
    for char in CONTROL_CHARS:
        assert char not in document
    return parsed


def test_html_document_has_csp_and_no_script(session):
    document = render(session, "html")
    assert document.startswith("<!DOCTYPE html>")
    parsed = assert_inert_html(document)
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert "<script" not in document.lower()  # URLs appear only as text (attributes checked above)


def test_hostile_text_is_shown_as_text_in_html(hostile):
    document = explanation_html(hostile)
    parsed = assert_inert_html(document)
    text = "".join(parsed.text)
    # the attack is visible to the reader, as text, in the prompt, answer, heatmap and tables
    assert text.count("<script>document.title='PWNED'</script>") >= 3
    assert MARKUP in text
    assert "&lt;script&gt;" in document and "<script>" not in document
    assert "red osc-link evil" in text  # escapes and bidi override removed, words kept
    # the heatmap word that *is* the attack is one escaped span
    assert '>&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;&lt;img</span>' in document


def test_sections_of_an_explanation_report(plain):
    document = explanation_html(plain)
    for heading in ("Prompt", "Original answer", "Heatmap", "Words by importance",
                    "Fidelity of the surrogate (paper eqs. 17-22)", "Perturbations", "Settings", "Provenance"):
        assert f">{heading}</h" in document
    for figure in ("WMSE", "R²_w", "adj. R²_w", "WMAE", "mean-L1", "mean-L2"):
        assert f"<th>{figure}</th>" in document
    for column in ("mask", "prompt", "answer", "input distance", "output distance", "weight", "p-value"):
        assert f"<th>{column}</th>" in document
    assert "importance = −θ" in document and "keeping the word holds the answer near the original" in document
    # one perturbation row per perturbation, with its mask
    assert document.count('<td class="mask">') == len(plain.perturbations)
    assert '<td class="mask">111111</td>' in document
    assert f"<td>{plain.provenance.model}</td>" not in document  # values are in text cells
    assert plain.provenance.model in document and plain.provenance.gsmile_version in document


def test_heatmap_colours_follow_scores_and_palette(plain):
    pal = get_palette("blue-orange")
    top_feature, top_score = plain.ranked()[0]
    document = heatmap_html(plain)
    assert f"background:{pal.positive};" in document  # the largest score gets the full colour
    assert document.count('class="w') == len(plain.features)
    other = heatmap_html(plain, "red-blue")
    assert f"background:{PALETTES['red-blue'].positive};" in other and pal.positive not in other
    custom = Palette("theme", negative="#000080", positive="#00ff00", neutral="#202020",
                     dark_text="#111111", light_text="#eeeeee")
    themed = heatmap_html(plain, custom)
    assert "background:#00ff00;color:#111111" in themed  # bright green: dark text
    assert "color:#eeeeee" in themed  # near-neutral dark background: light text


def test_palette_maths():
    pal = get_palette()
    assert pal.name == "blue-orange"
    assert pal.background(2.0, 2.0) == pal.positive and pal.background(-2.0, 2.0) == pal.negative
    assert pal.background(0.0, 2.0) == pal.neutral == "#ffffff"
    assert pal.background(5.0, 0.0) == pal.neutral
    assert pal.background(float("nan"), 1.0) == pal.neutral
    assert pal.background(1.0, 2.0) == "#f2b080"  # halfway from white to #e66101 (242.5 rounds to even)
    assert pal.foreground("#ffffff") == "#000000" and pal.foreground(pal.negative) == "#ffffff"
    with pytest.raises(ValueError, match="unknown palette 'nope'"):
        get_palette("nope")
    with pytest.raises(ValueError, match="not a #rrggbb colour"):
        Palette("bad", negative="blue", positive="#ffffff")


def test_unsupported_words_are_marked_and_explained(bayes):
    support = word_support(bayes)
    unsupported = [s for s in support if s.significant is False]
    assert unsupported and len(unsupported) < len(support)
    document = explanation_html(bayes)
    assert document.count('class="w ns"') == len(unsupported)
    assert "Dotted underline: not significant" in document and "credible interval" in document
    assert "posterior std" in document and "95% interval (credible, bootstrap)" not in document
    markdown = explanation_markdown(bayes)
    assert markdown.count(", n.s.)") == len(unsupported)


def test_secrets_in_settings_are_redacted(hostile):
    for fmt in ("html", "markdown"):
        out = render(hostile, fmt)
        assert "sk-live-SECRET123" not in out and "redacted" in out
    assert redact({"max_tokens": 48, "api_key": "", "token": "t", "x-api-key": "k"}) == {
        "max_tokens": 48, "api_key": "", "token": "(redacted)", "x-api-key": "(redacted)",
    }


def test_markdown_neutralises_hostile_text(hostile, session):
    for out in (explanation_markdown(hostile), session_markdown(session)):
        for char in CONTROL_CHARS:
            assert char not in out
        # outside fenced blocks (shown literally): no raw HTML, no live links or images
        prose = re.sub(r"^(`{3,})text\n.*?^\1$", "", out, flags=re.M | re.S)
        assert prose.count("```") == 0
        assert "<script" not in prose and "<img" not in prose
        assert not re.search(r"(?<!\\)\]\((javascript|http)", prose)  # "]" escaped: no link or image
        assert "\\[@click=app.quit\\]" in out
    out = explanation_markdown(hostile)
    # fenced blocks: the fence is longer than any backtick run inside
    fence = re.search(r"^(`{3,})text$", out, re.M).group(1)
    assert len(fence) == 4
    # table rows keep their column count although the text contains "|"
    table = [line for line in out.splitlines() if line.startswith("| 1 | 1")]
    assert table and all(len(re.findall(r"(?<!\\)\|", line)) == 10 for line in table)


def test_md_helpers():
    assert report_format.md("a|b [x](y) <b>") == "a\\|b \\[x\\](y) &lt;b&gt;"
    assert report_format.md_block("x ```` y").startswith("`````text\n")


def test_svg_is_well_formed_and_inert(hostile, session):
    for svg in (heatmap_svg(hostile), session_svg(session)):
        root = ET.fromstring(svg.encode("utf-8"))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        for element in root.iter():
            local = element.tag.split("}")[1]
            assert local in {"svg", "rect", "text", "g", "title", "defs", "linearGradient", "stop"}
            assert not any(name.startswith("on") or "href" in name for name in element.attrib)
        for char in CONTROL_CHARS:
            assert char not in svg
    root = ET.fromstring(heatmap_svg(hostile).encode("utf-8"))
    words = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>document.title='PWNED'</script><img" in words  # shown as text
    assert "[@click=app.quit]" in words
    assert len([w for w in words if w]) >= len(hostile.features)


def test_svg_colours_from_the_palette(plain):
    svg = heatmap_svg(plain, "purple-green")
    assert f'fill="{PALETTES["purple-green"].positive}"' in svg
    assert PALETTES["blue-orange"].positive not in svg


def test_session_report_has_comparison_and_every_run(session):
    document = render(session, "html")
    assert document.count('<h2 id="r') == len(session.runs)
    assert '<h2 id="g1">Comparison: ' in document
    assert "Jaccard index of the top-3 words" in document and "Jaccard (k = 3)" in document
    assert "<th>Δ men&#x27;s perspective</th>" in document
    assert '<a href="#g1">' in document and '<a href="#r1">' in document
    only = render(session, "html", run_ids=["r2"])
    assert only.count('<h2 id="r') == 1 and "Comparison:" not in only


def test_json_outputs_reload(session, plain, tmp_path):
    path = tmp_path / "s.json"
    path.write_text(render(session, "json"), encoding="utf-8")
    loaded = load_session(path)
    assert loaded.to_dict() == read_back(session.to_dict())  # escapes never survive a read
    assert load_session(path) == loaded
    subset = tmp_path / "sub.json"
    subset.write_text(render(session, "json", run_ids=["r1", "r5"]), encoding="utf-8")
    loaded = load_session(subset)
    assert [r.id for r in loaded.runs] == ["r1", "r5"] and loaded.groups == ()
    assert loaded.run("r5").kind == "single"
    reported = json.loads(render(plain, "json"))
    significance = reported["extras"].pop("significance")  # the verdicts, added for readers of the JSON
    assert reported == plain.to_dict() and significance["rule"].startswith("significant = ")
    assert Explanation.from_dict(json.loads(render(plain, "json"))).attributions == plain.attributions


def test_export_writes_atomically_and_refuses_unknown_formats(session, tmp_path):
    out = export(session, "markdown", tmp_path / "r.md")
    assert out.read_text(encoding="utf-8").startswith("# gSMILE session")
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(session, "pdf")
    save_session(session, tmp_path / "s.json")  # the session itself is unaffected by exports
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md", "s.json"]


def test_hostile_session_name_and_labels(session):
    document = render(session, "html")
    parsed = assert_inert_html(document)
    title = [t for t, _ in parsed.tags if t == "title"]
    assert title == ["title"]
    assert "<title>gSMILE session — audit &lt;script&gt;" in document
    assert HTML_ATTACK not in document


def test_svg_widens_for_a_word_longer_than_a_line(fake_backend):
    from gsmile_core.pipeline import explain_sync

    e = explain_sync("short " + "x" * 200 + " end", fake_backend)
    root = ET.fromstring(heatmap_svg(e, width=900).encode("utf-8"))
    width = float(root.attrib["width"])
    rects = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("x") and r.get("width")]
    assert width > 900
    assert all(float(r.get("x")) + float(r.get("width")) <= width for r in rects)


def test_markdown_session_has_the_comparison(session):
    from gsmile_core.evaluation.compare import compare

    out = session_markdown(session)
    assert "## Comparison g1: neutral vs men's perspective vs women's perspective" in out
    assert "| pair | Jaccard (k = 3) |" in out
    members = session.group_runs("g1")
    c = compare([r.explanation for r in members], [r.label for r in members], 3)
    women = next(r for r in c.rows if r.word == "women's")
    assert f"| women's | — | — | {women.scores[2]:+.4f} | — | — |" in out.splitlines()
    life = next(r for r in c.rows if r.word == "life")
    assert f"| life | {life.scores[0]:+.4f} | {life.scores[1]:+.4f} | {life.scores[2]:+.4f} | {life.deltas[1]:+.4f} | {life.deltas[2]:+.4f} |" in out.splitlines()
    assert out.count("## Run r") == len(session.runs)
