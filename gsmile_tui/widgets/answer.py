"""The original answer, sentence by sentence: pick one and explain what drives it (answer span).

↑ ↓ select a sentence of the answer (reversed while the pane has the focus, scrolled into view);
enter posts `AnswerView.SpanChosen` with its text, and the screen runs the same prompt again with
that sentence as the answer span (`gsmile_core.method.answer_span`). When the run on screen explains a
span, the span is drawn bold and underlined. The answer is model output: it is drawn as plain
`Content` (never markup), with terminal escapes stripped.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from gsmile_core.errors import ConfigError
from gsmile_core.method.answer_span import span_in
from gsmile_core.method.units import MARK_OPEN, segment
from gsmile_core.sanitize import strip_unsafe
from gsmile_core.types import Explanation

from .heatmap import scroll_row_into_view, wrapped_row


def answer_sentences(answer: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence of `answer`; the whole answer as one when it cannot be cut
    exactly (it holds the protected-span marker, which the segmenter would strip)."""
    if not answer.strip():
        return ()
    if MARK_OPEN in answer:
        stripped = answer.strip()
        start = answer.index(stripped)
        return ((start, start + len(stripped)),)
    try:
        return tuple((u.start, u.end) for u in segment(answer, "sentence").units)
    except ConfigError:
        return ()


def explained_span(explanation: Explanation) -> str | None:
    """The answer span this run explains, if it explains one."""
    found = explanation.extras.get("answer_span")
    span = found.get("span") if isinstance(found, dict) else None
    return span if isinstance(span, str) and span else None


class AnswerView(Widget, can_focus=True):
    DEFAULT_CSS = """
    AnswerView { height: auto; min-height: 1; }
    AnswerView:focus { background-tint: $foreground 5%; }
    """
    BINDINGS = [
        Binding("down,j", "move(1)", "Next sentence", show=False),
        Binding("up,k", "move(-1)", "Prev sentence", show=False),
        Binding("enter", "explain", "Explain sentence", show=False),
    ]

    class SpanChosen(Message):
        """Explain what drives `span`, a sentence of the original answer of the run on screen."""

        def __init__(self, view: AnswerView, span: str) -> None:
            super().__init__()
            self.view, self.span = view, span

        @property
        def control(self) -> AnswerView:
            return self.view

    cursor: reactive[int] = reactive(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.answer = ""
        self.sentences: tuple[tuple[int, int], ...] = ()
        self.highlight: tuple[int, int] | None = None

    def show(self, explanation: Explanation | None) -> None:
        self.answer = strip_unsafe(explanation.original_output) if explanation is not None else ""
        self.sentences = answer_sentences(self.answer)
        span = explained_span(explanation) if explanation is not None else None
        self.highlight = span_in(self.answer, span) if span else None
        self.set_reactive(AnswerView.cursor, 0)
        self.refresh(layout=True)

    @property
    def selected(self) -> str | None:
        if not self.sentences:
            return None
        start, end = self.sentences[self.cursor]
        return self.answer[start:end]

    def action_move(self, step: int) -> None:
        if self.sentences:
            self.cursor = max(0, min(len(self.sentences) - 1, self.cursor + step))

    def watch_cursor(self) -> None:
        self.call_after_refresh(self.scroll_to_cursor)

    def scroll_to_cursor(self) -> None:
        """Bring the selected sentence into view (a long answer is taller than its pane)."""
        if self.sentences:
            start, end = self.sentences[self.cursor]
            first_word = self.answer[start:end].split(maxsplit=1)[0]
            scroll_row_into_view(self, wrapped_row(self.answer[: start + len(first_word)], self.content_size.width))

    def action_explain(self) -> None:
        if self.selected is not None:
            self.post_message(self.SpanChosen(self, self.selected))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def render(self) -> Content:
        if not self.answer:
            return Content("")
        content = Content(self.answer)
        if self.highlight is not None:
            content = content.stylize(Style(bold=True, underline=True), *self.highlight)
        if self.has_focus and self.sentences:
            content = content.stylize(Style(reverse=True), *self.sentences[self.cursor])
        return content
