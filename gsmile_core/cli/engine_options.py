"""The call engine's command-line options, shared by every command that calls a model.

Kept apart from `explain.py` so other commands (compare, batch runs) add the same flags with one
call: sampling (`--samples-per-prompt`), retries and pacing (`--max-attempts`, `--timeout`,
`--rpm`), budgets (`--max-calls`, `--max-cost`), the response cache (`--cache-dir`, `--no-cache`,
`--refresh`) and the audit trail (`--audit-dir`). Also renders a dry run.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..calls.audit import AuditLog
from ..calls.cache import CallIdentity, ResponseCache, default_cache_dir
from ..calls.budget import Budget, Spending, no_price, refuse_plan
from ..config import ExplainConfig
from ..calls.context import RunContext
from ..calls.dryrun import DryRunPlan, stored_jobs
from ..calls.jobs import CallJob
from ..calls.pricing import find_price
from ..events import EventHandler, ignore
from .argtypes import positive_int
from .console import stdout_console


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _dollars(text: str) -> float:
    try:
        value = float(text.lstrip("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an amount in US dollars, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected an amount in US dollars >= 0, got {text!r}")
    return value


# flag dest -> the ExplainConfig field it sets (the run's settings that are not the method's)
ENGINE_FIELDS = {
    "concurrency": "concurrency",
    "samples_per_prompt": "samples_per_prompt",
    "max_attempts": "max_attempts",
    "timeout": "call_timeout",
    "rpm": "requests_per_minute",
    "max_calls": "max_calls",
    "max_cost": "max_cost",
}
INHERITED = "the explanation's"


def add_engine_options(parser: argparse.ArgumentParser, *, inherited: bool = False) -> None:
    """The engine's flags. `inherited`: a command that repeats an explanation's calls (the deletion
    test), whose defaults are that explanation's settings, not gSMILE's."""
    d = ExplainConfig()

    def default(value: Any) -> Any:
        return None if inherited else value

    def shown(value: Any) -> str:
        return INHERITED if inherited else str(value)

    g = parser.add_argument_group("calls, cache and budget")
    g.add_argument("--concurrency", type=positive_int, default=default(d.concurrency), metavar="N",
                   help=f"calls in flight at once; for the local model also its parallel slots (default: {shown(d.concurrency)})")
    g.add_argument("--samples-per-prompt", type=positive_int, default=default(d.samples_per_prompt), metavar="K",
                   help="answers drawn per prompt; the answer is their pooled words (needs --temperature > 0) "
                        f"(default: {shown(d.samples_per_prompt)})")
    g.add_argument("--max-attempts", type=positive_int, default=default(d.max_attempts),
                   help=f"tries per call before giving up on a transient fault (default: {shown(d.max_attempts)})")
    g.add_argument("--timeout", type=_positive_number, default=default(d.call_timeout), metavar="SECONDS",
                   help=f"longest wait for one answer (default: {shown(d.call_timeout)})")
    g.add_argument("--rpm", type=_positive_number, default=None, metavar="N",
                   help=f"at most N requests per minute to the provider (default: {INHERITED if inherited else 'no limit'})")
    g.add_argument("--max-calls", type=positive_int, default=None, metavar="N",
                   help="refuse to start, or stop cleanly, rather than make more than N model calls")
    g.add_argument("--max-cost", type=_dollars, default=None, metavar="USD",
                   help="refuse to start, or stop cleanly, rather than spend more than USD (estimated)")
    g.add_argument("--cache-dir", default=None, metavar="DIR",
                   help=f"response cache folder (default: $GSMILE_CACHE_DIR or {default_cache_dir()})")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the response cache")
    g.add_argument("--refresh", action="store_true", help="ask the model again and overwrite cached answers")
    g.add_argument("--audit-dir", default=None, metavar="DIR",
                   help="write every request and response as JSON lines into DIR (never a key)")


def engine_config_values(args: argparse.Namespace) -> dict[str, Any]:
    """ExplainConfig fields from the engine flags (defaults when a command lacks them)."""
    d = ExplainConfig()
    return {field: getattr(args, dest, getattr(d, field)) for dest, field in ENGINE_FIELDS.items()}


def engine_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """ExplainConfig fields of the engine flags given on the command line (`inherited` parsers)."""
    return {field: getattr(args, dest) for dest, field in ENGINE_FIELDS.items() if getattr(args, dest, None) is not None}


def open_cache(args: argparse.Namespace) -> ResponseCache | None:
    if getattr(args, "no_cache", False):
        if getattr(args, "refresh", False):
            from ..errors import ConfigError

            raise ConfigError("--refresh and --no-cache contradict each other: pick one")
        return None
    return ResponseCache(getattr(args, "cache_dir", None))


def open_audit(args: argparse.Namespace) -> AuditLog | None:
    directory = getattr(args, "audit_dir", None)
    return None if directory is None else AuditLog(directory)


def run_context(
    args: argparse.Namespace, cache: ResponseCache | None, audit: AuditLog | None = None, on_event: EventHandler = ignore
) -> RunContext:
    """The run context of a command: the cache and audit log it opened, `--refresh`, its progress."""
    return RunContext(cache=cache, refresh=bool(getattr(args, "refresh", False)), audit=audit, on_event=on_event)


@contextmanager
def opened_run(args: argparse.Namespace) -> Iterator[RunContext]:
    """The response cache (`--cache-dir`, `--no-cache`, `--refresh`) and the audit trail
    (`--audit-dir`) the flags ask for, as one run context (progress: `with_events`); both are
    closed on exit."""
    with ExitStack() as stack:
        cache = open_cache(args)
        if cache is not None:
            stack.callback(cache.close)
        audit = open_audit(args)
        if audit is not None:
            stack.callback(audit.close)
        yield run_context(args, cache, audit)


def check_budget(plan: DryRunPlan, config: ExplainConfig) -> None:
    """Refuse before loading any model when the planned calls exceed --max-calls/--max-cost."""
    budget = Budget(max_calls=config.max_calls, max_cost=config.max_cost, price=plan.estimate.price)
    if config.max_cost is not None and plan.estimate.cost is None:
        raise no_price(plan.identity.provider, plan.identity.model)
    refuse_plan(budget, plan.calls_needed, plan.calls_cached, plan.estimate.cost)


def refuse_over_budget(jobs: Sequence[CallJob], identity: CallIdentity, config: ExplainConfig,
                       cache: ResponseCache | None, refresh: bool = False) -> None:
    """Refuse before any call when a command's planned calls (`jobs`, a cached answer free)
    exceed --max-calls/--max-cost, by the engine's own rule (`budget.Spending`)."""
    if config.max_calls is None and config.max_cost is None:
        return
    price = find_price(identity.provider, identity.model)
    if config.max_cost is not None and price is None:
        raise no_price(identity.provider, identity.model)
    stored = stored_jobs(jobs, identity, config.generation_params(), cache, refresh)
    spending = Spending(Budget(config.max_calls, config.max_cost, price), config.max_tokens, config.system_prompt)
    spending.refuse_run([job.prompt for job in jobs if job not in stored], len(stored))


# A larger plan is printed as plain lines: a rich Table is laid out whole in memory before the
# first row appears (100,000 rows took over a minute and 0.6 GB).
TABLE_ROWS = 1_000


def _status(plan: DryRunPlan, index: int) -> str:
    item, k = plan.prompts[index], plan.samples_per_prompt
    if item.duplicate:
        return "duplicate (asked once)"
    if item.cached_samples:
        return f"cached {item.cached_samples}" + (f" of {2 * k if index == 0 and k > 1 else k}" if k > 1 else "")
    return "to ask"


def render_dry_run(plan: DryRunPlan) -> Group:
    """Every perturbed prompt with its mask, then the counts, tokens and cost."""
    table = Table(title="Perturbed prompts (dry run: nothing was sent)", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("mask")
    table.add_column("prompt")
    table.add_column("status")
    for index, item in enumerate(plan.prompts):
        table.add_row(str(index), "".join(str(bit) for bit in item.mask), Text(item.prompt), _status(plan, index))
    return Group(table, Text(dry_run_summary(plan)))


def dry_run_summary(plan: DryRunPlan) -> str:
    """The counts, tokens and cost of a dry run."""
    k = plan.samples_per_prompt
    identity = plan.identity
    estimate = plan.estimate
    where = f" at {identity.base_url}" if identity.base_url else ""
    lines = [
        f"backend {identity.provider} · model {identity.model or '(default)'}{where}",
        f"{len(plan.prompts)} perturbations · {plan.unique_prompts} unique prompts"
        + (f" × {k} samples (+{k} for the noise floor)" if k > 1 else ""),
        f"{plan.calls_total} calls · {plan.calls_cached} already cached · {plan.calls_needed} to make",
        f"estimated tokens for the calls to make: {estimate.input_tokens} input (approx.) · "
        f"{estimate.output_tokens} output at most ({plan.max_tokens} per call)",
    ]
    if estimate.price is None:
        lines.append(
            f"estimated cost: unknown (no price for {identity.provider} model {identity.model!r}; "
            "add one to your prices file)"
        )
    else:
        lines.append(
            f"estimated cost: at most ${estimate.cost:.4f} "
            f"(${estimate.price.input:g} / ${estimate.price.output:g} per million input/output tokens)"
        )
    return "\n".join(lines)


def print_dry_run(plan: DryRunPlan, console: Console | None = None) -> None:
    """The dry run on the console: a table, or for a large plan one plain line per prompt, written
    in batches (prompts are sanitised by the core, so no escape sequence reaches the terminal)."""
    console = console or stdout_console()
    if len(plan.prompts) <= TABLE_ROWS:
        console.print(render_dry_run(plan))
        return
    console.print("Perturbed prompts (dry run: nothing was sent)   #  mask  status  prompt", markup=False)
    width = len(str(len(plan.prompts) - 1))
    for first in range(0, len(plan.prompts), TABLE_ROWS):
        lines = []
        for index in range(first, min(first + TABLE_ROWS, len(plan.prompts))):
            item = plan.prompts[index]
            mask = "".join(str(bit) for bit in item.mask)
            lines.append(f"{index:>{width}}  {mask}  {_status(plan, index):<22}  {' '.join(item.prompt.split())}")
        console.file.write("\n".join(lines) + "\n")
    console.print(dry_run_summary(plan), markup=False, highlight=False)
