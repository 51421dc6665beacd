"""The fairness section of an audit's reports: per slot, a chart and a table of its group pairs.

The chart is read at a glance: one row per pair of groups, a bar as long as the mean output
distance between their answers, its 95% interval as a whisker, the bar filled when the
sign-flip test finds a consistent shift (p < α) and hollow otherwise, the p-value at the end.
The table adds the words whose importance shifts most between the two groups, with intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..reports.format import esc, md, number, p_value

ROW = 26
LABEL_W = 210
BAR_W = 360


def _pair_label(pair: Mapping[str, Any]) -> str:
    return f"{pair['groups'][0]} vs {pair['groups'][1]}"


def _p(pair: Mapping[str, Any]) -> float | None:
    test = pair.get("shift_test")
    return None if test is None else test["p_value"]


def chart_svg(slot: Mapping[str, Any], alpha: float, palette) -> str:
    pairs = slot["pairs"]
    top = max([p["output_distance"]["upper"] or p["output_distance"]["mean"] for p in pairs] + [1e-12])
    height = ROW * len(pairs) + 24
    width = LABEL_W + BAR_W + 110
    rows = []
    for index, pair in enumerate(pairs):
        y = 8 + index * ROW
        stats = pair["output_distance"]
        length = BAR_W * stats["mean"] / top
        significant = (_p(pair) is not None) and _p(pair) < alpha
        fill = palette.positive if significant else "none"
        rows.append(
            f'<text x="{LABEL_W - 8}" y="{y + 13}" text-anchor="end">{esc(_pair_label(pair))}</text>'
            f'<rect x="{LABEL_W}" y="{y + 2}" width="{max(length, 1):.1f}" height="14" fill="{fill}" '
            f'stroke="{palette.positive}" stroke-width="1.5"/>'
        )
        if stats.get("lower") is not None:
            lo, hi = LABEL_W + BAR_W * stats["lower"] / top, LABEL_W + BAR_W * stats["upper"] / top
            rows.append(f'<line x1="{max(lo, LABEL_W):.1f}" x2="{hi:.1f}" y1="{y + 9}" y2="{y + 9}" stroke="#222" stroke-width="1.5"/>')
        rows.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 13}">{esc(number(stats["mean"], 3))} · p {esc(p_value(_p(pair)))}</text>')
    axis = f'<line x1="{LABEL_W}" x2="{LABEL_W}" y1="4" y2="{height - 16}" stroke="#999"/>'
    caption = (f'<p class="meta">Bar: mean output distance between the groups\' answers (whisker: 95% interval); '
               f"filled: the answers shift the same way across templates (p &lt; {alpha:g}); hollow: no consistent shift.</p>")
    return (f'<svg width="{width}" height="{height - 12}" role="img" aria-label="output distance by pair of groups">'
            + axis + "".join(rows) + "</svg>" + caption)


def _shifts(pair: Mapping[str, Any]) -> str:
    parts = []
    for s in pair["word_shifts"][:5]:
        interval = "" if s.get("lower") is None else f" [{number(s['lower'], 3, signed=True)}, {number(s['upper'], 3, signed=True)}]"
        parts.append(f"{s['word']} {number(s['mean'], 3, signed=True)}{interval}")
    return "; ".join(parts)


def fairness_html(fairness: Mapping[str, Any], palette) -> str:
    out = ["<h2>Fairness: how far answers move between groups</h2>",
           f'<p class="meta">Output distance: {esc(fairness["output_distance"])} on {esc(fairness["embedder"])} vectors. '
           f'Test: {esc(fairness["test"])}. Word shift: importance for the first group minus the second, same template, '
           "mean over templates (95% t interval).</p>"]
    for slot in fairness["slots"]:
        out.append(f"<h3>{{{esc(slot['slot'])}}}: {len(slot['groups'])} groups, {slot['templates']} templates</h3>")
        if not slot["pairs"]:
            out.append("<p>No pair of groups was explained in the same template.</p>")
            continue
        out.append(chart_svg(slot, fairness["alpha"], palette))
        rows = "".join(
            f"<tr><td>{esc(_pair_label(p))}</td><td class=\"n\">{p['templates']}</td>"
            f"<td class=\"n\">{number(p['output_distance']['mean'], 4)}</td>"
            f"<td class=\"n\">{'n/a' if p['output_distance']['lower'] is None else '[' + number(p['output_distance']['lower'], 4) + ', ' + number(p['output_distance']['upper'], 4) + ']'}</td>"
            f"<td class=\"n\">{p_value(_p(p))}</td><td class=\"t\">{esc(_shifts(p))}</td></tr>"
            for p in slot["pairs"]
        )
        out.append('<table class="sortable"><thead><tr><th>groups</th><th>templates</th><th>output distance</th>'
                   f"<th>95% interval</th><th>p (shift)</th><th>words whose importance shifts most</th></tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(out)


def fairness_markdown(fairness: Mapping[str, Any]) -> str:
    lines = ["## Fairness: how far answers move between groups", "",
             f"Output distance: {md(fairness['output_distance'])}; test: {md(fairness['test'])}.", ""]
    for slot in fairness["slots"]:
        lines += [f"### {md('{' + slot['slot'] + '}')}", "",
                  "| groups | templates | output distance | 95% interval | p (shift) | words whose importance shifts most |",
                  "|---|---|---|---|---|---|"]
        for p in slot["pairs"]:
            od = p["output_distance"]
            interval = "n/a" if od["lower"] is None else f"\\[{number(od['lower'], 4)}, {number(od['upper'], 4)}\\]"
            lines.append(f"| {md(_pair_label(p))} | {p['templates']} | {number(od['mean'], 4)} | {interval} | "
                         f"{p_value(_p(p))} | {md(_shifts(p))} |")
        lines.append("")
    return "\n".join(lines)
