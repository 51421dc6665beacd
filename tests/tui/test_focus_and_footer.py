"""Focus follows the pane (F2-F6, F12 show a tab and put the keys in it, also after F12), the
focused pane is plainly marked, and the footer always shows Export and Quit at 80 and 120
columns."""

from __future__ import annotations

import pytest
from textual.color import Color
from textual.widgets import Input, TabbedContent, TextArea

from gsmile_core.config import ExplainConfig
from gsmile_tui.widgets.checks import ChecksView
from gsmile_tui.widgets.heatmap import TokenHeatmap
from gsmile_tui.widgets.run_log import RunLog
from gsmile_tui.widgets.tables import PerturbationTable, TopWordsTable
from tui_helpers import SlowBackend, CountingFactory, explained, session_with, wait_until

TAB_KEYS = {
    "f2": ("tab-prompt", TextArea),
    "f3": ("tab-log", type(None)),  # the log's RichLog, checked by id below
    "f4": ("tab-heatmap", TokenHeatmap),
    "f5": ("tab-metrics", TopWordsTable),
    "f6": ("tab-perturbations", PerturbationTable),
    "f12": ("tab-checks", Input),
}


def active(app) -> str:
    return app.main_screen.query_one(TabbedContent).active


async def test_after_f12_every_tab_key_still_switches_and_focuses_its_pane(make_app):
    app = make_app(session=session_with(await explained()))
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("f12", "f2", "f12", "f3", "f12", "f4", "f12", "f5", "f12", "f6", "f12", "f2"):
            await pilot.press(key)
            await pilot.pause()
            tab, kind = TAB_KEYS[key]
            assert active(app) == tab, f"after {key}"
            focused = app.focused
            if key == "f3":
                assert focused is app.main_screen.query_one(RunLog).query_one("#log")
            else:
                assert isinstance(focused, kind), f"after {key}: {focused!r}"
            pane = next(a for a in focused.ancestors_with_self if getattr(a, "id", None) == tab)
            assert pane is not None


async def test_after_f2_typing_goes_into_the_prompt(make_app):
    app = make_app(prompt="")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3", "f2")
        await pilot.press(*"why")
        await pilot.pause()
        assert app.main_screen.query_one("#prompt", TextArea).text == "why"


async def test_on_the_heatmap_the_arrows_select_words_at_once(make_app):
    app = make_app(session=session_with(await explained()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        heatmap = app.main_screen.query_one(TokenHeatmap)
        assert heatmap.cursor == 0
        await pilot.press("right", "right")
        await pilot.pause()
        assert heatmap.cursor == 2
        await pilot.press("left")
        await pilot.pause()
        assert heatmap.cursor == 1


async def test_on_the_perturbations_s_and_r_sort_at_once_and_the_label_follows(make_app):
    app = make_app(session=session_with(await explained()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        table = app.main_screen.query_one(PerturbationTable)
        assert "sorted by original order" in table.border_title
        for key, label in (("s", "mask ↑"), ("s", "prompt ↑"), ("r", "prompt ↓"), ("s", "answer ↑")):
            await pilot.press(key)
            await pilot.pause()
            assert table.sort_label == label
            assert f"sorted by {label} ·" in table.border_title  # the label of this sort, not the one before


async def test_a_pane_gets_back_the_field_last_focused_in_it(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        seed = app.main_screen.query_one("#field-seed", Input)
        seed.focus()
        await pilot.pause()
        await pilot.press("f3", "f2")
        await pilot.pause()
        assert app.focused is seed and active(app) == "tab-prompt"


async def test_the_focused_pane_has_the_accent_border(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        prompt_side = app.main_screen.query_one("#prompt-side")
        settings = app.main_screen.query_one("#settings")
        accent = Color.parse(app.theme_variables["accent"])

        def border(widget) -> Color:
            return widget.styles.border_top[1]

        assert border(prompt_side) == accent and border(settings) != accent  # the prompt has the focus
        app.main_screen.query_one("#field-seed", Input).focus()
        await pilot.pause()
        assert border(settings) == accent and border(prompt_side) != accent


async def test_a_wrong_setting_on_run_focuses_its_field(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.query_one("#field-call_timeout", Input).value = "0"
        await pilot.press("f4", "ctrl+r")
        await pilot.pause()
        assert active(app) == "tab-prompt" and app.focused.id == "field-call_timeout"
        assert factory.built == []


# -- the footer --------------------------------------------------------------------------------


def footer_keys(app) -> dict[str, tuple[int, int]]:
    footer = app.screen.query_one("Footer")
    return {getattr(w, "description", ""): (w.region.x, w.region.right) for w in footer.query("FooterKey")}


@pytest.mark.parametrize("width", [80, 120])
async def test_the_footer_shows_export_and_quit_in_every_pane(make_app, width):
    app = make_app(session=session_with(await explained()))
    async with app.run_test(size=(width, 30)) as pilot:
        for key in ("f2", "f3", "f4", "f5", "f6", "f12"):
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
            keys = footer_keys(app)
            for needed in ("Export", "Quit", "Help"):
                assert needed in keys, f"{needed} missing at {width} columns after {key}: {sorted(keys)}"
                assert keys[needed][1] <= width, f"{needed} cut off at {width} columns after {key}"
            assert ("Run check" if key == "f12" else "Run") in keys
        if width >= 120:
            assert {"Compare", "Sessions", "Credentials"} <= set(footer_keys(app))


@pytest.mark.parametrize("width", [80, 120])
async def test_escape_cancel_shows_in_the_footer_only_while_a_run_goes(make_app, width):
    slow = ExplainConfig(perturbations=64, bootstrap=0, concurrency=2)
    app = make_app(backend_factory=CountingFactory(SlowBackend), config=slow)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        assert "Cancel" not in footer_keys(app)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "Cancel" in footer_keys(app), "the cancel key in the footer")
        keys = footer_keys(app)
        assert keys["Cancel"][1] <= width and keys["Export"][1] <= width
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.runner.running, "the cancel")
        await wait_until(pilot, lambda: "Cancel" not in footer_keys(app), "the cancel key to go")


async def test_checks_fields_still_take_typing_after_f12(make_app):
    app = make_app(session=session_with(await explained()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f12")
        await pilot.pause()
        field = app.main_screen.query_one(ChecksView).query_one("#field-k", Input)
        field.focus()
        await pilot.pause()
        field.value = ""
        await pilot.press("4")
        await pilot.pause()
        assert field.value == "4" and active(app) == "tab-checks"
