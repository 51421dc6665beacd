"""The terminal's words table at the width it is drawn at: on an 80-column terminal (or a pipe,
where rich assumes 80) it shows fewer columns in full rather than every column cut to an
ellipsis; a wide terminal shows every column."""

from __future__ import annotations

import pytest

from gsmile_core.method.uncertainty import intervals_of
from gsmile_core.reports.terminal import FittedWordTable
from rich.console import Console


def drawn(explanation, width: int) -> str:
    console = Console(record=True, width=width, file=open("/dev/null", "w"))
    console.print(FittedWordTable(explanation))
    return console.export_text()


def table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


@pytest.mark.parametrize("run", ["plain", "bayes", "hostile"])
@pytest.mark.parametrize("width", [80, 100, 160])
def test_every_shown_cell_is_whole_and_the_table_fits(run, width, request):
    explanation = request.getfixturevalue(run)
    text = drawn(explanation, width)
    assert "…" not in text, text
    assert max(len(line) for line in text.splitlines()) <= width
    first_lines = [row for row in table_rows(text) if row[0]]  # a row's first line carries its rank
    ranked = explanation.ranked()
    assert [row[0] for row in first_lines] == [str(i) for i in range(1, len(ranked) + 1)]
    for row, (feature, score) in zip(first_lines, ranked):
        assert f"{score:+.4f}" in row and row[-1] in ("yes", "no", "—")


def test_a_wide_terminal_shows_all_the_evidence_and_a_narrow_one_the_verdict(plain):
    wide, narrow = drawn(plain, 200), drawn(plain, 80)
    for header in ("position", "perturbations without it", "removal test p", "significant"):
        assert header in wide
    assert "significant" in narrow and "removal test p" not in narrow
    boot = intervals_of(plain.extras)["bootstrap"]
    assert "bootstrap CI" in narrow and boot is not None
