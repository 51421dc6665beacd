"""F11, the models screen, with Pilot: a text classifier (the bundled VADER) and a table row on a
model file with its fairness counterfactual, run from the TUI, kept in the session and drawn as
the bar chart; bad input is one line on screen; hostile column names stay plain text."""

from __future__ import annotations

import csv
import html
import pickle

import numpy as np
from textual.widgets import Input, Label

from gsmile_tui.screens.models import ModelsScreen
from gsmile_tui.widgets.heatmap import TokenHeatmap
from gsmile_tui.widgets.tables import PerturbationTable
from tui_helpers import wait_until


class RuleModel:
    """A picklable model over (income, sex): men always granted."""

    classes_ = np.array(["deny", "grant"])

    def predict_proba(self, rows):
        p = np.where(rows[:, 1] == "M", 0.9, rows[:, 0].astype(float) / 100)
        return np.column_stack([1 - p, p])


def _files(tmp_path, column="income"):
    data = tmp_path / "people.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column, "sex"])
        writer.writerows([(10 * i % 97, "MF"[i % 2]) for i in range(40)])
    model = tmp_path / "rule.pkl"
    model.write_bytes(pickle.dumps(RuleModel()))
    return model, data


def screen_text(app) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


async def test_text_classifier_from_the_tui(make_app):
    app = make_app(prompt="The food was great but the service was terribly slow")
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "the models screen")
        app.screen.query_one("#cls-class", Input).value = "pos"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(app.session.runs) == 1, "the classifier run")
        await pilot.pause()
        explanation = app.session.runs[0].explanation
        assert explanation.extras["model"]["kind"] == "text-classifier"
        assert explanation.extras["model"]["target"]["class"] == "pos"
        assert app.screen.shown is explanation
        text = screen_text(app)
        assert "text classifier vader" in text and "great" in text and "p: Freedman-Lane permutation test" in text
        await pilot.press("escape")  # back to main: F4-F6 show the classifier run like any other
        await pilot.press("f4")
        await pilot.pause()
        assert app.main_screen.query_one(TokenHeatmap).explanation is explanation
        await pilot.press("f6")
        await pilot.pause()
        assert app.main_screen.query_one(PerturbationTable).row_count == len(explanation.perturbations)
        await pilot.press("f12")
        await pilot.pause()
        assert "trust checks re-ask a generative model" in screen_text(app)


async def test_table_row_with_counterfactual_from_the_tui(make_app, tmp_path):
    model, data = _files(tmp_path)
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "the models screen")
        screen = app.screen
        screen.query_one("#form-table").parent.parent.active = "form-table"
        for widget_id, value in (("tab-model", str(model)), ("tab-data", str(data)), ("tab-row", "3"),
                                 ("tab-class", "grant"), ("tab-protected", "sex")):
            screen.query_one(f"#{widget_id}", Input).value = value
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(app.session.groups) == 1, "the counterfactual pair")
        await pilot.pause()
        assert len(app.session.runs) == 2
        text = screen_text(app)
        assert "Features by importance" in text and "Scores side by side" in text
        assert "done: " in text
        assert any("loading rule.pkl runs code" in n.message for n in app._notifications)


async def test_bad_row_is_one_line_and_nothing_is_kept(make_app, tmp_path):
    model, data = _files(tmp_path)
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "the models screen")
        screen = app.screen
        screen.query_one("#form-table").parent.parent.active = "form-table"
        for widget_id, value in (("tab-model", str(model)), ("tab-data", str(data)), ("tab-row", "400")):
            screen.query_one(f"#{widget_id}", Input).value = value
        await pilot.press("ctrl+r")
        error = screen.query_one("#model-error", Label)
        await wait_until(pilot, lambda: "out of range" in str(error.render()), "the error line")
        assert "row 400 is out of range: people.csv has 40 rows (0 to 39)" in str(error.render())
        assert app.session.runs == ()


async def test_hostile_column_names_are_plain_text(make_app, tmp_path):
    model, data = _files(tmp_path, column="[@click=app.quit]income[/]")
    app = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "the models screen")
        screen = app.screen
        screen.query_one("#form-table").parent.parent.active = "form-table"
        for widget_id, value in (("tab-model", str(model)), ("tab-data", str(data)), ("tab-row", "2")):
            screen.query_one(f"#{widget_id}", Input).value = value
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(app.session.runs) == 1, "the run")
        await pilot.pause()
        assert app.is_running
        assert "[@click=app.quit]income[/]" in screen_text(app)


def test_snapshot_of_a_table_row_as_a_bar_chart(snap_compare, tmp_path):
    """The bar chart of a reopened tabular run, at 100×30 (frozen timings; seeded method)."""
    from gsmile_core import explain_tabular
    from gsmile_core.session import Session
    from gsmile_tui.app import GsmileApp
    from tui_helpers import FAST, FIXED_TIME, CountingFactory, frozen

    rng = np.random.default_rng(0)
    data = {"income": rng.normal(50, 15, 60).round(1), "age": rng.integers(20, 70, 60).astype(float),
            "sex": ["F", "M"] * 30, "city": ["north", "south", "east"] * 20}

    def grant(rows):
        p = 1 / (1 + np.exp(-((rows[:, 0].astype(float) - 50) / 10 + 1.5 * (rows[:, 2] == "M") - 0.02 * rows[:, 1].astype(float))))
        return np.column_stack([1 - p, p])

    explanation = frozen(explain_tabular(grant, data, row=4, classes=["deny", "grant"], explained_class="grant",
                                         perturbations=150, bootstrap=99, ci_resamples=20, model_name="grant"))
    session = Session.new("audit", now=FIXED_TIME, session_id="s1").with_run(explanation, now=FIXED_TIME)
    app = GsmileApp(prompt="", backend="fake", config=FAST, sessions_dir=tmp_path / "sessions", session=session,
                    backend_factory=CountingFactory())

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelsScreen), "the models screen")
        for widget in pilot.app.screen.query("Input"):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))
