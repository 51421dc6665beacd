"""`report.html` and `report.md` of an audit.

The HTML report is one self-contained file: the set's figures, the most influential words with
their intervals, every prompt in a table that sorts by any column (a small inline script, the
only one, allowed by its hash in the Content-Security-Policy; nothing external can load), each
with its top words and heatmap, the failures, and for a fairness set the group comparison as a
table and a chart. Prompts, answers and words are untrusted: every string is escaped
(`reports.format.esc` / `md`). Rows are streamed from `results.jsonl` into the file, so a report
of 10,000 prompts does not sit in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..reports.html import heatmap_html, legend_html
from ..reports.palette import get_palette, scale_of
from ..reports.format import esc, markdown_table, md, number, p_value
from ..types import Explanation
from .results import AuditFolder

SORT_SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function (th, column) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) {
      var cell = row.cells[column], value = cell.getAttribute('data-sort');
      if (value === null) { value = cell.textContent; }
      var n = parseFloat(value);
      return isNaN(n) ? value.toLowerCase() : n;
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var order = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '{SCRIPT_HASH}'"

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
  background: #fff; margin: 0 auto; max-width: 1200px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
.meta { color: #555; }
.heatmap { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.9; }
.heatmap .w { padding: 2px 4px; border-radius: 3px; }
.heatmap .w.ns { text-decoration: underline dotted; text-underline-offset: 4px; }
.legend { display: flex; align-items: center; gap: 10px; margin: 8px 0; flex-wrap: wrap; }
.legend .bar { width: 260px; height: 14px; border: 1px solid #999; } .legend .note { color: #444; font-size: .9em; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } table.sortable th { cursor: pointer; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.t { overflow-wrap: anywhere; max-width: 560px; }
.error { color: #9b1c1c; } .bar-cell { min-width: 180px; }
svg text { font: 12px system-ui, sans-serif; }
"""


def _write_atomic(path: Path, write: callable) -> None:
    """Stream into a temporary file beside `path`, then put it in place."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            write(handle)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_reports(folder: AuditFolder, summary: Mapping[str, Any]) -> None:
    _write_atomic(folder.report_html, lambda handle: write_html(handle, folder, summary))
    _write_atomic(folder.report_md, lambda handle: write_markdown(handle, folder, summary))


# -- HTML ----------------------------------------------------------------------------------------


def _figures(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    counts, calls, timing = summary["counts"], summary["calls"], summary["time"]
    settings = summary.get("settings") or {}
    cost = "unknown" if calls.get("cost_usd") is None else f"${calls['cost_usd']:.4f}"
    rows = [
        ("model", f"{settings.get('backend')} · {settings.get('model') or '(default)'}"),
        ("prompts", f"{counts['prompts']} · {counts['ok']} ok · {counts['failed']} failed · {counts['not_done']} not done"),
        ("model calls", f"{calls['model_calls']} · {calls['cache_hits']} cache hits · cost {cost}"),
        ("time", f"{timing['prompts_s']:.1f} s in prompts" + ("" if timing.get("wall_s") is None else f" · {timing['wall_s']:.1f} s wall")),
    ]
    if summary.get("stopped"):
        rows.append(("stopped", summary["stopped"]))
    accuracy = summary.get("accuracy")
    if accuracy:
        rows.append(("accuracy (expected keywords)",
                     f"ACC {number(accuracy['acc'], 3)} · F1 {number(accuracy['f1'], 3)} · AUROC {number(accuracy['auroc'], 3)} "
                     f"over {accuracy['prompts']} prompts"))
    return rows


def _interval(stat: Mapping[str, Any]) -> str:
    if stat.get("lower") is None:
        return "n/a (one prompt)"
    return f"[{number(stat['lower'], 3, signed=True)}, {number(stat['upper'], 3, signed=True)}]"


def _bar_svg(value: float, lower: float | None, upper: float | None, scale: float, palette) -> str:
    """A bar from 0 to `value` with its interval as a whisker, on a shared scale."""
    width, middle = 180, 90
    def x(v: float) -> float:
        return middle + (max(-scale, min(scale, v)) / scale) * (middle - 4) if scale > 0 else middle
    colour = palette.positive if value >= 0 else palette.negative
    left, right = sorted((x(0.0), x(value)))
    whisker = ""
    if lower is not None and upper is not None:
        whisker = (f'<line x1="{x(lower):.1f}" x2="{x(upper):.1f}" y1="8" y2="8" stroke="#222" stroke-width="1.5"/>')
    return (f'<svg width="{width}" height="16" role="img" aria-label="{esc(number(value, 3, signed=True))}">'
            f'<line x1="{middle}" x2="{middle}" y1="0" y2="16" stroke="#999"/>'
            f'<rect x="{left:.1f}" y="3" width="{max(right - left, 1):.1f}" height="10" fill="{colour}"/>{whisker}</svg>')


def _words_html(stats: Iterable[Mapping[str, Any]], palette) -> str:
    stats = list(stats)
    scale = max([abs(s["mean"]) for s in stats] + [abs(s[k]) for s in stats for k in ("lower", "upper") if s.get(k) is not None] + [0.0])
    rows = "".join(
        f'<tr><td>{esc(s["word"])}</td><td class="n" data-sort="{s["mean"]:.6g}">{number(s["mean"], 4, signed=True)}</td>'
        f'<td class="n">{_interval(s)}</td><td class="n">{s["prompts"]}</td>'
        f'<td class="bar-cell">{_bar_svg(s["mean"], s.get("lower"), s.get("upper"), scale, palette)}</td></tr>'
        for s in stats
    )
    return ('<table class="sortable"><thead><tr><th>word</th><th>mean importance</th><th>95% interval</th>'
            f"<th>prompts</th><th>importance</th></tr></thead><tbody>{rows}</tbody></table>")


def _prompt_row(record: Mapping[str, Any], palette) -> str:
    item_id = esc(record["id"])
    if record.get("status") != "ok":
        return (f'<tr id="p-{item_id}"><td>{item_id}</td><td class="error">error</td>'
                f'<td class="t" colspan="3">{esc(record.get("prompt", ""))}</td>'
                f'<td class="t error" colspan="2">{esc(record.get("error", ""))}</td></tr>')
    try:
        explanation = Explanation.from_dict(record["explanation"])
        heatmap = heatmap_html(explanation, palette, scale_of([explanation]))
    except (KeyError, TypeError, ValueError):
        heatmap = esc(record.get("prompt", ""))
    top = ", ".join(f"{esc(word)} ({number(score, 3, signed=True)})" for word, score in (record.get("top") or [])[:3])
    first = (record.get("top") or [[None, 0.0]])[0][1] or 0.0
    r2 = (record.get("fidelity") or {}).get("r2_w_conventional")
    return (f'<tr id="p-{item_id}"><td>{item_id}</td><td>ok</td><td class="t">{heatmap}</td>'
            f'<td class="t" data-sort="{first:.6g}">{top}</td>'
            f'<td class="n" data-sort="{r2 if r2 is not None else -1e9:.6g}">{number(r2, 3)}</td>'
            f'<td class="n">{record.get("calls", 0)}</td><td class="n">{record.get("cache_hits", 0)}</td></tr>')


def write_html(handle: TextIO, folder: AuditFolder, summary: Mapping[str, Any]) -> None:
    palette = get_palette()
    title = f"gSMILE audit — {summary['counts']['prompts']} prompts"
    handle.write(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1><p class=\"meta\">report by gSMILE {esc(__version__)}</p>\n<table>"
    )
    handle.write("".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _figures(summary)))
    handle.write("</table>\n")
    aggregate = summary["aggregate"]
    handle.write("<h2>Most influential words of the set</h2>\n<p class=\"meta\">Each word's importance across the "
                 "prompts that contain it: mean, 95% interval (Student's t over those prompts), how many prompts. "
                 "Click a column to sort.</p>\n")
    handle.write(_words_html(aggregate["most_influential"], palette))
    fairness = summary.get("fairness")
    if fairness:
        from .fairness_report import fairness_html

        handle.write(fairness_html(fairness, palette))
    handle.write("<h2>Prompts</h2>\n" + legend_html(None, palette, 1.0))
    handle.write('<table class="sortable" id="prompts"><thead><tr><th>id</th><th>status</th><th>prompt (heatmap)</th>'
                 "<th>top words</th><th>R²_w</th><th>calls</th><th>cache hits</th></tr></thead><tbody>\n")
    for record in folder.records():
        handle.write(_prompt_row(record, palette) + "\n")
    handle.write("</tbody></table>\n")
    failures = summary.get("failures") or []
    bad_lines = summary.get("bad_lines") or []
    handle.write(f"<h2>Failures ({len(failures)})</h2>\n")
    if failures:
        handle.write("<ul>" + "".join(f"<li><a href=\"#p-{esc(f['id'])}\">{esc(f['id'])}</a> (line {esc(f.get('line'))}): "
                                      f"{esc(f['error'])}</li>" for f in failures) + "</ul>\n")
    else:
        handle.write("<p>None.</p>\n")
    if bad_lines:
        handle.write(f"<h2>Input lines skipped ({len(bad_lines)})</h2><ul>" + "".join(f"<li>{esc(b)}</li>" for b in bad_lines) + "</ul>\n")
    handle.write(f"<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n")


# -- Markdown ------------------------------------------------------------------------------------


def write_markdown(handle: TextIO, folder: AuditFolder, summary: Mapping[str, Any]) -> None:
    handle.write(f"# gSMILE audit — {summary['counts']['prompts']} prompts\n\n")
    handle.write(markdown_table(["", ""], [[md(k), md(v)] for k, v in _figures(summary)]) + "\n\n")
    handle.write("## Most influential words of the set\n\n")
    handle.write(markdown_table(
        ["word", "mean importance", "95% interval", "prompts"],
        [[md(s["word"]), number(s["mean"], 4, signed=True), md(_interval(s)), str(s["prompts"])]
         for s in summary["aggregate"]["most_influential"]],
    ) + "\n\n")
    fairness = summary.get("fairness")
    if fairness:
        from .fairness_report import fairness_markdown

        handle.write(fairness_markdown(fairness) + "\n\n")
    handle.write("## Prompts\n\n| id | status | top words | R²_w | calls | cache hits |\n|---|---|---|---|---|---|\n")
    for record in folder.records():
        if record.get("status") == "ok":
            top = ", ".join(f"{md(w)} ({number(s, 3, signed=True)})" for w, s in (record.get("top") or [])[:3])
            r2 = number((record.get("fidelity") or {}).get("r2_w_conventional"), 3)
            handle.write(f"| {md(record['id'])} | ok | {top} | {r2} | {record.get('calls', 0)} | {record.get('cache_hits', 0)} |\n")
        else:
            handle.write(f"| {md(record['id'])} | error | {md(record.get('error', ''))} | | | |\n")
    failures = summary.get("failures") or []
    handle.write(f"\n## Failures ({len(failures)})\n\n")
    handle.write("".join(f"- {md(f['id'])} (line {md(f.get('line'))}): {md(f['error'])}\n" for f in failures) or "None.\n")
