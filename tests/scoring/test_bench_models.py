"""The models benchmark runs end to end on a few instances: every method within the same budget
of model calls (exact Shapley excepted), LIME really called, and gSMILE finding the causal features
of the synthetic models. (The full table is `python benchmarks/bench_models.py`.)"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

from gsmile_core.evaluation.shapley import shapley_from_table

PATH = Path(__file__).parents[2] / "benchmarks" / "bench_models.py"
spec = importlib.util.spec_from_file_location("bench_models", PATH)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_exact_shapley_of_the_benchmark_matches_the_cores():
    rng = np.random.default_rng(3)
    table = rng.normal(size=2**5)
    value = lambda coalition: table[sum(1 << i for i in coalition)]  # noqa: E731
    assert np.allclose(bench.exact_shapley(value, 5), shapley_from_table(table))


def test_every_method_within_budget_and_gsmile_finds_the_causes():
    rng = np.random.default_rng(0)
    sentences, triggers = bench.synthetic_sentences(3, rng)
    text = bench.run_text("synthetic", bench.synthetic_text_model, sentences, triggers, 0, ("complaint", "praise"), 48, exact=True)
    table = bench.run_tabular(48, 3)
    for results in (text, table):
        for method in ("gSMILE", "LIME", "sampled Shapley"):
            mean_auroc, seconds, calls, n = results[method]
            assert calls <= 48 and n == 3 and 0 <= mean_auroc <= 1
        assert results["exact Shapley"][2] > 48
    assert text["gSMILE"][0] >= 0.9 and table["gSMILE"][0] >= 0.75
    assert math.isfinite(text[("spearman", "LIME")])
