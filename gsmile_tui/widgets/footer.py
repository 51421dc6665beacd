"""The footer, fitted to the terminal's width.

Textual's Footer lists every shown key in one row and lets the row run off the right edge; the
app-wide keys come last, so on an 80- or 120-column terminal Export and Quit were cut off. This
footer is compact and, when the keys do not fit, leaves out the ones in `GIVE_WAY` (in that
order) until they do, so the keys of the focused pane, Run, Help, Export and Quit always show.
Every key stays in the F1 list and the command palette.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer

# Actions whose keys give way on a narrow terminal, the first listed first.
GIVE_WAY = ("credentials", "sessions", "compare", "dry_run")


def key_width(widget: Widget) -> int:
    """Cells a compact footer key takes: the key, a space, the description, a gap (0 for what is
    not a key)."""
    display = getattr(widget, "key_display", None)
    return 0 if display is None else len(display) + 1 + len(getattr(widget, "description", "")) + 1


def key_action(widget: Widget) -> str:
    return str(getattr(widget, "action", "")).split(".")[-1]


class FittingFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._fitted_width = 0

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        width = self.app.size.width
        for action in GIVE_WAY:
            if sum(key_width(w) for w in widgets) <= width:
                break
            widgets = [w for w in widgets if key_action(w) != action]
        self.styles.grid_size_columns = max(sum(1 for w in widgets if not w.has_class("-command-palette")), 1)
        self._fitted_width = width
        yield from widgets

    def on_resize(self) -> None:
        if self.app.size.width != self._fitted_width:
            self.call_after_refresh(self.recompose)
