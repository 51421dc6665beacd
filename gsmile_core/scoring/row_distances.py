"""SMILE's ECDF distances between a table row and a perturbed copy of it (the kernel's input side).

The authors' code computed `wasserstein_distance(x, x_perturbed)` on the two rows' NUMBERS, as if
a row's features were a sample of one quantity: age 40 and income 40 000 land on one axis,
swapping two features' values gives distance 0. Here every column is compared with itself, on its
own scale, and the scale is the background's distribution of that column (its ECDF B_c):

For column c, the instance's value a and the perturbed value b are two one-point samples with
ECDFs F = 1{t ≥ a}, G = 1{t ≥ b}; F − G is ±1 between a and b and 0 elsewhere. SMILE's
statistics, integrated against the background's distribution dB (as the text pipeline's
Cramér–von Mises integrates against the pooled one), are then exact and closed-form:
- `wasserstein-1d`: ∫|F−G| dB = the background mass between a and b, |B(a) − B(b)| in [0, 1]
  (a Wasserstein-1 distance measured in background quantiles: scale-free, robust to outliers);
- `cvm`: ∫(F−G)² dB = the same mass (the integrand is 0 or 1);
- `ad`: ∫(F−G)²/(B(1−B)) dB = |logit B(a) − logit B(b)|: moves in the tails weigh more;
- `ks`, `kuiper`: sup|F−G|, sup(F−G)+sup(G−F) = 1 if the values differ, else 0.
B is the mid-rank ECDF (ties split), clipped to [1/(2n), 1 − 1/(2n)] for the logit. A categorical
column has no order: every statistic is 1 if the categories differ, 0 if not. The row distance is
the mean over columns, so 0 for the instance itself and at most 1 (unbounded only for `ad`).
"""

from __future__ import annotations

import numpy as np

from .parts import ROW_DISTANCES
from .tabular_data import NUMERIC, Table


def background_quantiles(column: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mid-rank ECDF of `column` at each of `values`: (#below + #equal / 2) / n."""
    ordered = np.sort(column)
    below = np.searchsorted(ordered, values, side="left")
    upto = np.searchsorted(ordered, values, side="right")
    return (below + 0.5 * (upto - below)) / ordered.size


def _logit(u: np.ndarray, n: int) -> np.ndarray:
    u = np.clip(u, 0.5 / n, 1 - 0.5 / n)
    return np.log(u / (1 - u))


def _per_column(kind: str, table: Table, instance: tuple, rows: list[tuple]) -> np.ndarray:
    """(rows × columns) of the chosen statistic."""
    out = np.zeros((len(rows), len(table.columns)))
    for c, (column_kind, column) in enumerate(zip(table.kinds, table.data)):
        original = instance[c]
        values = [row[c] for row in rows]
        if column_kind != NUMERIC or kind in ("ks", "kuiper"):
            out[:, c] = [0.0 if v == original else 1.0 for v in values]
            continue
        u = background_quantiles(column, np.asarray(values, dtype=float))
        u0 = background_quantiles(column, np.asarray([original], dtype=float))[0]
        if kind == "ad":
            n = column.size
            out[:, c] = np.abs(_logit(u, n) - _logit(np.array([u0]), n)[0])
        else:
            out[:, c] = np.abs(u - u0)
    return out


def _register(name: str) -> None:
    def distance(table: Table, instance: tuple, rows: list[tuple]) -> np.ndarray:
        return _per_column(name, table, instance, rows).mean(axis=1)

    distance.__name__ = f"row_{name.replace('-', '_')}"
    ROW_DISTANCES.register(name)(distance)


for _name in ("wasserstein-1d", "cvm", "ad", "ks", "kuiper"):
    _register(_name)
