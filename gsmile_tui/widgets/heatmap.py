"""The token heatmap: the prompt with every unit on its importance colour, keyboard-selectable.

Units are words, phrases, sentences or paragraphs (the run's level, `level_name`). Colours come
from the theme's `heat-*` variables (`palette.py`) and are recomputed when the theme changes.
Units the data do not support (`gsmile_core.method.word_support`) are drawn underlined and
italic. The selected unit is reversed; selecting posts `TokenHeatmap.WordSelected` and scrolls
the unit into view (a long prompt is taller than its pane). Enter on a coarse unit posts
`TokenHeatmap.ExpandToggled` (the screen explains its words, or folds them again); the expanded
unit is marked ▾. A heatmap given a `window` (start, end) shows only that part of the prompt and
the units inside it: the words of one expanded unit.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from gsmile_core.types import Explanation
from gsmile_core.method.word_support import WordSupport, word_support

from ..palette import HeatPalette


def wrapped_row(text_before: str, width: int) -> int:
    """The line (0-based) on which the last character of `text_before` lands when the text is
    wrapped at `width`: greedy wrapping breaks a text's beginning the same way whatever follows
    it, so the text up to the end of a unit's first word is enough."""
    return max(len(Content(text_before.rstrip("\n") or " ").wrap(max(width, 1))) - 1, 0)


def docked_height(container: Widget) -> int:
    """Rows at the foot of `container` covered by its children docked at the bottom."""
    return sum(child.outer_size.height for child in container.children
               if child.display and child.styles.dock == "bottom")


def scroll_row_into_view(widget: Widget, row: int) -> None:
    """Scroll the pane holding `widget` so that the widget's `row` (a wrapped line) shows, above
    anything docked at the pane's foot."""
    container = widget.parent
    if container is None or not widget.is_attached or not container.allow_vertical_scroll:
        return
    top = widget.virtual_region.y + widget.styles.padding.top
    container.scroll_to_region(Region(0, top + row, 1, 1), spacing=Spacing(0, 0, docked_height(container), 0),
                               animate=False, immediate=True)


class TokenHeatmap(Widget, can_focus=True):
    DEFAULT_CSS = """
    TokenHeatmap { height: auto; min-height: 1; padding: 0 1; }
    TokenHeatmap:focus { background-tint: $foreground 5%; }
    """
    BINDINGS = [
        Binding("right,l,w", "move(1)", "Next word", show=False),
        Binding("left,h,b", "move(-1)", "Prev word", show=False),
        Binding("home", "first", "First word", show=False),
        Binding("end", "last", "Last word", show=False),
        Binding("enter", "expand", "Words of it", show=False,
                tooltip="a sentence or paragraph: explain its words (the rest kept whole); again: fold them"),
    ]

    class WordSelected(Message):
        def __init__(self, heatmap: TokenHeatmap, support: WordSupport) -> None:
            super().__init__()
            self.heatmap, self.support = heatmap, support

        @property
        def control(self) -> TokenHeatmap:
            return self.heatmap

    class ExpandToggled(Message):
        """Enter on unit `feature` of the shown explanation: show its words, or fold them."""

        def __init__(self, heatmap: TokenHeatmap, feature) -> None:
            super().__init__()
            self.heatmap, self.feature = heatmap, feature

        @property
        def control(self) -> TokenHeatmap:
            return self.heatmap

    cursor: reactive[int] = reactive(0)

    def __init__(self, explanation: Explanation | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.explanation: Explanation | None = None
        self.supports: tuple[WordSupport, ...] = ()
        self.window: tuple[int, int] | None = None
        self.expanded: int | None = None  # index of the unit whose words are shown (marked ▾)
        if explanation is not None:
            self.show(explanation)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def show(self, explanation: Explanation | None, window: tuple[int, int] | None = None) -> None:
        """Show `explanation` (all of its prompt, or only `window` and the units inside it)."""
        self.explanation = explanation
        self.window = window
        self.expanded = None
        supports = word_support(explanation) if explanation is not None else ()
        if window is not None:
            supports = tuple(s for s in supports if window[0] <= s.feature.start and s.feature.end <= window[1])
        self.supports = supports
        self.set_reactive(TokenHeatmap.cursor, 0)
        self.refresh(layout=True)
        self._announce()

    def mark_expanded(self, index: int | None) -> None:
        self.expanded = index
        self.refresh(layout=True)

    @property
    def level(self) -> str:
        """The level of the units shown: word, phrase, sentence or paragraph."""
        return self.supports[0].feature.level if self.supports else "word"

    @property
    def level_name(self) -> str:
        return f"{self.level}s"

    @property
    def selected(self) -> WordSupport | None:
        return self.supports[self.cursor] if self.supports else None

    def action_expand(self) -> None:
        if self.selected is not None:
            self.post_message(self.ExpandToggled(self, self.selected.feature))

    def action_move(self, step: int) -> None:
        if self.supports:
            self.cursor = max(0, min(len(self.supports) - 1, self.cursor + step))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(len(self.supports) - 1, 0)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def watch_cursor(self) -> None:
        self._announce()
        self.call_after_refresh(self.scroll_to_cursor)

    def cursor_row(self) -> int:
        """The line (0-based, as wrapped at the widget's width) where the selected unit starts."""
        e, selected = self.explanation, self.selected
        if e is None or selected is None:
            return 0
        start = self.window[0] if self.window else 0
        first_word = selected.feature.text.split(maxsplit=1)[0]
        return wrapped_row(e.prompt[start : selected.feature.start + len(first_word)], self.content_size.width)

    def scroll_to_cursor(self) -> None:
        """Bring the selected unit into view in the scrolling pane that holds the heatmap."""
        scroll_row_into_view(self, self.cursor_row())

    def _announce(self) -> None:
        if self.selected is not None and self.is_attached:
            self.post_message(self.WordSelected(self, self.selected))

    def palette(self) -> HeatPalette:
        return HeatPalette.from_variables(self.app.theme_variables)

    def render(self) -> Content:
        e = self.explanation
        if e is None:
            return Content("No run yet: type a prompt and press ctrl+r.")
        palette = self.palette()
        scale = max((abs(s.score) for s in self.supports), default=0.0)
        parts: list[str | tuple[str, Style]] = []
        cursor, end = self.window if self.window is not None else (0, len(e.prompt))
        for position, support in enumerate(self.supports):
            feature = support.feature
            parts.append(e.prompt[cursor : feature.start])
            if feature.index == self.expanded:
                parts.append(("▾", Style(bold=True)))
            background = palette.background(support.score, scale)
            unsupported = support.significant is False
            selected = self.has_focus and position == self.cursor
            parts.append(
                (
                    feature.text,
                    Style(
                        background=background,
                        foreground=palette.foreground(background),
                        underline=unsupported or None,
                        italic=unsupported or None,
                        reverse=selected or None,
                        bold=selected or None,
                    ),
                )
            )
            cursor = feature.end
        parts.append(e.prompt[cursor:end])
        return Content.assemble(*parts)
