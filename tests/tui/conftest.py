"""Fixtures of the TUI tests: an app on the instant `fake` backend with its own session folder."""

from __future__ import annotations

import pytest

from gsmile_core.session import Session
from gsmile_tui.app import GsmileApp
from tui_helpers import FAST, FIXED_TIME, PROMPT, CountingFactory


@pytest.fixture
def factory() -> CountingFactory:
    return CountingFactory()


@pytest.fixture
def make_app(tmp_path, factory):
    def build(**kwargs) -> GsmileApp:
        kwargs.setdefault("prompt", PROMPT)
        kwargs.setdefault("backend", "fake")
        kwargs.setdefault("config", FAST)
        kwargs.setdefault("sessions_dir", tmp_path / "sessions")
        kwargs.setdefault("backend_factory", factory)
        kwargs.setdefault("session", Session.new("audit", now=FIXED_TIME, session_id="s1"))
        return GsmileApp(**kwargs)

    return build
