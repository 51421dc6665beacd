"""The token heatmap: the prompt with every word on its importance colour, keyboard-selectable.

Colours come from the theme's `heat-*` variables (`palette.py`) and are recomputed when the
theme changes. Words the data do not support (`gsmile_core.method.word_support`) are drawn underlined
and italic. The selected word is reversed; selecting posts `TokenHeatmap.WordSelected`.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from gsmile_core.types import Explanation
from gsmile_core.method.word_support import WordSupport, word_support

from ..palette import HeatPalette


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
    ]

    class WordSelected(Message):
        def __init__(self, heatmap: TokenHeatmap, support: WordSupport) -> None:
            super().__init__()
            self.heatmap, self.support = heatmap, support

        @property
        def control(self) -> TokenHeatmap:
            return self.heatmap

    cursor: reactive[int] = reactive(0)

    def __init__(self, explanation: Explanation | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.explanation: Explanation | None = None
        self.supports: tuple[WordSupport, ...] = ()
        if explanation is not None:
            self.show(explanation)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def show(self, explanation: Explanation | None) -> None:
        self.explanation = explanation
        self.supports = word_support(explanation) if explanation is not None else ()
        self.set_reactive(TokenHeatmap.cursor, 0)
        self.refresh(layout=True)
        self._announce()

    @property
    def selected(self) -> WordSupport | None:
        return self.supports[self.cursor] if self.supports else None

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
        cursor = 0
        for support in self.supports:
            feature = support.feature
            parts.append(e.prompt[cursor : feature.start])
            background = palette.background(support.score, scale)
            unsupported = support.significant is False
            selected = self.has_focus and feature.index == self.cursor
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
        parts.append(e.prompt[cursor:])
        return Content.assemble(*parts)
