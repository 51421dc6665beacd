"""`summary.json`: an audit in numbers, read back from `results.jsonl` one record at a time.

Counts (prompts, ok, failed), calls, cache hits, cost and time, the failures (id and line), the
accuracy against expected keywords where the input gave them, and the aggregate: each word's
importance across the prompts that contain it (`aggregate`). For a fairness set, the group
comparison (`fairness_stats`) is added by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .aggregate import WordAggregate
from .results import AuditFolder

SUMMARY_FORMAT = "gsmile.audit.summary"
TOP_WORDS = 20
MAX_FAILURES_LISTED = 1000


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def build_summary(
    folder: AuditFolder,
    settings: Mapping[str, Any],
    *,
    total: int,
    wall_s: float | None = None,
    stopped: str | None = None,
    skipped_lines: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The summary of everything `folder` holds (the latest record per prompt)."""
    words = WordAggregate()
    ok = failed = calls = hits = 0
    cost: float | None = None
    prompt_seconds = 0.0
    failures: list[dict[str, Any]] = []
    accuracy: dict[str, list[float]] = {"acc": [], "f1": [], "auroc": []}
    accuracy_errors = 0
    for record in folder.records():
        if record.get("status") == "ok":
            ok += 1
            words.add(record.get("features") or [], [a if a is not None else math.nan for a in record.get("attributions") or []])
            calls += int(record.get("calls") or 0)
            hits += int(record.get("cache_hits") or 0)
            if record.get("cost_usd") is not None:
                cost = (cost or 0.0) + float(record["cost_usd"])
            prompt_seconds += float((record.get("timing") or {}).get("wall_s") or 0.0)
            found = record.get("accuracy")
            if isinstance(found, dict):
                if "error" in found:
                    accuracy_errors += 1
                else:
                    for name in accuracy:
                        accuracy[name].append(found.get(name))
        else:
            failed += 1
            prompt_seconds += float(record.get("seconds") or 0.0)
            if len(failures) < MAX_FAILURES_LISTED:
                failures.append({"id": record["id"], "line": record.get("line"), "error": record.get("error", "")})
    summary: dict[str, Any] = {
        "format": SUMMARY_FORMAT,
        "version": 1,
        "settings": dict(settings),
        "counts": {"prompts": total, "ok": ok, "failed": failed, "not_done": max(total - ok - failed, 0),
                   "bad_lines_skipped": len(skipped_lines)},
        "calls": {"model_calls": calls, "cache_hits": hits, "cost_usd": cost},
        "time": {"prompts_s": round(prompt_seconds, 3), "wall_s": None if wall_s is None else round(wall_s, 3)},
        "stopped": stopped,
        "failures": failures,
        "bad_lines": list(skipped_lines[:MAX_FAILURES_LISTED]),
        "aggregate": {
            "level": 0.95,
            "interval": "Student's t over the prompts that contain the word",
            "most_influential": [s.to_dict() for s in words.most_influential(TOP_WORDS)],
            "words": [s.to_dict() for s in words.stats()],
        },
    }
    if accuracy["acc"] or accuracy_errors:
        summary["accuracy"] = {
            "prompts": len(accuracy["acc"]),
            "acc": _mean(accuracy["acc"]),
            "f1": _mean(accuracy["f1"]),
            "auroc": _mean(accuracy["auroc"]),
            "prompts_without": accuracy_errors,
            "rule": "top-k words by score, k = number of expected keywords (ties: prompt order)",
        }
    return summary
