"""The metric tables of one explanation: fidelity, top words, and the sortable perturbations.

Every cell is a `rich.text.Text` (DataTable would parse a plain `str` as markup, and answers are
untrusted). The perturbation table sorts by any column: `s` picks the next column, `r` reverses,
or select a header; each change posts `PerturbationTable.SortChanged` after the rows are sorted.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from gsmile_core.method.interactions import Interaction
from gsmile_core.sanitize import one_line
from gsmile_core.types import Explanation, PerturbationResult
from gsmile_core.method.word_support import word_support

FIDELITY_COLUMNS = (
    ("WMSE", "wmse"),
    ("R²_w", "r2_w"),
    ("adj. R²_w", "adj_r2_w"),
    ("WMAE", "wmae"),
    ("mean-L1", "mean_l1"),
    ("mean-L2", "mean_l2"),
)


def number(value: float | None, digits: int = 4) -> Text:
    return Text("n/a" if value is None else f"{value:.{digits}f}", justify="right")


class FidelityTable(DataTable):
    DEFAULT_CSS = "FidelityTable { height: auto; max-height: 4; }"

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.add_columns(*(name for name, _ in FIDELITY_COLUMNS))

    def show(self, explanation: Explanation | None) -> None:
        self.clear()
        if explanation is not None:
            f = explanation.fidelity
            self.add_row(*(number(getattr(f, key)) for _, key in FIDELITY_COLUMNS))


class TopWordsTable(DataTable):
    DEFAULT_CSS = "TopWordsTable { height: auto; max-height: 14; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("#", "word", "score", "95% interval", "p<α without it", "significant")

    def show(self, explanation: Explanation | None, limit: int = 10) -> None:
        self.clear()
        if explanation is None:
            return
        supports = sorted(word_support(explanation), key=lambda s: (-s.score, s.feature.index))
        for rank, s in enumerate(supports[:limit], start=1):
            interval = "-" if s.interval is None else f"[{s.interval[0]:+.3f}, {s.interval[1]:+.3f}]"
            self.add_row(
                Text(str(rank), justify="right"),
                Text(one_line(s.feature.text, 24)),
                Text(f"{s.score:+.4f}", justify="right"),
                Text(interval),
                Text(f"{s.significant_count}/{s.tested}" if s.tested else "-", justify="right"),
                Text({True: "yes", False: "no", None: "?"}[s.significant]),
            )


PERTURBATION_COLUMNS = (
    ("mask", lambda p: "".join(map(str, p.mask))),
    ("prompt", lambda p: p.prompt),
    ("answer", lambda p: p.output),
    ("in dist", lambda p: p.input_distance),
    ("out dist", lambda p: p.output_distance),
    ("weight", lambda p: p.weight),
    ("p-value", lambda p: -1.0 if p.p_value is None else p.p_value),
)


class PerturbationTable(DataTable):
    DEFAULT_CSS = "PerturbationTable { height: 1fr; }"
    BINDINGS = [
        Binding("s", "next_sort", "Sort", tooltip="sort by the next column"),
        Binding("r", "reverse_sort", "Reverse", tooltip="reverse the sort"),
    ]

    class SortChanged(Message):
        """The rows were sorted anew (`table.sort_label` says how)."""

        def __init__(self, table: PerturbationTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PerturbationTable:
            return self.table

    def __init__(self, **kwargs) -> None:
        super().__init__(zebra_stripes=True, **kwargs)
        self.rows_data: list[PerturbationResult] = []
        self.sort_column: int | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns(*(name for name, _ in PERTURBATION_COLUMNS))

    def show(self, explanation: Explanation | None) -> None:
        self.rows_data = list(explanation.perturbations) if explanation is not None else []
        self._fill()

    @property
    def sort_label(self) -> str:
        if self.sort_column is None:
            return "original order"
        return PERTURBATION_COLUMNS[self.sort_column][0] + (" ↓" if self.sort_reverse else " ↑")

    def sort_by(self, column: int | None, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self._fill()
        self.post_message(self.SortChanged(self))

    def action_next_sort(self) -> None:
        following = 0 if self.sort_column is None else self.sort_column + 1
        self.sort_by(None if following >= len(PERTURBATION_COLUMNS) else following, False)

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_column, not self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        same = self.sort_column == event.column_index
        self.sort_by(event.column_index, not self.sort_reverse if same else False)

    def sorted_rows(self) -> list[PerturbationResult]:
        if self.sort_column is None:
            return list(self.rows_data)
        key = PERTURBATION_COLUMNS[self.sort_column][1]
        return sorted(self.rows_data, key=key, reverse=self.sort_reverse)

    def _fill(self) -> None:
        self.clear()
        for p in self.sorted_rows():
            self.add_row(
                Text("".join(map(str, p.mask))),
                Text(one_line(p.prompt, 40)),
                Text(one_line(p.output, 40)),
                number(p.input_distance, 3),
                number(p.output_distance, 3),
                number(p.weight, 3),
                number(p.p_value, 3),
            )


def interactions_of(explanation: Explanation | None) -> list[Interaction]:
    """The interactions the run found (`extras["interactions"]`), strongest first; none for an
    explanation made before they were computed, or whose entries are damaged."""
    if explanation is None:
        return []
    found = []
    for data in explanation.extras.get("interactions") or []:
        try:
            found.append(Interaction.from_dict(data))
        except (KeyError, TypeError):
            continue
    return found


def unit_label(explanation: Explanation, index: int, limit: int = 26) -> str:
    if not 0 <= index < len(explanation.features):
        return f"#{index + 1}"
    feature = explanation.features[index]
    return f"#{index + 1} {one_line(feature.text, limit)}"


class InteractionsTable(DataTable):
    """The strongest pairs of units acting together (`gsmile_core.method.interactions`): γ, its
    standard error, the Holm-adjusted p-value and how many perturbations removed both."""

    DEFAULT_CSS = "InteractionsTable { height: auto; max-height: 9; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("unit", "with", "how", "γ", "SE", "p (Holm)", "both out")

    def show(self, explanation: Explanation | None) -> None:
        self.clear()
        for found in interactions_of(explanation):
            self.add_row(
                Text(unit_label(explanation, found.first)),
                Text(unit_label(explanation, found.second)),
                Text(found.kind),
                Text(f"{found.coefficient:+.4f}", justify="right"),
                number(found.std_error, 3),
                number(found.p_adjusted, 3),
                Text(str(found.both_removed), justify="right"),
            )
