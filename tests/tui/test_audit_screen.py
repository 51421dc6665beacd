"""ctrl+b, the audit screen, with Pilot on the fake backend: an audit of a prompt file runs from
the TUI with its progress, rows and aggregate; enter opens a prompt's explanation on the main
screen; a second start resumes (nothing asked again); escape cancels and keeps what is done; a
fairness set's template opens in the compare view; bad input is one line on screen."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, Label, Static

from gsmile_tui.screens.audit import AuditScreen
from gsmile_tui.screens.compare import CompareScreen
from tui_helpers import wait_until

PROMPTS = ["What is the meaning of life?", "Tell me about the ocean and the weather", "A recipe for a rainy day"]


async def open_audit(pilot, app):
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "the audit screen")
    return app.screen


def fill(screen, **values):
    for key, value in values.items():
        screen.query_one(f"#audit-{key}", Input).value = str(value)


async def test_an_audit_from_the_tui_and_a_prompts_explanation(make_app, tmp_path, factory):
    prompts = tmp_path / "set.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_audit(pilot, app)
        fill(screen, file=prompts, out=tmp_path / "audit")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.summary is not None, "the audit to finish")
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        assert str(screen.query_one("#audit-status", Label).render()).startswith("finished · ")
        aggregate = str(screen.query_one("#audit-aggregate", Static).render())
        assert "3 ok · 0 failed" in aggregate and "Most influential words" in aggregate
        assert json.loads((tmp_path / "audit" / "summary.json").read_text())["counts"]["ok"] == 3
        calls = factory.calls
        assert calls > 0

        await pilot.press("ctrl+r")  # the same folder and settings: a resume with nothing to do
        await wait_until(pilot, lambda: screen.summary is not None and table.row_count == 3, "the resume")
        await pilot.pause()
        assert factory.calls == calls

        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, AuditScreen), "the main screen")
        assert len(app.session.runs) == 1
        assert app.session.runs[0].explanation.prompt in PROMPTS


async def test_cancel_keeps_what_is_done(make_app, tmp_path):
    prompts = tmp_path / "set.txt"
    prompts.write_text("\n".join(f"{p} number {i}" for i in range(12) for p in PROMPTS[:1]) + "\n")
    from tui_helpers import CountingFactory
    from gsmile_core.backends.fake import FakeBackend

    slow = CountingFactory(lambda **options: FakeBackend(latency=0.05))
    app = make_app(backend_factory=slow)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_audit(pilot, app)
        fill(screen, file=prompts, out=tmp_path / "audit")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.query_one(DataTable).row_count >= 1, "a first prompt done")
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.summary is not None, "the cancel")
        summary = json.loads((tmp_path / "audit" / "summary.json").read_text())
        assert summary["stopped"] == "cancelled" and summary["counts"]["ok"] >= 1 and summary["counts"]["not_done"] >= 1
        assert "stopped: cancelled" in str(screen.query_one("#audit-status", Label).render())


async def test_a_fairness_template_opens_in_the_compare_view(make_app, tmp_path):
    templates, groups = tmp_path / "t.txt", tmp_path / "g.txt"
    templates.write_text("The {person} asked the doctor about the ocean.\n")
    groups.write_text("person: [he, she]\n")
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_audit(pilot, app)
        fill(screen, templates=templates, groups=groups, out=tmp_path / "fair")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.summary is not None, "the fairness audit")
        assert "{person} he vs she" in str(screen.query_one("#audit-aggregate", Static).render())
        screen.query_one(DataTable).focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        group = app.session.groups[-1]
        assert [r.explanation.prompt for r in app.session.group_runs(group)] == [
            "The he asked the doctor about the ocean.", "The she asked the doctor about the ocean."]


async def test_bad_input_is_one_line_on_screen(make_app, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_audit(pilot, app)
        fill(screen, file=empty, out=tmp_path / "audit")
        await pilot.press("ctrl+r")
        error = screen.query_one("#audit-error", Label)
        await wait_until(pilot, lambda: "holds no prompt" in str(error.render()), "the error line")
        assert not (tmp_path / "audit").exists()


async def test_the_sets_budget_is_refused_before_any_call(make_app, tmp_path, factory):
    from dataclasses import replace

    from tui_helpers import FAST

    prompts = tmp_path / "set.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    app = make_app(config=replace(FAST, max_calls=5))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_audit(pilot, app)
        fill(screen, file=prompts, out=tmp_path / "audit")
        await pilot.press("ctrl+r")
        error = screen.query_one("#audit-error", Label)
        await wait_until(pilot, lambda: "max-calls is 5" in str(error.render()) or "max calls" in str(error.render()),
                         "the budget line")
        assert factory.calls == 0 and not (tmp_path / "audit" / "results.jsonl").exists()
