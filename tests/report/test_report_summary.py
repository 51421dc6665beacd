"""Every report opens with a summary an auditor can hand on (prompt, model and backend, top units
with intervals, fidelity verdict, warnings) and shows settings as labels, not Python values."""

from __future__ import annotations

import dataclasses

from report_fixtures import CONTROL_CHARS, HTML_ATTACK
from report_text import every_format, html_text, terminal_text
from test_report_render import assert_inert_html

from gsmile_core.reports.html import explanation_html
from gsmile_core.reports.markdown import explanation_markdown, session_markdown
from gsmile_core.reports.summary import audit_summary
from gsmile_core.reports.terminal import summary_view


def test_the_summary_comes_first_with_the_facts(plain):
    summary = audit_summary(plain)
    assert [u.text for u in summary.top[:2]] == ["life?", "meaning"] and summary.fidelity == "good"
    for name, text in every_format(plain).items():
        if name == "svg":
            continue
        start = text.index("Summary")
        assert start < text.index("importance = −θ") and start < text.index("WMSE"), name  # before the tables
        head = text[start : text.index("Prompt", start + 40) if name != "terminal" else None]
        for fact in ("fake-rules-v1", "fake backend", "life? +2.0822 [+1.8489, +2.3401]", "good (R²_w = 0.97)"):
            assert fact in " ".join(head.replace("|", " ").split()), (name, fact)


def test_warnings_open_the_summary(plain):
    shaky = dataclasses.replace(plain, fidelity=dataclasses.replace(plain.fidelity, r2_w=0.21), out_of_vocabulary=3,
                                warnings=("the answer was cut at max_tokens",))
    summary = audit_summary(shaky)
    assert summary.fidelity == "low"
    assert [w.split(":")[0].split(" ")[0] for w in summary.warnings] == ["low", "3", "the"]
    for name, text in every_format(shaky).items():
        if name == "svg":
            continue
        for needle in ("low fidelity: R²_w = 0.21 < 0.4", "3 answer word(s) had no word vector", "the answer was cut at max_tokens"):
            assert needle in text[: text.index("Original answer")], (name, needle)


def test_hostile_text_in_the_summary_stays_text(hostile, session):
    assert_inert_html(explanation_html(hostile))
    head = html_text(explanation_html(hostile))
    assert HTML_ATTACK in head  # shown, as text
    for document in (explanation_markdown(hostile), session_markdown(session)):
        summary = document[document.index("Summary"):document.index("Prompt", document.index("Summary") + 60)]
        assert "<script" not in summary and "](javascript" not in summary.replace("\\](", "")
    shown = terminal_text(hostile)
    for char in CONTROL_CHARS:
        assert char not in shown
    assert "[@click=app.quit] [bold red]boom[/]" in summary_view(hostile).plain  # plain text, never markup


def test_settings_are_labels_and_words_not_python_values(plain):
    for name, text in every_format(plain).items():
        if name in ("svg", "terminal"):
            continue
        settings = text[text.index("Settings"):text.index("Provenance")]
        assert "Significance level α 0.05" in " ".join(settings.replace("|", " ").split()), name
        assert "Fit only perturbations with p < α no" in " ".join(settings.replace("|", " ").split()), name
        for python in ("False", "True", "None", "drop_insignificant", "ci_resamples", "max_tokens"):
            assert python not in settings, (name, python)
        provenance = text[text.index("Provenance"):]
        assert '{"model"' not in provenance and "Model: fake-rules-v1" in provenance, name
