"""Reports a regulator or a data scientist can read: HTML, Markdown, JSON and an SVG heatmap.

Free functions over `Explanation` and `Session` (no UI code), used by `gsmile report` and by the
app's export. Everything in a report that came from a prompt, a model or a file is untrusted, so
every such string goes through `sanitize.strip_unsafe` (terminal escapes, controls, bidi
overrides) and then is escaped for the target format (`html.escape` for HTML and SVG, HTML and
Markdown escaping for Markdown). The HTML report is one self-contained file: inline CSS, no
scripts, no external resources, and a Content-Security-Policy that would block them anyway.

Heatmap colours come from a named diverging `Palette`; the default is colour-blind safe
(blue–orange), and a front end passes its theme's palette (`get_palette` accepts either).
Setting names that look like credentials are redacted before anything is rendered.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .evaluation.compare import Comparison, compare
from .model_report import model_section_html, model_section_markdown
from .report_checks import checks_html, checks_markdown
from .report_format import clean, esc, html_table, markdown_table, md, md_block, number, p_value
from .sanitize import one_line
from .session import Run, Session, session_json, write_atomic
from .types import Explanation
from .method.word_support import support_rule, word_support

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
FORMATS = ("html", "markdown", "json", "svg")
LEGEND = (
    "importance = −θ (minus the surrogate coefficient). Positive: keeping the word holds the "
    "answer near the original answer (removing it moves the answer). Negative: keeping the word "
    "moves the answer away. Colour strength is |importance| relative to the largest in view."
)
FIDELITY_NAMES = ("WMSE", "R²_w", "adj. R²_w", "WMAE", "mean-L1", "mean-L2")
# "api_key", "x-api-key", "access_token", "secret"... but not "max_tokens".
_SECRET_NAME = re.compile(r"(api[_-]?key|secret|password|passwd|authori[sz]ation|credential|bearer|(^|[_-])token$)", re.I)


# -- colours -----------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@dataclass(frozen=True)
class Palette:
    """A diverging heatmap scale: `neutral` at importance 0, `positive`/`negative` at ±max."""

    name: str
    negative: str
    positive: str
    neutral: str = "#ffffff"
    dark_text: str = "#000000"
    light_text: str = "#ffffff"

    def __post_init__(self) -> None:
        for colour in (self.negative, self.positive, self.neutral, self.dark_text, self.light_text):
            _rgb(colour)

    def background(self, score: float, scale: float) -> str:
        """The colour of a word with importance `score` when the largest |importance| is `scale`."""
        strength = 0.0 if scale <= 0 or not math.isfinite(score) else min(abs(score) / scale, 1.0)
        start = _rgb(self.neutral)
        end = _rgb(self.positive if score >= 0 else self.negative)
        r, g, b = (round(s + (e - s) * strength) for s, e in zip(start, end))
        return f"#{r:02x}{g:02x}{b:02x}"

    def foreground(self, background: str) -> str:
        """Dark or light text, whichever contrasts more with `background` (WCAG ratio)."""
        bg = _luminance(_rgb(background))
        contrasts = []
        for text in (self.dark_text, self.light_text):
            fg = _luminance(_rgb(text))
            hi, lo = max(bg, fg), min(bg, fg)
            contrasts.append((hi + 0.05) / (lo + 0.05))
        return self.dark_text if contrasts[0] >= contrasts[1] else self.light_text


PALETTES: dict[str, Palette] = {
    # Colour-blind safe (deuteranopia/protanopia/tritanopia distinguish blue from orange).
    "blue-orange": Palette("blue-orange", negative="#2166ac", positive="#e66101"),
    "red-blue": Palette("red-blue", negative="#1f77b4", positive="#d62728"),
    "purple-green": Palette("purple-green", negative="#762a83", positive="#1b7837"),
}
DEFAULT_PALETTE = "blue-orange"


def get_palette(palette: str | Palette | None = None) -> Palette:
    """A palette by name (see `PALETTES`) or the given `Palette`; None gives the default."""
    if palette is None:
        return PALETTES[DEFAULT_PALETTE]
    if isinstance(palette, Palette):
        return palette
    try:
        return PALETTES[palette]
    except KeyError:
        raise ValueError(f"unknown palette {palette!r}; choose one of: {', '.join(PALETTES)}") from None


# -- shared figures ----------------------------------------------------------------------------


def scale_of(explanations: Iterable[Explanation]) -> float:
    """The largest |importance| across explanations: one colour scale for a side-by-side view."""
    return max((abs(a) for e in explanations for a in e.attributions if math.isfinite(a)), default=0.0)


def _redact(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: ("(redacted)" if _SECRET_NAME.search(str(k)) and v else v)
        for k, v in config.items()
    }


def _setting(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "—" if value is None else str(value)


def provenance_rows(explanation: Explanation) -> list[tuple[str, str]]:
    e, p, t = explanation, explanation.provenance, explanation.timing
    rows = [
        ("gSMILE version", p.gsmile_version),
        ("backend", p.backend),
        ("model", p.model),
        ("model fingerprints", ", ".join(p.model_fingerprints) or "—"),
        ("created at", p.created_at),
        ("embedder", p.embedder or "—"),
        ("python", p.python or "—"),
        ("platform", p.platform or "—"),
        ("perturbations", f"{len(e.perturbations)} ({e.unique_prompts} unique prompts"
         + (", all masks enumerated" if e.extras.get("enumerated") else "") + ")"),
        ("model calls / cache hits", f"{e.model_calls} / {e.cache_hits}"),
        ("kernel width σ", number(e.kernel_width)),
        ("effective sample size", number(e.effective_sample_size, 1)),
        ("left out of the fit (p ≥ α)", str(e.dropped_insignificant)),
        ("answer words without a vector", str(e.out_of_vocabulary)),
        ("time", f"{t.total_s:.2f} s total · {t.model_s:.2f} s model · {t.embed_s:.2f} s embeddings · "
         f"{t.distances_s:.2f} s distances · {t.pvalues_s:.2f} s p-values · {t.fit_s:.2f} s fit"),
    ]
    backend = e.extras.get("backend")
    if isinstance(backend, Mapping):
        rows.append(("backend details", _setting(_redact(backend))))
    return rows


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
td.mask { font-family: ui-monospace, monospace; white-space: nowrap; }
.compare { display: grid; gap: 12px; }
.warning { color: #8a4b00; }
nav ul { columns: 2; }
"""


def _html_document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def heatmap_html(explanation: Explanation, palette: str | Palette | None = None, scale: float | None = None) -> str:
    """The prompt with each word on its importance colour, original spacing kept (a fragment)."""
    pal = get_palette(palette)
    scale = scale_of([explanation]) if scale is None else scale
    support = word_support(explanation)
    parts = []
    cursor = 0
    prompt = explanation.prompt
    for feature, score, sup in zip(explanation.features, explanation.attributions, support):
        parts.append(esc(prompt[cursor : feature.start]))
        background = pal.background(score, scale)
        title = f"{feature.text} · importance {number(score, signed=True)}"
        if sup.interval is not None:
            title += f" · 95% interval [{number(sup.interval[0])}, {number(sup.interval[1])}]"
        if sup.tested:
            title += f" · {sup.significant_count}/{sup.tested} perturbations without it p < α"
        css = "w ns" if sup.significant is False else "w"
        parts.append(
            f'<span class="{css}" style="background:{background};color:{pal.foreground(background)}" '
            f'title="{esc(title)}">{esc(feature.text)}</span>'
        )
        cursor = feature.end
    parts.append(esc(prompt[cursor:]))
    return f'<div class="heatmap">{"".join(parts)}</div>'


def legend_html(explanation: Explanation | None, palette: str | Palette | None = None, scale: float = 1.0) -> str:
    pal = get_palette(palette)
    gradient = f"linear-gradient(to right, {pal.negative}, {pal.neutral}, {pal.positive})"
    note = esc(LEGEND)
    if explanation is not None:
        note += f" Dotted underline: not significant. Rule: {esc(support_rule(explanation))}."
    return (
        '<div class="legend">'
        f"<span>{number(-scale, 3, signed=True)}</span>"
        f'<span class="bar" style="background:{gradient}"></span>'
        f"<span>{number(scale, 3, signed=True)}</span>"
        f'<span class="note">{note}</span></div>'
    )


def words_table_html(explanation: Explanation, palette: str | Palette | None = None, top: int | None = None) -> str:
    """Every word (or the `top` most important) with its score, interval and evidence."""
    pal = get_palette(palette)
    scale = scale_of([explanation])
    support = word_support(explanation)
    has_std = explanation.attribution_std is not None
    kinds = sorted({s.interval_kind for s in support if s.interval_kind})
    headers = ["rank", "word", "position", "importance"]
    if has_std:
        headers.append("posterior std")
    if kinds:
        headers.append(f"95% interval ({esc(', '.join(kinds))})")
    headers += ["perturbations without it", "of them p &lt; α", "with it: p &lt; α", "Fisher p", "significant"]
    rows = []
    for rank, (feature, score) in enumerate(explanation.ranked()[:top], start=1):
        sup = support[feature.index]
        bg = pal.background(score, scale)
        row = [
            ("n", str(rank)),
            ("", f'<span style="background:{bg};color:{pal.foreground(bg)};padding:1px 4px">{esc(feature.text)}</span>'),
            ("n", str(feature.index + 1)),
            ("n", number(score, signed=True)),
        ]
        if has_std:
            row.append(("n", number(sup.std)))
        if kinds:
            row.append(("n", "n/a" if sup.interval is None else f"[{number(sup.interval[0])}, {number(sup.interval[1])}]"))
        row += [
            ("n", str(len(sup.without))),
            ("n", f"{sup.significant_count}/{sup.tested}" if sup.tested else "—"),
            ("n", f"{sup.kept_significant}/{sup.kept_tested}" if sup.kept_tested else "—"),
            ("n", p_value(sup.fisher_p)),
            ("", {True: "yes", False: "no", None: "—"}[sup.significant]),
        ]
        rows.append(row)
    return html_table(headers, rows)


def fidelity_table_html(explanation: Explanation) -> str:
    f = explanation.fidelity
    values = (f.wmse, f.r2_w, f.adj_r2_w, f.wmae, f.mean_l1, f.mean_l2)
    table = html_table(FIDELITY_NAMES, [[("n", number(v)) for v in values]])
    extra = (
        f'<p class="meta">Paper eqs. 17-22 on {f.n_samples} perturbations and {f.n_features} words. '
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
    return html_table(["", ""], [[("", esc(k)), ("t", esc(_setting(v)))] for k, v in pairs])


def explanation_section_html(
    explanation: Explanation, palette: str | Palette | None = None, heading_level: int = 2, anchor: str = "run"
) -> str:
    h = f"h{heading_level}"
    sub = f"h{heading_level + 1}"
    scale = scale_of([explanation])
    parts = [
        f'<{h} id="{esc(anchor)}-prompt">Prompt</{h}><div class="text">{esc(explanation.prompt)}</div>',
        f"<{h}>Original answer</{h}><div class=\"text\">{esc(explanation.original_output)}</div>",
        model_section_html(explanation, get_palette(palette).positive, get_palette(palette).negative, heading_level + 1),
        f"<{h}>Heatmap</{h}>",
        heatmap_html(explanation, palette, scale),
        legend_html(explanation, palette, scale),
        f"<{sub}>Words by importance</{sub}>",
        words_table_html(explanation, palette),
        f"<{sub}>Fidelity of the surrogate</{sub}>",
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
        _kvhtml_table(_redact(explanation.config).items()),
        f"<{sub}>Provenance</{sub}>",
        _kvhtml_table(provenance_rows(explanation)),
    ]
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
    return _html_document(title, body)


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


def _selected_runs(session: Session, run_ids: Sequence[str] | None) -> list[Run]:
    if run_ids is None:
        return list(session.runs)
    return [session.run(r) for r in run_ids]


def session_html(session: Session, palette: str | Palette | None = None, run_ids: Sequence[str] | None = None) -> str:
    """A complete HTML report of a session: compare groups first, then every run in order (with
    its trust checks)."""
    runs = _selected_runs(session, run_ids)
    chosen = {r.id for r in runs}
    groups = [g for g in session.groups if all(r in chosen for r in g.run_ids)]
    title = f"gSMILE session — {one_line(session.name, 80)}"
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">created {esc(session.created_at)} · updated {esc(session.updated_at)} · '
        f"{len(runs)} run(s) · {len(groups)} comparison(s) · report by gSMILE {esc(__version__)}</p>",
    ]
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
    return _html_document(title, "\n".join(parts))


# -- Markdown ----------------------------------------------------------------------------------

def explanation_markdown_section(explanation: Explanation, level: int = 2) -> str:
    h = "#" * level
    sub = "#" * (level + 1)
    support = word_support(explanation)
    has_std = explanation.attribution_std is not None
    heat = " ".join(
        f"{md(f.text)}\u00a0({number(s, 3, signed=True)}{'' if sup.significant is not False else ', n.s.'})"
        for f, s, sup in zip(explanation.features, explanation.attributions, support)
    )
    out = [
        f"{h} Prompt\n\n{md_block(explanation.prompt)}",
        f"{h} Original answer\n\n{md_block(explanation.original_output)}",
        *([section] if (section := model_section_markdown(explanation, level + 1)) else []),
        f"{h} Heatmap (words in prompt order with importance)\n\n{heat}\n\n_{md(LEGEND)}_ "
        f"n.s. = not significant. Rule: {md(support_rule(explanation))}.",
    ]
    kinds = sorted({s.interval_kind for s in support if s.interval_kind})
    headers = ["rank", "word", "position", "importance"] + (["posterior std"] if has_std else [])
    headers += [f"95% interval ({', '.join(kinds)})"] if kinds else []
    headers += ["perturbations without it", "of them p < α", "with it: p < α", "Fisher p", "significant"]
    rows = []
    for rank, (feature, score) in enumerate(explanation.ranked(), start=1):
        sup = support[feature.index]
        row = [str(rank), md(feature.text), str(feature.index + 1), number(score, signed=True)]
        if has_std:
            row.append(number(sup.std))
        if kinds:
            row.append("n/a" if sup.interval is None else f"\\[{number(sup.interval[0])}, {number(sup.interval[1])}\\]")
        row += [str(len(sup.without)), f"{sup.significant_count}/{sup.tested}" if sup.tested else "—",
                f"{sup.kept_significant}/{sup.kept_tested}" if sup.kept_tested else "—",
                p_value(sup.fisher_p), {True: "yes", False: "no", None: "—"}[sup.significant]]
        rows.append(row)
    out.append(f"{sub} Words by importance\n\n" + markdown_table(headers, rows))
    f = explanation.fidelity
    out.append(
        f"{sub} Fidelity of the surrogate (paper eqs. 17-22)\n\n"
        + markdown_table(FIDELITY_NAMES, [[number(v) for v in (f.wmse, f.r2_w, f.adj_r2_w, f.wmae, f.mean_l1, f.mean_l2)]])
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
    out.append(f"{sub} Settings\n\n" + markdown_table(["setting", "value"], ([md(k), md(_setting(v))] for k, v in _redact(explanation.config).items())))
    out.append(f"{sub} Provenance\n\n" + markdown_table(["", ""], ([md(k), md(v)] for k, v in provenance_rows(explanation))))
    return "\n\n".join(out)


def explanation_markdown(explanation: Explanation) -> str:
    return f"# gSMILE report — {md(one_line(explanation.prompt, 60))}\n\n" + explanation_markdown_section(explanation) + "\n"


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

    runs = _selected_runs(session, run_ids)
    chosen = {r.id for r in runs}
    parts = [
        f"# gSMILE session — {md(session.name)}",
        f"created {md(session.created_at)} · updated {md(session.updated_at)} · {len(runs)} run(s) · report by gSMILE {md(__version__)}",
    ]
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


# -- SVG ---------------------------------------------------------------------------------------

_SVG_FONT = 16
_CHAR_WIDTH = 0.62 * _SVG_FONT  # monospace advance, generous
_LINE_HEIGHT = 30


def heatmap_svg(
    items: Explanation | Sequence[tuple[str, Explanation]],
    palette: str | Palette | None = None,
    width: int = 900,
) -> str:
    """A standalone SVG of one heatmap, or of several labelled heatmaps on one colour scale.

    Words wrap at `width`; every text node is sanitised and XML-escaped; no scripts, links or
    external references.
    """
    pal = get_palette(palette)
    labelled = [("", items)] if isinstance(items, Explanation) else list(items)
    scale = scale_of(e for _, e in labelled)
    margin = 12
    y = margin
    widest = float(width)  # a word longer than a line widens the picture instead of being cut
    body: list[str] = []
    for label, explanation in labelled:
        if label:
            y += _SVG_FONT
            body.append(f'<text x="{margin}" y="{y}" font-weight="bold">{esc(label)}</text>')
            y += 8
        support = word_support(explanation)
        x = margin
        y += 4
        for feature, score, sup in zip(explanation.features, explanation.attributions, support):
            word = clean(feature.text)
            w = len(word) * _CHAR_WIDTH + 10
            if x > margin and x + w > width - margin:
                x = margin
                y += _LINE_HEIGHT
            bg = pal.background(score, scale)
            fg = pal.foreground(bg)
            title = esc(f"{word} · importance {number(score, signed=True)}")
            body.append(
                f'<g><title>{title}</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{_LINE_HEIGHT - 6}" '
                f'rx="3" fill="{bg}"/><text x="{x + 5:.1f}" y="{y + _LINE_HEIGHT - 12}" fill="{fg}"'
                + (' text-decoration="underline"' if sup.significant is False else "")
                + f">{esc(word)}</text></g>"
            )
            x += w + 6
            widest = max(widest, x + margin)
        y += _LINE_HEIGHT + 6
    # legend: gradient bar with its ends
    y += 6
    body.append(
        '<defs><linearGradient id="gsmile-scale" x1="0" x2="1" y1="0" y2="0">'
        f'<stop offset="0" stop-color="{pal.negative}"/><stop offset="0.5" stop-color="{pal.neutral}"/>'
        f'<stop offset="1" stop-color="{pal.positive}"/></linearGradient></defs>'
        f'<text x="{margin}" y="{y + 12}" font-size="12">{number(-scale, 3, signed=True)}</text>'
        f'<rect x="{margin + 60}" y="{y}" width="220" height="14" fill="url(#gsmile-scale)" stroke="#999"/>'
        f'<text x="{margin + 290}" y="{y + 12}" font-size="12">{number(scale, 3, signed=True)}</text>'
        f'<text x="{margin}" y="{y + 32}" font-size="12">importance = −θ; positive: keeping the word '
        "holds the answer near the original</text>"
    )
    height = y + 44
    width = int(math.ceil(widest))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="{_SVG_FONT}">'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(body)}</svg>\n'
    )


def session_svg(session: Session, palette: str | Palette | None = None, run_ids: Sequence[str] | None = None) -> str:
    runs = _selected_runs(session, run_ids)
    return heatmap_svg([(f"{r.id}: {r.label}", r.explanation) for r in runs], palette)


# -- one entry point for front ends ------------------------------------------------------------


def render(
    subject: Explanation | Session,
    fmt: str,
    palette: str | Palette | None = None,
    run_ids: Sequence[str] | None = None,
) -> str:
    """`subject` rendered as "html", "markdown", "json" or "svg"."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if isinstance(subject, Explanation):
        return {
            "html": lambda: explanation_html(subject, palette),
            "markdown": lambda: explanation_markdown(subject),
            "json": lambda: json.dumps(subject.to_dict(), indent=2, ensure_ascii=False) + "\n",
            "svg": lambda: heatmap_svg(subject, palette),
        }[fmt]()
    if fmt == "json":
        if run_ids is not None:
            subject = _subset(subject, run_ids)
        return session_json(subject)
    return {
        "html": lambda: session_html(subject, palette, run_ids),
        "markdown": lambda: session_markdown(subject, run_ids),
        "svg": lambda: session_svg(subject, palette, run_ids),
    }[fmt]()


def _subset(session: Session, run_ids: Sequence[str]) -> Session:
    from dataclasses import replace

    keep = set(run_ids)
    for run_id in run_ids:
        session.run(run_id)
    groups = tuple(g for g in session.groups if all(r in keep for r in g.run_ids))
    grouped = {r for g in groups for r in g.run_ids}
    runs = tuple(
        r if r.group_id is None or r.id in grouped else replace(r, kind="single", group_id=None)
        for r in session.runs
        if r.id in keep
    )
    return replace(session, runs=runs, groups=groups)


def export(
    subject: Explanation | Session,
    fmt: str,
    path: Path | str,
    palette: str | Palette | None = None,
    run_ids: Sequence[str] | None = None,
) -> Path:
    """Render and write atomically; returns the path. Raises `SessionError` if it cannot write."""
    text = render(subject, fmt, palette, run_ids)
    write_atomic(Path(path), text)
    return Path(path)
