"""How far a fairness set's answers move between groups, and which words' importance shifts.

For each slot and each pair of its groups (g, h), over the templates where both were explained:
- output distance: per template, the mean distance (the audit's `--output-distance` on its
  embedder) between the original answers of g's and h's variants; its mean over templates with
  a 95% Student's t interval;
- a sign-flip permutation test across templates: per template the shift D_t between the two
  groups' answers (difference of their mean word vectors); the statistic is the length of the
  mean shift, ‖mean_t D_t‖, large when answers move the same way in every template. Under the
  null (the group label does not matter) each D_t is as likely as −D_t, so flipping signs gives
  the null distribution: exact over all 2^T sign patterns up to `EXACT_UP_TO` templates, else
  `DRAWS` seeded random patterns, p = (b + 1) / (n + 1);
- word shifts: the variants share their units (the filler is protected), so a word's shift is
  its importance for g minus for h in the same template; per word (its identity) the mean over
  templates with a 95% t interval; the words that shift most by |mean|.
A group with several fillers (names) enters each template as the mean over its fillers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..config import ExplainConfig
from .aggregate import WordAggregate, mean_interval
from .results import AuditFolder

EXACT_UP_TO = 12
DRAWS = 9_999
TOP_SHIFTS = 8


def _collect(folder: AuditFolder) -> dict[str, dict[str, dict[str, list[dict[str, Any]]]]]:
    """slot -> template -> group -> the ok records of its fillers (only what the stats need)."""
    found: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    for record in folder.records():
        if record.get("status") != "ok" or record.get("template") is None:
            continue
        compact = {k: record.get(k) for k in ("id", "filler", "features", "attributions", "original_output")}
        found.setdefault(record["slot"], {}).setdefault(record["template"], {}).setdefault(record["group"], []).append(compact)
    return found


def sign_flip_test(shifts: np.ndarray, seed: int = 0) -> tuple[float, float, int]:
    """(statistic ‖mean D_t‖, p-value, patterns used) of the sign-flip test on rows `shifts`."""
    count = shifts.shape[0]
    observed = float(np.linalg.norm(shifts.mean(axis=0)))
    if count <= EXACT_UP_TO:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=count)))
        stats = np.linalg.norm(signs @ shifts / count, axis=1)
        at_least = int(np.sum(stats >= observed - 1e-12))
        return observed, at_least / len(signs), len(signs)
    rng = np.random.default_rng(seed)
    signs = rng.choice((1.0, -1.0), size=(DRAWS, count))
    stats = np.linalg.norm(signs @ shifts / count, axis=1)
    at_least = int(np.sum(stats >= observed - 1e-12))
    return observed, (at_least + 1) / (DRAWS + 1), DRAWS


def fairness_summary(folder: AuditFolder, config: ExplainConfig) -> dict[str, Any]:
    from ..method.embed import get_embedder
    from ..method.parts import DISTANCES

    embedder = get_embedder(config.embedder)
    distance = DISTANCES.get(config.output_distance)
    clouds: dict[str, Any] = {}

    def cloud(text: str):
        if text not in clouds:
            clouds[text] = embedder.embed(text)
        return clouds[text]

    def centre(text: str) -> np.ndarray | None:
        vectors = cloud(text).vectors
        return None if vectors.shape[0] == 0 else vectors.mean(axis=0)

    slots = []
    for slot, templates in sorted(_collect(folder).items()):
        labels = sorted({g for groups in templates.values() for g in groups})
        pairs = []
        for g, h in itertools.combinations(labels, 2):
            distances, shifts = [], []
            words = WordAggregate()
            for template_id, groups in templates.items():
                if g not in groups or h not in groups:
                    continue
                a, b = groups[g], groups[h]
                distances.append(float(np.mean([distance(cloud(x["original_output"]), cloud(y["original_output"]), config.p)
                                                for x in a for y in b])))
                centres = [[centre(x["original_output"]) for x in side] for side in (a, b)]
                if all(c is not None for side in centres for c in side):
                    shifts.append(np.mean(centres[0], axis=0) - np.mean(centres[1], axis=0))
                features = a[0]["features"]
                if all(r["features"] == features for r in a + b):
                    imp_g = np.nanmean([[v if v is not None else np.nan for v in r["attributions"]] for r in a], axis=0)
                    imp_h = np.nanmean([[v if v is not None else np.nan for v in r["attributions"]] for r in b], axis=0)
                    words.add(features, list(imp_g - imp_h))
            if not distances:
                continue
            count = len(distances)
            mean = float(np.mean(distances))
            m2 = float(np.sum((np.asarray(distances) - mean) ** 2))
            lower, upper, _ = mean_interval(count, mean, m2)
            test = sign_flip_test(np.asarray(shifts), seed=config.seed) if len(shifts) >= 1 else None
            shifted = sorted(words.stats(), key=lambda s: (-abs(s.mean), s.word))[:TOP_SHIFTS]
            pairs.append({
                "groups": [g, h],
                "templates": count,
                "output_distance": {"mean": mean, "lower": lower, "upper": upper},
                "shift_test": None if test is None else {
                    "statistic": test[0], "p_value": test[1], "patterns": test[2], "templates": len(shifts),
                    "exact": len(shifts) <= EXACT_UP_TO,
                },
                "word_shifts": [s.to_dict() for s in shifted],
            })
        slots.append({"slot": slot, "groups": labels, "templates": len(templates), "pairs": pairs})
    return {
        "output_distance": config.output_distance,
        "embedder": config.embedder,
        "alpha": config.alpha,
        "test": "sign-flip permutation test across templates of the mean shift of the answers' mean word vectors",
        "slots": slots,
    }


def template_variants(folder: AuditFolder, template_id: str, group_order: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The ok records of one template's variants (for a side-by-side view), in `group_order`
    (the groups file's order; others after it, by group and filler), not in the order they
    happened to finish."""
    rank = {group: i for i, group in enumerate(group_order)}
    found = [r for r in folder.records() if r.get("template") == template_id and r.get("status") == "ok"]
    return sorted(found, key=lambda r: (rank.get(r.get("group"), len(rank)), str(r.get("group")), str(r.get("filler"))))


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def worst_pair(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pair whose answers move most (for a one-line headline)."""
    pairs = [p for s in summary.get("slots", []) for p in s["pairs"] if _finite(p["output_distance"]["mean"])]
    return max(pairs, key=lambda p: p["output_distance"]["mean"], default=None)
