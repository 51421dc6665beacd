"""Fairness of a tabular model: the row, and the same row with its protected value swapped.

The gSMILE paper reads fairness off side-by-side explanations of prompts that differ only in a
perspective (section 5.1.2; `evaluation.compare`). For a table row the counterfactual is exact:
the same row with only the protected column changed (`sex=Male` → `sex=Female`). Both rows are
explained with the same settings, the same masks and the same background draws, so every
difference between the two explanations comes from the protected value alone. The result holds
both explanations, the prediction of each, and the comparison (per-column scores and their
deltas, the Jaccard index of the top columns) that the compare views draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import ExplainConfig
from ..errors import ConfigError
from ..evaluation.compare import DEFAULT_TOP_K, Comparison, compare
from ..types import Explanation
from .tabular import _value_text, explain_row, tabular_model
from .tabular_data import NUMERIC, load_table


@dataclass(frozen=True)
class Counterfactual:
    """The protected column's two values, both explanations and their comparison."""

    protected: str
    original_value: Any
    swapped_value: Any
    original: Explanation
    swapped: Explanation
    comparison: Comparison

    @property
    def labels(self) -> tuple[str, str]:
        return self.comparison.labels[0], self.comparison.labels[1]

    def output_shift(self) -> list[tuple[str, float, float]]:
        """(class, original output, counterfactual output) for each of the model's outputs."""
        first, second = (e.extras["model"] for e in (self.original, self.swapped))
        return [(c, a, b) for c, a, b in zip(first["classes"], first["outputs"][0], second["outputs"][0])]


def swap_value(kind: str, column: np.ndarray, name: str, current: Any, value: Any | None) -> Any:
    """The counterfactual value: the one given, or the other category of a two-valued column."""
    if kind == NUMERIC:
        if value is None:
            raise ConfigError(f"column {name!r} is numeric: give the counterfactual value (--swap VALUE)")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"column {name!r} is numeric; {value!r} is not a number") from None
    categories = sorted({str(v) for v in column})
    if value is None:
        others = [c for c in categories if c != str(current)]
        if len(others) != 1:
            raise ConfigError(f"column {name!r} has {len(categories)} values ({', '.join(categories[:8])}): "
                              "choose the counterfactual one (--swap VALUE)")
        return others[0]
    if str(value) not in categories:
        raise ConfigError(f"{value!r} is not a value of column {name!r} ({', '.join(categories[:8])})")
    if str(value) == str(current):
        raise ConfigError(f"row already has {name}={value}: choose another value to swap to")
    return str(value)


def explain_counterfactual(
    model: Any,
    data: Any,
    row: int,
    protected: str,
    value: Any | None = None,
    config: ExplainConfig | None = None,
    *,
    drop: Sequence[str] = (),
    top_k: int = DEFAULT_TOP_K,
    **options: Any,
) -> Counterfactual:
    """Explain `row` and its counterfactual with `protected` set to `value` (see the module doc);
    `options` are `explain_row`'s."""
    table = load_table(data)
    if drop:
        table = table.without(drop)
    adapter = tabular_model(model, table, classes=options.pop("classes", None), name=options.pop("model_name", None))
    table = adapter.table
    if protected not in table.columns:
        raise ConfigError(f"no column {protected!r} among the model's columns ({', '.join(table.columns)})")
    values = list(table.row(row))
    c = table.columns.index(protected)
    swapped = swap_value(table.kinds[c], table.data[c], protected, values[c], value)
    changed = list(values)
    changed[c] = swapped
    original = explain_row(adapter, table, row, config, **options)
    counterfactual = explain_row(adapter, table, row, config, instance=changed, **options)
    labels = (f"{protected}={_value_text(values[c])}", f"{protected}={_value_text(swapped)}")
    return Counterfactual(
        protected=protected,
        original_value=values[c],
        swapped_value=swapped,
        original=original,
        swapped=counterfactual,
        comparison=compare([original, counterfactual], labels, top_k=top_k),
    )
