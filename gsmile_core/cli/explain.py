"""`gsmile explain PROMPT`: explain one prompt and print the heatmap, tables and statistics."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from typing import Any

from ..backends import backend_names, create_backend
from ..backends.api_common import api_backend_options
from ..calls.backend_options import options_for_run
from ..config import KERNEL_WIDTH_RULES, MAX_SHAPLEY_WORDS, PRESETS, unit_options, SAMPLER_NAMES, SURROGATE_NAMES, ExplainConfig
from ..method.parts import DISTANCES
from ..method.parts import EMBEDDERS
from . import COMMANDS
from ..errors import ConfigError
from ..method.units import AUTO_SENTENCES, AUTO_WORDS, UNIT_CHOICES
from ..types import Explanation
from .argtypes import non_negative_int, number, positive_int
from .console import stderr_console, stdout_console
from .engine_options import (
    add_engine_options,
    check_budget,
    engine_config_values,
    open_audit,
    open_cache,
    print_dry_run,
    run_context,
)
from .outputs import check_output
from .progress import ProgressPrinter
from .prompt_input import read_prompt
from .session_option import add_session_option, check_session_target


def kernel_width(text: str) -> float | str:
    return text if text in KERNEL_WIDTH_RULES else number(text)


def add_explain_options(parser: argparse.ArgumentParser) -> None:
    """The method's options, shared by every command that runs explanations."""
    d = ExplainConfig()
    g = parser.add_argument_group("model")
    g.add_argument("--backend", default="local", help=f"one of: {', '.join(backend_names())} (default: local)")
    g.add_argument("--model", default=None, help="model name for the backend")
    g.add_argument("--base-url", default=None, help="API base URL: required by openai-compatible, overrides the provider default otherwise")
    g.add_argument("--api", choices=("chat", "completions"), default=None, help="openai endpoint (default: completions for instruct models, else chat)")
    g.add_argument("--max-tokens", type=positive_int, default=d.max_tokens, help="answer length limit (default: %(default)s)")
    g.add_argument("--temperature", type=number, default=d.temperature, help="sampling temperature (default: %(default)s, greedy)")
    g.add_argument("--system-prompt", default=None, help="system prompt, identical for every call")
    m = parser.add_argument_group("method")
    m.add_argument("--perturbations", "-n", type=positive_int, default=d.perturbations, help="masks, the original included (default: %(default)s)")
    m.add_argument("--seed", type=non_negative_int, default=d.seed, help="seed of every random choice (default: %(default)s)")
    m.add_argument("--preset", choices=sorted(PRESETS), default=None, help="pin a named configuration; 'paper' = the paper's (bernoulli masks, wmd both sides, wls, auto kernel); explicit flags still win")
    m.add_argument("--sampler", choices=SAMPLER_NAMES, default=None, help=f"mask sampler (default: {d.sampler})")
    m.add_argument("--max-removed", type=positive_int, default=None, help="most words removed per mask, for --sampler local")
    m.add_argument("--p", type=number, default=d.p, help="order of the Wasserstein distance (default: %(default)s)")
    m.add_argument("--kernel-width", type=kernel_width, default=None, help=f"σ of the kernel, or 'auto' = median input distance, 'uniform' = equal weights (default: {d.kernel_width})")
    m.add_argument("--surrogate", choices=SURROGATE_NAMES, default=None, help=f"wls (weighted least squares), bayes (Bayesian ridge, with credible intervals) or lime (LIME's mask kernel and ridge, a baseline) or ridge (alpha by cross-validation; wls becomes ridge when units outnumber perturbations) (default: {d.surrogate})")
    m.add_argument("--embedder", choices=EMBEDDERS.names(), default=None, help=f"word vectors for the distances (default: {d.embedder})")
    m.add_argument("--input-distance", choices=DISTANCES.names(), default=None, help=f"distance between prompts, for the kernel (default: {d.input_distance})")
    m.add_argument("--output-distance", choices=DISTANCES.names(), default=None, help=f"distance between answers, the regression target (default: {d.output_distance})")
    m.add_argument("--bootstrap", type=non_negative_int, default=d.bootstrap, help="most permutation draws per p-value, 0 = off (default: %(default)s)")
    m.add_argument("--exact-pvalues", action="store_true", help="always draw all --bootstrap splits (no early stop)")
    m.add_argument("--alpha", type=number, default=d.alpha, help="significance level (default: %(default)s)")
    m.add_argument("--drop-insignificant", action="store_true", help="fit only perturbations with p < alpha (the paper's rule)")
    m.add_argument("--ci-resamples", type=non_negative_int, default=d.ci_resamples, help="bootstrap refits for per-word confidence intervals, 0 = off (default: %(default)s)")
    m.add_argument("--max-words", type=positive_int, default=d.max_words, help="longest prompt accepted, in words (default: %(default)s)")
    m.add_argument("--unit", choices=UNIT_CHOICES, default=d.unit, help=f"what is removed and scored: words, phrases, sentences or paragraphs; auto = words up to {AUTO_WORDS} words, else sentences up to {AUTO_SENTENCES}, else paragraphs (default: %(default)s)")
    m.add_argument("--answer-span", metavar="TEXT", default=None, help="explain what drives this part of the answer (it must occur in the original answer): the target becomes its distance to each answer's best-matching part")
    m.add_argument("--interactions", type=non_negative_int, default=d.interactions, metavar="K", help="test pairwise interactions among the top K units, from the same answers; 0 = off (default: %(default)s)")
    m.add_argument("--keep", metavar="REGEX", default=None, help="never remove text matching REGEX (also: wrap a span of the prompt in [[ and ]])")
    add_engine_options(parser)


# Options a preset may pin: left at None by argparse so an explicit flag can be told apart.
PRESETTABLE = ("sampler", "kernel_width", "surrogate", "embedder", "input_distance", "output_distance")


def presettable_values(args: argparse.Namespace) -> dict[str, Any]:
    """Explicit flag > the preset's value > ExplainConfig's default, for each presettable option."""
    defaults = ExplainConfig()
    preset = PRESETS.get(getattr(args, "preset", None) or "", {})
    values = {}
    for name in PRESETTABLE:
        explicit = getattr(args, name, None)
        values[name] = explicit if explicit is not None else preset.get(name, getattr(defaults, name))
    return values


def config_from_args(args: argparse.Namespace) -> ExplainConfig:
    return ExplainConfig(
        **presettable_values(args),
        perturbations=args.perturbations,
        seed=args.seed,
        max_removed=args.max_removed,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        p=args.p,
        bootstrap=args.bootstrap,
        alpha=args.alpha,
        drop_insignificant=args.drop_insignificant,
        exact_pvalues=args.exact_pvalues,
        ci_resamples=args.ci_resamples,
        max_words=args.max_words,
        unit=args.unit,
        keep=args.keep,
        interactions=args.interactions,
        answer_span=args.answer_span,
        system_prompt=args.system_prompt,
        **engine_config_values(args),
    )


def backend_options(args: argparse.Namespace, config: ExplainConfig) -> dict[str, Any]:
    """Options passed to the backend factory: those that follow from the run's settings, then,
    for API backends, the key resolved now (env -> keyring, one clear error if missing), the base
    URL and the endpoint."""
    options = options_for_run(args.backend, config, model=args.model)
    options.update(
        api_backend_options(args.backend, base_url=getattr(args, "base_url", None), api=getattr(args, "api", None))
    )
    return options


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "explain",
        help=COMMANDS["explain"],
        description="Explain which words of PROMPT drive the model's answer (gSMILE).",
    )
    parser.add_argument("prompt", nargs="?", default=None, help="the prompt to explain, or - to read it from stdin")
    parser.add_argument("--prompt-file", metavar="PATH", default=None, help="read the prompt from a UTF-8 text file (for long prompts)")
    add_explain_options(parser)
    from .classify import add_classifier_options

    add_classifier_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--json", metavar="FILE", default=None, help="write the explanation as JSON (- for stdout)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_session_option(out)
    out.add_argument("--dry-run", action="store_true", help="print every perturbed prompt, the call count, tokens and estimated cost; call nothing")
    out.add_argument("--drill-down", type=non_negative_int, default=0, metavar="K", help="after the sentences (or paragraphs), explain the words of the top K of them, the rest kept whole (0 = off)")
    out.add_argument("--shapley", action="store_true", help=f"also compute exact Shapley values by enumerating every mask (prompts of at most {MAX_SHAPLEY_WORDS} words; reuses the answers, asks only the missing masks)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The heavy parts (numpy, POT, scikit-learn) load only when something is computed: a re-run
    # whose explanation is stored is read and drawn without them.
    from ..calls.dryrun import static_identity
    from ..explanation_store import ExplanationStore, explanation_key
    from ..method.segment import prepare_prompt
    if getattr(args, "classifier", None):
        from .classify import run_classifier

        return run_classifier(args, read_prompt(args.prompt, getattr(args, "prompt_file", None)), config_from_args(args))
    config = config_from_args(args)
    prompt = read_prompt(args.prompt, getattr(args, "prompt_file", None))
    _, features = prepare_prompt(prompt, **unit_options(config))  # before loading any model
    if getattr(args, "shapley", False) and len(features) > MAX_SHAPLEY_WORDS:
        raise ConfigError(
            f"--shapley enumerates 2^d prompts: at most {MAX_SHAPLEY_WORDS} words, the prompt has {len(features)}"
        )
    check_output(args.json, "--json")
    check_session_target(getattr(args, "session", None))
    cache = open_cache(args)
    try:
        store = key = explanation = None
        if cache is not None and not args.dry_run and not args.refresh:
            store = ExplanationStore(cache.directory)
            identity = static_identity(args.backend, identity_options(args)).to_dict()
            key = explanation_key(prompt, config, identity, {"shapley": bool(args.shapley), "drill_down": args.drill_down})
            explanation = store.get(key)
            if explanation is not None and not args.quiet:
                stderr_console().print(
                    "gsmile: this exact run is stored: shown without calling the model or recomputing "
                    "(--refresh recomputes)", style="dim", highlight=False, markup=False,
                )
        if explanation is None:
            explanation = _compute(args, prompt, config, cache)
            if explanation is None:  # a dry run: printed, nothing computed
                return 0
            if store is not None and key is not None:
                store.put(key, explanation)
    finally:
        if cache is not None:
            cache.close()
    from .model_output import emit

    return emit(args, explanation)  # the terminal report holds a drill-down's words inside their units


def _compute(args: argparse.Namespace, prompt: str, config: ExplainConfig, cache) -> Explanation | None:
    """Plan (and stop there on --dry-run), check the budget, then call the model and explain."""
    from ..calls.dryrun import plan_dry_run, static_identity

    if args.dry_run or config.max_calls is not None or config.max_cost is not None:
        # Planned without building the backend: no model loaded, no key read, no call.
        identity = static_identity(args.backend, identity_options(args))
        plan = plan_dry_run(prompt, config, identity, run_context(args, cache))
        if args.dry_run:
            print_dry_run(plan)
            if args.drill_down:
                stdout_console().print(
                    f"drill-down: a second level explains the words of the top {args.drill_down} units found by "
                    f"this one, with up to {config.perturbations} more prompts (which ones is known only after "
                    "the first level's answers)", highlight=False, markup=False,
                )
            return None
        check_budget(plan, config)
    audit = open_audit(args)
    try:
        backend = create_backend(args.backend, **backend_options(args, config))
        err = stderr_console()
        with ProgressPrinter(err, enabled=not args.quiet) as progress:
            run = run_context(args, cache, audit, progress.handle)
            return asyncio.run(
                _explain(prompt, backend, config, run, shapley=args.shapley, drill_down=args.drill_down)
            )
    finally:
        if audit is not None:
            audit.close()


def identity_options(args: argparse.Namespace) -> dict[str, Any]:
    """Model, base URL and endpoint flags only: enough to name the model without reading a key."""
    values = {"model": args.model, "base_url": getattr(args, "base_url", None), "api": getattr(args, "api", None)}
    return {name: value for name, value in values.items() if value}


async def _explain(prompt, backend, config, run, shapley=False, drill_down=0):
    from ..drill_down import explain_drill_down
    from ..evaluation.shapley import SHAPLEY_KEY, exact_shapley
    from ..pipeline import explain

    try:
        if drill_down:
            explanation = await explain_drill_down(prompt, backend, config, drill_down, run=run)
        else:
            explanation = await explain(prompt, backend, config, run=run)
        if shapley:
            values = await exact_shapley(explanation, backend, run=run)
            explanation = replace(explanation, extras={**explanation.extras, SHAPLEY_KEY: values.to_dict()})
        return explanation
    finally:
        await backend.aclose()
