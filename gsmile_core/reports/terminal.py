"""Terminal renderings of an `Explanation` with rich: the heatmap, the legend and the tables.

Free functions, one per view, shared by the CLI (and usable by any rich-based front end).
Every piece of prompt or answer text goes into `rich.text.Text` objects as plain text — never
parsed as markup — and is stripped of terminal escapes here again (`format.clean`), although the
core sanitised it already: an explanation may come from a hand-edited file.
"""

from __future__ import annotations

import math

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..evaluation.shapley import SHAPLEY_KEY, ShapleyValues
from ..method.uncertainty import intervals_of
from ..method.word_support import word_support
from ..types import Explanation
from .format import clean, number, p_value
from .palette import PALETTES
from .summary import UNIT_VERDICT, audit_summary, summary_facts, unit_interval
from .units import INTERACTION_COLUMNS, INTERACTION_NOTE, capitalised, counted, drill_down_of, interaction_rows, plural, unit_level
from .wording import (
    EVIDENCE_COLUMNS,
    P_COUNTS_TOGETHER,
    FIDELITY_NAMES,
    FIDELITY_TITLE,
    LEGEND,
    evidence_cells,
    VERDICT,
    fidelity_values,
    legend_for,
    scale_ends,
    significance_sentence,
)

# The terminal's heatmap colours: red for positive, blue for negative (the "red-blue" palette).
TERMINAL_PALETTE = PALETTES["red-blue"]
SCALE_STEPS = 11


def score_colour(score: float, scale: float) -> str:
    """A background colour from white to red (positive) or blue (negative)."""
    return TERMINAL_PALETTE.background(score, scale)


def _scale(explanation: Explanation) -> float:
    return max((abs(a) for a in explanation.attributions if math.isfinite(a)), default=0.0)


def heatmap(explanation: Explanation) -> Text:
    """The prompt re-drawn with each word on its importance colour (original spacing kept)."""
    scale = _scale(explanation)
    text = Text()
    cursor = 0
    for feature, score, support in zip(explanation.features, explanation.attributions, word_support(explanation)):
        text.append(clean(explanation.prompt[cursor : feature.start]))
        strength = 0.0 if scale <= 0 else abs(score) / scale
        foreground = "#ffffff" if strength > 0.6 else "#000000"
        underline = " underline" if support.significant is False else ""
        text.append(clean(feature.text), style=f"{foreground}{underline} on {score_colour(score, scale)}")
        cursor = feature.end
    text.append(clean(explanation.prompt[cursor:]))
    return text


def scale_bar(explanation: Explanation) -> Text:
    """The colour scale with the importance at its ends (∓ the largest |importance|) and 0 in the middle."""
    scale = _scale(explanation)
    low, high = scale_ends(scale)
    text = Text(f"{low} ")
    for step in range(SCALE_STEPS):
        text.append("  ", style=f"on {score_colour(-scale + 2 * scale * step / (SCALE_STEPS - 1), scale)}")
    text.append(f" {high}   (0 at the centre)")
    return text


def legend(explanation: Explanation | None = None) -> Text:
    """The colour scale (when a run is given), then what the colours mean."""
    text = Text()
    if explanation is not None:
        text.append_text(scale_bar(explanation))
        text.append("\n")
    text.append(legend_for(unit_level(explanation)) if explanation is not None else LEGEND, style="dim")
    if explanation is not None:
        text.append(" " + significance_sentence(explanation, "Underlined"), style="dim")
    return text


# The words table's columns, widest first: each narrower layout leaves out what the one before
# showed, so a narrow terminal (80 columns) shows fewer columns in full instead of every column
# cut to an ellipsis. What is left out stays in the wide layout, the JSON and the other reports.
WORD_TABLE_LAYOUTS = (
    frozenset({"position", "std", "intervals", "without", "p-counts", "removal", "verdict"}),
    frozenset({"position", "intervals", "p-counts-together", "verdict"}),
    frozenset({"position", "intervals", "verdict"}),
    frozenset({"intervals", "wrapped-intervals", "verdict"}),
)
WORD_COLUMN_MIN = 14  # a word column never narrower than its longest word, up to this


UNBOUNDED = 100_000


class FittedWordTable:
    """The words table at the width it is drawn at: the widest layout whose cells all fit
    (`WORD_TABLE_LAYOUTS`, `fit_columns`), so no importance, interval or word is cut; the
    narrowest lets intervals wrap."""

    def __init__(self, explanation: Explanation, limit: int | None = None) -> None:
        self.explanation, self.limit = explanation, limit

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for columns in WORD_TABLE_LAYOUTS:
            table = word_table(self.explanation, self.limit, columns)
            if fit_columns(table, console, options.max_width):
                break
        yield table


def fit_columns(table: Table, console: Console, width: int) -> bool:
    """Give each column of `table` a width between its narrowest (its longest word, or its whole
    text where it does not wrap) and its natural width so that the table fits `width`; False when
    even the narrowest widths do not fit. (rich itself squeezes a table wider than the page below
    its cells' widths, cutting numbers to an ellipsis.)"""
    unbounded = console.options.update_width(UNBOUNDED)  # Measurement.get clamps to the width it is given
    narrowest, natural = [], []
    for column in table.columns:
        measured = [Measurement.get(console, unbounded, cell) for cell in (column.header, *column.cells)]
        widest = max(m.maximum for m in measured)
        natural.append(widest)
        narrowest.append(widest if column.no_wrap else max(column.min_width or 0, *(m.minimum for m in measured)))
    frame = len(table.columns) + 1 + 2 * len(table.columns)  # the borders, and one space each side of a cell
    room = width - frame
    if sum(natural) <= room:
        return True
    if sum(narrowest) > room:
        return False
    spare, stretch = room - sum(narrowest), [n - m for n, m in zip(natural, narrowest)]
    total = sum(stretch)
    for column, low, extra in zip(table.columns, narrowest, stretch):
        column.width = low + spare * extra // total
    return True


def word_table(explanation: Explanation, limit: int | None = None, columns: frozenset[str] = WORD_TABLE_LAYOUTS[0]) -> Table:
    """Words by importance, with p-value support and intervals where available; `columns` picks
    the layout (`WORD_TABLE_LAYOUTS`)."""
    level = unit_level(explanation)
    table = Table(title=f"{capitalised(plural(level))} by importance", title_justify="left")
    ranked = explanation.ranked()[:limit]
    table.add_column("#", justify="right", no_wrap=True)
    longest = max((len(clean(feature.text)) for feature, _ in ranked), default=1)
    table.add_column(level, overflow="fold", min_width=min(max(longest, len(level)), WORD_COLUMN_MIN))
    if "position" in columns:
        table.add_column("position", justify="right")
    table.add_column("importance", justify="right")
    has_std = explanation.attribution_std is not None and "std" in columns
    if has_std:
        table.add_column("posterior std", justify="right", no_wrap=True)
    intervals = intervals_of(explanation.extras) if "intervals" in columns else {}
    credible, boot = intervals.get("credible"), intervals.get("bootstrap")
    whole = "wrapped-intervals" not in columns  # the narrowest layout lets an interval take two lines
    if credible is not None:
        table.add_column(f"{credible.level:.0%} credible", justify="right", no_wrap=whole)
    if boot is not None:
        table.add_column(f"{boot.level:.0%} bootstrap CI", justify="right", no_wrap=whole)
    evidence = [
        (column, index) for index, column in enumerate(EVIDENCE_COLUMNS)
        if {0: "without", 1: "p-counts", 2: "p-counts", 3: "removal", 4: "verdict"}[index] in columns
    ]
    together = "p-counts-together" in columns
    for column, _ in evidence:
        if column == "significant" and together:
            table.add_column(P_COUNTS_TOGETHER, justify="right")
        table.add_column(column, justify="left" if column == "significant" else "right")
    scale = _scale(explanation)
    support = word_support(explanation)
    for rank, (feature, score) in enumerate(ranked, start=1):
        row = [
            str(rank),
            Text(clean(feature.text), style=f"on {score_colour(score, scale)}"),
        ]
        if "position" in columns:
            row.append(str(feature.index + 1))
        row.append(f"{score:+.4f}")
        if has_std:
            row.append(f"{explanation.attribution_std[feature.index]:.4f}")
        i = feature.index
        if credible is not None:
            row.append(_interval(credible.lower[i], credible.upper[i], scale))
        if boot is not None:
            cell = Text(_interval(boot.lower[i], boot.upper[i], scale))
            cell.append(" ∋0" if boot.crosses_zero()[i] else "   ", style="bold yellow")
            row.append(cell)
        cells = evidence_cells(support[i])
        if together:
            row.append(f"{cells[1]} · {cells[2]}")
        row += [cells[index] for _, index in evidence]
        table.add_row(*row)
    return table


def _interval(lower: float, upper: float, scale: float) -> str:
    """An interval with about three significant digits of the largest score."""
    decimals = 3 if scale <= 0 else int(min(max(2 - math.floor(math.log10(scale)), 0), 6))
    return f"[{lower:+.{decimals}f}, {upper:+.{decimals}f}]"


def interval_note(explanation: Explanation) -> Text | None:
    """What the interval columns mean, or None when the explanation has none."""
    intervals = intervals_of(explanation.extras)
    lines = []
    if "credible" in intervals:
        lines.append("credible: Bayesian ridge's central posterior interval of the score.")
    boot = intervals.get("bootstrap")
    if boot is not None:
        unsure = sum(boot.crosses_zero())
        lines.append(
            f"bootstrap CI: percentile interval over {boot.resamples} refits on perturbations "
            f"resampled with replacement (seed {boot.seed}); ∋0 = the interval contains 0, so the "
            f"word's sign is not reliable ({unsure} of {len(boot.lower)} words)."
        )
    return Text("\n".join(lines), style="dim") if lines else None


def shapley_table(explanation: Explanation) -> Table | None:
    """Exact Shapley values next to the surrogate's scores, when they were computed."""
    stored = explanation.extras.get(SHAPLEY_KEY)
    if not stored:
        return None
    shapley = ShapleyValues.from_dict(stored)
    table = Table(
        title=f"Exact Shapley values (v = -Δ over all {shapley.masks_total} masks; "
        f"{shapley.masks_reused} answers reused, {shapley.model_calls} new calls, "
        f"{shapley.cache_hits} from the cache)",
        title_justify="left",
    )
    for name in ("word", "score", "rank", "Shapley φ", "Shapley rank"):
        table.add_column(name, justify="left" if name == "word" else "right")
    tolerance = 1e-9 * max((abs(v) for v in shapley.values), default=0.0)
    shapley_rank = {  # competition ranking: equal values share a rank
        i: 1 + sum(1 for other in shapley.values if other > value + tolerance)
        for i, value in enumerate(shapley.values)
    }
    for rank, (feature, score) in enumerate(explanation.ranked(), start=1):
        i = feature.index
        table.add_row(Text(clean(feature.text)), f"{score:+.4f}", str(rank), f"{shapley.values[i]:+.4f}", str(shapley_rank[i]))
    return table


def fidelity_table(explanation: Explanation) -> Table:
    """The six fidelity figures of the paper (eqs. 16-22)."""
    f = explanation.fidelity
    table = Table(title=FIDELITY_TITLE, title_justify="left")
    for name in FIDELITY_NAMES:
        table.add_column(name, justify="right")
    table.add_row(*(number(v) for v in fidelity_values(f)))
    return table


def run_summary(explanation: Explanation) -> Text:
    e = explanation
    significant, tested = e.significant_counts()
    lines = [
        f"backend {e.provenance.backend} · model {e.provenance.model}",
        f"{len(e.perturbations)} perturbations ({e.unique_prompts} unique prompts"
        + (", all masks enumerated" if e.extras.get("enumerated") else "")
        + f") · {e.model_calls} model calls · {e.cache_hits} cache hits",
        f"kernel width σ = {e.kernel_width:.4f} · effective sample size {e.effective_sample_size:.1f} "
        f"of {sum(1 for p in e.perturbations if p.used_in_fit)}",
    ]
    if tested:
        lines.append(
            f"p < {e.config.get('alpha', 0.05)}: {significant} of {tested} perturbations "
            f"(permutation test, up to {e.config.get('bootstrap')} draws each"
            + (
                f", Monte-Carlo s.e. ≤ {e.extras['pvalue_mc_error_max']:.4f})"
                if e.extras.get("pvalue_mc_error_max") is not None
                else ")"
            )
            + (f" · {e.dropped_insignificant} left out of the fit" if e.dropped_insignificant else "")
        )
    sampling = e.extras.get("sampling")
    if sampling and sampling.get("noise_floor") is not None:
        lines.append(
            f"{sampling['samples_per_prompt']} samples per prompt · sampling-noise floor "
            f"{sampling['noise_floor']:.4f} (distance between two independent sample sets of the "
            f"original prompt) · {sampling.get('perturbations_within_noise', 0)} perturbations within it"
        )
    calls = e.extras.get("calls") or {}
    if calls.get("retries") or calls.get("cost_usd"):
        lines.append(
            f"{calls.get('retries', 0)} retries"
            + (f" · about ${calls['cost_usd']:.4f} spent" if calls.get("cost_usd") else "")
        )
    t = e.timing
    lines.append(
        f"time: {t.total_s:.1f} s total · {t.model_s:.1f} s in the model · "
        f"{t.pvalues_s:.2f} s p-values after generation"
    )
    return Text("\n".join(lines), style="dim")


def summary_view(explanation: Explanation) -> Text:
    """The auditor's summary (`reports.summary`): the facts, the top units, the warnings."""
    summary = audit_summary(explanation)
    text = Text("Summary\n", style="bold")
    for label, value in summary_facts(summary):
        text.append(f"{label}: ", style="bold")
        text.append(f"{value}\n")
    text.append(f"Top {len(summary.top)} {plural(summary.level)}: ", style="bold")
    text.append(" · ".join(f"{u.text} {number(u.score, signed=True)} {unit_interval(u)} {UNIT_VERDICT[u.significant]}"
                           for u in summary.top))
    for warning in summary.warnings:
        text.append(f"\nwarning: {warning}", style="yellow")
    return text


def interactions_table(explanation: Explanation) -> Group | None:
    """The strongest pairwise interactions with their Holm-adjusted p (None when none were tested)."""
    rows = interaction_rows(explanation)
    if not rows:
        return None
    table = Table(title=f"Strongest interactions between {plural(unit_level(explanation))}", title_justify="left")
    for column in INTERACTION_COLUMNS:
        table.add_column(column, justify="left" if column in INTERACTION_COLUMNS[:3] else "right")
    for r in rows:
        table.add_row(Text(clean(r.first)), Text(clean(r.second)), r.kind, number(r.coefficient, signed=True),
                      number(r.std_error), p_value(r.p_adjusted) + (" *" if r.significant else ""), str(r.both_removed))
    return Group(table, Text(INTERACTION_NOTE + " * = p < α.", style="dim"))


def _words_inside(prompt: str, start: int, end: int, words, scale: float) -> Text:
    text = Text()
    cursor = start
    for feature, score, support in words:
        text.append(clean(prompt[cursor : feature.start]))
        underline = " underline" if support.significant is False else ""
        foreground = "#ffffff" if scale > 0 and abs(score) / scale > 0.6 else "#000000"
        text.append(clean(feature.text), style=f"{foreground}{underline} on {score_colour(score, scale)}")
        cursor = feature.end
    text.append(clean(prompt[cursor:end]))
    return text


def drill_down_view(explanation: Explanation) -> Group | None:
    """Each coarse unit explained word by word: the unit, then its words (None without a drill-down)."""
    drill = drill_down_of(explanation)
    if drill is None:
        return None
    level, words = drill.level, drill.words
    low, high = scale_ends(drill.scale)
    parts: list = [
        Rule(f"Drill-down: the words inside {counted(len(drill.units), level)}", style="bold"),
        Text(f"A second explanation, word by word, the rest of the prompt kept whole; its own colour scale "
             f"{low} … {high}. " + significance_sentence(words, "Underlined"), style="dim"),
    ]
    for unit in drill.units:
        f = unit.feature
        parts.append(Text(f"\n{capitalised(level)} {f.index + 1} · importance {number(unit.score, signed=True)} · "
                          f"{UNIT_VERDICT[unit.support.significant]}", style="bold"))
        parts.append(_words_inside(words.prompt, f.start, f.end, unit.words, drill.scale))
        table = Table(box=None, pad_edge=False)
        for column in ("word", "importance", "95% interval", "significant"):
            table.add_column(column, justify="left" if column in ("word", "significant") else "right")
        for w, score, sup in sorted(unit.words, key=lambda x: -x[1]):
            interval = "n/a" if sup.interval is None else _interval(sup.interval[0], sup.interval[1], drill.scale)
            table.add_row(Text(clean(w.text)), number(score, signed=True), interval, VERDICT[sup.significant])
        parts.append(table)
    found = interactions_table(words)
    if found is not None:
        parts.append(found)
    return Group(*parts)


def full_report(explanation: Explanation) -> Group:
    if explanation.extras.get("model"):  # a text classifier or a tabular model
        from .model_terminal import model_report

        body = model_report(explanation, Group(heatmap(explanation), scale_bar(explanation)),
                            [fidelity_table(explanation), run_summary(explanation)])
        return Group(summary_view(explanation), Text(""), body)
    answer = Text("Original answer\n", style="bold")
    answer.append(clean(explanation.original_output), style="")
    heading = Text("Prompt heatmap", style="bold")
    parts = [summary_view(explanation), Text(""), answer, Text(""), heading, heatmap(explanation), legend(explanation), Text("")]
    parts.append(FittedWordTable(explanation))
    views = (interval_note(explanation), shapley_table(explanation), interactions_table(explanation), drill_down_view(explanation))
    parts += [view for view in views if view is not None]
    parts += [fidelity_table(explanation), run_summary(explanation)]  # the warnings open the summary
    return Group(*parts)
