"""The HTML report of a session: a summary row per run, the compare groups (side-by-side heatmaps
on one colour scale, aligned-word deltas, the Jaccard index), then every run with its trust checks.
Built from the explanation sections of `html`, escaped the same way."""

from __future__ import annotations

from collections.abc import Sequence

from .. import __version__
from ..evaluation.compare import Comparison, compare
from ..sanitize import one_line
from ..session import Session
from ..types import Explanation
from .checks import checks_html
from .format import esc, html_table, number
from .html import explanation_section_html, heatmap_html, html_document, legend_html
from .palette import Palette, scale_of
from .selection import selected_runs
from .summary import session_summary_html


def comparison_html(comparison: Comparison, explanations: Sequence[Explanation], palette: str | Palette | None = None) -> str:
    """Side-by-side heatmaps on one colour scale, the aligned-word deltas and the Jaccard index."""
    scale = scale_of(explanations)
    parts = ['<div class="compare">']
    for label, explanation in zip(comparison.labels, explanations):
        parts.append(f"<div><strong>{esc(label)}</strong>{heatmap_html(explanation, palette, scale)}</div>")
    parts.append("</div>")
    parts.append(legend_html(None, palette, scale))
    headers = ["word"] + [f"{esc(l)}" for l in comparison.labels]
    headers += [f"Δ {esc(l)}" for l in comparison.labels[1:]]
    rows = []
    for row in comparison.rows:
        cells = [("", esc(row.word))]
        cells += [("n", number(s, signed=True) if s is not None else "—") for s in row.scores]
        cells += [("n", number(d, signed=True) if d is not None else "—") for d in row.deltas[1:]]
        rows.append(cells)
    parts.append(
        f'<p class="meta">Words aligned with the first prompt by identity and position; Δ = score − '
        f"score in “{esc(comparison.labels[0])}”; — = the word is not in that prompt.</p>"
    )
    parts.append(html_table(headers, rows))
    jac_rows = [
        [("", f"{esc(comparison.labels[i])} vs {esc(comparison.labels[j])}"), ("n", number(value, 3))]
        for (i, j), value in sorted(comparison.jaccard.items())
    ]
    parts.append(f"<p>Jaccard index of the top-{comparison.top_k} words (paper eq. 15):</p>")
    parts.append(html_table(["pair", f"Jaccard (k = {comparison.top_k})"], jac_rows))
    top_rows = [[("", esc(l)), ("", esc(", ".join(t)))] for l, t in zip(comparison.labels, comparison.top_words)]
    parts.append(html_table(["prompt", f"top-{comparison.top_k} words"], top_rows))
    return "\n".join(parts)


def session_html(session: Session, palette: str | Palette | None = None, run_ids: Sequence[str] | None = None) -> str:
    """A complete HTML report of a session: compare groups first, then every run in order (with
    its trust checks)."""
    runs = selected_runs(session, run_ids)
    chosen = {r.id for r in runs}
    groups = [g for g in session.groups if all(r in chosen for r in g.run_ids)]
    title = f"gSMILE session — {one_line(session.name, 80)}"
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">created {esc(session.created_at)} · updated {esc(session.updated_at)} · '
        f"{len(runs)} run(s) · {len(groups)} comparison(s) · report by gSMILE {esc(__version__)}</p>",
    ]
    parts.append(session_summary_html([(f"{r.id}: {r.label}", r.explanation) for r in runs]))
    toc = [f'<li><a href="#{esc(g.id)}">Comparison: {esc(g.label)}</a></li>' for g in groups]
    toc += [f'<li><a href="#{esc(r.id)}">Run {esc(r.id)}: {esc(r.label)}</a></li>' for r in runs]
    parts.append(f"<nav><ul>{''.join(toc)}</ul></nav>")
    for group in groups:
        members = session.group_runs(group)
        comparison = compare([r.explanation for r in members], [r.label for r in members], group.top_k)
        parts.append(f'<h2 id="{esc(group.id)}">Comparison: {esc(group.label)}</h2>')
        parts.append(comparison_html(comparison, [r.explanation for r in members], palette))
    for run in runs:
        kind = "" if run.kind == "single" else f" (comparison {esc(run.group_id)})"
        parts.append(
            f'<h2 id="{esc(run.id)}">Run {esc(run.id)}: {esc(run.label)}{kind}</h2>'
            f'<p class="meta">created {esc(run.created_at)}</p>'
        )
        parts.append(explanation_section_html(run.explanation, palette, heading_level=3, anchor=run.id))
        parts.append(checks_html(run.checks, heading_level=3, anchor=run.id))
    return html_document(title, "\n".join(parts))
