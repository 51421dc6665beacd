"""Pilot tests of every flow of the app, on the instant `fake` backend, asserting on state and
messages (what the session holds, what the log says, which backend calls were made)."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends import fail
from textual.widgets import DataTable, Input, Label, Select, Static, TextArea

from fakes.keyrings import MemoryKeyring
from gsmile_core.backends.fake import FakeBackend
from gsmile_core.evaluation.compare import compare, fairness_variants
from gsmile_core.config import ExplainConfig
from gsmile_core.backends.secrets import Secret
from gsmile_core.session import load_session, save_session
from gsmile_tui.messages import RunProgress
from gsmile_tui.palette import HeatPalette
from gsmile_tui.screens.compare import CompareScreen
from gsmile_tui.screens.credentials import CredentialsScreen
from gsmile_tui.screens.dry_run import DryRunScreen
from gsmile_tui.screens.export import ExportScreen
from gsmile_tui.screens.help import HelpScreen
from gsmile_tui.screens.sessions import SessionsScreen
from gsmile_tui.widgets.heatmap import TokenHeatmap
from gsmile_tui.widgets.run_log import RunLog
from gsmile_tui.widgets.tables import PerturbationTable, TopWordsTable

from tui_helpers import FAST, PROMPT, CountingFactory, SlowBackend, explained, session_with, wait_until


async def run_once(app, pilot) -> None:
    before = len(app.session.runs)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: len(app.session.runs) > before, "the run to finish")
    await pilot.pause()


# -- run ---------------------------------------------------------------------------------------


async def test_run_shows_heatmap_log_tables_and_autosaves(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        explanation = app.session.runs[-1].explanation
        assert explanation.prompt == PROMPT
        assert app.main_screen.query_one(TokenHeatmap).explanation is explanation
        assert app.main_screen.query_one("#tabs").active == "tab-heatmap"
        log = app.main_screen.query_one(RunLog)
        # one log line per unique prompt, as each answer arrived
        answers = [line for line in log.lines if "[model]" in line or "[cache]" in line]
        assert len(answers) == explanation.unique_prompts
        assert log.calls + log.cache_hits == explanation.unique_prompts
        assert factory.calls == explanation.model_calls
        assert any(line.startswith("finished") for line in log.lines)
        assert app.main_screen.query_one(PerturbationTable).row_count == len(explanation.perturbations)
        top = app.main_screen.query_one(TopWordsTable)
        assert top.row_count == len(explanation.features)
        # the trigger words of the fake backend rank first
        assert {explanation.ranked()[0][0].text, explanation.ranked()[1][0].text} == {"meaning", "life?"}
    saved = load_session(app.session_path)
    assert [r.explanation.to_dict() for r in saved.runs] == [explanation.to_dict()]


async def test_word_selection_shows_score_and_perturbations_without_it(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        heatmap = app.main_screen.query_one(TokenHeatmap)
        assert app.focused is heatmap
        await pilot.press("right", "right", "right")  # "meaning"
        await pilot.pause()
        assert heatmap.selected.feature.text == "meaning"
        detail = str(app.main_screen.query_one("#word-detail", Static).render())
        assert "“meaning”" in detail
        assert f"score {heatmap.selected.score:+.4f}" in detail
        assert f"{len(heatmap.selected.without)} perturbations without it" in detail
        explanation = heatmap.explanation
        assert all(not explanation.perturbations[j].mask[3] for j in heatmap.selected.without)


def test_progress_messages_coalesce_but_other_stages_do_not():
    assert RunProgress("generate", 5, 10).can_replace(RunProgress("generate", 4, 10))
    assert not RunProgress("pvalues", 1, 3).can_replace(RunProgress("generate", 4, 10))


async def test_second_run_of_the_same_prompt_is_answered_from_the_cache(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        first_calls = factory.calls
        await run_once(app, pilot)
        log = app.main_screen.query_one(RunLog)
        assert factory.calls == first_calls  # nothing asked again
        assert log.cache_hits == app.session.runs[-1].explanation.unique_prompts
        assert log.calls == 0
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert app.main_screen.shown_run == 0


# -- settings validation and bad prompts -------------------------------------------------------


async def test_invalid_setting_is_explained_next_to_the_field_and_blocks_the_run(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        field = app.main_screen.query_one("#field-perturbations", Input)
        field.value = "0"
        await pilot.pause()
        error = app.main_screen.query_one("#error-perturbations", Label)
        assert "perturbations must be a positive integer, got 0" in str(error.render())
        assert "--" not in str(error.render())  # the form names the setting in its own words
        assert error.has_class("shown") and field.has_class("-invalid")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.runner.running and factory.built == []
        field.value = "12"
        app.main_screen.query_one("#field-kernel_width", Input).value = "wide"
        await pilot.pause()
        assert not error.has_class("shown")
        assert "expected a number, got 'wide'" in str(app.main_screen.query_one("#error-kernel_width", Label).render())


async def test_empty_prompt_is_refused_before_any_backend_is_built(make_app, factory):
    app = make_app(prompt="  \n ")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "the prompt is empty" in str(app.main_screen.query_one("#prompt-error", Label).render())
        assert factory.built == [] and app.session.runs == ()


async def test_provider_failure_is_one_line_and_the_app_keeps_running(make_app):
    def broken(**_):
        from gsmile_core.errors import BackendError

        raise BackendError("fake: the server is on fire", kind="unavailable")

    app = make_app(backend_factory=CountingFactory(broken))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        log = app.main_screen.query_one(RunLog)
        await wait_until(pilot, lambda: any(l.startswith("error:") for l in log.lines), "the error line")
        assert "error: fake: the server is on fire" in log.lines
        assert app.is_running and app.session.runs == ()


# -- cancel ------------------------------------------------------------------------------------


async def test_cancel_really_stops_the_run(make_app):
    factory = CountingFactory(SlowBackend)
    config = ExplainConfig(perturbations=64, bootstrap=0, concurrency=2)
    app = make_app(backend_factory=factory, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        log = app.main_screen.query_one(RunLog)
        await wait_until(pilot, lambda: log.calls >= 3, "a few answers")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.runner.running, "the worker to stop")
        await wait_until(pilot, lambda: any("cancelled after" in l for l in log.lines), "the cancel line")
        backend = factory.built[0]
        calls_at_cancel = backend.calls
        assert backend.cancelled >= 1  # the calls in flight were cancelled, not awaited
        assert app.runner.worker.state.name == "CANCELLED"
        # the engine asks nothing more once cancelled
        await pilot.pause(0.2)
        assert backend.calls == calls_at_cancel < 64
        assert app.session.runs == ()
        # and the app can run again afterwards
        app.runner.backend_factory = CountingFactory()
        app.main_screen.query_one("#field-perturbations", Input).value = "8"
        await pilot.pause()
        await run_once(app, pilot)
        assert len(app.session.runs) == 1


# -- dry run -----------------------------------------------------------------------------------


async def test_dry_run_lists_perturbations_without_calling_a_model(make_app, factory):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, DryRunScreen)
        plan = app.screen.plan
        table = app.screen.query_one(DataTable)
        assert table.row_count == FAST.perturbations == len(plan.prompts)
        assert plan.unique_prompts == len({p.prompt for p in plan.prompts})
        text = str(app.screen.query_one("#estimate", Static).render())
        assert f"{plan.unique_prompts} unique prompts" in text
        assert "fake · model fake-rules-v1" in text
        assert factory.built == []
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DryRunScreen)


# -- compare -----------------------------------------------------------------------------------


async def test_fairness_compare_is_one_key_from_the_template(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await pilot.press("ctrl+f")
        await pilot.pause()
        expected = fairness_variants(PROMPT)
        assert [screen.query_one(f"#cmp-{i}", Input).value for i in range(3)] == [p for _, p in expected]
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.session.groups, "the comparison")
        await pilot.pause()
        group = app.session.groups[-1]
        runs = app.session.group_runs(group)
        assert [r.label for r in runs] == [label for label, _ in expected]
        oracle = compare([r.explanation for r in runs], [r.label for r in runs])
        assert screen.comparison.jaccard == oracle.jaccard
        assert screen.query_one("#deltas", DataTable).row_count == len(oracle.rows)
        jaccard = str(screen.query_one("#jaccard", Label).render())
        assert f"men's perspective {oracle.jaccard[(0, 1)]:.2f}" in jaccard
    saved = load_session(app.session_path)
    assert len(saved.groups) == 1 and len(saved.runs) == 3


# -- sessions ----------------------------------------------------------------------------------


async def test_reopen_restores_heatmap_and_tables_without_a_model(tmp_path, make_app):
    explanation = await explained()
    folder = tmp_path / "sessions"
    save_session(session_with(explanation), folder / "old.json")
    never = CountingFactory(lambda **_: pytest.fail("reopening must not build a backend"))
    app = make_app(backend_factory=never)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.infos, "the list")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SessionsScreen)
        heatmap = app.main_screen.query_one(TokenHeatmap)
        assert heatmap.explanation.to_dict() == explanation.to_dict()
        assert app.main_screen.query_one(PerturbationTable).row_count == len(explanation.perturbations)
        assert app.session_path == folder / "old.json"
    assert never.built == []


async def test_broken_and_newer_session_files_are_explained_and_left_untouched(tmp_path, make_app):
    folder = tmp_path / "sessions"
    folder.mkdir()
    broken = folder / "broken.json"
    broken.write_bytes(b'{"format": "gsmile.session", "version": 1, "runs": [')
    newer = folder / "newer.json"
    newer.write_text(json.dumps({"format": "gsmile.session", "version": 99, "runs": []}))
    before = {p: p.read_bytes() for p in (broken, newer)}
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen) and len(app.screen.infos) == 2, "the list")
        screen = app.screen
        errors = {info.path.name: info.error for info in screen.infos}
        assert "broken JSON" in errors["broken.json"]
        assert "newer than this gSMILE reads" in errors["newer.json"]
        for row in range(2):
            screen.query_one(DataTable).move_cursor(row=row)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SessionsScreen)  # not opened
            assert "cannot open" in str(screen.query_one("#sessions-message", Label).render())
        assert app.session.runs == ()
    assert {p: p.read_bytes() for p in before} == before


async def test_new_session_starts_empty(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        first_path = app.session_path
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.infos, "the list")
        await pilot.press("n")
        await pilot.pause()
        assert app.session.runs == () and app.session_path is None
        assert app.main_screen.query_one(TokenHeatmap).explanation is None
        await run_once(app, pilot)
        assert app.session_path != first_path
        assert len(load_session(first_path).runs) == 1


# -- credentials -------------------------------------------------------------------------------


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def row_of(screen: CredentialsScreen, provider: str):
    return next(r for r in screen.rows if r.provider == provider)


async def test_key_saved_to_and_deleted_from_the_keyring(make_app, memory_keyring, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    key = "sk-test-0123456789abcdef"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen) and app.screen.rows, "the key table")
        screen = app.screen
        assert row_of(screen, "openai").source == "missing"
        assert "System keyring" in str(screen.query_one("#keyring-status", Label).render())
        screen.query_one("#key-input", Input).value = key
        screen.query_one("#key-input", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: row_of(screen, "openai").source == "keyring", "the saved key")
        assert memory_keyring.store[("gsmile", "openai")] == key
        assert screen.query_one("#key-input", Input).value == ""
        assert row_of(screen, "openai").masked == Secret(key).masked() != key
        assert key not in str(screen.query_one("#keys-message", Label).render())
        screen.query_one(DataTable).focus()
        await pilot.press("f3")
        await wait_until(pilot, lambda: row_of(screen, "openai").source == "missing", "the deletion")
        assert ("gsmile", "openai") not in memory_keyring.store


async def test_without_a_keyring_the_key_is_kept_for_this_session_only(make_app, no_keyring, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    key = "test-session-only-key-9876"  # not key-shaped on purpose: secret scanners stay quiet
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen) and app.screen.rows, "the key table")
        screen = app.screen
        assert "No secure keyring here" in str(screen.query_one("#keyring-status", Label).render())
        screen.query_one(DataTable).move_cursor(row=[r.provider for r in screen.rows].index("anthropic"))
        field = screen.query_one("#key-input", Input)
        field.value = key
        field.focus()
        await pilot.press("enter")  # refused: no keyring; the key stays typed for f2
        await pilot.pause()
        assert "not saved" in str(screen.query_one("#keys-message", Label).render())
        await pilot.press("f2")
        await wait_until(pilot, lambda: row_of(screen, "anthropic").source == "this session only", "the session key")
        secret = app.session_keys["anthropic"]
        assert secret.reveal() == key and key not in repr(secret)
        assert app.backend_options("anthropic", None, FAST)["api_key"] is secret
        assert field.value == ""
        await pilot.press("f4")
        await wait_until(pilot, lambda: row_of(screen, "anthropic").source == "missing", "forgetting")


# -- theme -------------------------------------------------------------------------------------


async def test_theme_switch_recolours_the_heatmap_from_theme_variables(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        heatmap = app.main_screen.query_one(TokenHeatmap)
        seen = []
        for _ in app.gsmile_themes:
            palette = heatmap.palette()
            variables = app.current_theme.variables
            assert palette == HeatPalette.from_variables(variables)
            top = max(heatmap.supports, key=lambda s: abs(s.score))
            scale = abs(top.score)
            # the strongest word is exactly the theme's end colour
            assert palette.background(top.score, scale).hex.lower() == variables["heat-positive"].lower()
            seen.append(app.theme)
            await pilot.press("ctrl+t")
            await pilot.pause()
        assert sorted(seen) == ["gsmile-blue-orange", "gsmile-dark", "gsmile-light"]


# -- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "markdown", "json", "svg"])
async def test_export_writes_each_format(make_app, tmp_path, fmt):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        await pilot.press("f10")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        screen.query_one("#export-format", Select).value = fmt
        await pilot.pause()
        target = tmp_path / f"out.{fmt}"
        screen.query_one("#export-path", Input).value = str(target)
        screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists() and not isinstance(app.screen, ExportScreen), "the export")
    text = target.read_text(encoding="utf-8")
    if fmt == "html":
        assert "Content-Security-Policy" in text and "<script" not in text.lower()
        assert "meaning" in text
    elif fmt == "json":
        assert len(load_session(target).runs) == 1
    elif fmt == "svg":
        import xml.etree.ElementTree as ET

        ET.fromstring(text)
    else:
        assert "meaning" in text


async def test_export_of_one_run(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        app.main_screen.query_one("#prompt", TextArea).text = "The doctor checked the weather"
        await run_once(app, pilot)
        await pilot.press("left_square_bracket")
        await pilot.press("f10")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#export-scope", Select).value = "run"
        screen.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        target = tmp_path / "one.json"
        screen.query_one("#export-path", Input).value = str(target)
        screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists(), "the export")
    runs = load_session(target).runs
    assert [r.explanation.prompt for r in runs] == [PROMPT]


# -- help --------------------------------------------------------------------------------------


async def test_help_lists_the_bindings(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert ("main", "ctrl+r", "Run") in rows
        assert ("main", "esc", "Cancel") in rows
        assert ("compare", "ctrl+f", "Fairness template") in rows
        assert ("everywhere", "ctrl+t", "Next theme") in rows
        assert ("perturbations", "s", "sort by the next column") in rows
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_no_message_carries_the_typed_key(make_app, memory_keyring, monkeypatch):
    """A crash screen prints locals, and messages are locals of the dispatch frames: none may
    hold the key (Input.Changed/Submitted would)."""
    key = "sk-never-in-a-message-987654321"
    seen: list[str] = []

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen) and app.screen.rows, "the key table")
        screen = app.screen
        original_post = type(screen).post_message

        def spy(self, message):
            seen.append(repr(message))
            return original_post(self, message)

        monkeypatch.setattr(type(screen), "post_message", spy)
        field = screen.query_one("#key-input", Input)
        field.focus()
        await pilot.press(*key)
        await pilot.press("enter")
        await wait_until(pilot, lambda: ("gsmile", "openai") in memory_keyring.store, "the saved key")
        assert seen, "the spy saw no message"
        assert not any(key in text or key[:12] in text for text in seen)


async def test_a_running_comparison_keeps_its_screen_and_cancel_keeps_what_finished(make_app):
    class SlowAfterFirst(SlowBackend):
        """Instant for the first prompt's calls, slow afterwards, so one explanation finishes."""

        async def generate(self, prompt, params):
            if "perspective" not in prompt:
                return await FakeBackend.generate(self, prompt, params)
            return await super().generate(prompt, params)

    factory = CountingFactory(SlowAfterFirst)
    app = make_app(backend_factory=factory, config=ExplainConfig(perturbations=32, bootstrap=0, concurrency=1))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7", "ctrl+f", "ctrl+r")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.explanations) == 1 and app.runner.answers > 20, "the first explanation")
        await pilot.press("f8")  # refused: the comparison's messages go to this screen
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.runner.running, "the cancel")
        await pilot.pause()
        assert app.session.groups == ()
        assert [r.explanation.prompt for r in app.session.runs] == [PROMPT]  # kept as a single run
        assert "cancelled" in str(screen.query_one("#compare-status", Label).render())


async def test_missing_api_key_is_one_line_and_names_the_ways_to_set_it(make_app, memory_keyring, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = make_app(backend="openai", backend_factory=CountingFactory())  # the real create_backend
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        log = app.main_screen.query_one(RunLog)
        await wait_until(pilot, lambda: any(l.startswith("error:") for l in log.lines), "the error line")
        error = next(l for l in log.lines if l.startswith("error:"))
        assert "no OpenAI API key" in error and "OPENAI_API_KEY" in error
        assert "\n" not in error and app.session.runs == ()


async def test_a_session_only_key_is_what_the_api_backend_sends(make_app, no_keyring, provider_server, monkeypatch):
    """Over real HTTP to a fake OpenAI server: the key typed for this session is the bearer."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", provider_server.openai_base_url)
    key = "sk-session-key-for-the-fake-server"
    app = make_app(backend="openai", backend_factory=CountingFactory(), config=ExplainConfig(perturbations=8, bootstrap=0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CredentialsScreen) and app.screen.rows, "the key table")
        screen = app.screen
        field = screen.query_one("#key-input", Input)
        field.value = key
        await pilot.press("f2")
        await wait_until(pilot, lambda: row_of(screen, "openai").source == "this session only", "the session key")
        await pilot.press("escape")
        app.main_screen.query_one("#field-model", Input).value = "gpt-4o-mini"
        await run_once(app, pilot)
    headers = [r.headers for r in provider_server.requests]
    assert headers and all(h.get("authorization", h.get("Authorization")) == f"Bearer {key}" for h in headers)
    assert app.session.runs[-1].explanation.provenance.backend == "openai"
    assert key not in app.session_path.read_text(encoding="utf-8")
