"""Explanations and sessions for the report tests, built with the real pipeline on the fake backend.

`hostile` carries every kind of untrusted text a report must neutralise: Textual markup, HTML and
script, Markdown links and fences, ANSI / OSC escapes, C0 controls and right-to-left overrides —
in the prompt, the answers, the labels and the session name.
"""

from __future__ import annotations

import dataclasses

import pytest

from gsmile_core.backends import create_backend
from gsmile_core.evaluation.compare import fairness_variants
from gsmile_core.config import ExplainConfig
from gsmile_core.pipeline import explain_sync
from gsmile_core.session import Session
from report_fixtures import ESCAPES, HTML_ATTACK, MARKUP, MD_ATTACK

NOW = "2026-01-02T03:04:05Z"


@pytest.fixture(scope="session")
def fake_backend():
    return create_backend("fake")


@pytest.fixture(scope="session")
def plain(fake_backend):
    return explain_sync("What is the meaning of life?", fake_backend, ExplainConfig(perturbations=32))


@pytest.fixture(scope="session")
def bayes(fake_backend):
    return explain_sync(
        "What is the meaning of life?", fake_backend, ExplainConfig(perturbations=32, surrogate="bayes")
    )


@pytest.fixture(scope="session")
def hostile():
    """A real run whose prompt and answers are hostile, plus escapes injected as a tampered
    session file would carry them."""
    backend = create_backend("fake", rules={"life": f"Life {MARKUP} {HTML_ATTACK} {MD_ATTACK}"})
    prompt = f"What is {HTML_ATTACK} the meaning of life? {MARKUP} {MD_ATTACK}"
    e = explain_sync(prompt, backend, ExplainConfig(perturbations=32))
    tampered = [dataclasses.replace(e.perturbations[0], output=e.perturbations[0].output + " " + ESCAPES)]
    return dataclasses.replace(
        e,
        original_output=e.original_output + " " + ESCAPES,
        perturbations=tuple(tampered) + e.perturbations[1:],
        warnings=(f"warning {MARKUP} {HTML_ATTACK} {ESCAPES}",),
        config={**e.config, "api_key": "sk-live-SECRET123", "note": f"{HTML_ATTACK}"},
    )


@pytest.fixture(scope="session")
def fairness_runs(fake_backend):
    variants = fairness_variants("What is the meaning of life?")
    return [(label, explain_sync(p, fake_backend, ExplainConfig(perturbations=32))) for label, p in variants]


@pytest.fixture(scope="session")
def session(plain, bayes, hostile, fairness_runs):
    return (
        Session.new(f"audit {HTML_ATTACK} {ESCAPES}", now=NOW, session_id="s1")
        .with_run(plain, now=NOW)
        .with_run(bayes, label="bayes", now=NOW)
        .with_run(hostile, label=f"hostile {MARKUP} {HTML_ATTACK} {ESCAPES}", now=NOW)
        .with_compare_group(
            [e for _, e in fairness_runs], [label for label, _ in fairness_runs], top_k=3, now=NOW
        )
    )
