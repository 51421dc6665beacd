"""`defaults`: which configuration explains best — measured on the labelled prompt set.

For every labelled prompt, one explanation per mask sampler (the only part that needs new model
answers); every other choice is refitted from those answers without calling the model
(`refit`): kernel-width rule × input distance × output distance × surrogate. Each configuration
is scored by ATT AUROC against the labels (accuracy). The peers get the same model, the same
output distance and the same call budget: LIME (uniform-count masks, LIME's cosine kernel,
ridge — it reuses the uniform-count answers), leave-one-out feature ablation (d calls) and
Shapley sampling (permutations until the budget is spent). The best configurations, the paper's
and the peers then take the deletion/insertion test on the real model (faithfulness).

Kernel-width rules (σ of w = exp(-(δ/σ)²), δ the input distance):
`median` (σ = median non-zero δ, gSMILE's `auto`), `half-median`, `double-median`, and
`uniform` (σ = 10⁶ × median: every perturbation weighs the same).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ...method.parts import DISTANCES
from ..metrics.accuracy import LABELLING_RULE, SelectionRule, attribution_accuracy, labels_for, load_labelled_prompts
from ..metrics.faithfulness import deletion_test
from ..peers import leave_one_out, lime_scores, shapley_sampling
from ..refit import DistanceTable, refit
from ...method.stats import auto_kernel_width
from ...method.parts import SURROGATES
from .base import ExperimentContext, ExperimentResult, experiment, mean

KERNEL_RULES = {"median": 1.0, "half-median": 0.5, "double-median": 2.0, "uniform": 1e6}
GRID_DISTANCES = ("wmd", "cosine")
GRID_SURROGATES = ("wls", "bayes")


def sampler_settings(name: str, max_removed: int) -> dict[str, Any]:
    return {"sampler": name, "max_removed": max_removed if name == "local" else None}


def config_key(sampler: str, kernel: str, input_distance: str, output_distance: str, surrogate: str) -> str:
    return f"gsmile {sampler} / {kernel} / {input_distance}→{output_distance} / {surrogate}"


@experiment("defaults", "grid of sampler × kernel width × distances × surrogate vs LIME, leave-one-out, Shapley sampling (AUROC + deletion test)")
async def run_defaults(ctx: ExperimentContext) -> ExperimentResult:
    prompts = load_labelled_prompts()[: ctx.option("prompts", 10)]
    samplers = tuple(ctx.option("samplers", ("bernoulli", "uniform-count", "local")))
    max_removed = int(ctx.option("max_removed", 3))
    distances = tuple(d for d in GRID_DISTANCES if d in DISTANCES)
    surrogates = tuple(s for s in GRID_SURROGATES if s in SURROGATES)
    finalists = int(ctx.option("finalists", 6))
    random_seeds = int(ctx.option("random_seeds", 5))
    budget = ctx.config.perturbations
    ctx.plan(len(prompts) * (len(samplers) + 2) + (len(prompts) if finalists > 0 else 0))

    rule = SelectionRule()
    scores: dict[str, list[float | None]] = {}
    calls: dict[str, list[int]] = {}
    accuracy_rows: dict[str, list[Any]] = {}
    attributions: dict[str, list[np.ndarray]] = {}
    probes: list[OutputProbe] = []
    base = ctx.config.with_changes(bootstrap=0, input_distance="wmd", output_distance="wmd")

    def record(key: str, prompt_scores: np.ndarray, labels, words, n_calls: int) -> None:
        result = attribution_accuracy(prompt_scores, labels, rule, words)
        scores.setdefault(key, []).append(result.auroc)
        accuracy_rows.setdefault(key, []).append(result)
        calls.setdefault(key, []).append(n_calls)
        attributions.setdefault(key, []).append(np.asarray(prompt_scores, dtype=float))

    for item in prompts:
        first = None
        for sampler in samplers:
            explanation = await ctx.explain(item.prompt, **sampler_settings(sampler, max_removed), bootstrap=0,
                                            input_distance="wmd", output_distance="wmd")
            first = first or explanation
            words = list(explanation.words)
            labels = labels_for(explanation.features, item.critical)
            table = DistanceTable(explanation)
            for input_distance in distances:
                median = auto_kernel_width(table.column("input", input_distance, base.embedder, base.p))
                for (kernel, factor), output_distance, surrogate in itertools.product(
                    KERNEL_RULES.items(), distances, surrogates
                ):
                    fitted = refit(
                        explanation,
                        table=table,
                        kernel_width=median * factor,
                        input_distance=input_distance,
                        output_distance=output_distance,
                        surrogate=surrogate,
                    )
                    key = config_key(sampler, kernel, input_distance, output_distance, surrogate)
                    record(key, np.asarray(fitted.attributions), labels, words, explanation.unique_prompts)
            if sampler == "uniform-count":
                masks = [p.mask for p in explanation.perturbations]
                deltas = table.column("output", "wmd", base.embedder, base.p)
                record("LIME (uniform-count, cosine kernel, ridge)", lime_scores(masks, deltas), labels, words,
                       explanation.unique_prompts)
            ctx.step()
        probe = ctx.probe(first, base)
        probes.append(probe)
        loo, asked = await leave_one_out(probe)
        record("leave-one-out ablation", loo, labels_for(first.features, item.critical),
               list(first.words), asked + 1)
        ctx.step()
        shapley, asked = await shapley_sampling(probe, budget, seed=ctx.config.seed)
        record("Shapley sampling", shapley, labels_for(first.features, item.critical),
               list(first.words), asked)
        ctx.step()

    def summary(key: str) -> dict[str, Any]:
        results = accuracy_rows[key]
        return {
            "config": key,
            "auroc": mean(scores[key]),
            "acc": float(np.mean([r.acc for r in results])),
            "f1": float(np.mean([r.f1 for r in results])),
            "calls": float(np.mean(calls[key])),
        }

    rows = sorted((summary(k) for k in scores), key=lambda r: (-(r["auroc"] or 0), r["config"]))
    peers = [r for r in rows if not r["config"].startswith("gsmile ")]
    gsmile_rows = [r for r in rows if r["config"].startswith("gsmile ")]
    paper_key = config_key("bernoulli", "median", "wmd", "wmd", "wls")
    chosen = list(dict.fromkeys([r["config"] for r in gsmile_rows[:finalists]] + [paper_key] + [r["config"] for r in peers]))
    chosen = [k for k in chosen if k in scores] if finalists > 0 else []  # 0: accuracy only

    faithfulness: dict[str, dict[str, float]] = {}
    for k in chosen:
        faithfulness[k] = {"comprehensiveness": [], "sufficiency": [], "random_comprehensiveness": [], "random_sufficiency": []}
    for index, probe in enumerate(probes if chosen else []):
        for k in chosen:
            result = await deletion_test(probe, attributions[k][index], random_seeds=random_seeds, seed=ctx.config.seed)
            for field in faithfulness[k]:
                faithfulness[k][field].append(getattr(result, field))
        ctx.step()
    for row in rows:
        f = faithfulness.get(row["config"])
        if f:
            for field, values in f.items():
                row[field] = float(np.mean(values))
            row["comprehensiveness_gain"] = row["comprehensiveness"] - row["random_comprehensiveness"]
            row["sufficiency_gain"] = row["random_sufficiency"] - row["sufficiency"]
        row["peer"] = not row["config"].startswith("gsmile ")

    columns = (
        ("config", "Configuration (sampler / kernel width / input→output distance / surrogate)"),
        ("auroc", "ATT AUROC"),
        ("acc", "ATT ACC"),
        ("f1", "ATT F1"),
        ("calls", "model calls / prompt"),
        ("comprehensiveness", "AOPC compr."),
        ("random_comprehensiveness", "random compr."),
        ("sufficiency", "AOPC suff."),
        ("random_sufficiency", "random suff."),
    )
    best_peer = max((r["auroc"] or 0) for r in peers) if peers else None
    notes = (
        f"{len(prompts)} labelled prompts; labelling rule: {LABELLING_RULE}",
        f"ACC/F1 rule: {rule.describe()}. AUROC: sklearn roc_auc_score of the signed scores, mean over prompts.",
        f"Budget {budget} masks per explanation (the original included); the local sampler removes at most "
        f"{max_removed} words; masks are enumerated when the sampler's support fits the budget.",
        "Kernel-width rules: σ = factor × median non-zero input distance (median 1, half-median 0.5, "
        "double-median 2, uniform 10⁶).",
        (f"Deletion test on the real model for the {finalists} best gSMILE configurations, the paper's "
         f"({paper_key}) and the peers; random orders: {random_seeds} seeds. Compr.: higher is better; "
         "suff.: lower is better.") if finalists > 0 else "No deletion test (--finalists 0).",
        f"Best peer AUROC: {best_peer:.4f}." if best_peer is not None else "No peer ran.",
    )
    return ExperimentResult(
        name="defaults",
        title="Which defaults explain best (ATT AUROC on the labelled set, deletion test)",
        columns=columns,
        rows=tuple(rows),
        notes=notes,
        details={
            "per_prompt_auroc": {k: v for k, v in scores.items()},
            "prompts": [p.prompt for p in prompts],
        },
    )
