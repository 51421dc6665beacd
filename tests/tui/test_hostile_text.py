"""Untrusted text (prompts, model answers) is shown as text: never as Textual markup, never as
terminal escapes, never reordered by bidi controls — and it cannot act on the app."""

from __future__ import annotations

from textual.widgets import Static, TextArea

from gsmile_tui.widgets.answer import AnswerView
from gsmile_tui.widgets.heatmap import TokenHeatmap
from gsmile_tui.widgets.run_log import RunLog
from gsmile_tui.widgets.tables import PerturbationTable
from tui_helpers import CountingFactory, wait_until
from gsmile_core.backends.fake import FakeBackend

MARKUP = "[@click=app.quit]click me[/] [bold red]loud[/]"
ESCAPES = "\x1b]0;pwned-title\x07\x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x9b31m"
HTML = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RTL = "abc\u202edcba\u2066x\u2069"
HOSTILE_ANSWER = f"{MARKUP} {ESCAPES} {HTML} {RTL}"
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e", "\u2066", "\u2069")


def hostile_factory() -> CountingFactory:
    return CountingFactory(lambda **_: FakeBackend(rules={"life": HOSTILE_ANSWER, "click": HOSTILE_ANSWER}))


async def run_hostile(app, pilot):
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: app.session.runs, "the run")
    await pilot.pause()


async def test_hostile_answer_is_plain_text_and_cannot_quit_the_app(make_app):
    app = make_app(backend_factory=hostile_factory())
    async with app.run_test(size=(120, 40)) as pilot:
        await run_hostile(app, pilot)
        answer = app.main_screen.query_one("#answer", AnswerView)
        shown = str(answer.render())
        assert "[@click=app.quit]click me[/]" in shown
        assert "<script>alert(1)</script>" in shown
        assert not any(ch in shown for ch in FORBIDDEN)
        # clicking the text that would be a link if parsed as markup does nothing
        await pilot.click("#answer", offset=(2, 0))
        await pilot.click("#answer", offset=(5, 0))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        # the log and the tables show the same plain text, escapes removed
        log = app.main_screen.query_one(RunLog)
        assert any("[@click=app.quit]" in line for line in log.lines)
        assert not any(ch in line for line in log.lines for ch in FORBIDDEN)
        await pilot.press("f6")
        await pilot.pause()
        table = app.main_screen.query_one(PerturbationTable)
        cells = [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]
        assert any("[@click=app.quit]" in c for c in cells)
        await pilot.click(PerturbationTable, offset=(60, 2))
        await pilot.pause()
        assert app.is_running
        # and the whole screen, as drawn, carries no escape or bidi control
        svg = app.export_screenshot()
        assert not any(ch in svg for ch in FORBIDDEN)
        assert "pwned-title" not in svg


async def test_hostile_prompt_words_are_drawn_literally(make_app):
    prompt = "[@click=app.quit]click [b]life[/b] \x1b[31mred\x1b[0m abc\u202eevil"
    app = make_app(prompt=prompt, backend_factory=hostile_factory())
    async with app.run_test(size=(120, 40)) as pilot:
        await run_hostile(app, pilot)
        heatmap = app.main_screen.query_one(TokenHeatmap)
        words = [s.feature.text for s in heatmap.supports]
        assert words[0] == "[@click=app.quit]click"
        assert "[b]life[/b]" in words
        rendered = heatmap.render()
        assert "[@click=app.quit]click" in rendered.plain
        assert not any(ch in rendered.plain for ch in FORBIDDEN)
        # no span of the heatmap carries an action (what markup links would add)
        assert all(not getattr(span.style, "meta", None) for span in rendered.spans if not isinstance(span.style, str))
        heatmap.focus()
        await pilot.click(TokenHeatmap, offset=(3, 0))
        await pilot.pause()
        assert app.is_running


async def test_hostile_text_in_a_pasted_prompt_is_sanitised_before_sending(make_app):
    factory = hostile_factory()
    app = make_app(prompt="", backend_factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        area = app.main_screen.query_one("#prompt", TextArea)
        area.text = "What is \x1b]0;x\x07the meaning of life?"
        await run_hostile(app, pilot)
        sent = app.session.runs[-1].explanation.prompt
        assert sent == "What is the meaning of life?"
