"""The HTML report: one self-contained file a regulator or a data scientist can read.

Inline CSS, no scripts, no external resources, and a Content-Security-Policy that would block
them anyway. Every string that came from a prompt, a model or a file goes through `format.esc`
(terminal escapes, controls and bidi overrides stripped, then HTML-escaped). Also the notebook
fragment (`Explanation._repr_html_`); the session report is `html_session`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .. import __version__
from ..method.word_support import word_support
from ..sanitize import one_line
from ..types import Explanation
from .format import esc, html_table, number, p_value
from .model_sections import model_section_html
from .palette import Palette, get_palette, scale_of
from .provenance import provenance_rows, redact, setting_label, setting_text
from .summary import UNIT_VERDICT, audit_summary, summary_html
from .units import INTERACTION_COLUMNS, INTERACTION_NOTE, capitalised, counted, drill_down_of, interaction_rows, plural, unit_anchor, unit_level
from .wording import (
    EVIDENCE_COLUMNS,
    FIDELITY_NAMES,
    FIDELITY_TITLE,
    LEGEND,
    VERDICT,
    evidence_cells,
    fidelity_values,
    legend_for,
    scale_ends,
    significance_sentence,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
  background: #ffffff; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.3em; margin-top: 1.6em;
  border-bottom: 1px solid #ccc; } h3 { font-size: 1.1em; margin-top: 1.2em; }
.meta { color: #555; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 8px 12px;
  border-left: 3px solid #bbb; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.heatmap { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1.35em; line-height: 2.1;
  padding: 10px 12px; border: 1px solid #ddd; }
.heatmap .w { padding: 3px 5px; border-radius: 3px; }
.heatmap .w.ns { text-decoration: underline dotted; text-decoration-thickness: 2px;
  text-underline-offset: 5px; }
.legend { display: flex; align-items: center; gap: 10px; margin: 8px 0; flex-wrap: wrap; }
.legend .bar { width: 260px; height: 14px; border: 1px solid #999; }
.legend .note { color: #444; font-size: 0.92em; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } td.n { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; } td.t { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 420px; }
td.mask { font-family: ui-monospace, monospace; overflow-wrap: anywhere; word-break: break-all; }
.compare { display: grid; gap: 12px; }
.warning { color: #8a4b00; }
nav ul { columns: 2; }
.summary { background: #f7f9fc; border: 1px solid #c8d3e0; padding: 2px 16px 8px; margin: 12px 0; }
.summary h2, .summary h3, .summary h4 { margin-top: 0.6em; border: 0; }
.summary dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
.summary dt { font-weight: 600; } .summary dd { margin: 0; overflow-wrap: anywhere; }
"""

# Printed (or saved as PDF): the page's width, no contents list, colours kept, no row split
# across pages, headings kept with what follows. Separate from _CSS, which the notebook
# fragment borrows from.
_PRINT_CSS = """
@page { margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h1, h2, h3, h4 { break-after: avoid; }
  tr, .summary, .legend { break-inside: avoid; }
  table { font-size: 8pt; }
  th, td { padding: 2px 4px; }
  th { font-size: 7.5pt; hyphens: auto; }
  td.t { max-width: none; }
}
"""


def html_document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}{_PRINT_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def heatmap_html(explanation: Explanation, palette: str | Palette | None = None, scale: float | None = None) -> str:
    """The prompt with each unit on its importance colour, original spacing kept (a fragment)."""
    scale = scale_of([explanation]) if scale is None else scale
    units = zip(explanation.features, explanation.attributions, word_support(explanation))
    return f'<div class="heatmap">{_coloured(explanation.prompt, 0, len(explanation.prompt), units, palette, scale)}</div>'


def _coloured(prompt: str, start: int, end: int, units, palette: str | Palette | None, scale: float) -> str:
    """prompt[start:end] with each (feature, score, support) of `units` on its colour."""
    pal = get_palette(palette)
    parts = []
    cursor = start
    for feature, score, sup in units:
        parts.append(esc(prompt[cursor : feature.start]))
        background = pal.background(score, scale)
        title = f"{feature.text} · importance {number(score, signed=True)}"
        if sup.interval is not None:
            title += f" · 95% interval [{number(sup.interval[0])}, {number(sup.interval[1])}]"
        if sup.tested:
            title += f" · {sup.significant_count}/{sup.tested} perturbations without it p < α"
        if sup.removal_p is not None:
            title += f" · removal test p = {p_value(sup.removal_p)}"
        title += f" · significant: {VERDICT[sup.significant]}"
        css = "w ns" if sup.significant is False else "w"
        parts.append(
            f'<span class="{css}" style="background:{background};color:{pal.foreground(background)}" '
            f'title="{esc(title)}">{esc(feature.text)}</span>'
        )
        cursor = feature.end
    parts.append(esc(prompt[cursor:end]))
    return "".join(parts)


def legend_html(explanation: Explanation | None, palette: str | Palette | None = None, scale: float = 1.0) -> str:
    pal = get_palette(palette)
    gradient = f"linear-gradient(to right, {pal.negative}, {pal.neutral}, {pal.positive})"
    note = esc(legend_for(unit_level(explanation)) if explanation is not None else LEGEND)
    low, high = scale_ends(scale)
    if explanation is not None:
        note += " " + esc(significance_sentence(explanation, "Dotted underline"))
    return (
        '<div class="legend">'
        f"<span>{low}</span>"
        f'<span class="bar" style="background:{gradient}"></span>'
        f"<span>{high}</span>"
        f'<span class="note">{note}</span></div>'
    )


def words_table_html(
    explanation: Explanation, palette: str | Palette | None = None, top: int | None = None, anchor: str | None = None
) -> str:
    """Every unit (or the `top` most important) with its score, interval and evidence; with an
    `anchor`, a unit explained word by word links to its drill-down section."""
    pal = get_palette(palette)
    scale = scale_of([explanation])
    support = word_support(explanation)
    has_std = explanation.attribution_std is not None
    kinds = sorted({s.interval_kind for s in support if s.interval_kind})
    level = unit_level(explanation)
    drill = drill_down_of(explanation) if anchor is not None else None
    drilled = {u.feature.index for u in drill.units} if drill else set()
    headers = ["rank", level, "position", "importance"]
    if has_std:
        headers.append("posterior std")
    if kinds:
        headers.append(f"95% interval ({esc(', '.join(kinds))})")
    headers += [esc(column) for column in EVIDENCE_COLUMNS]
    rows = []
    for rank, (feature, score) in enumerate(explanation.ranked()[:top], start=1):
        sup = support[feature.index]
        bg = pal.background(score, scale)
        row = [
            ("n", str(rank)),
            ("t", f'<span style="background:{bg};color:{pal.foreground(bg)};padding:1px 4px">{esc(feature.text)}</span>'
             + (f' <a href="#{esc(unit_anchor(anchor, feature.index))}">its words ↓</a>' if feature.index in drilled else "")),
            ("n", str(feature.index + 1)),
            ("n", number(score, signed=True)),
        ]
        if has_std:
            row.append(("n", number(sup.std)))
        if kinds:
            row.append(("n", "n/a" if sup.interval is None else f"[{number(sup.interval[0])}, {number(sup.interval[1])}]"))
        cells = evidence_cells(sup)
        row += [("n", cell) for cell in cells[:-1]] + [("", cells[-1])]
        rows.append(row)
    return html_table(headers, rows)


def fidelity_table_html(explanation: Explanation) -> str:
    f = explanation.fidelity
    table = html_table(FIDELITY_NAMES, [[("n", number(v)) for v in fidelity_values(f)]])
    extra = (
        f'<p class="meta">On {f.n_samples} perturbations and {f.n_features} words. '
        f"Conventional weighted R² (scikit-learn): {number(f.r2_w_conventional)}.</p>"
    )
    return table + extra


def perturbations_table_html(explanation: Explanation) -> str:
    headers = ["#", "mask", "prompt", "answer", "input distance", "output distance", "weight", "p-value", "in fit"]
    rows = []
    for i, p in enumerate(explanation.perturbations, start=1):
        rows.append(
            [
                ("n", str(i)),
                ("mask", "".join("1" if m else "0" for m in p.mask)),
                ("t", esc(p.prompt)),
                ("t", esc(p.output)),
                ("n", number(p.input_distance)),
                ("n", number(p.output_distance)),
                ("n", number(p.weight)),
                ("n", p_value(p.p_value)),
                ("", "yes" if p.used_in_fit else "no"),
            ]
        )
    return html_table(headers, rows)


def _kvhtml_table(pairs: Iterable[tuple[str, Any]]) -> str:
    return html_table(["", ""], [[("", esc(k)), ("t", esc(setting_text(v)))] for k, v in pairs])


def explanation_section_html(
    explanation: Explanation, palette: str | Palette | None = None, heading_level: int = 2, anchor: str = "run"
) -> str:
    h = f"h{heading_level}"
    sub = f"h{heading_level + 1}"
    scale = scale_of([explanation])
    parts = [
        summary_html(audit_summary(explanation), heading_level),
        f'<{h} id="{esc(anchor)}-prompt">Prompt</{h}><div class="text">{esc(explanation.prompt)}</div>',
        f"<{h}>Original answer</{h}><div class=\"text\">{esc(explanation.original_output)}</div>",
        model_section_html(explanation, get_palette(palette).positive, get_palette(palette).negative, heading_level + 1),
        f"<{h}>Heatmap</{h}>",
        heatmap_html(explanation, palette, scale),
        legend_html(explanation, palette, scale),
        f'<{sub} id="{esc(anchor)}-units">{capitalised(plural(unit_level(explanation)))} by importance</{sub}>',
        words_table_html(explanation, palette, anchor=anchor),
        interactions_html(explanation, heading_level + 1),
        drill_down_html(explanation, palette, heading_level, anchor),
        f"<{sub}>{FIDELITY_TITLE}</{sub}>",
        fidelity_table_html(explanation),
    ]
    significant, tested = explanation.significant_counts()
    if tested:
        parts.append(
            f'<p class="meta">p &lt; {esc(explanation.config.get("alpha", 0.05))}: {significant} of {tested} '
            "perturbations (permutation test on the answers' word vectors).</p>"
        )
    for warning in explanation.warnings:
        parts.append(f'<p class="warning">warning: {esc(warning)}</p>')
    parts += [
        f"<{sub}>Perturbations</{sub}>",
        perturbations_table_html(explanation),
        f"<{sub}>Settings</{sub}>",
        _kvhtml_table((setting_label(k), v) for k, v in redact(explanation.config).items()),
        f"<{sub}>Provenance</{sub}>",
        _kvhtml_table(provenance_rows(explanation)),
    ]
    return "\n".join(parts)


def interactions_html(explanation: Explanation, heading_level: int = 3) -> str:
    """The strongest pairwise interactions with their Holm-adjusted p ('' when none were tested)."""
    rows = interaction_rows(explanation)
    if not rows:
        return ""
    h = f"h{heading_level}"
    cells = [[("t", esc(r.first)), ("t", esc(r.second)), ("", esc(r.kind)), ("n", number(r.coefficient, signed=True)),
              ("n", number(r.std_error)), ("n", p_value(r.p_adjusted) + (" *" if r.significant else "")),
              ("n", str(r.both_removed))] for r in rows]
    level = plural(unit_level(explanation))
    return (f"<{h}>Strongest interactions between {esc(level)}</{h}>" + html_table(INTERACTION_COLUMNS, cells)
            + f'<p class="meta">{esc(INTERACTION_NOTE)} * = p &lt; α.</p>')


def drill_down_html(explanation: Explanation, palette: str | Palette | None, heading_level: int = 2, anchor: str = "run") -> str:
    """Each coarse unit explained word by word, linked both ways with its row ('' without a drill-down)."""
    drill = drill_down_of(explanation)
    if drill is None:
        return ""
    h, sub = f"h{heading_level}", f"h{heading_level + 1}"
    level, words = drill.level, drill.words
    parts = [
        f"<{h}>Drill-down: the words inside {esc(counted(len(drill.units), level))}</{h}>",
        f'<p class="meta">A second explanation, word by word, of the top {esc(plural(level))} (the rest of the prompt '
        f"kept whole); its colours use its own scale ({' · '.join(scale_ends(drill.scale))}). "
        f"{esc(significance_sentence(words, 'Dotted underline'))}</p>",
    ]
    for unit in drill.units:
        f = unit.feature
        parts.append(
            f'<{sub} id="{esc(unit_anchor(anchor, f.index))}">{esc(capitalised(level))} {f.index + 1}: importance '
            f"{number(unit.score, signed=True)} · {esc(UNIT_VERDICT[unit.support.significant])}</{sub}>"
            f'<div class="heatmap">{_coloured(words.prompt, f.start, f.end, unit.words, palette, drill.scale)}</div>'
        )
        rows = [[("t", esc(w.text)), ("n", number(score, signed=True)),
                 ("n", "n/a" if sup.interval is None else f"[{number(sup.interval[0])}, {number(sup.interval[1])}]"),
                 ("", VERDICT[sup.significant])] for w, score, sup in sorted(unit.words, key=lambda x: -x[1])]
        parts.append(html_table(["word", "importance", "95% interval", "significant"], rows))
        parts.append(f'<p class="meta"><a href="#{esc(anchor)}-units">↑ back to the {esc(plural(level))}</a></p>')
    parts.append(interactions_html(words, heading_level + 1))
    return "\n".join(parts)


FRAGMENT_CLASS = "gsmile-explanation"
_FRAGMENT_RULES = (".heatmap", ".legend", "table", "th", "td")


def _fragment_css() -> str:
    """The report's own rules for the heatmap, legend and tables, scoped to one fragment, so a
    notebook page around it keeps its styles."""
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", _CSS):
        chosen = [s.strip() for s in selectors.split(",") if s.strip().startswith(_FRAGMENT_RULES)]
        if chosen:
            rules.append(", ".join(f".{FRAGMENT_CLASS} {s}" for s in chosen) + " {" + body.strip() + "}")
    return "\n".join(rules)


def explanation_fragment_html(explanation: Explanation, palette: str | Palette | None = None, top: int = 10) -> str:
    """The heatmap, its legend and the top words of one explanation, as an HTML fragment with its
    own scoped styles (what `Explanation._repr_html_` shows in a notebook)."""
    words = words_table_html(explanation, palette, top=top)
    return (
        f'<div class="{FRAGMENT_CLASS}"><style>{_fragment_css()}</style>'
        f'<p>{esc(explanation.provenance.backend)} · {esc(explanation.provenance.model)} · '
        f"{len(explanation.perturbations)} perturbations</p>"
        + heatmap_html(explanation, palette)
        + legend_html(explanation, palette, scale_of([explanation]))
        + words
        + "</div>"
    )


def explanation_html(explanation: Explanation, palette: str | Palette | None = None, title: str | None = None) -> str:
    """A complete, self-contained HTML report of one explanation."""
    title = title or f"gSMILE report — {one_line(explanation.prompt, 60)}"
    body = (
        f"<h1>{esc(title)}</h1>"
        f'<p class="meta">{esc(explanation.provenance.backend)} · {esc(explanation.provenance.model)} · '
        f"{esc(explanation.provenance.created_at)} · report by gSMILE {esc(__version__)}</p>\n"
        + explanation_section_html(explanation, palette)
    )
    return html_document(title, body)
