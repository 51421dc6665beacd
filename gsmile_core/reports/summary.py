"""The summary an auditor can hand on, at the top of every report, before any table.

One page's worth: the prompt, the model and backend, what the prompt was cut into (words,
sentences...), the strongest units with their 95 % intervals and verdicts, the surrogate's
fidelity with a verdict in words, and every warning a reader must not miss (a low R²_w, answer
words without a vector, the run's own warnings, no significant unit). Computed once as an
`AuditSummary`, drawn by the HTML, Markdown and terminal reports alike.

The fidelity verdict reads R²_w (paper eq. 17): at least 0.7 "good", at least 0.4 "moderate",
below 0.4 "low" — conventional bands for how much of the answers' movement a linear surrogate
reproduces, not thresholds from the paper; the figure itself is always shown beside the word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..method.word_support import support_rule, word_support
from ..sanitize import one_line
from ..types import Explanation
from .format import esc, html_table, markdown_table, md, number
from .units import plural, unit_level

GOOD_FIDELITY = 0.7
LOW_FIDELITY = 0.4
PROMPT_CHARS = 300
TOP_UNITS = 5


@dataclass(frozen=True)
class TopUnit:
    rank: int
    text: str
    score: float
    interval: tuple[float, float] | None
    significant: bool | None


@dataclass(frozen=True)
class AuditSummary:
    prompt: str  # one line, at most PROMPT_CHARS characters
    prompt_words: int
    backend: str
    model: str
    level: str  # what a unit is: word, phrase, sentence or paragraph
    units: int
    top: tuple[TopUnit, ...]
    significant: int
    rule: str
    r2_w: float | None
    fidelity: str  # "good", "moderate", "low" or "not available"
    warnings: tuple[str, ...]


def fidelity_verdict(r2_w: float | None) -> str:
    if r2_w is None:
        return "not available"
    if r2_w >= GOOD_FIDELITY:
        return "good"
    return "moderate" if r2_w >= LOW_FIDELITY else "low"


def audit_summary(explanation: Explanation, top: int = TOP_UNITS) -> AuditSummary:
    supports = word_support(explanation)
    level = unit_level(explanation)
    ranked = explanation.ranked()[:top]
    units = tuple(
        TopUnit(rank, one_line(f.text, 80), float(score), supports[f.index].interval, supports[f.index].significant)
        for rank, (f, score) in enumerate(ranked, start=1)
    )
    r2 = explanation.fidelity.r2_w
    verdict = fidelity_verdict(r2)
    warnings = []
    if verdict == "low":
        warnings.append(
            f"low fidelity: R²_w = {number(r2, 2)} < {LOW_FIDELITY}; the linear surrogate reproduces little of how "
            "the answers moved, so read the scores with caution"
        )
    if explanation.out_of_vocabulary:
        warnings.append(
            f"{explanation.out_of_vocabulary} answer word(s) had no word vector (out of vocabulary) and were left "
            "out of the distances"
        )
    significant = sum(1 for s in supports if s.significant)
    if supports and all(s.significant is False for s in supports):
        warnings.append(f"no {level} is significant: the scores may be noise")
    warnings += [one_line(w, 300) for w in explanation.warnings]
    return AuditSummary(
        prompt=one_line(explanation.prompt, PROMPT_CHARS),
        prompt_words=len(explanation.prompt.split()),
        backend=explanation.provenance.backend,
        model=explanation.provenance.model,
        level=level,
        units=len(explanation.features),
        top=units,
        significant=significant,
        rule=support_rule(explanation),
        r2_w=r2,
        fidelity=verdict,
        warnings=tuple(warnings),
    )


UNIT_VERDICT = {True: "significant", False: "not significant", None: "unknown"}


def unit_interval(unit: TopUnit) -> str:
    return "n/a" if unit.interval is None else f"[{number(unit.interval[0], signed=True)}, {number(unit.interval[1], signed=True)}]"


def summary_facts(s: AuditSummary) -> list[tuple[str, str]]:
    return [
        ("Prompt", f"{s.prompt} ({s.prompt_words} words)"),
        ("Model", f"{s.model} on the {s.backend} backend"),
        ("Explained by", f"{s.units} {plural(s.level)}; {s.significant} significant"),
        ("Fidelity", f"{s.fidelity} (R²_w = {number(s.r2_w, 2)})"),
    ]


def summary_html(s: AuditSummary, heading_level: int = 2) -> str:
    h = f"h{heading_level}"
    facts = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in summary_facts(s))
    rows = [[("n", str(u.rank)), ("t", esc(u.text)), ("n", number(u.score, signed=True)), ("n", esc(unit_interval(u))),
             ("", esc(UNIT_VERDICT[u.significant]))] for u in s.top]
    table = html_table(["rank", s.level, "importance", "95% interval", "verdict"], rows)
    warnings = "".join(f'<li class="warning">{esc(w)}</li>' for w in s.warnings)
    return (
        f'<section class="summary"><{h}>Summary</{h}><dl>{facts}</dl>'
        f"<p><strong>Top {len(s.top)} {esc(plural(s.level))}</strong></p>{table}"
        f'<p class="meta">Rule: {esc(s.rule)}.</p>'
        + (f"<p><strong>Warnings</strong></p><ul>{warnings}</ul>" if warnings else '<p class="meta">No warnings.</p>')
        + "</section>"
    )


def summary_markdown(s: AuditSummary, level: int = 2) -> str:
    h = "#" * level
    facts = "\n".join(f"- **{k}:** {md(v)}" for k, v in summary_facts(s))
    table = markdown_table(["rank", s.level, "importance", "95% interval", "verdict"],
                           ([str(u.rank), md(u.text), number(u.score, signed=True), md(unit_interval(u)), UNIT_VERDICT[u.significant]]
                            for u in s.top))
    warnings = "\n".join(f"- warning: {md(w)}" for w in s.warnings) or "No warnings."
    return f"{h} Summary\n\n{facts}\n\n**Top {len(s.top)} {plural(s.level)}**\n\n{table}\n\nRule: {md(s.rule)}.\n\n{warnings}"


def _session_rows(runs: Sequence[tuple[str, Explanation]]) -> list[tuple[str, AuditSummary]]:
    return [(label, audit_summary(explanation, top=3)) for label, explanation in runs]


def _top_line(s: AuditSummary) -> str:
    return "; ".join(f"{u.text} {number(u.score, signed=True)} {unit_interval(u)} {UNIT_VERDICT[u.significant]}" for u in s.top)


SESSION_COLUMNS = ("run", "prompt", "model", "top 3 units with 95% intervals", "fidelity", "warnings")


def session_summary_html(runs: Sequence[tuple[str, Explanation]], heading_level: int = 2) -> str:
    """One row per run (labelled): its prompt, model, top units, fidelity verdict and warnings."""
    h = f"h{heading_level}"
    rows = [
        [("", esc(label)), ("t", esc(one_line(s.prompt, 120))), ("", esc(f"{s.model} ({s.backend})")),
         ("t", esc(_top_line(s))), ("", esc(f"{s.fidelity} (R²_w = {number(s.r2_w, 2)})")),
         ("t", "".join(f'<div class="warning">{esc(w)}</div>' for w in s.warnings) or "none")]
        for label, s in _session_rows(runs)
    ]
    return f'<section class="summary"><{h}>Summary</{h}>{html_table(SESSION_COLUMNS, rows)}</section>'


def session_summary_markdown(runs: Sequence[tuple[str, Explanation]], level: int = 2) -> str:
    rows = (
        [md(label), md(one_line(s.prompt, 120)), md(f"{s.model} ({s.backend})"), md(_top_line(s)),
         md(f"{s.fidelity} (R²_w = {number(s.r2_w, 2)})"), md("; ".join(s.warnings) or "none")]
        for label, s in _session_rows(runs)
    )
    return f"{'#' * level} Summary\n\n" + markdown_table(SESSION_COLUMNS, rows)
