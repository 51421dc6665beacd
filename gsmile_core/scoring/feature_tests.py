"""What replaces gSMILE's per-perturbation p-values when the model is a deterministic function.

For an LLM, each answer is a cloud of word vectors, so Algorithm 1 can ask whether a perturbed
answer's cloud differs from the original's more than random re-splits of the pooled words do. A
classifier or a tabular model returns ONE output vector per input: a permutation test between one
vector and one vector has a single swap, so its p-value is never below 1/2. It is not defined in
any useful sense, and none is reported per perturbation (`p_value` is null).

What is tested instead is each feature: does keeping or removing it move the output vectors,
given the other features? That is the surrogate's own question, and a permutation test answers it
without assuming Gaussian noise (Freedman & Lane 1983): regress the output vectors Y (rows =
perturbations; the class column, or the whole output distribution) on the masks with every
feature but i, permute the residuals, add them back, refit with feature i, and count how often
‖θ_i‖ (the norm of feature i's coefficients over the outputs) is at least the observed one;
p_i = (b+1)/(B+1). The fitted part of the reduced model has θ_i = 0 exactly, so each draw is one
product of feature i's row of the full model's pseudo-inverse with the permuted residuals; the B
draws are one matrix product per feature. With the default uniform kernel this is the exact Freedman–Lane test; with
kernel weights the √w-weighted residuals are permuted (approximate). A feature that no mask
removed (or that every mask removed), or a fit with fewer perturbations than features, gets no
p-value, with the reason stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_CHUNK = 2048  # permutations per matrix product (memory: chunk × perturbations)


@dataclass(frozen=True)
class FeatureTests:
    """Per-feature permutation p-values (None where untestable) and how they were got."""

    p_values: tuple[float | None, ...]
    statistics: tuple[float | None, ...]
    draws: int
    method: str = "Freedman-Lane permutation test of each feature's coefficients on the output vectors"
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "p_values": list(self.p_values),
            "statistics": list(self.statistics),
            "draws": self.draws,
            "method": self.method,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureTests:
        return cls(
            p_values=tuple(None if v is None else float(v) for v in data["p_values"]),
            statistics=tuple(None if v is None else float(v) for v in data["statistics"]),
            draws=int(data["draws"]),
            method=str(data.get("method", "")),
            note=data.get("note"),
        )


def feature_permutation_tests(
    masks: np.ndarray, outputs: np.ndarray, weights: np.ndarray, *, draws: int, seed: int = 0
) -> FeatureTests:
    """Freedman–Lane p-values of every feature (masks: J×d keep-masks, outputs: J×K)."""
    z = np.asarray(masks, dtype=float)
    y = np.asarray(outputs, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    j, d = z.shape
    none = (None,) * d
    if draws < 1:
        return FeatureTests(none, none, 0, note="permutation tests are off (--bootstrap 0)")
    root = np.sqrt(np.clip(np.asarray(weights, dtype=float), 0.0, None))
    design = root[:, None] * np.column_stack([np.ones(j), z])
    target = root[:, None] * y
    if np.linalg.matrix_rank(design) < d + 1:
        return FeatureTests(none, none, draws, note=(
            f"{d} features and {j} perturbations: the masks do not separate every feature "
            "(fewer perturbations than features, or a feature never removed), so no test"))
    pseudo = np.linalg.pinv(design)  # (d+1) × J
    rng = np.random.default_rng(seed)
    permutations = np.argsort(rng.random((draws, j)), axis=1)
    p_values: list[float | None] = []
    statistics: list[float | None] = []
    for i in range(d):
        reduced = np.delete(design, i + 1, axis=1)
        coefficients, *_ = np.linalg.lstsq(reduced, target, rcond=None)
        residuals = target - reduced @ coefficients  # J × K
        row = pseudo[i + 1]
        observed = float(np.linalg.norm(row @ target))
        threshold = observed * (1 - 1e-9) - 1e-12
        # Σ_j row_j R[π(j)] = Σ_j row[π⁻¹(j)] R_j: permuting the row instead of the residuals
        # gives the same null distribution (π⁻¹ is as uniform as π) in one matrix product.
        exceed = 0
        for start in range(0, draws, _CHUNK):
            null = np.linalg.norm(row[permutations[start : start + _CHUNK]] @ residuals, axis=1)
            exceed += int(np.sum(null >= threshold))
        p_values.append((exceed + 1) / (draws + 1))
        statistics.append(observed)
    return FeatureTests(tuple(p_values), tuple(statistics), draws)
