"""The paper's experiments (section 5), on whichever model the user picks.

Each reproduces one table or figure with the same shape: `perturbations` (Tables 6-8),
`distances` (Table 9), `runtime` (Table 10), `accuracy` (Table 1), `stability` (Table 3),
`consistency` (Table 4), `fairness` (section 5.1.2), `opro` (section 5.1.5). Answers are shared
within a run (`MemoBackend`): e.g. `distances` explains once and refits every distance ×
surrogate pair from the stored answers; `perturbations` reuses the 32 masks inside the 64.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.linear_model import BayesianRidge

from ...method.parts import DISTANCES
from ...method.embed import get_embedder
from ..metrics.accuracy import LABELLING_RULE, SelectionRule, attribution_accuracy, labels_for, load_labelled_prompts
from ..metrics.consistency import attribution_consistency
from ..metrics.fidelity import SIX_FIGURES, fidelity_rows
from ..metrics.stability import DEFAULT_EDIT_SUFFIX, attribution_stability, minimal_edit
from ..peers import lime_scores, lime_weights
from ..refit import DistanceTable, refit
from ...method.parts import SURROGATES
from ...types import Explanation
from .base import ExperimentContext, ExperimentResult, experiment, mean

MEANING_OF_LIFE = "What is the meaning of life?"
FIDELITY_COLUMNS = tuple(SIX_FIGURES)
PAPER_DISTANCE_PAIRS = (
    ("cosine", "cosine"),
    ("cosine", "wmd"),
    ("wmd", "wmd"),
    ("wmd", "cosine"),
    ("wmd+cosine", "wmd+cosine"),
)
GENDER_PROMPTS = (
    "What is the meaning of life?",
    "What is the meaning of life from men's perspective?",
    "What is the meaning of life from women's perspective?",
)
OPRO_INSTRUCTIONS = (
    "A small quantity of arithmetic and a logical approach will help us quickly solve this problem.",
    "Let's combine our numerical command and clear thinking to quickly and accurately decipher the answer.",
)


def model_name(ctx: ExperimentContext) -> str:
    return ctx.backend.inner.model


def top_words(explanation: Explanation, k: int) -> list[str]:
    return [f"{f.text} ({score:+.3f})" for f, score in explanation.ranked()[:k]]


@experiment("perturbations", "ATT fidelity across perturbation counts 32/64/128/256 (Tables 6-8)")
async def run_perturbations(ctx: ExperimentContext) -> ExperimentResult:
    prompt = ctx.option("prompt", MEANING_OF_LIFE)
    counts = [int(c) for c in ctx.option("counts", (32, 64, 128, 256))]
    ctx.plan(len(counts))
    explanations = []
    for count in counts:
        explanations.append(await ctx.explain(prompt, perturbations=count))
        ctx.step()
    rows = fidelity_rows(explanations, "perturbations", counts)
    for row, e in zip(rows, explanations):
        row["unique_prompts"] = e.unique_prompts
    return ExperimentResult(
        name="perturbations",
        title=f"ATT fidelity for different numbers of perturbations — {model_name(ctx)} (Tables 6-8)",
        columns=(("perturbations", "#Perturb"), *FIDELITY_COLUMNS, ("unique_prompts", "masks used"), ("enumerated", "enumerated")),
        rows=tuple(rows),
        notes=(
            f"Prompt: {prompt!r}. Surrogate {ctx.config.surrogate}, distances "
            f"{ctx.config.input_distance}→{ctx.config.output_distance}, kernel width {ctx.config.kernel_width}.",
            "When a prompt has few words, every possible mask fits in the budget and the masks are enumerated: "
            "larger budgets then add nothing ('enumerated' = yes).",
        ),
        details={"explanations": [e.to_dict() for e in explanations]},
    )


@experiment("distances", "ATT fidelity for each input × output distance and surrogate, one set of answers (Table 9)")
async def run_distances(ctx: ExperimentContext) -> ExperimentResult:
    prompt = ctx.option("prompt", MEANING_OF_LIFE)
    names = DISTANCES.names()
    if ctx.option("all_pairs", False):
        pairs = [(a, b) for a in names for b in names]
    else:
        pairs = [(a, b) for a, b in PAPER_DISTANCE_PAIRS if a in DISTANCES and b in DISTANCES]
    surrogates = SURROGATES.names()
    ctx.plan(1 + len(pairs) * len(surrogates))
    explanation = await ctx.explain(prompt, perturbations=ctx.option("perturbations", ctx.config.perturbations))
    ctx.step()
    table = DistanceTable(explanation)
    rows = []
    for surrogate in surrogates:
        for input_distance, output_distance in pairs:
            fitted = refit(explanation, table=table, input_distance=input_distance,
                           output_distance=output_distance, surrogate=surrogate)
            row: dict[str, Any] = {"surrogate": surrogate, "input": input_distance, "output": output_distance}
            row.update({k: v for k, v in fitted.fidelity.to_dict().items() if k in dict(SIX_FIGURES)})
            row["kernel_width"] = fitted.kernel_width
            row["top_words"] = top_words(fitted, 3)
            rows.append(row)
            ctx.step()
    return ExperimentResult(
        name="distances",
        title=f"ATT fidelity for different distance measures and surrogates — {model_name(ctx)} (Table 9)",
        columns=(("surrogate", "Surrogate"), ("input", "Input dist."), ("output", "Output dist."), *FIDELITY_COLUMNS,
                 ("top_words", "top words")),
        rows=tuple(rows),
        notes=(
            f"Prompt: {prompt!r}; one explanation of {explanation.unique_prompts} masks, refitted for every pair "
            "from the stored answers (no further model call).",
            f"Distances registered: {', '.join(names)}; surrogates: {', '.join(surrogates)}.",
        ),
        details={"explanation": explanation.to_dict()},
    )


@experiment("runtime", "seconds of LIME vs gSMILE vs Bay-LIME on the same answers, equal calls (Table 10)")
async def run_runtime(ctx: ExperimentContext) -> ExperimentResult:
    prompt = ctx.option("prompt", MEANING_OF_LIFE)
    ctx.plan(4)
    first = await ctx.explain(prompt)
    ctx.step()
    model_seconds = first.timing.model_s
    calls = first.unique_prompts
    started = time.perf_counter()
    again = await ctx.explain(prompt)  # every answer is memoised: this is gSMILE's own work
    gsmile_seconds = time.perf_counter() - started
    ctx.step()
    masks = np.asarray([p.mask for p in first.perturbations], dtype=float)
    outputs = [p.output for p in first.perturbations]

    def cosine_targets() -> np.ndarray:
        embedder = get_embedder(ctx.config.embedder)
        origin = embedder.embed(first.original_output)
        cosine = DISTANCES.get("cosine") if "cosine" in DISTANCES else DISTANCES.get("wmd")
        return np.array([cosine(origin, embedder.embed(o), ctx.config.p) for o in outputs])

    started = time.perf_counter()
    lime = lime_scores(masks, cosine_targets())
    lime_seconds = time.perf_counter() - started
    ctx.step()
    started = time.perf_counter()
    target = cosine_targets()
    bayes = BayesianRidge().fit(masks, target, sample_weight=lime_weights(masks))
    baylime = -np.asarray(bayes.coef_)
    baylime_seconds = time.perf_counter() - started
    ctx.step()
    words = first.words

    def top(scores: np.ndarray) -> list[str]:
        order = sorted(range(len(words)), key=lambda i: (-scores[i], i))[:3]
        return [words[i] for i in order]

    rows = [
        {"method": "LIME", "calls": calls, "model_s": model_seconds, "analysis_s": lime_seconds,
         "total_s": model_seconds + lime_seconds, "top_words": top(lime)},
        {"method": "gSMILE", "calls": calls, "model_s": model_seconds, "analysis_s": gsmile_seconds,
         "total_s": model_seconds + gsmile_seconds, "top_words": top(np.asarray(again.attributions))},
        {"method": "Bay-LIME", "calls": calls, "model_s": model_seconds, "analysis_s": baylime_seconds,
         "total_s": model_seconds + baylime_seconds, "top_words": top(baylime)},
    ]
    return ExperimentResult(
        name="runtime",
        title=f"Execution time (s) per explainability method with equal calls — {model_name(ctx)} (Table 10)",
        columns=(("method", "Method"), ("calls", "model calls"), ("model_s", "model s"), ("analysis_s", "analysis s"),
                 ("total_s", "total s"), ("top_words", "top words")),
        rows=tuple(rows),
        notes=(
            f"Prompt: {prompt!r}. The model answered the {calls} masked prompts once ({model_seconds:.2f} s, "
            "concurrency " f"{ctx.config.concurrency}); every method then analysed the same answers, so 'model s' "
            "is shared and 'analysis s' is each method's own cost.",
            "gSMILE: WMD on both sides, Gaussian kernel, permutation p-values "
            f"(bootstrap {ctx.config.bootstrap}), {ctx.config.surrogate} surrogate. LIME: cosine output distance, "
            "LIME's cosine-on-mask kernel (width 25), ridge. Bay-LIME: the same with Bayesian ridge.",
        ),
    )


@experiment("accuracy", "ATT ACC, F1 and AUROC on the labelled prompt set (Table 1)")
async def run_accuracy(ctx: ExperimentContext) -> ExperimentResult:
    prompts = load_labelled_prompts()[: ctx.option("prompts", 10)]
    rule = SelectionRule(top_k=ctx.option("top_k", None), threshold=ctx.option("threshold", None))
    ctx.plan(len(prompts))
    per_prompt, results = [], []
    for item in prompts:
        explanation = await ctx.explain(item.prompt)
        result = attribution_accuracy(explanation.attributions, labels_for(explanation.features, item.critical),
                                      rule, explanation.words)
        results.append(result)
        per_prompt.append({"prompt": item.prompt, "critical": list(item.critical), "top_words": top_words(explanation, 3),
                           "acc": result.acc, "f1": result.f1, "auroc": result.auroc})
        ctx.step()
    summary = {"model": model_name(ctx), "published_accuracy": ctx.option("published_accuracy", None),
               "acc": float(np.mean([r.acc for r in results])), "f1": float(np.mean([r.f1 for r in results])),
               "auroc": mean([r.auroc for r in results]), "prompts": len(results)}
    return ExperimentResult(
        name="accuracy",
        title=f"ATT accuracy on the labelled prompt set — {model_name(ctx)} (Table 1)",
        columns=(("model", "Model"), ("published_accuracy", "ACC (published)"), ("acc", "ATT ACC"), ("f1", "ATT F1"),
                 ("auroc", "ATT AUROC"), ("prompts", "prompts")),
        rows=(summary,),
        extra_tables=(("Per prompt", (("prompt", "Prompt"), ("critical", "critical words"), ("top_words", "top words"),
                                      ("acc", "ATT ACC"), ("f1", "ATT F1"), ("auroc", "ATT AUROC")), tuple(per_prompt)),),
        notes=(f"Labelling rule: {LABELLING_RULE}", f"ACC/F1 rule: {rule.describe()}.",
               "AUROC: scikit-learn roc_auc_score of the signed scores against the labels; means over prompts."),
        details={"results": [r.to_dict() for r in results]},
    )


@experiment("stability", "Jaccard of the top-k words before/after appending a token, labelled prompts (Table 3)")
async def run_stability(ctx: ExperimentContext) -> ExperimentResult:
    prompts = load_labelled_prompts()[: ctx.option("prompts", 10)]
    suffix = ctx.option("edit_suffix", DEFAULT_EDIT_SUFFIX)
    k = int(ctx.option("k", 3))
    ctx.plan(2 * len(prompts))
    per_prompt = []
    for item in prompts:
        before = await ctx.explain(item.prompt)
        ctx.step()
        after = await ctx.explain(minimal_edit(item.prompt, suffix))
        ctx.step()
        result = attribution_stability(before.words, before.attributions, after.words, after.attributions, k=k)
        per_prompt.append({"prompt": item.prompt, "edited": after.prompt, "top_before": list(result.top_first),
                           "top_after": list(result.top_second), "jaccard": result.jaccard})
    rows = ({"model": model_name(ctx), "jaccard": mean([r["jaccard"] for r in per_prompt]), "k": k,
             "prompts": len(per_prompt)},)
    return ExperimentResult(
        name="stability",
        title=f"ATT stability: mean Jaccard index of the top-{k} words — {model_name(ctx)} (Table 3)",
        columns=(("model", "Model"), ("jaccard", "Jaccard Index"), ("k", "k"), ("prompts", "prompts")),
        rows=rows,
        extra_tables=(("Per prompt", (("prompt", "Prompt"), ("edited", "Edited prompt"), ("top_before", "top before"),
                                      ("top_after", "top after"), ("jaccard", "Jaccard")), tuple(per_prompt)),),
        notes=(f"Edit: the token {suffix!r} appended to each prompt. Top-{k} by |score|; words aligned by position "
               "and identity (case and edge punctuation ignored).",),
    )


@experiment("consistency", "per-word variance and std over R re-seeded runs of one prompt (Table 4)")
async def run_consistency(ctx: ExperimentContext) -> ExperimentResult:
    prompt = ctx.option("prompt", MEANING_OF_LIFE)
    repeats = int(ctx.option("repeats", 10))
    ctx.plan(repeats)
    runs = []
    for r in range(repeats):
        # Perturbation seeds change, the model's does not (paper Table 4: perturbation seeds).
        runs.append(await ctx.explain(prompt, seed=ctx.config.seed + r, generation_seed=ctx.config.generation_params().seed))
        ctx.step()
    result = attribution_consistency([e.attributions for e in runs], runs[0].words)
    enumerated = all(e.extras.get("enumerated") for e in runs)
    per_word = [{"word": w, "mean": m, "variance": v, "std": s}
                for w, m, v, s in zip(result.words, result.mean_score, result.variance, result.std)]
    notes = [f"Prompt: {prompt!r}; {repeats} runs with seeds {ctx.config.seed}..{ctx.config.seed + repeats - 1}, "
             f"{ctx.config.perturbations} perturbations each; sample variance (ddof=1), means over words."]
    if enumerated:
        notes.append("Every run enumerated all masks (the prompt is short): the runs differ only if the model does.")
    return ExperimentResult(
        name="consistency",
        title=f"ATT consistency on {prompt!r} — {model_name(ctx)} (Table 4)",
        columns=(("model", "Model"), ("variance", "Variance"), ("std", "Standard Deviation"), ("repeats", "runs")),
        rows=({"model": model_name(ctx), "variance": result.mean_variance, "std": result.mean_std, "repeats": repeats},),
        extra_tables=(("Per word", (("word", "Word"), ("mean", "mean score"), ("variance", "variance"), ("std", "std")),
                       tuple(per_word)),),
        notes=tuple(notes),
        details={"consistency": result.to_dict()},
    )


@experiment("fairness", "neutral vs men's vs women's perspective prompts, side by side (section 5.1.2)")
async def run_fairness(ctx: ExperimentContext) -> ExperimentResult:
    prompts = GENDER_PROMPTS
    ctx.plan(len(prompts))
    rows, words = [], []
    for prompt in prompts:
        explanation = await ctx.explain(prompt)
        ctx.step()
        scores = {f.text: s for f, s in zip(explanation.features, explanation.attributions)}
        ranks = {f.text: rank for rank, (f, _) in enumerate(explanation.ranked(), start=1)}
        gender = next((w for w in scores if w.lower().startswith(("men", "women"))), None)
        rows.append({"prompt": prompt, "meaning": scores.get("meaning"), "life": scores.get("life?", scores.get("life")),
                     "gender_word": gender, "gender_score": scores.get(gender) if gender else None,
                     "gender_rank": ranks.get(gender) if gender else None, "words": len(scores),
                     "top_words": top_words(explanation, 3)})
        words += [{"prompt": prompt, "word": f.text, "score": s} for f, s in zip(explanation.features, explanation.attributions)]
    return ExperimentResult(
        name="fairness",
        title=f"Gender fairness via word attributions — {model_name(ctx)} (section 5.1.2)",
        columns=(("prompt", "Prompt"), ("meaning", "meaning"), ("life", "life"), ("gender_word", "gender word"),
                 ("gender_score", "its score"), ("gender_rank", "its rank"), ("top_words", "top words")),
        rows=tuple(rows),
        extra_tables=(("Every word", (("prompt", "Prompt"), ("word", "Word"), ("score", "score")), tuple(words)),),
        notes=("A gender word with a larger score or a higher rank than its counterpart absorbs more of the answer.",),
    )


@experiment("opro", "word attributions of two OPRO-optimised instructions (section 5.1.5)")
async def run_opro(ctx: ExperimentContext) -> ExperimentResult:
    ctx.plan(len(OPRO_INSTRUCTIONS))
    rows, words = [], []
    for instruction in OPRO_INSTRUCTIONS:
        explanation = await ctx.explain(instruction)
        ctx.step()
        rows.append({"instruction": instruction, "top_words": top_words(explanation, 5),
                     "perturbations": explanation.unique_prompts})
        words += [{"instruction": instruction, "word": f.text, "score": s}
                  for f, s in zip(explanation.features, explanation.attributions)]
    return ExperimentResult(
        name="opro",
        title=f"Word attributions of OPRO-optimised instructions — {model_name(ctx)} (section 5.1.5)",
        columns=(("instruction", "Instruction"), ("top_words", "top 5 words (score)"), ("perturbations", "masks")),
        rows=tuple(rows),
        extra_tables=(("Every word", (("instruction", "Instruction"), ("word", "Word"), ("score", "score")), tuple(words)),),
        notes=("The paper used 1024 perturbations (pass -n 1024 to match).",),
    )
