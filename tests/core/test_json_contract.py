"""The JSON contract: files written by an earlier gSMILE read back and write out byte for byte.

The fixtures were written by the serialisers each type had before they shared one mechanism
(`gsmile_core.records`): a session with single and compare runs, a Bayesian run with standard
deviations and Shapley values, and a check of each kind; and one explanation as `gsmile explain
--json` writes it. Reading them and writing them again must give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

from gsmile_core.session import load_session, session_json
from gsmile_core.types import Explanation

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_a_session_file_round_trips_byte_for_byte():
    text = (FIXTURES / "golden_session.json").read_text(encoding="utf-8")
    session = load_session(FIXTURES / "golden_session.json")
    assert {check.kind for run in session.runs for check in run.checks} == {"stability", "consistency", "deletion"}
    assert session_json(session) == text


def test_an_explanation_file_round_trips_byte_for_byte():
    text = (FIXTURES / "golden_explanation.json").read_text(encoding="utf-8")
    explanation = Explanation.from_dict(json.loads(text))
    assert json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False) + "\n" == text


def test_every_value_survives_a_second_round_trip():
    session = load_session(FIXTURES / "golden_session.json")
    from gsmile_core.session import session_from_data

    assert session_from_data(json.loads(session_json(session))) == session
