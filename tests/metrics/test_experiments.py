"""Every experiment end to end on the fake model (small sizes), through the library and the CLI."""

from __future__ import annotations

import asyncio
import csv
import json

import numpy as np
import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.calls.cache import ResponseCache
from gsmile_core.cli import main
from gsmile_core.config import ExplainConfig
from gsmile_core.events import StageStarted, StepDone
from gsmile_core.evaluation.experiments import EXPERIMENTS, ExperimentContext, run_experiment, write_outputs
from gsmile_core.calls.context import RunContext

SMALL = {"prompts": 2, "repeats": 3, "counts": (8, 16)}
PAPER_NAMES = {"perturbations", "distances", "runtime", "accuracy", "stability", "consistency", "fairness", "opro"}


def run(name, options=None, config=None, cache=None):
    events = []
    backend = FakeBackend()
    ctx = ExperimentContext(backend, config or ExplainConfig(perturbations=16, bootstrap=0),
                            {**SMALL, **(options or {})}, run=RunContext(cache=cache, on_event=events.append))
    result = asyncio.run(run_experiment(name, ctx))
    return result, events, backend


def test_every_paper_experiment_and_the_grid_are_registered():
    assert PAPER_NAMES | {"defaults"} <= set(EXPERIMENTS.names())


@pytest.mark.parametrize("name", sorted(PAPER_NAMES))
def test_experiment_writes_json_csv_markdown_with_provenance(name, tmp_path):
    result, events, backend = run(name)
    paths = write_outputs(result, tmp_path)
    assert [p.name for p in paths] == [f"{name}.json", f"{name}.csv", f"{name}.md"]
    data = json.loads((tmp_path / f"{name}.json").read_text())
    assert data["format"] == "gsmile.experiment" and data["name"] == name
    assert data["provenance"]["backend"] == "fake" and data["provenance"]["model"] == "fake-rules-v1"
    assert data["provenance"]["model_calls"] == backend.calls  # every real call is accounted for
    rows = list(csv.DictReader((tmp_path / f"{name}.csv").open()))
    assert len(rows) == len(result.rows) > 0
    markdown = (tmp_path / f"{name}.md").read_text()
    assert markdown.startswith("# ") and "| --- |" in markdown
    # progress: announced once, then steps up to the total
    started = [e for e in events if isinstance(e, StageStarted)]
    steps = [e for e in events if isinstance(e, StepDone)]
    assert len(started) == 1 and steps and steps[-1].done == steps[-1].total == started[0].total


def test_accuracy_experiment_scores_the_fake_model():
    result, _, _ = run("accuracy")
    row = result.rows[0]
    # fake model: meaning/life and doctor/ocean are exactly its trigger words
    assert row["auroc"] == pytest.approx(1.0) and row["acc"] == pytest.approx(1.0)
    assert any("Labelling rule" in n for n in result.notes)


def test_distances_refits_without_new_calls():
    result, _, backend = run("distances")
    assert backend.calls == 16  # one explanation; every pair refitted from its answers
    pairs = {(r["input"], r["output"]) for r in result.rows}
    assert ("wmd", "wmd") in pairs and ("cosine", "cosine") in pairs


def test_perturbation_sweep_reuses_answers():
    result, _, backend = run("perturbations")
    assert [r["perturbations"] for r in result.rows] == [8, 16]
    assert backend.calls <= 16  # the 8 masks are the first 8 of the 16 (same seed): asked once


def test_consistency_on_the_fake_model_is_small_but_defined():
    """Re-seeded runs draw other masks (16 of the 63 possible), so the scores vary a little:
    defined (finite, > 0), the row is the mean of the per-word variances, and small: the typical
    run-to-run std is under a fifth of the spread of the words' mean scores."""
    result, _, _ = run("consistency")
    row, per_word = result.rows[0], result.details["consistency"]
    assert row["repeats"] == 3
    assert np.isfinite(row["variance"]) and row["variance"] > 0
    assert row["variance"] == pytest.approx(np.mean(per_word["variance"]), rel=1e-12)
    assert row["std"] < 0.2 * np.std(per_word["mean_score"])


def test_defaults_grid_runs_small_and_ranks_peers(tmp_path):
    result, _, _ = run("defaults", {"prompts": 2, "finalists": 1, "random_seeds": 2, "samplers": ("bernoulli",)},
                       ExplainConfig(perturbations=12, bootstrap=0))
    configs = [r["config"] for r in result.rows]
    assert "leave-one-out ablation" in configs and "Shapley sampling" in configs
    aurocs = [r["auroc"] for r in result.rows]
    assert aurocs == sorted(aurocs, reverse=True)
    tested = [r for r in result.rows if "comprehensiveness" in r]
    assert any(r["peer"] for r in tested) and any(not r["peer"] for r in tested)
    write_outputs(result, tmp_path)


def test_second_run_is_served_by_the_response_cache(tmp_path):
    cache = ResponseCache(tmp_path / "cache")
    try:
        _, _, first = run("fairness", cache=cache)
        _, _, second = run("fairness", cache=cache)
    finally:
        cache.close()
    assert first.calls > 0 and second.calls == 0


def test_cli_list_and_run(tmp_path, capsys):
    assert main(["experiment", "--list"]) == 0
    listed = capsys.readouterr().out
    for name in PAPER_NAMES:
        assert name in listed
    code = main(["experiment", "stability", "--backend", "fake", "--out", str(tmp_path), "--prompts", "2",
                 "-n", "8", "--bootstrap", "0", "--quiet", "--no-cache"])
    assert code == 0
    assert "Jaccard Index" in capsys.readouterr().out
    assert (tmp_path / "stability.json").is_file()


@pytest.mark.parametrize("argv, message", [
    (["experiment", "nope", "--out", "x"], "unknown experiment 'nope'"),
    (["experiment", "accuracy", "--backend", "fake"], "--out DIR is required"),
    (["experiment"], "name an experiment"),
    (["experiment", "accuracy", "--backend", "fake", "--out", "o", "--top-k", "2", "--threshold", "0.1"], "not both"),
    (["experiment", "perturbations", "--backend", "fake", "--out", "o", "--counts", "8,x"], "comma-separated"),
])
def test_cli_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.local_model
def test_stability_and_deletion_on_the_local_model(tmp_path):
    """Once on the real bundled model: small, but every part real (answers, distances, curves)."""
    from gsmile_core.backends import create_backend
    from gsmile_core.evaluation.metrics.faithfulness import deletion_test

    backend = create_backend("local")
    ctx = ExperimentContext(backend, ExplainConfig(perturbations=8, bootstrap=0, max_tokens=24), {"prompts": 1})
    result = asyncio.run(run_experiment("stability", ctx))
    write_outputs(result, tmp_path)
    row = result.rows[0]
    assert row["model"].startswith("SmolLM2") and 0.0 <= row["jaccard"] <= 1.0
    assert result.provenance["model_calls"] > 0

    async def deletion():
        explanation = await ctx.explain("What is the meaning of life?")
        return await deletion_test(ctx.probe(explanation), explanation.attributions, random_seeds=2)

    curves = asyncio.run(deletion())
    assert len(curves.deletion) == 7 and curves.deletion[0] == pytest.approx(0.0, abs=1e-6)


def test_undefined_numbers_are_written_as_null(tmp_path):
    from gsmile_core.evaluation.experiments.base import ExperimentResult

    result = ExperimentResult("x", "X", (("a", "A"),), ({"a": float("nan")}, {"a": float("inf")}, {"a": 1.5}))
    write_outputs(result, tmp_path)
    data = json.loads((tmp_path / "x.json").read_text())
    assert [r["a"] for r in data["rows"]] == [None, None, 1.5]
    assert "| — |" in (tmp_path / "x.md").read_text()
