"""Spending limits of one run: `--max-calls` and `--max-cost`.

Checked twice: before the run starts (refuse a plan that would overspend, so nothing is paid
for a run that cannot finish) and before each call (stop cleanly before a call that could cross
the limit; the answers received are cached, so a rerun with a higher budget continues). The cost
of a call not yet made is its worst case: estimated input tokens, scaled up by how far the
provider's own counts exceeded our estimates so far, and `max_tokens` of output.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GsmileError
from .pricing import Price, estimate_input_tokens
from ..types import Generation


class BudgetExceeded(GsmileError):
    """A run would overspend `--max-calls` or `--max-cost`; answers received so far are cached."""


@dataclass(frozen=True)
class Budget:
    """Spending limits of one run; `price` is needed for `max_cost`."""

    max_calls: int | None = None
    max_cost: float | None = None
    price: Price | None = None


def no_price(provider: str, model: str) -> BudgetExceeded:
    return BudgetExceeded(
        f"no price is known for {provider} model {model!r}, so --max-cost cannot be enforced: "
        "add it to your prices file or drop --max-cost"
    )


def refuse_plan(budget: Budget, calls: int, cached: int, cost: float | None) -> None:
    """Refuse to start `calls` model calls (`cached` more answers are stored) estimated at
    `cost` dollars at most, when they exceed the budget."""
    if budget.max_calls is not None and calls > budget.max_calls:
        raise BudgetExceeded(
            f"this run needs {calls} model calls ({cached} more answers are cached) but "
            f"--max-calls is {budget.max_calls}: raise it or use fewer --perturbations"
        )
    if budget.max_cost is not None and cost is not None and cost > budget.max_cost:
        raise BudgetExceeded(
            f"this run may cost up to ${cost:.4f} ({calls} calls) but --max-cost is "
            f"${budget.max_cost:.4f}: raise it, lower --max-tokens or use fewer --perturbations"
        )


class Spending:
    """What a run has spent and reserved, call by call (one per engine)."""

    def __init__(self, budget: Budget, max_tokens: int, system_prompt: str | None) -> None:
        self.budget = budget
        self.max_tokens = max_tokens
        self.system_prompt = system_prompt
        self.calls = 0  # requests sent, retries included
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self._estimated_input = 0  # our estimates vs the provider's counts, for later estimates
        self._reported_input = 0

    @property
    def priced(self) -> bool:
        return self.budget.price is not None

    def estimated_cost(self, prompt: str) -> float:
        """Worst-case cost of one call of `prompt` (0 without a price)."""
        price = self.budget.price
        if price is None:
            return 0.0
        tokens_in = estimate_input_tokens(prompt, self.system_prompt) * self._input_ratio()
        return price.cost(tokens_in, self.max_tokens)

    def _input_ratio(self) -> float:
        if self._estimated_input <= 0 or self._reported_input <= 0:
            return 1.0
        return max(1.0, self._reported_input / self._estimated_input)

    def refuse_run(self, prompts: list[str], cached: int) -> None:
        """Refuse to start a run whose calls (one per prompt in `prompts`) would overspend."""
        cost = sum(self.estimated_cost(p) for p in prompts) if self.budget.max_cost is not None else None
        refuse_plan(self.budget, len(prompts), cached, cost)

    def reserve(self, prompt: str) -> float:
        """Before a call: stop cleanly if it could cross the budget; else count the call, reserve
        its worst-case cost and return it (hand it back with `release`)."""
        max_calls, max_cost = self.budget.max_calls, self.budget.max_cost
        if max_calls is not None and self.calls >= max_calls:
            raise BudgetExceeded(
                f"stopped after {self.calls} model calls (--max-calls {max_calls}); the answers "
                "received are cached, so a rerun with a higher budget continues from here"
            )
        estimate = self.estimated_cost(prompt)
        if max_cost is not None and self.spent_usd + self.reserved_usd + estimate > max_cost:
            raise BudgetExceeded(
                f"stopped at ${self.spent_usd:.4f} spent: the next call could cross --max-cost "
                f"${max_cost:.4f}; the answers received are cached, so a rerun with a higher budget "
                "continues from here"
            )
        self.calls += 1
        self.reserved_usd += estimate
        return estimate

    def release(self, reserved: float) -> None:
        self.reserved_usd -= reserved

    def account(self, prompt: str, generation: Generation) -> None:
        """After a call: add what it cost (the provider's token counts when it gave them)."""
        price = self.budget.price
        if price is None:
            return
        estimated_in = estimate_input_tokens(prompt, self.system_prompt)
        tokens_in = generation.prompt_tokens
        if tokens_in is None:
            tokens_in = estimated_in
        else:
            self._estimated_input += estimated_in
            self._reported_input += tokens_in
        tokens_out = generation.completion_tokens
        if tokens_out is None:
            tokens_out = self.max_tokens
        self.spent_usd += price.cost(tokens_in, tokens_out)
