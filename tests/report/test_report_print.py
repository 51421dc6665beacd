"""The HTML report as an auditor opens and prints it, in headless Chromium: at 1280 px nothing runs
off the page's side and the summary sits above every table; printed to PDF a file comes out; and
with the print stylesheet applied (print media emulated by turning `@media print` on for the
screen) the summary still leads, the contents list is gone, nothing is wider than an A4 page and
the heatmap keeps its colours.

A measuring script is added to a copy of the page with its Content-Security-Policy removed (the
report itself runs no script); it writes what it found into the title, which --dump-dom returns.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata

import pytest
from pypdf import PdfReader
from test_report_chromium import colour_counts, rgb, run_chromium, screenshot

from gsmile_core.reports.html import explanation_html
from gsmile_core.reports.html_session import session_html
from gsmile_core.reports.palette import PALETTES

A4_CSS_PX = 688  # 210 mm less the 2 × 14 mm @page margins, at 96 px per inch

MEASURE = """<script>
addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .map(e => e.tagName + "." + e.className);
  const summary = document.querySelector(".summary");
  const tables = [...document.querySelectorAll("table")].filter(t => !summary.contains(t));
  const nav = document.querySelector("nav");
  document.title = JSON.stringify({
    width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5),
    summaryBottom: summary.getBoundingClientRect().bottom, summaryText: summary.innerText,
    firstTableTop: Math.min(...tables.map(t => t.getBoundingClientRect().top)),
    navShown: nav ? getComputedStyle(nav).display !== "none" : null,
  });
});
</script>"""


def measure(tmp_path, document: str, width: int, print_media: bool = False) -> dict:
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", document)
    if print_media:
        page = page.replace("@media print {", "@media all {")
    page = page.replace("</body>", MEASURE + "</body>")
    path = tmp_path / f"measure-{width}-{print_media}.html"
    path.write_text(page, encoding="utf-8")
    dom = run_chromium(tmp_path, path, "--dump-dom", "--virtual-time-budget=3000", f"--window-size={width},1000").stdout
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    return json.loads(title.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


@pytest.fixture(scope="module")
def long_run(plain):
    """A run whose prompt, answer and masks are long enough to push a careless layout sideways."""
    word = "Antidisestablishmentarianism" * 12
    answer = ("a very long answer " * 200) + word
    perturbations = tuple(dataclasses.replace(p, output=answer, mask=p.mask * 120) for p in plain.perturbations)
    return dataclasses.replace(plain, prompt=plain.prompt + " " + word, original_output=answer, perturbations=perturbations,
                               warnings=("the answer was cut at max_tokens",))


@pytest.fixture(scope="module")
def drilled_run():
    from test_long_prompt_reports import DOCUMENT, drilled

    return drilled(DOCUMENT)


def test_at_1280_px_nothing_overflows_and_the_summary_leads(tmp_path, long_run, session, drilled_run):
    for document in (explanation_html(long_run), session_html(session), explanation_html(drilled_run)):
        found = measure(tmp_path, document, 1280)
        assert found["scrollWidth"] <= found["width"] and found["wide"] == [], found
        assert found["summaryBottom"] <= found["firstTableTop"], found
        assert "Summary" in found["summaryText"] and "fidelity" in found["summaryText"].lower()
    found = measure(tmp_path, explanation_html(long_run), 1280)
    for fact in ("fake-rules-v1", "fake backend", "life?", "significant", "the answer was cut at max_tokens"):
        assert fact in found["summaryText"], fact


def test_printed_to_pdf(tmp_path, long_run):
    page = tmp_path / "report.html"
    page.write_text(explanation_html(long_run), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    run_chromium(tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # NFKC: the PDF's text has the font's ligatures ("ﬁ" for "fi")
    pages = [unicodedata.normalize("NFKC", " ".join(page.extract_text().split())) for page in PdfReader(pdf).pages]
    assert len(pages) >= 2  # the long report runs over pages
    # the summary an auditor hands on leads the first printed page, before any table
    for fact in ("Summary", "fake-rules-v1", "fake backend", "life?", "significant", "Fidelity good"):
        assert fact in pages[0], fact
    printed = " ".join(pages)
    assert printed.index("Summary") < printed.index("Words by importance")


def test_the_print_stylesheet_keeps_the_summary_first_and_fits_a4(tmp_path, long_run, session, plain):
    for document in (explanation_html(long_run), session_html(session)):
        found = measure(tmp_path, document, A4_CSS_PX, print_media=True)
        assert found["wide"] == [] and found["scrollWidth"] <= found["width"], found
        assert found["summaryBottom"] <= found["firstTableTop"]
        assert found["navShown"] in (False, None)
    screen = measure(tmp_path, session_html(session), 1280)
    assert screen["navShown"] is True  # the contents list is hidden only in print
    printed = explanation_html(plain).replace("@media print {", "@media all {")
    image = screenshot(tmp_path, printed, size=f"{A4_CSS_PX},1600")
    assert colour_counts(image)[rgb(PALETTES["blue-orange"].positive)] > 200  # colours kept in print
