"""Settings and theme kept between launches in the settings file (TOML, never a secret); a file
that cannot be used is reported in one line and left as it is."""

from __future__ import annotations

import tomllib

from textual.widgets import Input, Select

from gsmile_core import paths
from gsmile_core.backends.secrets import Secret
from gsmile_core.config import ExplainConfig
from gsmile_tui.app import GsmileApp
from gsmile_tui.saved_settings import SavedSettings, from_toml, load_settings, to_toml
from gsmile_tui.widgets.settings import BackendChoice, RunSettings
from tui_helpers import CountingFactory, wait_until

CANARY_ENV = "sk-env-canary-0000000000000000"
CANARY_SESSION = "sk-session-canary-1111111111111111"


def launch(tmp_path, **kwargs) -> GsmileApp:
    """The app as `gsmile tui` starts it: nothing given but what the test passes."""
    return GsmileApp(sessions_dir=tmp_path / "sessions", backend_factory=CountingFactory(), **kwargs)


async def test_settings_and_theme_come_back_at_the_next_launch_without_any_key(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY_ENV)
    settings_file = paths.settings_file()
    first = launch(tmp_path, prompt="What is the meaning of life?", backend="fake")
    async with first.run_test(size=(120, 40)) as pilot:
        first.session_keys["openai"] = Secret(CANARY_SESSION)
        main = first.main_screen
        for name, value in (("seed", "7"), ("perturbations", "12"), ("bootstrap", "0"),
                            ("system_prompt", "Answer briefly."), ("max_calls", "40"), ("call_timeout", "30")):
            main.query_one(f"#field-{name}", Input).value = value
        main.query_one("#field-sampler", Select).value = "bernoulli"
        await pilot.press("ctrl+t")  # the next gSMILE theme
        theme = first.theme
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: first.session.runs, "the run")
    text = settings_file.read_text(encoding="utf-8")
    assert CANARY_ENV not in text and CANARY_SESSION not in text and "key" not in text.lower()
    stored = tomllib.loads(text)
    assert stored["theme"] == theme and stored["backend"]["name"] == "fake" and stored["run"]["seed"] == 7

    second = launch(tmp_path)
    async with second.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert second.theme == theme and second.startup_warnings == []
        settings = second.main_screen.query_one(RunSettings)
        assert settings.backend == "fake"
        config = settings.validate()
        assert (config.seed, config.perturbations, config.bootstrap, config.sampler) == (7, 12, 0, "bernoulli")
        assert (config.system_prompt, config.max_calls, config.call_timeout) == ("Answer briefly.", 40, 30.0)


async def test_what_is_given_at_launch_wins_over_the_saved_settings(tmp_path):
    paths.settings_file().write_text(to_toml(SavedSettings(
        BackendChoice("openai-compatible", "my-model", "http://127.0.0.1:8000/v1"),
        ExplainConfig(seed=5), "gsmile-light",
    )))
    app = launch(tmp_path, backend="fake", theme="gsmile-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        settings = app.main_screen.query_one(RunSettings)
        assert (settings.backend, settings.model, app.theme) == ("fake", None, "gsmile-dark")
        assert settings.validate().seed == 5  # not given at launch: the saved one
    app = launch(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        settings = app.main_screen.query_one(RunSettings)
        assert settings.choice == BackendChoice("openai-compatible", "my-model", "http://127.0.0.1:8000/v1")


def test_a_base_url_is_kept_without_its_query():
    text = to_toml(SavedSettings(BackendChoice("openai-compatible", "m", "https://h.example/v1?api-key=abc#frag")))
    assert "abc" not in text and "frag" not in text
    assert from_toml(text).choice.base_url == "https://h.example/v1"


async def test_a_broken_settings_file_is_one_line_and_left_as_it_is(tmp_path):
    settings_file = paths.settings_file()
    broken = "theme = 'gsmile-light'\n[run\nseed = 3\n"
    settings_file.write_text(broken)
    app = launch(tmp_path, prompt="What is the meaning of life?", backend="fake",
                 config=ExplainConfig(perturbations=8, bootstrap=0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        warning, = app.startup_warnings
        assert warning.startswith(f"settings file {settings_file} ignored (left as it is): not valid TOML")
        assert "\n" not in warning
        await pilot.press("ctrl+t", "ctrl+r")
        await wait_until(pilot, lambda: app.session.runs, "the run")
    assert settings_file.read_text() == broken  # never written over


def test_bad_values_and_unknown_backends_in_the_file_are_reported():
    for text, words in (
        ("[run]\nperturbations = 0\n", "[run] perturbations: perturbations must be a positive integer"),
        ("[run]\nmax_words = 3\n", "[run] has unknown settings: max_words"),
        ("[backend]\nname = 'x'\n", "unknown backend 'x'"),
        ("format = 9\n", "format 9 is not one this version reads"),
    ):
        path = paths.settings_file()
        path.write_text(text)
        settings, problem = load_settings(path)
        assert settings == SavedSettings() and settings.unreadable
        assert words in problem and "\n" not in problem


def test_no_file_is_no_settings_and_no_problem():
    assert load_settings(paths.settings_file()) == (SavedSettings(), None)
