"""Pilot tests of the Checks tab on the fake backend: each trust check runs on the shown run, its
table shows the core's numbers, the result is saved with the run and comes back on reopening
without a model; cancel stops a check; a bad input is one line next to its field and loses
nothing."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Button, DataTable, Input, Label

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.evaluation.checks import CheckInputs, run_check
from gsmile_core.config import ExplainConfig
from gsmile_core.session import load_session, save_session
from gsmile_tui.screens.help import HelpScreen
from gsmile_tui.screens.sessions import SessionsScreen
from gsmile_tui.widgets.checks import ChecksView
from gsmile_tui.widgets.run_log import RunLog

from tui_helpers import PROMPT, CountingFactory, SlowBackend, explained, session_with, wait_until

SMALL = ExplainConfig(perturbations=8, bootstrap=0)


async def run_prompt(app, pilot) -> None:
    before = len(app.session.runs)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: len(app.session.runs) > before, "the run to finish")
    await pilot.pause()


def text_of(widget) -> str:
    return str(widget.render())


def rows(table: DataTable) -> list[tuple[str, ...]]:
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def open_checks(app, pilot):
    await pilot.press("f12")
    await pilot.pause()
    assert app.main_screen.query_one("#tabs").active == "tab-checks"
    return app.main_screen.query_one(ChecksView)


async def test_stability_check_runs_on_enter_and_is_saved(make_app, factory):
    app = make_app(config=SMALL)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_prompt(app, pilot)
        view = await open_checks(app, pilot)
        section = view.section("stability")
        field = section.query_one("#field-edited", Input)
        assert app.focused is field and field.value == PROMPT + " please"
        calls_before = factory.calls
        plan = text_of(section.query_one("#plan-stability", Label))
        assert plan.startswith("will make ") and "model calls" in plan
        planned = int(plan.split()[2])
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.runs[0].checks, "the check")
        await pilot.pause()
        check = app.session.runs[0].checks[0]
        oracle = await run_check("stability", app.session.runs[0].explanation, FakeBackend(), CheckInputs())
        assert check.result == oracle.result
        assert factory.calls - calls_before == check.cost.model_calls == planned
        table = section.query_one("#table-stability", DataTable)
        assert rows(table)[0] == ("1", oracle.result.top_first[0], oracle.result.top_second[0])
        summary = text_of(section.query_one("#summary-stability", Label))
        assert f"Jaccard {oracle.result.jaccard:.3f} of the top-3 words" in summary
        assert "saved in the session" in text_of(section.query_one("#status-stability", Label))
        # the cost line now knows every answer is cached
        assert "no model call" in text_of(section.query_one("#plan-stability", Label))
        assert not app.session.runs[0].checks[1:]
    saved = load_session(app.session_path)
    assert saved.runs[0].checks == app.session.runs[0].checks


async def test_consistency_check_runs_with_ctrl_r_and_shows_per_word_spread(make_app, factory):
    app = make_app(config=SMALL)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_prompt(app, pilot)
        view = await open_checks(app, pilot)
        section = view.section("consistency")
        repeats = section.query_one("#field-repeats", Input)
        repeats.value = "3"
        repeats.focus()
        await pilot.pause()
        assert "will make" in text_of(section.query_one("#plan-consistency", Label))
        await pilot.press("ctrl+r")  # on the Checks tab: the focused check, not a new prompt run
        await wait_until(pilot, lambda: app.session.runs[0].checks, "the check")
        await pilot.pause()
        assert len(app.session.runs) == 1
        check = app.session.runs[0].checks[0]
        assert check.kind == "consistency" and check.seeds == (0, 1, 2)
        oracle = await run_check("consistency", app.session.runs[0].explanation, FakeBackend(), CheckInputs(repeats=3))
        assert check.result == oracle.result
        table_rows = rows(section.query_one("#table-consistency", DataTable))
        assert len(table_rows) == len(oracle.result.words) + 1
        assert table_rows[-1] == ("mean over words", "", f"{oracle.result.mean_variance:.6f}", f"{oracle.result.mean_std:.4f}")
        assert table_rows[0][:2] == (oracle.result.words[0], f"{oracle.result.mean_score[0]:.4f}")
    assert load_session(app.session_path).runs[0].checks == (check,)


async def test_deletion_check_runs_from_its_button(make_app, factory):
    app = make_app(config=SMALL)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_prompt(app, pilot)
        view = await open_checks(app, pilot)
        section = view.section("deletion")
        section.query_one("#field-orders", Input).value = "2"
        await pilot.pause()
        section.query_one(Button).press()
        await wait_until(pilot, lambda: app.session.runs[0].checks, "the check")
        await pilot.pause()
        check = app.session.runs[0].checks[0]
        oracle = await run_check("deletion", app.session.runs[0].explanation, FakeBackend(), CheckInputs(random_orders=2))
        assert check.result == oracle.result
        r = oracle.result
        assert rows(section.query_one("#table-deletion", DataTable)) == [
            ("comprehensiveness (higher: faithful)", f"{r.comprehensiveness:.4f}", f"{r.random_comprehensiveness:.4f}",
             f"{r.comprehensiveness_gain:.4f}"),
            ("sufficiency (lower: faithful)", f"{r.sufficiency:.4f}", f"{r.random_sufficiency:.4f}", f"{r.sufficiency_gain:.4f}"),
        ]
        curve = rows(section.query_one("#curve-deletion", DataTable))
        assert len(curve) == len(app.session.runs[0].explanation.features) + 1
        assert curve[1] == ("1", f"{r.deletion[1]:.4f}", f"{r.random_deletion[1]:.4f}", f"{r.insertion[1]:.4f}",
                            f"{r.random_insertion[1]:.4f}")
        log = app.main_screen.query_one(RunLog)
        assert any(line.startswith("deletion check finished") for line in log.lines)
    assert load_session(app.session_path).runs[0].checks == (check,)


async def test_reopening_a_session_shows_saved_checks_without_a_model(tmp_path, make_app):
    explanation = await explained(config=SMALL)
    checks = [await run_check(kind, explanation, FakeBackend(), CheckInputs(repeats=2, random_orders=1))
              for kind in ("stability", "consistency", "deletion")]
    session = session_with(explanation)
    for check in checks:
        session = session.with_check("r1", check)
    folder = tmp_path / "sessions"
    save_session(session, folder / "old.json")
    never = CountingFactory(lambda **_: pytest.fail("reopening must not build a backend"))
    app = make_app(backend_factory=never)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.infos, "the list")
        await pilot.press("enter")
        await pilot.pause()
        view = await open_checks(app, pilot)
        await pilot.pause()
        assert rows(view.query_one("#table-stability", DataTable))[0][1] == checks[0].result.top_first[0]
        assert view.query_one("#table-consistency", DataTable).row_count == len(explanation.features) + 1
        assert view.query_one("#curve-deletion", DataTable).row_count == len(explanation.features) + 1
        assert text_of(view.query_one("#summary-consistency", Label)).startswith("2 runs, seeds 0..1 · mean variance")
        assert view.query_one("#field-repeats", Input).value == "2"  # the saved check's inputs
    assert never.built == []


async def test_escape_cancels_a_check_and_nothing_is_added(tmp_path, make_app):
    explanation = await explained(config=ExplainConfig(perturbations=64, bootstrap=0, concurrency=2))
    factory = CountingFactory(SlowBackend)
    app = make_app(session=session_with(explanation), backend_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_checks(app, pilot)
        section = view.section("consistency")
        field = section.query_one("#field-repeats", Input)
        field.value = "3"
        field.focus()
        await pilot.press("enter")
        log = app.main_screen.query_one(RunLog)
        await wait_until(pilot, lambda: log.calls >= 3, "a few answers")
        status = text_of(section.query_one("#status-consistency", Label))
        assert status.startswith("run 1 of 3 · ") and "answers… (escape cancels)" in status
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.runner.running, "the worker to stop")
        await wait_until(pilot, lambda: "cancelled after" in text_of(section.query_one("#status-consistency", Label)),
                         "the cancel line")
        backend = factory.built[0]
        calls_at_cancel = backend.calls
        assert backend.cancelled >= 1 and app.runner.worker.state.name == "CANCELLED"
        await pilot.pause(0.2)
        assert backend.calls == calls_at_cancel
        assert app.session.runs[0].checks == ()
        assert field.value == "3"  # the inputs are still there for another try
        # and a check can run afterwards
        app.runner.backend_factory = CountingFactory()
        field.value = "2"
        section.query_one(Button).press()
        await wait_until(pilot, lambda: app.session.runs[0].checks, "the second try")


@pytest.mark.parametrize("field_id, value, message", [
    ("#field-k", "x", "k: expected a whole number, got 'x'"),
    ("#field-k", "9", "k: must be between 1 and 6 (the prompt's words), got 9"),
    ("#field-edited", PROMPT, "edited prompt: it is the same as the run's prompt"),
    ("#field-edited", "   ", "the prompt is empty"),
    ("#field-repeats", "1", "repeats: must be between 2 and 100, got 1"),
    ("#field-orders", "-3", "random orders: must be between 1 and 100, got -3"),
])
async def test_a_bad_input_is_one_line_next_to_its_field_and_runs_nothing(make_app, field_id, value, message):
    explanation = await explained(config=SMALL)
    done = await run_check("stability", explanation, FakeBackend(), CheckInputs(k=2))
    factory = CountingFactory()
    app = make_app(session=session_with(explanation).with_check("r1", done), backend_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_checks(app, pilot)
        field = view.query_one(field_id, Input)
        field.value = value
        field.focus()
        await pilot.pause()
        kind = next(s.kind for s in view.sections if field in s.query(Input))
        error = view.query_one(f"#error-{kind}", Label)
        assert text_of(error).startswith(message) and "\n" not in text_of(error)
        assert error.has_class("shown") and field.has_class("-invalid")
        assert [f for f in view.query(Input) if f.has_class("-invalid")] == [field]  # only the wrong one
        await pilot.press("enter")
        await pilot.pause()
        assert not app.runner.running and factory.built == []
        assert field.value == value  # nothing typed is lost
        assert app.session.runs[0].checks == (done,)  # nor anything saved


async def test_a_provider_failure_during_a_check_is_one_line(make_app):
    from gsmile_core.errors import BackendError

    def broken(**_):
        raise BackendError("fake: the server is on fire", kind="unavailable")

    explanation = await explained(config=SMALL)
    app = make_app(session=session_with(explanation), backend_factory=CountingFactory(broken))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_checks(app, pilot)
        await pilot.press("enter")
        status = view.query_one("#status-stability", Label)
        await wait_until(pilot, lambda: text_of(status).startswith("error:"), "the error")
        assert text_of(status) == "error: fake: the server is on fire"
        assert app.is_running and app.session.runs[0].checks == ()


async def test_without_a_run_the_checks_say_so(make_app, factory):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_checks(app, pilot)
        assert text_of(view.query_one("#checks-title", Label)) == "No run yet."
        await pilot.press("enter")
        await pilot.pause()
        assert "no run to check yet" in text_of(view.query_one("#error-stability", Label))
        assert factory.built == []


async def test_hostile_text_in_a_saved_check_is_shown_literally(make_app):
    import dataclasses

    explanation = await explained(config=SMALL)
    check = await run_check("stability", explanation, FakeBackend(), CheckInputs())
    hostile = "[@click=app.quit]quit[/] \x1b]0;pwned\x07 <b>x</b>"
    result = dataclasses.replace(check.result, top_second=(hostile, *check.result.top_second[1:]))
    check = dataclasses.replace(check, edited_prompt=hostile, result=result)
    session = session_with(explanation).with_check("r1", check).with_run_label("r1", hostile)
    app = make_app(session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_checks(app, pilot)
        title = text_of(view.query_one("#checks-title", Label))
        assert "[@click=app.quit]quit[/]" in title and "\x1b" not in title and "\x07" not in title
        summary = text_of(view.query_one("#summary-stability", Label))
        assert "[@click=app.quit]quit[/]" in summary and "\x1b" not in summary and "\x07" not in summary
        cell = rows(view.query_one("#table-stability", DataTable))[0][2]
        assert cell.startswith("[@click=app.quit]") and "\x1b" not in cell
        await pilot.click("#summary-stability")
        await pilot.pause()
        assert app.is_running


async def test_help_lists_the_checks_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        help_rows = rows(table)
        assert ("main", "f12", "Checks") in help_rows
        assert ("checks", "ctrl+r", "Run check") in help_rows


async def test_the_command_palette_reaches_the_checks_from_another_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Trust checks")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette)
                         and app.screen.query_one(CommandList).option_count > 0, "the palette's matches")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.main_screen, "the main screen")
        assert app.main_screen.query_one("#tabs").active == "tab-checks"


async def test_a_hostile_run_label_reaches_no_title_unsanitised(make_app):
    explanation = await explained(config=SMALL)
    app = make_app(session=session_with(explanation).with_run_label("r1", "label \x1b]0;pwned\x07 [b]x[/b]"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        heat_title = text_of(app.main_screen.query_one("#run-title", Label))
        assert "label [b]x[/b]" in heat_title and "\x1b" not in heat_title  # the OSC payload goes too
