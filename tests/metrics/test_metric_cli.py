"""`gsmile metric ...` on saved explanations of the fake model, and its one-line errors."""

from __future__ import annotations

import json

import pytest

from gsmile_core.cli import main


@pytest.fixture
def saved(tmp_path):
    def make(prompt: str, name: str) -> str:
        path = tmp_path / name
        assert main(["explain", prompt, "--backend", "fake", "-n", "16", "--bootstrap", "0", "--json", str(path),
                     "--quiet", "--no-cache"]) == 0
        return str(path)

    return make


def test_accuracy_fidelity_stability_from_files(saved, capsys):
    a = saved("What is the meaning of life?", "a.json")
    b = saved("What is the meaning of life? please", "b.json")
    capsys.readouterr()
    assert main(["metric", "accuracy", a, "--critical", "meaning", "life?", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["auroc"] == pytest.approx(1.0)
    assert [r["label"] for r in data["rows"]] == [0, 0, 0, 1, 0, 1]

    assert main(["metric", "fidelity", a, b]) == 0
    out = capsys.readouterr().out
    assert "WMSE" in out and "adj. R²_w" in out and out.count("a.json") == 1

    assert main(["metric", "stability", a, b, "--k", "2", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("first,second") and out[1].endswith(",1.0,2")


def test_pearson_and_written_output(tmp_path, capsys):
    target = tmp_path / "r.md"
    assert main(["metric", "pearson", "--models", "gpt", "llama", "claude", "--values", "0.84", "0.84", "0.88",
                 "--accuracies", "0.70", "0.688", "0.785", "--out", str(target)]) == 0
    text = target.read_text()
    assert "Pearson r" in text and "p = " in text


def test_consistency_and_deletion_run_the_model(saved, capsys):
    assert main(["metric", "consistency", "What is the meaning of life?", "--backend", "fake", "--repeats", "3",
                 "-n", "8", "--bootstrap", "0", "--quiet", "--no-cache", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["repeats"] == 3 and len(data["result"]["variance"]) == 6
    path = saved("Could you tell me what the doctor said", "d.json")
    capsys.readouterr()
    assert main(["metric", "deletion", path, "--backend", "fake", "--random-seeds", "2", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "Comprehensiveness" in out and "Sufficiency" in out and "vs random" in out


@pytest.mark.parametrize("argv, message", [
    (["metric", "accuracy", "missing.json", "--critical", "x"], "explanation file missing.json does not exist"),
    (["metric", "pearson", "--models", "a", "b", "--values", "1", "2", "--accuracies", "1", "2"], "at least 3 models"),
    (["metric", "stability"], "required"),
])
def test_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_broken_explanation_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["metric", "fidelity", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else"}))
    assert main(["metric", "fidelity", str(other)]) == 2
    assert "not a usable gSMILE explanation" in capsys.readouterr().err
