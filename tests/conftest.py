"""Fixtures shared by every test directory."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# `tests/` on sys.path so test modules can `from fakes import FakeProviderServer, Fault`.
sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeProviderServer  # noqa: E402

# Test modules that copy os.environ at import time (for subprocesses) must not see the user's
# response cache or price file either: a session-wide scratch location, set before they import.
_SESSION_SCRATCH = Path(tempfile.mkdtemp(prefix="gsmile-tests-"))
atexit.register(shutil.rmtree, _SESSION_SCRATCH, ignore_errors=True)
os.environ["GSMILE_CACHE_DIR"] = str(_SESSION_SCRATCH / "cache")
os.environ["GSMILE_PRICES"] = str(_SESSION_SCRATCH / "no-prices.json")
os.environ["GSMILE_SETTINGS"] = str(_SESSION_SCRATCH / "settings.toml")


@pytest.fixture
def provider_server() -> Iterator[FakeProviderServer]:
    """A fresh fake LLM provider on 127.0.0.1 (OpenAI, Anthropic, Together wire formats)."""
    with FakeProviderServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _private_cache_and_prices(tmp_path_factory, monkeypatch) -> None:
    """Every test gets its own response cache and no user price file, so no test reads answers
    cached by another (or by the user) and none writes into ~/.cache/gsmile."""
    scratch = tmp_path_factory.mktemp("gsmile-env")
    monkeypatch.setenv("GSMILE_CACHE_DIR", str(scratch / "cache"))
    monkeypatch.setenv("GSMILE_PRICES", str(scratch / "no-prices.json"))
    monkeypatch.setenv("GSMILE_SETTINGS", str(scratch / "settings.toml"))
