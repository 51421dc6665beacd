"""Snapshot tests (pytest-textual-snapshot) of every screen at 80×24, and of the heatmap in
every theme. Timings, timestamps and ids are fixed (`tui_helpers.frozen`, a fixed session), the
cursor does not blink, and the sessions folder has a fixed name, so a changed picture means a
changed UI. Update after a deliberate change with `pytest tests/tui --snapshot-update` and look
at the pictures (`snapshot_report.html`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import keyring
import pytest
from textual.widgets import Input, TextArea

from fakes.keyrings import MemoryKeyring
from gsmile_core.evaluation.compare import fairness_variants
from gsmile_core.session import Session, save_session
from gsmile_tui.app import GsmileApp
from gsmile_tui.widgets.heatmap import TokenHeatmap
from tui_helpers import FAST, FIXED_TIME, PROMPT, CountingFactory, explain_fake, session_with, wait_until

SNAPSHOT_SESSIONS = Path("/tmp/gsmile-snapshot-sessions")
SIZE = (80, 24)


@pytest.fixture(scope="module")
def explanation():
    return explain_fake()


@pytest.fixture
def sessions_dir():
    shutil.rmtree(SNAPSHOT_SESSIONS, ignore_errors=True)
    SNAPSHOT_SESSIONS.mkdir(parents=True)
    yield SNAPSHOT_SESSIONS
    shutil.rmtree(SNAPSHOT_SESSIONS, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch):
    for name in ("OPENAI", "ANTHROPIC", "TOGETHER", "OPENAI_COMPATIBLE"):
        monkeypatch.delenv(f"{name}_API_KEY", raising=False)
        monkeypatch.delenv(f"{name}_BASE_URL", raising=False)


def app_with(session: Session | None = None, sessions_dir: Path = SNAPSHOT_SESSIONS, **kwargs) -> GsmileApp:
    return GsmileApp(
        prompt=PROMPT,
        backend="fake",
        config=FAST,
        sessions_dir=sessions_dir,
        session=session or Session.new("audit", now=FIXED_TIME, session_id="s1"),
        backend_factory=CountingFactory(),
        **kwargs,
    )


def freeze(pilot):
    for widget in pilot.app.screen.query("TextArea, Input"):
        widget.cursor_blink = False


def steps(*keys: str, focus_heatmap: bool = False):
    async def run_before(pilot):
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        if focus_heatmap:
            pilot.app.screen.query_one(TokenHeatmap).focus()
        freeze(pilot)
        await pilot.pause()

    return run_before


def test_prompt_screen(snap_compare, sessions_dir):
    assert snap_compare(app_with(), run_before=steps(), terminal_size=SIZE)


def test_prompt_screen_with_invalid_setting(snap_compare, sessions_dir):
    async def run_before(pilot):
        await pilot.pause()
        pilot.app.screen.query_one("#field-perturbations", Input).value = "0"
        freeze(pilot)
        await pilot.pause()

    assert snap_compare(app_with(), run_before=run_before, terminal_size=SIZE)


def test_log_after_a_run(snap_compare, sessions_dir):
    async def run_before(pilot):
        app = pilot.app
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.session.runs, "the run")
        await pilot.press("f3")
        freeze(pilot)
        log = app.screen.query_one("#log")
        await wait_until(pilot, lambda: log.virtual_size.height > log.size.height, "the log lines")
        log.scroll_end(animate=False, immediate=True)
        await wait_until(pilot, lambda: log.scroll_y == log.max_scroll_y, "the end of the log")
        await pilot.pause()

    assert snap_compare(app_with(), run_before=run_before, terminal_size=SIZE)


@pytest.mark.parametrize("theme", ["gsmile-dark", "gsmile-light", "gsmile-blue-orange"])
def test_heatmap_in_every_theme(snap_compare, sessions_dir, explanation, theme):
    app = app_with(session_with(explanation), theme=theme)
    assert snap_compare(app, run_before=steps("f4", focus_heatmap=True), terminal_size=SIZE)


def test_heatmap_word_selected(snap_compare, sessions_dir, explanation):
    app = app_with(session_with(explanation))
    assert snap_compare(app, run_before=steps("f4", focus_heatmap=True) , press=["right", "right", "right"], terminal_size=SIZE)


def test_metrics(snap_compare, sessions_dir, explanation):
    assert snap_compare(app_with(session_with(explanation)), run_before=steps("f5"), terminal_size=SIZE)


def test_perturbations_sorted(snap_compare, sessions_dir, explanation):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f6")
        pilot.app.screen.query_one("#perturbations").focus()
        await pilot.press("s", "s", "s", "s", "s", "r")  # by output distance, descending
        freeze(pilot)
        await pilot.pause()

    assert snap_compare(app_with(session_with(explanation)), run_before=run_before, terminal_size=SIZE)


def test_dry_run(snap_compare, sessions_dir):
    assert snap_compare(app_with(), run_before=steps("ctrl+g"), terminal_size=SIZE)


def test_help(snap_compare, sessions_dir):
    assert snap_compare(app_with(), run_before=steps("f1"), terminal_size=SIZE)


def test_compare_restored_from_the_session(snap_compare, sessions_dir):
    variants = fairness_variants(PROMPT)
    explanations = [explain_fake(prompt) for _, prompt in variants]
    session = session_with(*explanations, compare_labels=tuple(label for label, _ in variants))
    assert snap_compare(app_with(session), run_before=steps("f7"), terminal_size=SIZE)


def test_sessions_list_with_a_broken_file(snap_compare, sessions_dir, explanation):
    save_session(session_with(explanation), sessions_dir / "audit.json")
    (sessions_dir / "broken.json").write_text("{ not json")

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f8")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "infos", None), "the list")
        await pilot.pause()

    assert snap_compare(app_with(), run_before=run_before, terminal_size=SIZE)


def test_credentials(snap_compare, sessions_dir):
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    store.set_password("gsmile", "together", "tgp_v1_abcdefghijklmnop")
    keyring.set_keyring(store)
    try:

        async def run_before(pilot):
            await pilot.pause()
            await pilot.press("f9")
            await wait_until(pilot, lambda: getattr(pilot.app.screen, "rows", None), "the key table")
            freeze(pilot)
            await pilot.pause()

        assert snap_compare(app_with(), run_before=run_before, terminal_size=SIZE)
    finally:
        keyring.set_keyring(previous)


def test_export(snap_compare, sessions_dir, explanation):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f10")
        for _ in range(100):  # under load the dialog may take more than one pause to mount
            if pilot.app.screen.query("#export-path"):
                break
            await pilot.pause(0.05)
        path = pilot.app.screen.query_one("#export-path", Input)
        path.value = "/tmp/audit-report.html"
        freeze(pilot)
        path.blur()  # no caret in the picture: whether it showed depended on mount timing
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app_with(session_with(explanation)), run_before=run_before, terminal_size=SIZE)


def session_with_checks(explanation) -> Session:
    """A run with one check of each kind, computed on the fake backend, timestamps fixed."""
    import asyncio
    import dataclasses

    from gsmile_core.backends.fake import FakeBackend
    from gsmile_core.evaluation.checks import CheckInputs, run_check

    session = session_with(explanation)
    for kind in ("stability", "consistency", "deletion"):
        check = asyncio.run(run_check(kind, explanation, FakeBackend(), CheckInputs(repeats=3, random_orders=2)))
        session = session.with_check("r1", dataclasses.replace(check, created_at=FIXED_TIME), now=FIXED_TIME)
    return session


def test_checks_with_results(snap_compare, sessions_dir, explanation):
    app = app_with(session_with_checks(explanation))
    assert snap_compare(app, run_before=steps("f12"), terminal_size=SIZE)


def test_checks_deletion_tables(snap_compare, sessions_dir, explanation):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f12")
        freeze(pilot)
        view = pilot.app.screen.query_one("#checks")
        view.scroll_to_widget(view.query_one("#table-deletion"), animate=False, top=True, immediate=True)
        await wait_until(pilot, lambda: view.scroll_y > 0, "the deletion tables")
        await pilot.pause()

    assert snap_compare(app_with(session_with_checks(explanation)), run_before=run_before, terminal_size=SIZE)


# -- long prompts (issue #12) --------------------------------------------------------------------

SENTENCES = " ".join(
    ["The clinic opens early on weekdays.", "Yesterday the doctor walked along the ocean.",
     "Nobody asked about the weather.", "The staff kept their notes in order.",
     "Visitors waited in the hall.", "The building was painted last spring."] * 2
)


@pytest.fixture(scope="module")
def drilled_explanation():
    import asyncio

    from gsmile_core.backends.fake import FakeBackend
    from gsmile_core.drill_down import explain_drill_down
    from tui_helpers import frozen

    config = FAST.with_changes(unit="sentence", kernel_width="uniform")
    return frozen(asyncio.run(explain_drill_down(SENTENCES, FakeBackend(), config, 1)))


def test_prompt_file_dialog_with_an_error(snap_compare, sessions_dir):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-file-path", Input).value = "/nonexistent/contract.txt"
        await pilot.press("enter")
        freeze(pilot)
        await pilot.pause()

    assert snap_compare(app_with(), run_before=run_before, terminal_size=SIZE)


def test_heatmap_of_sentences_with_a_unit_expanded(snap_compare, sessions_dir, drilled_explanation):
    unit = drilled_explanation.extras["drill_down"]["units"][0]

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f4")
        heatmap = pilot.app.screen.query_one("#heatmap", TokenHeatmap)
        heatmap.focus()
        heatmap.cursor = unit
        await pilot.press("enter")
        freeze(pilot)
        await pilot.pause()

    app = app_with(session_with(drilled_explanation))
    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_answer_sentence_selected(snap_compare, sessions_dir, explanation):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("f4")
        pilot.app.screen.query_one("#answer").focus()
        await pilot.press("down")
        freeze(pilot)
        await pilot.pause()

    assert snap_compare(app_with(session_with(explanation)), run_before=run_before, terminal_size=SIZE)
