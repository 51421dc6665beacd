"""Before an audit calls anything: what determines its results (the manifest's identity), and
what the set would send and cost (the dry run's total, the budget check).

The identity holds the input's digest, the model (backend, model, base URL, endpoint) and every
method setting; not the engine's knobs (concurrency, retries, timeouts, pacing, budgets), which
change how fast and how far an audit gets, never its lines, so a resume may change them (a
higher `--max-calls` continues an audit the budget stopped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..calls.cache import CallIdentity
from ..calls.context import RunContext
from ..config import ExplainConfig
from ..errors import ConfigError
from .item import config_for
from .reader import PromptItem

ENGINE_ONLY = ("concurrency", "max_attempts", "call_timeout", "requests_per_minute", "max_calls", "max_cost")


def file_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
        digest.update(b"\x00")
    return digest.hexdigest()


def audit_identity(input_digest: str, model: CallIdentity, config: ExplainConfig, kind: str) -> dict[str, Any]:
    method = {k: v for k, v in config.to_dict().items() if k not in ENGINE_ONLY}
    return {
        "kind": kind,
        "input_sha256": input_digest,
        "backend": model.provider,
        "model": model.model,
        "base_url": model.base_url,
        "api": model.api,
        **{f"method.{k}": v for k, v in sorted(method.items())},
    }


@dataclass(frozen=True)
class PlannedItem:
    id: str
    units: int
    calls_total: int
    calls_cached: int
    input_tokens: int
    cost_usd: float | None
    error: str | None = None  # why this prompt will fail (over the limits, empty)

    @property
    def calls_needed(self) -> int:
        return self.calls_total - self.calls_cached


@dataclass(frozen=True)
class SetPlan:
    items: tuple[PlannedItem, ...]
    already_done: int
    max_tokens: int
    priced: bool

    @property
    def calls_total(self) -> int:
        return sum(i.calls_total for i in self.items)

    @property
    def calls_cached(self) -> int:
        return sum(i.calls_cached for i in self.items)

    @property
    def calls_needed(self) -> int:
        return self.calls_total - self.calls_cached

    @property
    def input_tokens(self) -> int:
        return sum(i.input_tokens for i in self.items)

    @property
    def cost_usd(self) -> float | None:
        return sum(i.cost_usd or 0.0 for i in self.items) if self.priced else None

    @property
    def failing(self) -> int:
        return sum(1 for i in self.items if i.error)


def plan_set(items: Iterable[PromptItem], config: ExplainConfig, identity: CallIdentity,
             run: RunContext = RunContext(), already_done: int = 0) -> SetPlan:
    """Every prompt's planned calls (the response cache consulted), without building a backend."""
    from ..calls.dryrun import plan_dry_run
    from ..calls.pricing import find_price
    from ..method.segment import prepare_prompt
    from ..config import unit_options

    planned = []
    for item in items:
        item_config = config_for(item, config)
        try:
            _, features = prepare_prompt(item.prompt, **unit_options(item_config))
            plan = plan_dry_run(item.prompt, item_config, identity, run)
        except ConfigError as error:
            planned.append(PlannedItem(item.id, 0, 0, 0, 0, None, str(error)))
            continue
        planned.append(PlannedItem(item.id, len(features), plan.calls_total, plan.calls_cached,
                                   plan.estimate.input_tokens, plan.estimate.cost))
    priced = find_price(identity.provider, identity.model) is not None
    return SetPlan(tuple(planned), already_done, config.max_tokens, priced)


def refuse_over_budget(plan: SetPlan, config: ExplainConfig, identity: CallIdentity) -> None:
    """The whole set's calls still needed against `--max-calls` / `--max-cost`, before any call."""
    from ..calls.budget import Budget, no_price, refuse_plan
    from ..calls.pricing import find_price

    price = find_price(identity.provider, identity.model)
    if config.max_cost is not None and price is None:
        raise no_price(identity.provider, identity.model)
    refuse_plan(Budget(config.max_calls, config.max_cost, price), plan.calls_needed, plan.calls_cached, plan.cost_usd)


def plan_lines(plan: SetPlan, items: Sequence[PromptItem]) -> list[str]:
    """The dry run as text lines: one per prompt still to do, then the set's total."""
    lines = []
    for planned in plan.items:
        if planned.error:
            lines.append(f"{planned.id}: will fail: {planned.error}")
        else:
            lines.append(f"{planned.id}: {planned.units} units · {planned.calls_total} calls · "
                         f"{planned.calls_cached} cached · {planned.calls_needed} to make")
    cost = "unknown (no price for this model)" if plan.cost_usd is None else f"at most ${plan.cost_usd:.4f}"
    lines.append(
        f"total: {len(plan.items)} prompts to do ({plan.already_done} already done, {plan.failing} will fail) · "
        f"{plan.calls_total} calls · {plan.calls_cached} already cached · {plan.calls_needed} to make · "
        f"about {plan.input_tokens} input tokens and at most {plan.calls_needed * plan.max_tokens} output tokens · "
        f"estimated cost {cost}"
    )
    return lines
