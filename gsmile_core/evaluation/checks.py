"""Trust checks of one explanation: does it survive a small edit, a new seed, an intervention?

Before quoting an explanation an auditor wants to know how far to trust it. Three checks of the
paper's section 4.4 (and one it lacks) answer that, and each must ask the model again:

- stability: explain a minimally edited prompt with the same settings (by default the paper's
  edit, one token appended) and compare the top-k words (Jaccard, `metrics.stability`);
- consistency: R explanations of the prompt with perturbation seeds seed..seed+R-1 (the model's
  seed stays, so only the explainer's sampling varies and a masked prompt two runs draw is asked
  once), per-word mean, variance and standard deviation of the scores (`metrics.consistency`);
- deletion: remove (or keep only) the top words in the explanation's order and in random orders
  and measure how far the answer moves, AOPC comprehensiveness and sufficiency
  (`metrics.faithfulness`).

The CLI (`gsmile metric consistency|deletion`) and the app's Checks tab call these same
functions, so a number means the same in both. `validate_check` refuses bad inputs with a
`ConfigError` naming the field, with limits a typo cannot blow past (the app runs it; the CLI
keeps its own flags' rules), and `plan_check` counts the answers a
check will need — from the very plans the check runs, minus what the response cache holds — so a
user sees the cost before spending it. Results are the typed values of `check_results`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..backends.base import Backend
from ..calls.cache import CallIdentity
from .check_results import CHECK_KINDS, CheckCost, CheckResult, ConsistencyCheck, DeletionCheck, StabilityCheck
from ..config import ExplainConfig
from ..calls.dryrun import plan_dry_run, stored_jobs
from ..errors import ConfigError
from ..events import StageStarted, StepDone
from .metrics.consistency import attribution_consistency
from .metrics.faithfulness import deletion_plan, deletion_test
from .metrics.stability import attribution_stability, minimal_edit
from ..pipeline import explain, plan_perturbations, prepare_prompt
from .probe import OutputProbe
from ..calls.jobs import CallJob
from ..calls.sampling import plan_jobs
from ..method.segment import apply_mask
from ..calls.context import RunContext
from ..clock import utc_now
from ..types import Explanation

DEFAULT_TOP_K = 3
DEFAULT_REPEATS = 10
DEFAULT_RANDOM_ORDERS = 5
MAX_REPEATS = 100
MAX_RANDOM_ORDERS = 100
REPEAT_STAGE = "repeat"  # the outer progress of a consistency check: one step per explanation


@dataclass(frozen=True)
class CheckInputs:
    """What the user chooses for a check (each check reads the fields it needs).

    `edited_prompt` None means the default edit (`metrics.stability.minimal_edit`)."""

    edited_prompt: str | None = None
    k: int = DEFAULT_TOP_K
    by: str = "abs"
    repeats: int = DEFAULT_REPEATS
    random_orders: int = DEFAULT_RANDOM_ORDERS


@dataclass(frozen=True)
class CallPlan:
    """Answers a check needs, and how many of them the response cache already holds."""

    answers: int
    cached: int

    @property
    def calls(self) -> int:
        """Model calls still to make."""
        return self.answers - self.cached


def config_of(explanation: Explanation) -> ExplainConfig:
    """The settings the explanation was made with (a check repeats them)."""
    model = explanation.extras.get("model")
    if isinstance(model, dict):
        raise ConfigError(
            f"trust checks re-ask a generative model; this run explains a {model.get('kind', 'model')} "
            "(its per-feature permutation tests and intervals are in the run)"
        )
    try:
        return ExplainConfig.from_dict(dict(explanation.config))
    except TypeError as error:
        raise ConfigError(f"the run's settings cannot be read back ({error})") from None


def edited_prompt_of(explanation: Explanation, inputs: CheckInputs) -> str:
    return minimal_edit(explanation.prompt) if inputs.edited_prompt is None else inputs.edited_prompt


# -- validation --------------------------------------------------------------------------------


def validate_check(kind: str, explanation: Explanation, inputs: CheckInputs, config: ExplainConfig | None = None) -> None:
    """Refuse inputs the check cannot run with: ConfigError whose message starts with the field."""
    if kind not in CHECK_KINDS:
        raise ConfigError(f"unknown check {kind!r} (known: {', '.join(CHECK_KINDS)})")
    config = config or config_of(explanation)
    d = len(explanation.features)
    if kind == "stability":
        edited, _ = prepare_prompt(edited_prompt_of(explanation, inputs), config)
        if edited == explanation.prompt:
            raise ConfigError("edited prompt: it is the same as the run's prompt; change at least one word")
        if not 1 <= inputs.k <= d:
            raise ConfigError(f"k: must be between 1 and {d} (the prompt's words), got {inputs.k}")
        if inputs.by not in ("abs", "signed"):
            raise ConfigError(f"by: rank by 'abs' or 'signed', got {inputs.by!r}")
    elif kind == "consistency":
        if not 2 <= inputs.repeats <= MAX_REPEATS:
            raise ConfigError(f"repeats: must be between 2 and {MAX_REPEATS}, got {inputs.repeats}")
    else:
        if d < 2:
            raise ConfigError("a deletion test needs a prompt of at least 2 words")
        if not 1 <= inputs.random_orders <= MAX_RANDOM_ORDERS:
            raise ConfigError(f"random orders: must be between 1 and {MAX_RANDOM_ORDERS}, got {inputs.random_orders}")


# -- what a check will ask ---------------------------------------------------------------------


def consistency_jobs(prompt: str, config: ExplainConfig, repeats: int, *, shared: bool = True) -> list[CallJob]:
    """Every call of `repeats` re-seeded explanations of `prompt`. The runs share the model's
    seed, so with a response cache (`shared`) a masked prompt drawn by several runs is one call;
    without one, every run asks its own."""
    clean, features = prepare_prompt(prompt, config)
    runs = [plan_perturbations(clean, features, config.reseeded(r))[1] for r in range(repeats)]
    if shared:
        return plan_jobs([t for texts in runs for t in texts], config.samples_per_prompt)
    return [job for texts in runs for job in plan_jobs(texts, config.samples_per_prompt)]


def deletion_jobs(explanation: Explanation, random_orders: int, config: ExplainConfig) -> list[CallJob]:
    """Every call of a deletion test, as `OutputProbe` makes them: the full prompt first, then
    every distinct non-empty masked prompt."""
    _, _, every = deletion_plan(explanation.attributions, len(explanation.features), random_orders, config.seed)
    texts = [explanation.prompt, *(apply_mask(explanation.prompt, explanation.features, m) for m in every if any(m))]
    return plan_jobs(texts, config.samples_per_prompt)


def plan_check(
    kind: str,
    explanation: Explanation,
    inputs: CheckInputs,
    identity: CallIdentity,
    run: RunContext = RunContext(),
    config: ExplainConfig | None = None,
) -> CallPlan:
    """The answers `kind` will need on the backend `identity` with `run`'s response cache,
    counted without any call."""
    config = config or config_of(explanation)
    validate_check(kind, explanation, inputs, config)
    if kind == "stability":
        plan = plan_dry_run(edited_prompt_of(explanation, inputs), config, identity, run)
        return CallPlan(plan.calls_total, plan.calls_cached)
    if kind == "consistency":
        jobs = consistency_jobs(explanation.prompt, config, inputs.repeats, shared=run.reads_cache())
    else:
        jobs = deletion_jobs(explanation, inputs.random_orders, config)
    return CallPlan(len(jobs), len(stored_jobs(jobs, identity, config.generation_params(), run.cache, run.refresh)))


# -- the checks --------------------------------------------------------------------------------


async def stability_check(
    explanation: Explanation,
    backend: Backend,
    inputs: CheckInputs = CheckInputs(),
    *,
    run: RunContext = RunContext(),
    now: str | None = None,
) -> StabilityCheck:
    """Explain the edited prompt with the run's settings; Jaccard of both top-k word sets."""
    config = config_of(explanation)
    validate_check("stability", explanation, inputs, config)
    started = time.perf_counter()
    edited = await explain(edited_prompt_of(explanation, inputs), backend, config, run=run)
    result = attribution_stability(explanation.words, explanation.attributions, edited.words,
                                   edited.attributions, k=inputs.k, by=inputs.by)
    return StabilityCheck(
        edited_prompt=edited.prompt,
        edited_words=edited.words,
        edited_scores=tuple(edited.attributions),
        result=result,
        cost=CheckCost(edited.model_calls, edited.cache_hits, time.perf_counter() - started),
        created_at=now or utc_now(),
    )


async def repeat_explanations(
    prompt: str,
    backend: Backend,
    config: ExplainConfig,
    repeats: int,
    *,
    run: RunContext = RunContext(),
) -> list[Explanation]:
    """`repeats` explanations of `prompt`, perturbation seeds config.seed, config.seed + 1, ...
    (the model's seed stays that of `config`, so repeated masked prompts are not asked again); the outer
    progress is the `REPEAT_STAGE` stage (one step per explanation)."""
    run.on_event(StageStarted(REPEAT_STAGE, repeats))
    runs = []
    for r in range(repeats):
        runs.append(await explain(prompt, backend, config.reseeded(r), run=run))
        run.on_event(StepDone(REPEAT_STAGE, r + 1, repeats))
    return runs


async def consistency_check(
    prompt: str,
    backend: Backend,
    config: ExplainConfig,
    repeats: int = DEFAULT_REPEATS,
    *,
    run: RunContext = RunContext(),
    now: str | None = None,
) -> ConsistencyCheck:
    """R re-seeded explanations of `prompt` and the per-word spread of their scores."""
    if repeats < 2:
        raise ConfigError(f"repeats: must be at least 2, got {repeats}")
    started = time.perf_counter()
    runs = await repeat_explanations(prompt, backend, config, repeats, run=run)
    result = attribution_consistency([e.attributions for e in runs], runs[0].words)
    return ConsistencyCheck(
        prompt=runs[0].prompt,
        seeds=tuple(config.seed + r for r in range(repeats)),
        scores=tuple(tuple(e.attributions) for e in runs),
        enumerated=all(bool(e.extras.get("enumerated")) for e in runs),
        result=result,
        cost=CheckCost(sum(e.model_calls for e in runs), sum(e.cache_hits for e in runs), time.perf_counter() - started),
        created_at=now or utc_now(),
    )


async def deletion_check(
    explanation: Explanation,
    backend: Backend,
    random_orders: int = DEFAULT_RANDOM_ORDERS,
    *,
    config: ExplainConfig | None = None,
    run: RunContext = RunContext(),
    now: str | None = None,
) -> DeletionCheck:
    """Deletion and insertion curves of the explanation's word order against random orders."""
    config = config or config_of(explanation)
    started = time.perf_counter()
    probe = OutputProbe(explanation.prompt, explanation.features, backend, config, explanation.original_output,
                        run=run)
    result = await deletion_test(probe, explanation.attributions, random_seeds=random_orders, seed=config.seed)
    return DeletionCheck(
        result=result,
        cost=CheckCost(probe.engine.model_calls, probe.engine.cache_hits, time.perf_counter() - started),
        created_at=now or utc_now(),
    )


async def run_check(
    kind: str,
    explanation: Explanation,
    backend: Backend,
    inputs: CheckInputs = CheckInputs(),
    *,
    run: RunContext = RunContext(),
) -> CheckResult:
    """One check of `explanation` by name, with the run's own settings, in `run`'s context."""
    config = config_of(explanation)
    validate_check(kind, explanation, inputs, config)
    if kind == "stability":
        return await stability_check(explanation, backend, inputs, run=run)
    if kind == "consistency":
        return await consistency_check(explanation.prompt, backend, config, inputs.repeats, run=run)
    return await deletion_check(explanation, backend, inputs.random_orders, config=config, run=run)
