"""A damaged explanation is refused in one line, never reported silently wrong (`gsmile report`
exited 0 and dropped the top word when two attributions were missing)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"


def damaged(change) -> dict:
    data = json.loads((FIXTURES / "golden_explanation.json").read_text())
    change(data)
    return data


def drop_two_attributions(data):
    data["attributions"] = data["attributions"][:-2]


def null_attribution(data):
    data["attributions"][0] = None


def text_attribution(data):
    data["attributions"][1] = "0.5"


def short_std(data):
    data["attribution_std"] = [0.1]


def short_mask(data):
    data["perturbations"][3]["mask"] = data["perturbations"][3]["mask"][:-1]


def mask_of_twos(data):
    data["perturbations"][0]["mask"] = [2] * len(data["features"])


def feature_outside_the_prompt(data):
    data["features"][-1]["end"] = len(data["prompt"]) + 40


def features_out_of_order(data):
    data["features"][0], data["features"][1] = data["features"][1], data["features"][0]


CASES = {
    drop_two_attributions: "damaged explanation: 11 attributions for 13 features",
    null_attribution: "damaged explanation: an attribution is not a number",
    text_attribution: "damaged explanation: an attribution is not a number",
    short_std: "damaged explanation: 1 standard deviations for 13 features",
    short_mask: "damaged explanation: perturbation 4's mask does not have one 0/1 entry per feature",
    mask_of_twos: "damaged explanation: perturbation 1's mask does not have one 0/1 entry per feature",
    feature_outside_the_prompt: "damaged explanation: feature 13 ('today?') is out of place",
    features_out_of_order: "damaged explanation: feature 1 ('you') is out of place",
}


def gsmile(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gsmile_core", *args], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=120)


@pytest.mark.parametrize("change", list(CASES), ids=lambda change: change.__name__)
def test_gsmile_report_refuses_a_damaged_explanation_in_one_line(tmp_path, change):
    source = tmp_path / "damaged.json"
    source.write_text(json.dumps(damaged(change)))
    before = source.read_bytes()
    result = gsmile("report", str(source), "--html", str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md"))
    assert result.returncode == 2
    assert result.stderr == f"gsmile: error: cannot open {source}: {CASES[change]}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.json"] and source.read_bytes() == before


def test_a_damaged_run_inside_a_session_is_refused_too(tmp_path):
    session = json.loads((FIXTURES / "golden_session.json").read_text())
    drop_two_attributions(session["runs"][1]["explanation"])
    source = tmp_path / "s.json"
    source.write_text(json.dumps(session))
    result = gsmile("report", str(source), "--markdown", str(tmp_path / "r.md"))
    assert result.returncode == 2 and "attributions for" in result.stderr and result.stderr.count("\n") == 1


def test_a_non_finite_attribution_in_memory_is_refused_on_reading_back():
    from gsmile_core.types import Explanation

    data = damaged(lambda d: None)
    data["attributions"][2] = math.inf  # json.dumps would write Infinity; a Python caller may hand it over
    with pytest.raises(ValueError, match="attribution 3 is not a finite number"):
        Explanation.from_dict(data)


def test_the_intact_fixture_still_reports(tmp_path):
    result = gsmile("report", str(FIXTURES / "golden_explanation.json"), "--markdown", str(tmp_path / "r.md"))
    assert result.returncode == 0, result.stderr
