"""The Markdown report: the same sections as the HTML report, for a review or a wiki page.

Untrusted text goes inline through `format.md` (sanitised, one line, HTML- and Markdown-escaped:
no raw HTML, links, emphasis or broken tables) or as a fenced block through `format.md_block`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import __version__
from ..evaluation.compare import Comparison, compare
from ..method.word_support import word_support
from ..sanitize import one_line
from ..session import Session
from ..types import Explanation
from .checks import checks_markdown
from .format import markdown_table, md, md_block, number, p_value
from .model_sections import model_section_markdown
from .provenance import provenance_rows, redact, setting_label, setting_text
from .selection import selected_runs
from .summary import UNIT_VERDICT, audit_summary, session_summary_markdown, summary_markdown
from .units import INTERACTION_COLUMNS, INTERACTION_NOTE, capitalised, counted, drill_down_of, interaction_rows, plural, unit_level
from .palette import scale_of
from .wording import (
    EVIDENCE_COLUMNS,
    FIDELITY_NAMES,
    FIDELITY_TITLE,
    evidence_cells,
    VERDICT,
    fidelity_values,
    legend_for,
    scale_sentence,
    significance_sentence,
)

def explanation_markdown_section(explanation: Explanation, level: int = 2) -> str:
    h = "#" * level
    sub = "#" * (level + 1)
    support = word_support(explanation)
    has_std = explanation.attribution_std is not None
    unit = unit_level(explanation)
    drill = drill_down_of(explanation)
    drilled = {u.feature.index for u in drill.units} if drill else set()
    heat = " ".join(
        f"{md(f.text)}\u00a0({number(s, 3, signed=True)}{'' if sup.significant is not False else ', n.s.'})"
        for f, s, sup in zip(explanation.features, explanation.attributions, support)
    )
    out = [
        summary_markdown(audit_summary(explanation), level),
        f"{h} Prompt\n\n{md_block(explanation.prompt)}",
        f"{h} Original answer\n\n{md_block(explanation.original_output)}",
        *([section] if (section := model_section_markdown(explanation, level + 1)) else []),
        f"{h} Heatmap ({plural(unit)} in prompt order with importance)\n\n{heat}\n\n"
        f"{md(scale_sentence(scale_of([explanation])))}\n\n_{md(legend_for(unit))}_ "
        f"{md(significance_sentence(explanation, 'n.s.'))}",
    ]
    kinds = sorted({s.interval_kind for s in support if s.interval_kind})
    headers = ["rank", unit, "position", "importance"] + (["posterior std"] if has_std else [])
    headers += [f"95% interval ({', '.join(kinds)})"] if kinds else []
    headers += list(EVIDENCE_COLUMNS)
    rows = []
    for rank, (feature, score) in enumerate(explanation.ranked(), start=1):
        sup = support[feature.index]
        name = md(feature.text) + (f" (its words: Drill-down, {unit} {feature.index + 1})" if feature.index in drilled else "")
        row = [str(rank), name, str(feature.index + 1), number(score, signed=True)]
        if has_std:
            row.append(number(sup.std))
        if kinds:
            row.append("n/a" if sup.interval is None else f"\\[{number(sup.interval[0])}, {number(sup.interval[1])}\\]")
        row += evidence_cells(sup)
        rows.append(row)
    out.append(f"{sub} {capitalised(plural(unit))} by importance\n\n" + markdown_table(headers, rows))
    out += [part for part in (interactions_markdown(explanation, level + 1), drill_down_markdown(explanation, level)) if part]
    out.append(
        f"{sub} {FIDELITY_TITLE}\n\n"
        + markdown_table(FIDELITY_NAMES, [[number(v) for v in fidelity_values(explanation.fidelity)]])
    )
    for warning in explanation.warnings:
        out.append(f"> warning: {md(warning)}")
    out.append(
        f"{sub} Perturbations\n\n"
        + markdown_table(
            ["#", "mask", "prompt", "answer", "input distance", "output distance", "weight", "p-value", "in fit"],
            (
                [str(i), "".join("1" if m else "0" for m in p.mask), md(p.prompt), md(p.output),
                 number(p.input_distance), number(p.output_distance), number(p.weight), p_value(p.p_value),
                 "yes" if p.used_in_fit else "no"]
                for i, p in enumerate(explanation.perturbations, start=1)
            ),
        )
    )
    out.append(f"{sub} Settings\n\n" + markdown_table(["setting", "value"], ([md(setting_label(k)), md(setting_text(v))] for k, v in redact(explanation.config).items())))
    out.append(f"{sub} Provenance\n\n" + markdown_table(["", ""], ([md(k), md(v)] for k, v in provenance_rows(explanation))))
    return "\n\n".join(out)


def explanation_markdown(explanation: Explanation) -> str:
    return f"# gSMILE report — {md(one_line(explanation.prompt, 60))}\n\n" + explanation_markdown_section(explanation) + "\n"


def interactions_markdown(explanation: Explanation, level: int = 3) -> str:
    """The strongest pairwise interactions with their Holm-adjusted p ('' when none were tested)."""
    rows = interaction_rows(explanation)
    if not rows:
        return ""
    table = markdown_table(INTERACTION_COLUMNS, (
        [md(r.first), md(r.second), r.kind, number(r.coefficient, signed=True), number(r.std_error),
         p_value(r.p_adjusted) + (" \\*" if r.significant else ""), str(r.both_removed)] for r in rows))
    return (f"{'#' * level} Strongest interactions between {plural(unit_level(explanation))}\n\n{table}\n\n"
            f"{md(INTERACTION_NOTE)} \\* = p < α.")


def drill_down_markdown(explanation: Explanation, level: int = 2) -> str:
    """Each coarse unit explained word by word ('' without a drill-down)."""
    drill = drill_down_of(explanation)
    if drill is None:
        return ""
    h, sub = "#" * level, "#" * (level + 1)
    unit = drill.level
    out = [
        f"{h} Drill-down: the words inside {counted(len(drill.units), unit)}\n\n"
        f"A second explanation, word by word, of the top {plural(unit)} (the rest of the prompt kept whole), "
        f"on its own colour scale. {md(significance_sentence(drill.words, 'n.s.'))}"
    ]
    for found in drill.units:
        f = found.feature
        words = " ".join(f"{md(w.text)}\u00a0({number(score, 3, signed=True)}{'' if sup.significant is not False else ', n.s.'})"
                         for w, score, sup in found.words)
        table = markdown_table(["word", "importance", "95% interval", "significant"], (
            [md(w.text), number(score, signed=True),
             "n/a" if sup.interval is None else f"\\[{number(sup.interval[0])}, {number(sup.interval[1])}\\]", VERDICT[sup.significant]]
            for w, score, sup in sorted(found.words, key=lambda x: -x[1])))
        out.append(f"{sub} {capitalised(unit)} {f.index + 1}: importance {number(found.score, signed=True)} · "
                   f"{UNIT_VERDICT[found.support.significant]}\n\n{md(f.text)}\n\n{words}\n\n{table}")
    if (part := interactions_markdown(drill.words, level + 1)):
        out.append(part)
    return "\n\n".join(out)


def comparison_markdown(comparison: Comparison) -> str:
    headers = ["word", *(md(l) for l in comparison.labels), *(f"Δ {md(l)}" for l in comparison.labels[1:])]
    rows = [
        [md(r.word), *(number(s, signed=True) if s is not None else "—" for s in r.scores),
         *(number(d, signed=True) if d is not None else "—" for d in r.deltas[1:])]
        for r in comparison.rows
    ]
    jaccard = markdown_table(
        ["pair", f"Jaccard (k = {comparison.top_k})"],
        ([f"{md(comparison.labels[i])} vs {md(comparison.labels[j])}", number(v, 3)] for (i, j), v in sorted(comparison.jaccard.items())),
    )
    tops = markdown_table(["prompt", f"top-{comparison.top_k} words"], ([md(l), md(", ".join(t))] for l, t in zip(comparison.labels, comparison.top_words)))
    prompts = "\n".join(f"- {md(l)}: {md(p)}" for l, p in zip(comparison.labels, comparison.prompts))
    return "\n\n".join([prompts, markdown_table(headers, rows), jaccard, tops])


def session_markdown(session: Session, run_ids: Sequence[str] | None = None) -> str:

    runs = selected_runs(session, run_ids)
    chosen = {r.id for r in runs}
    parts = [
        f"# gSMILE session — {md(session.name)}",
        f"created {md(session.created_at)} · updated {md(session.updated_at)} · {len(runs)} run(s) · report by gSMILE {md(__version__)}",
    ]
    parts.append(session_summary_markdown([(f"{r.id}: {r.label}", r.explanation) for r in runs]))
    for group in session.groups:
        if not all(r in chosen for r in group.run_ids):
            continue
        members = session.group_runs(group)
        comparison = compare([r.explanation for r in members], [r.label for r in members], group.top_k)
        parts.append(f"## Comparison {md(group.id)}: {md(group.label)}\n\n" + comparison_markdown(comparison))
    for run in runs:
        parts.append(f"## Run {md(run.id)}: {md(run.label)}\n\ncreated {md(run.created_at)}")
        parts.append(explanation_markdown_section(run.explanation, level=3))
        if run.checks:
            parts.append(checks_markdown(run.checks, level=3))
    return "\n\n".join(parts) + "\n"
