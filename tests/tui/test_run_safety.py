"""The TUI's guard rails around a run: absurd perturbation counts are refused with their cost, a
large dry run is planned off the UI thread and escape cancels it, ctrl+q asks before discarding a
run, the ETA counts model calls only and stops with the run, a reopened session brings back its
prompt, backend and settings with a fresh log, an export whose name says another format is
questioned, the keys screen offers no keyring it does not have, the palette names are distinct,
the legend shows numbers, and the openai-compatible backend works from the form."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from textual.widgets import Input, Label, ProgressBar, Select, TextArea

from fakes.keyrings import MemoryKeyring
from gsmile_core.config import MAX_PERTURBATIONS, ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.session import load_session, save_session
from gsmile_tui.app import GsmileApp
from gsmile_tui.screens.confirm import ConfirmScreen
from gsmile_tui.screens.credentials import CredentialsScreen
from gsmile_tui.screens.dry_run import DryRunScreen
from gsmile_tui.screens.export import ExportScreen
from gsmile_tui.screens.sessions import SessionsScreen
from gsmile_tui.widgets.legend import HeatLegend
from gsmile_tui.widgets.run_log import RunLog
from gsmile_tui.widgets.settings import RunSettings
from tui_helpers import FAST, PROMPT, CountingFactory, SlowBackend, explained, session_with, wait_until

LONG_PROMPT = " ".join(f"word{i}" for i in range(26))


def field(app, name: str) -> Input:
    return app.main_screen.query_one(f"#field-{name}", Input)


def error_of(app, name: str) -> str:
    label = app.main_screen.query_one(f"#error-{name}", Label)
    return str(label.render()) if label.has_class("shown") else ""


# -- absurd counts, planning off the UI thread ---------------------------------------------------


async def test_an_absurd_perturbation_count_is_refused_with_its_cost(make_app, factory):
    app = make_app(prompt=LONG_PROMPT)
    async with app.run_test(size=(120, 40)) as pilot:
        field(app, "perturbations").value = "99,999,999"
        await pilot.pause()
        message = error_of(app, "perturbations")
        assert "99,999,999 perturbations would be up to 99,999,999 model calls" in message
        assert f"at most {MAX_PERTURBATIONS:,}" in message
        for key in ("ctrl+g", "ctrl+r"):
            await pilot.press(key)
            await pilot.pause()
            assert app.main_screen.planning is None and not app.runner.running
            assert not isinstance(app.screen, DryRunScreen)
        assert factory.built == []


async def test_a_large_dry_run_is_planned_off_the_ui_thread_and_escape_cancels_it(make_app, factory, monkeypatch):
    import threading

    from gsmile_tui.screens import main as main_screen

    # The real planner, held until the UI has been used and escape pressed: on a loaded machine
    # the plan could otherwise finish before the keys arrive, and the test would race.
    release, real_dry_run = threading.Event(), main_screen.dry_run
    monkeypatch.setattr(main_screen, "dry_run", lambda request: (release.wait(30), real_dry_run(request))[1])
    config = ExplainConfig(perturbations=MAX_PERTURBATIONS, bootstrap=0)
    app = make_app(prompt=LONG_PROMPT, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        main = app.main_screen
        assert main.planning is not None and main.planning.is_running  # a thread plans: the keys still work
        assert "planning 100,000 perturbations… (escape cancels)" in str(main.query_one("#prompt-error", Label).render())
        await pilot.press("f3")  # the UI answers while the plan is made
        await pilot.pause()
        assert app.main_screen.query_one("TabbedContent").active == "tab-log"
        await pilot.press("escape")
        await pilot.pause()
        assert main.planning is None or main.planning.is_cancelled
        assert "dry run cancelled" in str(main.query_one("#prompt-error", Label).render())
        release.set()  # the thread finishes its plan: a cancelled plan is never shown
        await pilot.pause(0.2)
        assert not isinstance(app.screen, DryRunScreen) and factory.built == []


async def test_a_dry_run_still_opens_when_planned_in_a_thread(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, DryRunScreen), "the dry run")
        assert len(app.screen.plan.prompts) == FAST.perturbations and factory.built == []


# -- quitting during a run ---------------------------------------------------------------------


async def test_ctrl_q_during_a_run_asks_before_discarding_it(make_app):
    factory = CountingFactory(SlowBackend)
    # 400 answers one at a time, 0.05 s each: the run outlasts the questions below
    app = make_app(prompt=LONG_PROMPT, backend_factory=factory,
                   config=ExplainConfig(perturbations=400, bootstrap=0, concurrency=1))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        log = app.main_screen.query_one(RunLog)
        await wait_until(pilot, lambda: log.calls >= 2, "a few answers")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.is_running and app.runner.running
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen) and app.runner.running
        calls = log.calls
        await wait_until(pilot, lambda: log.calls > calls, "the run to go on")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, "the app to quit")
    assert app.session.runs == ()
    assert factory.built[0].cancelled >= 1  # the calls in flight were cancelled


async def test_ctrl_q_without_a_run_quits_at_once(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, "the app to quit")


# -- the progress bar ----------------------------------------------------------------------------


async def test_the_eta_counts_model_calls_not_cache_hits(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.main_screen.query_one(RunLog)
        bar = log.query_one(ProgressBar)
        log.reset("run")
        for done in range(1, 6):  # five answers from the cache, then one from the model
            log.answer(done, 10, f"p{done}", "a", cached=True)
        log.progress("generate", 5, 10)
        await pilot.pause()
        assert (bar.progress, bar.total) == (0, 5)  # five model calls to go, none done
        log.answer(6, 10, "p6", "a", cached=False)
        log.progress("generate", 6, 10)
        await pilot.pause()
        assert (bar.progress, bar.total) == (1, 5)
        assert "asking the model (5 cached)" in str(log.query_one("#stage", Label).render())


async def test_after_a_cancel_the_eta_is_gone_and_late_progress_is_ignored(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.main_screen.query_one(RunLog)
        bar = log.query_one(ProgressBar)
        log.reset("run")
        log.progress("generate", 3, 10)
        await pilot.pause()
        assert bar.query_one("#eta").display
        log.stopped("cancelled after 3 answers", "bold yellow")
        log.progress("generate", 4, 10)  # a progress message that was already on its way
        await pilot.pause()
        assert not bar.query_one("#eta").display
        assert (bar.progress, bar.total) == (3, 10)


# -- reopening a session ---------------------------------------------------------------------


async def test_reopening_a_session_restores_its_prompt_backend_and_settings_with_a_fresh_log(tmp_path, make_app):
    config = FAST.with_changes(seed=7, max_tokens=20)
    explanation = await explained("Why is the sky blue today?", config)
    folder = tmp_path / "sessions"
    save_session(session_with(explanation), folder / "old.json")
    app = make_app(backend="local", prompt="something else entirely")
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.main_screen.query_one(RunLog)
        log.write("a line of the session before")
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.infos, "the list")
        await pilot.press("enter")
        await pilot.pause()
        main = app.main_screen
        assert main.query_one("#prompt", TextArea).text == "Why is the sky blue today?"
        settings = main.query_one(RunSettings)
        assert settings.backend == "fake" and settings.model is None  # the backend's own default model
        assert (field(app, "seed").value, field(app, "max_tokens").value) == ("7", "20")
        assert settings.validate() == ExplainConfig.from_dict(dict(explanation.config))
        assert not any("session before" in line for line in log.lines)
        assert any("opened: 1 runs" in line for line in log.lines)


# -- export ----------------------------------------------------------------------------------


async def test_exporting_json_to_an_svg_name_is_questioned_first(make_app, tmp_path):
    app = make_app(session=session_with(await explained()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        screen.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        target = tmp_path / "heatmap.svg"
        screen.query_one("#export-path", Input).value = str(target)
        screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        message = str(screen.query_one("#export-message", Label).render())
        assert "heatmap.svg ends in .svg (SVG) but the format is JSON" in message
        assert not target.exists() and isinstance(app.screen, ExportScreen)
        await pilot.press("enter")  # the user meant it
        await wait_until(pilot, lambda: target.exists(), "the export")
    assert len(load_session(target).runs) == 1


# -- credentials and the palette ------------------------------------------------------------


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


async def open_keys(app, pilot) -> CredentialsScreen:
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen) and app.screen.rows, "the key table")
    await pilot.pause()
    return app.screen


async def test_without_a_keyring_the_keys_screen_offers_no_keyring(make_app, no_keyring):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_keys(app, pilot)
        prompt = str(screen.query_one("#key-prompt", Label).render())
        assert "saves it in the keyring" not in prompt and "no keyring to save it in" in prompt
        shown = {b.binding.description for b in screen.active_bindings.values() if b.binding.show}
        assert "Delete from keyring" not in shown and "Use for this session only" in shown


async def test_with_a_keyring_the_keys_screen_offers_it(make_app, memory_keyring):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_keys(app, pilot)
        assert "enter saves it in the keyring" in str(screen.query_one("#key-prompt", Label).render())
        shown = {b.binding.description for b in screen.active_bindings.values() if b.binding.show}
        assert "Delete from keyring" in shown


async def test_palette_entries_have_distinct_clear_names(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles))
        assert {"Keyboard shortcuts", "Provider credentials", "Key panel"} <= set(titles)
        assert not {"Keys", "API keys", "Key bindings"} & set(titles)


# -- the legend ----------------------------------------------------------------------------


async def test_the_legend_shows_the_scores_of_the_scale(make_app):
    explanation = await explained()
    app = make_app(session=session_with(explanation))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        legend = app.main_screen.query_one(HeatLegend)
        scale = max(abs(a) for a in explanation.attributions)
        text = str(legend.render())
        ticks = text.splitlines()[1]
        assert ticks.split() == [f"−{scale:.3g}", "0", f"+{scale:.3g}"]


# -- backends from the form ------------------------------------------------------------------


def test_an_unknown_backend_is_an_error_never_another_backend(tmp_path):
    with pytest.raises(ConfigError) as raised:
        GsmileApp(backend="x", sessions_dir=tmp_path)
    assert raised.value.field == "backend" and "unknown backend 'x'" in str(raised.value)


async def test_the_openai_compatible_backend_runs_from_the_form(make_app, provider_server, monkeypatch):
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    app = make_app(backend="openai-compatible", backend_factory=CountingFactory(),
                   config=ExplainConfig(perturbations=8, bootstrap=0))
    async with app.run_test(size=(120, 40)) as pilot:
        base_url = field(app, "base_url")
        assert not base_url.disabled and "required" in base_url.placeholder
        await pilot.press("ctrl+r")  # no base URL yet: refused at the field, in words
        await pilot.pause()
        assert "needs the server's base URL" in error_of(app, "base_url") and "--" not in error_of(app, "base_url")
        assert app.focused is base_url and not app.runner.running
        base_url.value = "localhost:8000"
        await pilot.pause()
        assert "must be an http:// or https:// URL" in error_of(app, "base_url")
        base_url.value = provider_server.openai_base_url
        await pilot.pause()
        assert error_of(app, "base_url") == ""
        before = len(app.session.runs)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(app.session.runs) > before, "the run on the server")
    assert provider_server.total_requests > 0
    assert app.session.runs[-1].explanation.provenance.backend == "openai-compatible"
    assert app.session.runs[-1].explanation.prompt == PROMPT


async def test_the_base_url_field_is_off_for_backends_without_one(make_app):
    app = make_app(backend="fake")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert field(app, "base_url").disabled
        app.main_screen.query_one("#field-backend", Select).value = "openai"
        await pilot.pause()
        assert not field(app, "base_url").disabled
