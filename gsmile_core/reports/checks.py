"""The trust checks of a run (stability, consistency, deletion test) in HTML and Markdown reports.

A regulator reading a report should see, next to an explanation, whether it survived the checks
the auditor made: the Jaccard of the top words after a minimal edit, the spread of the scores
over re-seeded runs, and the deletion/insertion AOPC against random orders, each with what it
cost and when it was made. Words and prompts are untrusted: they go through `format.esc` (HTML)
or `format.md` (Markdown) like everything else in a report.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..evaluation.check_results import CHECK_TITLES, CheckResult, ConsistencyCheck, DeletionCheck, StabilityCheck
from .format import esc, html_table, markdown_table, md, number


def _cost(check: CheckResult) -> str:
    c = check.cost
    return f"{c.model_calls} model calls, {c.cache_hits} cache hits, {c.seconds:.1f} s, made {check.created_at or 'at an unknown time'}"


def _rank_rows(check: StabilityCheck) -> list[tuple[str, str, str]]:
    return [(str(rank), first, second) for rank, first, second in check.result.side_by_side()]


def _stability_note(check: StabilityCheck) -> str:
    r = check.result
    by = "|score|" if r.ranked_by == "abs" else "signed score"
    return (f"Jaccard index {number(r.jaccard, 3)} of the top-{r.k} words by {by} (paper eq. 15); "
            f"words aligned by position and identity.")


def _consistency_note(check: ConsistencyCheck) -> str:
    r = check.result
    seeds = f"{check.seeds[0]}..{check.seeds[-1]}" if check.seeds else "—"
    note = (f"{r.repeats} runs with seeds {seeds}; sample variance (ddof = {r.ddof}); mean variance "
            f"{number(r.mean_variance, 6)}, mean standard deviation {number(r.mean_std)}.")
    if check.enumerated:
        note += " Every run enumerated all masks: the runs can differ only if the model does."
    return note


def _deletion_note(check: DeletionCheck) -> str:
    r = check.result
    return (f"Words removed (deletion) or kept alone (insertion) in the explanation's order, against the mean of "
            f"{r.random_seeds} random orders; {r.prompts_asked} masked prompts. Comprehensiveness: higher is more "
            "faithful; sufficiency: lower is more faithful; gain: how much better than random.")


def _aopc_rows(check: DeletionCheck) -> list[tuple[str, str, str, str]]:
    r = check.result
    return [
        ("comprehensiveness", number(r.comprehensiveness), number(r.random_comprehensiveness), number(r.comprehensiveness_gain)),
        ("sufficiency", number(r.sufficiency), number(r.random_sufficiency), number(r.sufficiency_gain)),
    ]


def _curve_rows(check: DeletionCheck) -> list[tuple[str, str, str, str, str]]:
    r = check.result
    return [(str(k), number(r.deletion[k]), number(r.random_deletion[k]), number(r.insertion[k]),
             number(r.random_insertion[k])) for k in range(len(r.deletion))]


AOPC_HEADERS = ("AOPC", "explanation", "random", "gain")
CURVE_HEADERS = ("k words", "deletion Δ", "random deletion Δ", "insertion Δ", "random insertion Δ")
CONSISTENCY_HEADERS = ("word", "mean score", "variance", "standard deviation")


def checks_html(checks: Sequence[CheckResult], heading_level: int = 3, anchor: str = "run") -> str:
    """The checks of one run as an HTML fragment ("" when there are none)."""
    if not checks:
        return ""
    h, sub = f"h{heading_level}", f"h{heading_level + 1}"
    parts = [f'<{h} id="{esc(anchor)}-checks">Trust checks</{h}>']
    for check in checks:
        parts.append(f"<{sub}>{esc(CHECK_TITLES[check.kind])}</{sub}>")
        if isinstance(check, StabilityCheck):
            parts.append(f'<p class="meta">{esc(_stability_note(check))}</p>')
            parts.append(f'<p>Edited prompt:</p><div class="text">{esc(check.edited_prompt)}</div>')
            parts.append(html_table(["rank", "top words: prompt", "top words: edited prompt"],
                                [[("n", esc(a)), ("", esc(b)), ("", esc(c))] for a, b, c in _rank_rows(check)]))
            parts.append(f'<p class="meta">Shared: {esc(", ".join(check.result.shared) or "none")}.</p>')
        elif isinstance(check, ConsistencyCheck):
            r = check.result
            rows = [[("", esc(w)), ("n", number(m)), ("n", number(v, 6)), ("n", number(s))]
                    for w, m, v, s in zip(r.words, r.mean_score, r.variance, r.std)]
            rows.append([("", "<strong>mean over words</strong>"), ("n", ""), ("n", number(r.mean_variance, 6)),
                         ("n", number(r.mean_std))])
            parts.append(f'<p class="meta">{esc(_consistency_note(check))}</p>')
            parts.append(html_table(CONSISTENCY_HEADERS, rows))
        else:
            parts.append(f'<p class="meta">{esc(_deletion_note(check))}</p>')
            parts.append(f'<p>Order: {esc(", ".join(check.result.order))}</p>')
            parts.append(html_table(AOPC_HEADERS, [[("", esc(a)), ("n", b), ("n", c), ("n", d)] for a, b, c, d in _aopc_rows(check)]))
            parts.append(html_table(CURVE_HEADERS, [[("n", cell) for cell in row] for row in _curve_rows(check)]))
        parts.append(f'<p class="meta">Cost: {esc(_cost(check))}.</p>')
    return "\n".join(parts)


def checks_markdown(checks: Sequence[CheckResult], level: int = 3) -> str:
    """The checks of one run as Markdown ("" when there are none)."""
    if not checks:
        return ""
    h, sub = "#" * level, "#" * (level + 1)
    out = [f"{h} Trust checks"]
    for check in checks:
        part = [f"{sub} {md(CHECK_TITLES[check.kind])}"]
        if isinstance(check, StabilityCheck):
            part.append(md(_stability_note(check)))
            part.append(f"Edited prompt: {md(check.edited_prompt)}")
            part.append(markdown_table(["rank", "top words: prompt", "top words: edited prompt"],
                                  ([a, md(b), md(c)] for a, b, c in _rank_rows(check))))
            part.append(f"Shared: {md(', '.join(check.result.shared) or 'none')}.")
        elif isinstance(check, ConsistencyCheck):
            r = check.result
            rows = [[md(w), number(m), number(v, 6), number(s)] for w, m, v, s in zip(r.words, r.mean_score, r.variance, r.std)]
            rows.append(["**mean over words**", "", number(r.mean_variance, 6), number(r.mean_std)])
            part.append(md(_consistency_note(check)))
            part.append(markdown_table(CONSISTENCY_HEADERS, rows))
        else:
            part.append(md(_deletion_note(check)))
            part.append(f"Order: {md(', '.join(check.result.order))}")
            part.append(markdown_table(AOPC_HEADERS, (list(row) for row in _aopc_rows(check))))
            part.append(markdown_table(CURVE_HEADERS, (list(row) for row in _curve_rows(check))))
        part.append(f"Cost: {md(_cost(check))}.")
        out.append("\n\n".join(part))
    return "\n\n".join(out)
