"""`audit_prompts` from Python: a prompt file explained on a plain Python function into its
folder, the same call again asking nothing, other options refused unless `force=True`, a
fairness set, the set's budget refused before any call, typos named, and a notebook cell (a
running event loop)."""

from __future__ import annotations

import json

import pytest

from gsmile_core import ConfigError, audit_prompts
from gsmile_core.calls.budget import BudgetExceeded

LIGHT = dict(perturbations=12, bootstrap=0, ci_resamples=0, interactions=0, seed=1)
ROWS = [
    {"id": "life", "prompt": "What is the meaning of life?"},
    {"id": "ocean", "prompt": "Tell me about the ocean and the weather today"},
]


class CountingModel:
    """A black box that answers about the words it sees, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, prompt: str) -> str:
        self.calls += 1
        if "life" in prompt:
            return "Life is about meaning, purpose and the people we love."
        if "ocean" in prompt:
            return "The ocean is vast, deep and full of life."
        return "I am not sure what you are asking about."


def write_set(tmp_path, rows=ROWS):
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_prompt_file_on_a_function_writes_the_folder_and_resumes_for_free(tmp_path):
    model, out = CountingModel(), tmp_path / "audit"
    summary = audit_prompts(write_set(tmp_path), model, out=out, cache=False, **LIGHT)
    assert summary["counts"] == {"prompts": 2, "ok": 2, "failed": 0, "not_done": 0, "bad_lines_skipped": 0}
    assert {p.name for p in out.iterdir()} >= {"results.jsonl", "summary.json", "report.html", "report.md"}
    assert json.loads((out / "summary.json").read_text()) == summary
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    life = next(line for line in lines if line["id"] == "life")
    assert max(zip(life["attributions"], life["features"]))[1] in ("life?", "meaning")
    made = model.calls
    assert made > 0 and summary["calls"]["model_calls"] == made
    again = audit_prompts(write_set(tmp_path), model, out=out, cache=False, **LIGHT)
    assert model.calls == made and again["counts"]["ok"] == 2  # resumed: nothing asked again
    with pytest.raises(ConfigError):
        audit_prompts(write_set(tmp_path), model, out=out, cache=False, **{**LIGHT, "seed": 2})
    assert model.calls == made
    audit_prompts(write_set(tmp_path), model, out=out, cache=False, force=True, **{**LIGHT, "seed": 2})
    assert model.calls > made


def test_a_fairness_set_from_python(tmp_path):
    templates, groups = tmp_path / "t.txt", tmp_path / "g.txt"
    templates.write_text("The {person} asked the doctor about life.\n", encoding="utf-8")
    groups.write_text("person: [he, she, they]\n", encoding="utf-8")
    summary = audit_prompts(model="fake", templates=templates, groups=groups, out=tmp_path / "fair", cache=False, **LIGHT)
    assert summary["counts"]["ok"] == 3
    assert summary["fairness"]


def test_the_sets_budget_is_refused_before_any_call_and_typos_are_named(tmp_path):
    model = CountingModel()
    with pytest.raises(BudgetExceeded, match="needs 24 model calls"):
        audit_prompts(write_set(tmp_path), model, out=tmp_path / "a", cache=False, max_calls=3, **LIGHT)
    assert not (tmp_path / "a" / "results.jsonl").exists()
    with pytest.raises(ConfigError, match="did you mean 'perturbations'"):
        audit_prompts(write_set(tmp_path), model, out=tmp_path / "b", perturbatons=8)
    with pytest.raises(ConfigError, match="did you mean 'retry_failed'"):
        audit_prompts(write_set(tmp_path), model, out=tmp_path / "c", retry_faild=True)
    assert model.calls == 0


async def test_inside_a_running_event_loop(tmp_path):
    summary = audit_prompts(write_set(tmp_path), CountingModel(), out=tmp_path / "nb", cache=False, **LIGHT)
    assert summary["counts"]["ok"] == 2
