"""Sentence → word drill-down: explain a long prompt by its coarse units, then the words of the
units that matter most, the rest of the prompt kept whole.

A word-level answer for a 3,000-word prompt from a few hundred answers is underdetermined; an
auditor first asks which sentences (or paragraphs) drive the answer, then which words inside
them. The first level is an ordinary explanation at the coarse unit. The second explains at word
level with every character outside the top K coarse units protected (never removed), so its
perturbations change only those units' words. Both levels share one memo of answers (the
original prompt is asked once) and the response cache. The coarse explanation carries the second
in `extras["drill_down"]`: the coarse unit indices explained and the word-level explanation, whose
features point back into the same prompt by their offsets.
"""

from __future__ import annotations

from dataclasses import replace

from .backends.base import Backend
from .calls.memo import MemoBackend
from .config import ExplainConfig
from .errors import ConfigError
from .events import Notice
from .pipeline import explain
from .calls.context import RunContext
from .types import Explanation

DRILL_DOWN_KEY = "drill_down"


def top_units(explanation: Explanation, k: int) -> list[int]:
    """Indices of the `k` units with the highest importance, in prompt order."""
    ranked = [feature.index for feature, _ in explanation.ranked()[:k]]
    return sorted(ranked)


def outside(explanation: Explanation, units: list[int]) -> list[tuple[int, int]]:
    """The spans of the prompt outside the chosen units: what the word level keeps whole."""
    spans, cursor = [], 0
    for feature in sorted((explanation.features[i] for i in units), key=lambda f: f.start):
        spans.append((cursor, feature.start))
        cursor = feature.end
    spans.append((cursor, len(explanation.prompt)))
    return [(a, b) for a, b in spans if b > a]


async def explain_drill_down(
    prompt: str,
    backend: Backend,
    config: ExplainConfig,
    depth: int,
    *,
    run: RunContext = RunContext(),
) -> Explanation:
    """The coarse explanation with the word-level explanation of its top `depth` units inside."""
    memo = MemoBackend(backend)
    coarse = await explain(prompt, memo, config, run=run)
    level = coarse.features[0].level if coarse.features else "word"
    if level == "word":
        run.on_event(Notice("the prompt was explained word by word already: no drill-down needed"))
        return coarse
    if depth > len(coarse.features):
        raise ConfigError(f"--drill-down {depth} is more than the {len(coarse.features)} {level}s of the prompt")
    units = top_units(coarse, depth)
    fine = await explain(
        coarse.prompt, memo, config.with_changes(unit="word"), run=run, protect=outside(coarse, units),
    )
    nested = {"units": units, "level": level, "explanation": fine.to_dict()}
    return replace(coarse, extras={**coarse.extras, DRILL_DOWN_KEY: nested})


def drilled(explanation: Explanation) -> tuple[list[int], Explanation] | None:
    """The explained coarse units and the word-level explanation, if this one was drilled down."""
    nested = explanation.extras.get(DRILL_DOWN_KEY)
    if not isinstance(nested, dict) or "explanation" not in nested:
        return None
    return [int(i) for i in nested.get("units", [])], Explanation.from_dict(nested["explanation"])
