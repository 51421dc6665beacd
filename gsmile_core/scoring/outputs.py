"""A model's outputs as numbers, the distances between output distributions, and the target.

A classifier answers with one number per class. What the numbers are decides what can be done:
- `probabilities`: non-negative and summing to 1 (within 0.01, then renormalised): a
  distribution over the classes;
- `scores`: anything else with two or more classes (logits, decision values): the distribution is
  their softmax;
- `value`: one number (a regressor, a single score): there is no distribution, only its change.

The target regressed on the keep-masks is either
- the distance between the original and the perturbed output distributions (`distribution`),
  Δ_j = D(p_0, p_j) ≥ 0 with D from `OUTPUT_DISTANCES`; importance = −θ as for text: positive means
  keeping the feature holds the output near the original; or
- one class's change (`class`): Δ_j = y_c(original) − y_c(perturbed j), the drop in that class's
  probability (or score, or the predicted value); importance = −θ is then the feature's support
  for the class — positive: keeping it raises the class's probability (LIME's sign for a class).

Distances between two distributions p, q over K classes (the authors' code compared the two
probability VECTORS as two samples of numbers, so swapping two classes' probabilities gave
distance 0; here the classes are the support, the probabilities the masses):
- `tv`: ½ Σ|p−q|, the Wasserstein-1 distance when every two classes are 1 apart (unordered
  classes, the default);
- `wasserstein-1d`, `ks`, `kuiper`, `cvm`, `ad`: SMILE's ECDF distances between the two
  distributions with the classes in the model's order at positions k/(K−1) (meaningful for
  ordered classes such as negative < neutral < positive), F, G the cumulative distributions:
  W_p (POT's `wasserstein_1d`), sup|F−G|, sup(F−G)+sup(G−F), ∫(F−G)²dH and
  ∫(F−G)²/(H(1−H))dH with H = (p+q)/2 the pooled distribution (the text pipeline's definitions,
  evaluated exactly on the K support points).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from .parts import OUTPUT_DISTANCES

PROBABILITY_TOLERANCE = 0.01
DEFAULT_OUTPUT_DISTANCE = "tv"


def output_kind(values: np.ndarray) -> str:
    """`probabilities`, `scores` or `value` for a (rows × classes) matrix of outputs."""
    values = np.asarray(values, dtype=float)
    if values.shape[1] == 1:
        return "value"
    if np.all(values >= -1e-12) and np.all(np.abs(values.sum(axis=1) - 1.0) <= PROBABILITY_TOLERANCE):
        return "probabilities"
    return "scores"


def as_distributions(values: np.ndarray, kind: str) -> np.ndarray:
    """Rows as distributions over the classes: probabilities renormalised, scores soft-maxed."""
    values = np.asarray(values, dtype=float)
    if kind == "probabilities":
        return np.clip(values, 0.0, None) / np.clip(values, 0.0, None).sum(axis=1, keepdims=True)
    if kind == "scores":
        shifted = np.exp(values - values.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    raise ConfigError("a single output value has no distribution over classes: explain the value itself")


def _positions(k: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, k) if k > 1 else np.zeros(1)


# Every distance: (original p: K, others q: J×K, order) -> J distances.
@OUTPUT_DISTANCES.register("tv")
def total_variation(p: np.ndarray, q: np.ndarray, order: float = 1.0) -> np.ndarray:
    return 0.5 * np.abs(q - p[None, :]).sum(axis=1)


@OUTPUT_DISTANCES.register("wasserstein-1d")
def wasserstein_ordered(p: np.ndarray, q: np.ndarray, order: float = 1.0) -> np.ndarray:
    import ot

    k = p.size
    support = np.repeat(_positions(k)[:, None], q.shape[0], axis=1)
    powered = ot.wasserstein_1d(support, support, np.repeat(p[:, None], q.shape[0], axis=1), q.T.copy(), p=order)
    return np.clip(np.asarray(powered, dtype=float), 0.0, None) ** (1.0 / order)


def _cumulative_gaps(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.cumsum(p)[None, :] - np.cumsum(q, axis=1)  # F - G at each class, J×K


@OUTPUT_DISTANCES.register("ks")
def kolmogorov_smirnov(p: np.ndarray, q: np.ndarray, order: float = 1.0) -> np.ndarray:
    return np.abs(_cumulative_gaps(p, q)).max(axis=1)


@OUTPUT_DISTANCES.register("kuiper")
def kuiper(p: np.ndarray, q: np.ndarray, order: float = 1.0) -> np.ndarray:
    gaps = _cumulative_gaps(p, q)
    return np.clip(gaps.max(axis=1), 0.0, None) + np.clip((-gaps).max(axis=1), 0.0, None)


@OUTPUT_DISTANCES.register("cvm")
def cramer_von_mises(p: np.ndarray, q: np.ndarray, order: float = 1.0) -> np.ndarray:
    pooled = 0.5 * (p[None, :] + q)
    return np.sum(_cumulative_gaps(p, q) ** 2 * pooled, axis=1)


@OUTPUT_DISTANCES.register("ad")
def anderson_darling(p: np.ndarray, q: np.ndarray, order: float = 1.0) -> np.ndarray:
    pooled = 0.5 * (p[None, :] + q)
    cumulative = np.cumsum(pooled, axis=1)
    spread = cumulative * (1.0 - cumulative)
    inside = spread > 1e-12  # where H is 0 or 1 both distributions agree: F - G = 0 there
    terms = np.where(inside, _cumulative_gaps(p, q) ** 2 * pooled / np.where(inside, spread, 1.0), 0.0)
    return terms.sum(axis=1)


@dataclass(frozen=True)
class Target:
    """What the surrogate explains: a distance between output distributions, or one class."""

    kind: str  # "distribution" | "class"
    distance: str | None = None
    class_index: int | None = None
    class_name: str | None = None

    def describe(self) -> str:
        if self.kind == "distribution":
            return f"distance between output distributions ({self.distance})"
        return f"change of {self.class_name!r}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "distance": self.distance, "class_index": self.class_index, "class": self.class_name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(data["kind"], data.get("distance"), data.get("class_index"), data.get("class"))


def choose_target(
    classes: Sequence[str], kind: str, explained_class: str | int | None = None, distance: str | None = None
) -> Target:
    """The target for the user's options; an unknown class or distance is one clear line."""
    if explained_class is not None and distance is not None:
        raise ConfigError("choose one target: a class (--class) or a distance between distributions (--target-distance)")
    if kind == "value":
        if distance is not None:
            raise ConfigError("the model returns one value: there is no distribution to take a distance between")
        return Target("class", class_index=0, class_name=classes[0])
    if explained_class is None:
        name = distance or DEFAULT_OUTPUT_DISTANCE
        OUTPUT_DISTANCES.get(name)  # ConfigError listing the known names
        return Target("distribution", distance=name)
    names = [str(c) for c in classes]
    if isinstance(explained_class, (int, np.integer)) and not isinstance(explained_class, bool):
        if not 0 <= int(explained_class) < len(names):
            raise ConfigError(f"class index {explained_class} is out of range: the model has {len(names)} classes")
        index = int(explained_class)
    elif str(explained_class) in names:
        index = names.index(str(explained_class))
    else:
        raise ConfigError(f"class {explained_class!r} is not one of the model's classes: {', '.join(names)}")
    return Target("class", class_index=index, class_name=names[index])


def target_values(values: np.ndarray, kind: str, target: Target, order: float = 1.0) -> np.ndarray:
    """Δ_j for every row of `values` (row 0 is the original output)."""
    values = np.asarray(values, dtype=float)
    if target.kind == "class":
        column = values[:, target.class_index]
        return column[0] - column
    distributions = as_distributions(values, kind)
    return np.asarray(OUTPUT_DISTANCES.get(target.distance)(distributions[0], distributions, order), dtype=float)


def tested_outputs(values: np.ndarray, kind: str, target: Target) -> np.ndarray:
    """The output vectors the per-feature permutation tests compare: the class's column, or the
    whole distribution."""
    values = np.asarray(values, dtype=float)
    if target.kind == "class":
        return values[:, [target.class_index]]
    return as_distributions(values, kind)


def class_names(names: Sequence[object]) -> tuple[str, ...]:
    """A model's class names as text safe to show (they come from the user's model)."""
    from ..sanitize import one_line

    return tuple(one_line(str(name), 60) for name in names)


def output_text(classes: Sequence[str], row: Sequence[float]) -> str:
    """One output as a line: `neg 0.000 · neu 0.484 · pos 0.516`, or the value alone."""
    if len(row) == 1:
        return f"{classes[0]} {float(row[0]):.6g}"
    return " · ".join(f"{name} {float(value):.3f}" for name, value in zip(classes, row))
