"""A saved explanation or session is untrusted input: a person, another tool or an older version
may have put escape sequences or bidi controls in any string of it. Loading removes them from
every string of a run (answers, prompts, words, check results, provenance), so no front end that
shows a loaded run can pass them to a terminal. Session names and run labels are the user's own
text, kept as typed (they round-trip exactly) and cleaned where the front ends show them."""

from __future__ import annotations

import json
from typing import Any

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.evaluation.checks import CheckInputs, run_check
from gsmile_core.pipeline import explain
from gsmile_core.session import Session, load_session, save_session
from gsmile_core.types import Explanation

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e")
SKIP = {"format", "kind", "name", "label", "labels"}  # format and kind must match; names and labels: the user's


def poisoned(data: Any, key: str = "") -> Any:
    """Every string of `data` with escapes appended (formats, ids and numbers-as-text aside)."""
    if isinstance(data, str):
        return data if key in SKIP or key.endswith("id") or key.endswith("_at") else data + ESCAPES
    if isinstance(data, dict):
        return {k: poisoned(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [poisoned(v, key) for v in data]
    return data


def strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in (*strings(k), *strings(v))]
    if isinstance(data, (list, tuple)):
        return [s for v in data for s in strings(v)]
    return []


async def test_every_string_of_a_loaded_session_is_clean(tmp_path):
    explanation = await explain("What is the meaning of life?", FakeBackend(), ExplainConfig(perturbations=8, bootstrap=0))
    check = await run_check("stability", explanation, FakeBackend(), CheckInputs(k=2))
    session = Session.new("audit", now="2026-01-02T03:04:05Z", session_id="s1").with_run(explanation)
    session = session.with_check(session.runs[0].id, check)
    path = save_session(session, tmp_path / "s.json")
    path.write_text(json.dumps(poisoned(json.loads(path.read_text()))), encoding="utf-8")
    assert "\\u001b" in path.read_text(encoding="utf-8")  # the file really is poisoned
    loaded = load_session(path).to_dict()
    shown = strings(loaded)
    assert any("pwned" not in s and s.startswith("Meaning is") for s in shown)
    assert not [s for s in shown if any(ch in s for ch in FORBIDDEN)]


async def test_every_string_of_a_loaded_explanation_is_clean():
    explanation = await explain("What is the meaning of life?", FakeBackend(), ExplainConfig(perturbations=8, bootstrap=0))
    loaded = Explanation.from_dict(poisoned(explanation.to_dict())).to_dict()
    assert not [s for s in strings(loaded) if any(ch in s for ch in FORBIDDEN)]
    assert loaded["original_output"] == explanation.original_output
