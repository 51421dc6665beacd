"""`gsmile metric KIND ...`: one ATT metric (paper section 4.4) as a Markdown, CSV or JSON table.

Kinds that read saved explanations (`gsmile explain --json FILE`) call no model: `accuracy`,
`fidelity`, `stability`. `pearson` needs only numbers. `consistency` and `deletion` ask the
model (through the response cache unless --no-cache), with every engine option acting as in
`gsmile explain`. `deletion` asks the model that made the explanation: its backend, model and base
URL are the defaults (the key from the environment or the keyring), and so are its engine
settings (answers per prompt, attempts, timeout, pacing), budgets aside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..backends import create_backend
from ..backends.api_common import api_backend_options
from ..calls.backend_options import options_for_run, origin_of, same_model
from ..calls.dryrun import static_identity
from ..evaluation.checks import REPEAT_STAGE, consistency_check, consistency_jobs, deletion_check, deletion_jobs
from ..config import ExplainConfig
from . import COMMANDS
from ..errors import ConfigError
from ..events import Notice, StageStarted, StepDone
from ..calls.memo import MemoBackend
from ..evaluation.metrics.accuracy import LABELLING_RULE, SelectionRule, attribution_accuracy, labels_for
from ..evaluation.metrics.faithfulness import pearson_faithfulness
from ..evaluation.metrics.fidelity import SIX_FIGURES, fidelity_rows
from ..evaluation.metrics.stability import attribution_stability
from ..evaluation.metrics.tables import csv_table, markdown_table
from ..pipeline import prepare_prompt
from ..types import Explanation
from .engine_options import add_engine_options, engine_overrides, opened_run, refuse_over_budget
from .outputs import check_output, write_or_keep
from ..text_files import read_user_text
from .progress import ExperimentProgress, StderrNotices
from .argtypes import positive_int
from .console import safe_text, stderr_console
from .explain import add_explain_options, backend_options, config_from_args, identity_options, read_prompt


def load_explanation(path: str) -> Explanation:
    """An explanation saved by `gsmile explain --json`; one clear line if it is not one."""
    text = read_user_text(Path(path), "explanation file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a gSMILE explanation")
    try:
        return Explanation.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: not a usable gSMILE explanation ({error})") from None


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown", help="table format (default: markdown)")
    parser.add_argument("--out", default=None, metavar="FILE", help="write the table to FILE instead of stdout")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("metric", help=COMMANDS["metric"],
                            description="Compute one ATT metric of the paper's section 4.4.")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", parser_class=type(parser))
    kinds.required = True

    p = kinds.add_parser("accuracy", help="ATT ACC, F1, AUROC of a saved explanation against critical words")
    p.add_argument("explanation", help="explanation JSON (gsmile explain --json FILE)")
    p.add_argument("--critical", nargs="+", required=True, metavar="WORD", help="the ground-truth critical words")
    p.add_argument("--top-k", type=positive_int, default=None, help="predict the top K words (default: K = number of critical words)")
    p.add_argument("--threshold", type=float, default=None, help="predict words with score > T instead of top-k")
    _output_options(p)
    p.set_defaults(run=run_accuracy)

    p = kinds.add_parser("fidelity", help="the six fidelity figures of saved explanations, one row each")
    p.add_argument("explanations", nargs="+", help="explanation JSON files")
    _output_options(p)
    p.set_defaults(run=run_fidelity)

    p = kinds.add_parser("stability", help="Jaccard of the top-k words of two saved explanations (prompt, edited prompt)")
    p.add_argument("first", help="explanation of the prompt")
    p.add_argument("second", help="explanation of the edited prompt")
    p.add_argument("--k", type=positive_int, default=3, help="top-k words compared (default: 3)")
    p.add_argument("--by", choices=("abs", "signed"), default="abs", help="rank by |score| or signed score (default: abs)")
    _output_options(p)
    p.set_defaults(run=run_stability)

    p = kinds.add_parser("pearson", help="faithfulness (paper): Pearson r of a metric vs external accuracies across models")
    p.add_argument("--models", nargs="+", required=True, metavar="NAME")
    p.add_argument("--values", nargs="+", type=float, required=True, metavar="X", help="the metric, one value per model")
    p.add_argument("--accuracies", nargs="+", type=float, required=True, metavar="ACC", help="reported accuracy, one per model")
    p.add_argument("--metric", default="ATT AUROC", help="name of the metric (default: ATT AUROC)")
    _output_options(p)
    p.set_defaults(run=run_pearson)

    p = kinds.add_parser("consistency", help="per-word variance and std over R re-seeded explanations (runs the model)")
    p.add_argument("prompt", help="the prompt, or - for stdin")
    p.add_argument("--repeats", type=positive_int, default=10, help="runs R (default: 10)")
    add_explain_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    _output_options(p)
    p.set_defaults(run=run_consistency)

    p = kinds.add_parser("deletion", help="deletion/insertion curves and AOPC vs random orders (runs the model)")
    p.add_argument("explanation", help="explanation JSON (gsmile explain --json FILE)")
    g = p.add_argument_group("model (default: the one that made the explanation)")
    g.add_argument("--backend", default=None, help="backend (default: the explanation's; another one needs --model)")
    g.add_argument("--model", default=None, help="model name (default: the explanation's)")
    g.add_argument("--base-url", default=None, help="API base URL (default: the explanation's)")
    p.add_argument("--random-seeds", type=positive_int, default=5, help="random orders averaged (default: 5)")
    add_engine_options(p, inherited=True)
    p.add_argument("--quiet", "-q", action="store_true", help="no warnings or retries on stderr")
    _output_options(p)
    p.set_defaults(run=run_deletion)


def emit(args: argparse.Namespace, rows: list[dict[str, Any]], columns, notes: list[str], payload: dict[str, Any]) -> int:
    if args.format == "json":
        text = json.dumps({**payload, "rows": rows, "notes": notes}, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        text = csv_table(rows, columns)
    else:
        text = markdown_table(rows, columns) + "".join(f"\n- {n}" for n in notes) + ("\n" if notes else "")
    text = safe_text(text)  # words and prompts come from files and models: no escapes shown or written
    if args.out:
        return 0 if write_or_keep(args.out, text, "--out") else 1
    sys.stdout.write(text)
    return 0


def run_accuracy(args: argparse.Namespace) -> int:
    explanation = load_explanation(args.explanation)
    rule = SelectionRule(top_k=args.top_k, threshold=args.threshold)
    words = explanation.words
    result = attribution_accuracy(explanation.attributions, labels_for(explanation.features, args.critical), rule, words)
    rows = [{"word": w, "score": s, "label": y, "predicted": p}
            for w, s, y, p in zip(words, result.scores, result.labels, result.predicted)]
    summary = [{"acc": result.acc, "f1": result.f1, "auroc": result.auroc}]
    notes = [f"Labelling rule (shipped set): {LABELLING_RULE}", f"Selection rule: {result.rule}.",
             "AUROC: scikit-learn roc_auc_score of the signed scores (— when the prompt has one class only)."]
    if args.format == "markdown":
        text = markdown_table(summary, (("acc", "ATT ACC"), ("f1", "ATT F1"), ("auroc", "ATT AUROC")))
        print(text)
    return emit(args, rows, (("word", "Word"), ("score", "score"), ("label", "critical"), ("predicted", "predicted")),
                notes, {"metric": "accuracy", "summary": summary[0], "prompt": explanation.prompt})


def run_fidelity(args: argparse.Namespace) -> int:
    explanations = [load_explanation(p) for p in args.explanations]
    rows = fidelity_rows(explanations, "file", args.explanations)
    for row, e in zip(rows, explanations):
        row["perturbations"] = e.config.get("perturbations")
        row["surrogate"] = e.config.get("surrogate")
    columns = (("file", "Explanation"), ("perturbations", "#Perturb"), ("surrogate", "surrogate"), *SIX_FIGURES)
    return emit(args, rows, columns, ["Figures as in the paper's eqs. 16-22 (R²_w and adj. R²_w literally)."],
                {"metric": "fidelity"})


def run_stability(args: argparse.Namespace) -> int:
    a, b = load_explanation(args.first), load_explanation(args.second)
    result = attribution_stability(a.words, a.attributions, b.words,
                                   b.attributions, k=args.k, by=args.by)
    rows = [{"first": a.prompt, "second": b.prompt, "top_first": list(result.top_first),
             "top_second": list(result.top_second), "jaccard": result.jaccard, "k": result.k}]
    columns = (("first", "Prompt"), ("second", "Edited prompt"), ("top_first", "top words"),
               ("top_second", "top words (edited)"), ("jaccard", "Jaccard"), ("k", "k"))
    notes = [f"Top-{args.k} by {'|score|' if args.by == 'abs' else 'signed score'}; words aligned by position and identity."]
    return emit(args, rows, columns, notes, {"metric": "stability", "result": result.to_dict()})


def run_pearson(args: argparse.Namespace) -> int:
    result = pearson_faithfulness(args.metric, args.models, args.values, args.accuracies)
    rows = [{"model": m, "accuracy": a, "value": v} for m, a, v in zip(result.models, result.accuracies, result.metric_values)]
    rows.append({"model": "Pearson r", "accuracy": None, "value": result.r})
    notes = [f"scipy.stats.pearsonr over {len(args.models)} models: r = "
             + ("undefined (a constant input)" if result.r is None else f"{result.r:.4f}, p = {result.p_value:.4f}")]
    return emit(args, rows, (("model", "Model"), ("accuracy", "reported accuracy"), ("value", args.metric)), notes,
                {"metric": "faithfulness-pearson", "result": result.to_dict()})


def run_consistency(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    prompt = read_prompt(args.prompt)
    prepare_prompt(prompt, config)
    if args.repeats < 2:
        raise ConfigError("--repeats must be at least 2")
    check_out(args)
    with opened_run(args) as run:
        identity = static_identity(args.backend, identity_options(args))
        refuse_over_budget(consistency_jobs(prompt, config, args.repeats, shared=run.cache is not None), identity,
                           config, run.cache, args.refresh)
        backend = MemoBackend(create_backend(args.backend, **backend_options(args, config)))
        with ExperimentProgress(stderr_console(), enabled=not args.quiet) as progress:
            progress.label = "consistency"
            check = asyncio.run(_closing(backend, consistency_check(
                prompt, backend, config, args.repeats, run=run.with_events(_repeat_progress(progress)))))
    result = check.result
    rows = [{"word": w, "mean": m, "variance": v, "std": s}
            for w, m, v, s in zip(result.words, result.mean_score, result.variance, result.std)]
    rows.append({"word": "mean over words", "mean": None, "variance": result.mean_variance, "std": result.mean_std})
    notes = [f"{args.repeats} runs, seeds {config.seed}..{config.seed + args.repeats - 1}; sample variance (ddof=1)."]
    return emit(args, rows, (("word", "Word"), ("mean", "mean score"), ("variance", "Variance"), ("std", "Standard Deviation")),
                notes, {"metric": "consistency", "result": result.to_dict()})


def check_out(args: argparse.Namespace) -> None:
    """Refuse an --out the table cannot be written to before any model is asked."""
    check_output(args.out, "--out")


def _repeat_progress(progress: ExperimentProgress):
    """The check's outer steps drive the experiment bar; warnings are printed; the rest is quiet."""

    def on_event(event) -> None:
        if isinstance(event, (StageStarted, StepDone)) and event.stage == REPEAT_STAGE:
            progress.handle(replace(event, stage="experiment"))
        elif isinstance(event, Notice):
            progress.handle(event)

    return on_event


async def _closing(backend, work):
    """Await `work`, then close the backend whatever happened."""
    try:
        return await work
    finally:
        await backend.aclose()


def run_deletion(args: argparse.Namespace) -> int:
    explanation = load_explanation(args.explanation)
    check_out(args)
    name, model, base_url, api = same_model(origin_of(explanation), backend=args.backend, model=args.model,
                                            base_url=args.base_url)
    # the explanation's settings (so Δ here is the Δ it was fitted on), budgets aside, then the flags
    config = ExplainConfig.from_dict({**explanation.config, "max_calls": None, "max_cost": None,
                                      **engine_overrides(args)})
    where = {k: v for k, v in {"model": model, "base_url": base_url, "api": api}.items() if v}
    with opened_run(args) as run:
        refuse_over_budget(deletion_jobs(explanation, args.random_seeds, config), static_identity(name, where),
                           config, run.cache, args.refresh)
        options = {**options_for_run(name, config, model=model), **api_backend_options(name, base_url=base_url, api=api)}
        backend = create_backend(name, **options)
        with StderrNotices(stderr_console(), enabled=not args.quiet) as progress:
            result = asyncio.run(_closing(backend, deletion_check(
                explanation, backend, args.random_seeds, config=config, run=run.with_events(progress.handle)))).result
    d = len(explanation.features)
    rows = [{"k": k, "deletion": result.deletion[k], "random_deletion": result.random_deletion[k],
             "insertion": result.insertion[k], "random_insertion": result.random_insertion[k]} for k in range(d + 1)]
    notes = [
        f"Order: {', '.join(result.order)}.",
        f"Comprehensiveness (AOPC, higher = more faithful): {result.comprehensiveness:.4f} vs random "
        f"{result.random_comprehensiveness:.4f} (mean of {result.random_seeds} orders).",
        f"Sufficiency (AOPC, lower = more faithful): {result.sufficiency:.4f} vs random {result.random_sufficiency:.4f}.",
        f"{result.prompts_asked} masked prompts asked (cached answers are free).",
    ]
    return emit(args, rows, (("k", "k words"), ("deletion", "deletion Δ"), ("random_deletion", "random deletion Δ"),
                             ("insertion", "insertion Δ"), ("random_insertion", "random insertion Δ")),
                notes, {"metric": "deletion", "result": result.to_dict()})
