"""What a run will cost before it starts, and what it has cost while it runs.

Why estimates at all: an auditor must know before pressing enter that 1,024 perturbations of a
long prompt on a frontier model cost real money, and `--max-cost` must be able to refuse. Prices
(USD per million tokens) come from the bundled table `data/prices.json`, merged with a user file
(`$GSMILE_PRICES`, else `$XDG_CONFIG_HOME/gsmile/prices.json`, else `~/.config/gsmile/prices.json`)
because list prices change faster than releases. Input tokens are estimated from characters
(about four per token, never fewer than one per word) since no tokenizer ships offline; output
tokens are bounded by `max_tokens`, so the output estimate is an upper bound.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import ConfigError

CHAT_OVERHEAD_TOKENS = 4  # role markers and separators per message


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


def user_price_file() -> Path:
    return paths.price_file()


def _parse_table(data: Any, origin: str) -> dict[str, dict[str, Price]]:
    if not isinstance(data, dict) or not isinstance(data.get("providers"), dict):
        raise ConfigError(f"{origin}: expected an object with a 'providers' object")
    table: dict[str, dict[str, Price]] = {}
    for provider, models in data["providers"].items():
        if not isinstance(models, dict):
            raise ConfigError(f"{origin}: providers.{provider} must be an object of models")
        for model, price in models.items():
            try:
                value = Price(float(price["input"]), float(price["output"]))
            except (TypeError, KeyError, ValueError):
                raise ConfigError(
                    f"{origin}: providers.{provider}.{model} needs numeric 'input' and 'output' prices"
                ) from None
            if not (math.isfinite(value.input) and math.isfinite(value.output)) or min(value.input, value.output) < 0:
                raise ConfigError(f"{origin}: providers.{provider}.{model} prices must be >= 0")
            table.setdefault(str(provider), {})[str(model)] = value
    return table


@lru_cache(maxsize=1)
def _bundled() -> dict[str, dict[str, Price]]:
    text = resources.files("gsmile_core").joinpath("data/prices.json").read_text(encoding="utf-8")
    return _parse_table(json.loads(text), "bundled prices.json")


def load_prices(user_file: Path | None = None) -> dict[str, dict[str, Price]]:
    """The bundled table with the user's file merged over it (model by model)."""
    table = {provider: dict(models) for provider, models in _bundled().items()}
    path = user_price_file() if user_file is None else user_file
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot read prices from {path}: {error}") from None
        for provider, models in _parse_table(data, str(path)).items():
            table.setdefault(provider, {}).update(models)
    return table


def find_price(provider: str, model: str, table: dict[str, dict[str, Price]] | None = None) -> Price | None:
    """The price of `model` at `provider`: exact id, else the longest listed prefix, else '*'."""
    models = (load_prices() if table is None else table).get(provider, {})
    if model in models:
        return models[model]
    prefixes = [name for name in models if name != "*" and model.startswith(name)]
    if prefixes:
        return models[max(prefixes, key=len)]
    return models.get("*")


def estimate_tokens(text: str | None) -> int:
    """A tokenizer-free estimate: about four characters per token, at least one per word."""
    if not text:
        return 0
    return max(math.ceil(len(text) / 4), len(text.split()))


def estimate_input_tokens(prompt: str, system_prompt: str | None) -> int:
    messages = 1 + (1 if system_prompt else 0)
    return estimate_tokens(prompt) + estimate_tokens(system_prompt) + CHAT_OVERHEAD_TOKENS * messages


@dataclass(frozen=True)
class CostEstimate:
    calls: int
    input_tokens: int
    output_tokens: int
    price: Price | None

    @property
    def cost(self) -> float | None:
        return None if self.price is None else self.price.cost(self.input_tokens, self.output_tokens)
