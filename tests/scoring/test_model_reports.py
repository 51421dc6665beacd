"""Model explanations in the reports: the bar chart in a real browser (headless Chromium, pixels
in the palette's colours), hostile column names and classes escaped, Markdown tables, the session
report with the counterfactual pair as a comparison aligned by column, and an LLM explanation's
report unchanged by the new section."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

from gsmile_core import explain, explain_counterfactual, explain_tabular
from gsmile_core.reports.html import explanation_html
from gsmile_core.reports.html_session import session_html
from gsmile_core.reports.markdown import explanation_markdown
from gsmile_core.reports.palette import PALETTES
from gsmile_core.session import Session

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
from test_report_chromium import screenshot  # noqa: E402

FAST = {"perturbations": 32, "bootstrap": 199, "ci_resamples": 20}
HOSTILE = "<script>alert(1)</script>[b]x[/b]\x1b[31m"


def linear(rows):
    return rows[:, 0].astype(float) * 2.0 - rows[:, 1].astype(float)


def test_bar_chart_in_chromium(tmp_path):
    rng = np.random.default_rng(0)
    data = {"strong": rng.normal(size=100), "against": rng.normal(size=100) + 3}
    data["strong"][1], data["against"][1] = 3.0, 6.0  # above both means: one positive, one negative score
    e = explain_tabular(linear, data, row=1, **FAST)
    assert e.attributions[0] > 0 > e.attributions[1]
    html = explanation_html(e, palette="blue-orange")
    assert "Features by importance" in html and "bar (− | +)" in html
    image = screenshot(tmp_path, html, size="1100,1500")
    colours = Counter(image.get_flattened_data() if hasattr(image, 'get_flattened_data') else image.getdata())
    palette = PALETTES["blue-orange"]
    for colour in (palette.positive, palette.negative):
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert colours[rgb] > 200, colour  # the bars (and the heatmap) are drawn in the palette


def test_hostile_names_are_escaped_everywhere():
    data = {HOSTILE: [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]}
    e = explain_tabular(lambda rows: np.column_stack([rows[:, 0] / 5, 1 - rows[:, 0] / 5]), data, row=0,
                        classes=[HOSTILE, "other"], **FAST)
    html = explanation_html(e)
    assert "<script>" not in html and "\x1b" not in html
    markdown = explanation_markdown(e)
    assert "\x1b" not in markdown
    section = markdown[markdown.index("### Model"):markdown.index("## Heatmap")]  # outside the fenced prompt
    assert "<script>" not in section and "&lt;script&gt;" in section


def test_text_classifier_markdown_and_the_llm_report_unchanged(plain=None):
    e = explain("The food was great but the service was terribly slow", classifier="vader",
                explained_class="pos", **FAST)
    markdown = explanation_markdown(e)
    assert "### Model" in markdown and "| 1 | great |" in markdown
    from gsmile_core.backends import create_backend
    from gsmile_core.config import ExplainConfig
    from gsmile_core.pipeline import explain_sync

    llm = explain_sync("What is the meaning of life?", create_backend("fake"), ExplainConfig(perturbations=16, ci_resamples=0))
    assert "Model</h" not in explanation_html(llm) and "### Model" not in explanation_markdown(llm)


def test_session_report_shows_the_counterfactual_aligned_by_column():
    data = {"income": [10.0, 60.0, 30.0, 80.0, 55.0, 20.0], "sex": ["F", "M", "F", "M", "F", "M"]}

    def rule(rows):
        p = np.where(rows[:, 1] == "M", 0.9, rows[:, 0].astype(float) / 100)
        return np.column_stack([1 - p, p])

    found = explain_counterfactual(rule, data, 0, "sex", classes=["deny", "grant"], explained_class="grant", **FAST)
    session = Session.new("fairness").with_compare_group([found.original, found.swapped], list(found.labels))
    html = session_html(session)
    assert "Comparison: sex=F vs sex=M" in html
    assert html.count("<td>sex</td>") >= 1 and html.count("<td>income</td>") >= 1
