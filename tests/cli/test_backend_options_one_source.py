"""The run's settings reach the backend the same way from every front end: `--concurrency` is
declared once (with the engine's flags) for every command that calls a model, is the local
model's parallel slots too, and the per-call timeout is also the API SDK's, whether the CLI or the
TUI builds the backend (both through `calls.backend_options.options_for_run`)."""

from __future__ import annotations

import pytest

from gsmile_core.cli import build_parser
from gsmile_core.cli.engine_options import engine_config_values, engine_overrides
from gsmile_core.cli.explain import backend_options, config_from_args
from gsmile_core.config import ExplainConfig
from gsmile_tui.app import GsmileApp

COMMANDS = {
    "explain": ["explain", "p"],
    "metric consistency": ["metric", "consistency", "p"],
    "experiment": ["experiment", "accuracy", "--out", "x"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_concurrency_is_one_flag_and_the_local_models_slots(name):
    argv = COMMANDS[name]
    args = build_parser(argv[0]).parse_args([*argv, "--backend", "local", "--concurrency", "3", "--timeout", "9"])
    config = config_from_args(args)
    assert config.concurrency == 3 and config.call_timeout == 9
    assert backend_options(args, config) == {"parallel": 3}
    default = build_parser(argv[0]).parse_args([*argv, "--backend", "local"])
    assert config_from_args(default).concurrency == ExplainConfig().concurrency


def test_the_deletion_test_declares_it_once_too_and_inherits_by_default():
    args = build_parser("metric").parse_args(["metric", "deletion", "e.json", "--concurrency", "3"])
    assert engine_overrides(args) == {"concurrency": 3}
    plain = build_parser("metric").parse_args(["metric", "deletion", "e.json"])
    assert engine_overrides(plain) == {}
    assert engine_config_values(plain)["concurrency"] is None  # None: the explanation's own


@pytest.mark.parametrize("backend", ["local", "fake", "openai", "anthropic", "together"])
def test_cli_and_tui_build_the_same_backend_options(backend, monkeypatch, tmp_path):
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHER_API_KEY"):
        monkeypatch.setenv(name, "sk-test-0123456789abcdef")
    config = ExplainConfig(concurrency=3, call_timeout=9)
    args = build_parser("explain").parse_args(["explain", "p", "--backend", backend, "--model", "m",
                                               "--concurrency", "3", "--timeout", "9"])
    cli = backend_options(args, config_from_args(args))
    app = GsmileApp(backend=backend, config=config, sessions_dir=tmp_path)
    tui = app.backend_options(backend, "m", config)
    cli.pop("api_key", None)  # the CLI resolves the key now; the TUI only passes a session key
    assert cli == tui
    if backend == "local":
        assert tui["parallel"] == 3
    if backend in ("openai", "anthropic", "together"):
        assert tui["timeout"] == 9
