"""The TUI writes files through the core's one writer: an export through a symlink keeps the link,
an export into a FIFO reaches its reader (nothing is renamed over either), and the autosave is a
locked session change like the CLI's."""

from __future__ import annotations

import os
import stat
import threading

from textual.widgets import Input, Select

from gsmile_core.session import load_session
from gsmile_core.session.lock import lock_path
from gsmile_tui.screens.export import ExportScreen
from tui_helpers import wait_until


async def run_once(app, pilot) -> None:
    before = len(app.session.runs)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: len(app.session.runs) > before, "the run to finish")
    await pilot.pause()


async def export_to(app, pilot, target, fmt: str) -> None:
    await pilot.press("f10")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ExportScreen)
    screen.query_one("#export-format", Select).value = fmt
    await pilot.pause()
    screen.query_one("#export-path", Input).value = str(target)
    screen.query_one("#export-path", Input).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), "the export")


async def test_an_export_through_a_symlink_keeps_the_link(make_app, tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "report.md"
    link.symlink_to(real.name)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        await export_to(app, pilot, link, "markdown")
    assert link.is_symlink() and "meaning" in real.read_text()


async def test_an_export_into_a_fifo_reaches_its_reader(make_app, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        await export_to(app, pilot, fifo, "json")
        await wait_until(pilot, lambda: received, "the reader")
    assert '"gsmile.session"' in received[0] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


async def test_the_autosave_waits_for_the_session_lock(make_app, tmp_path):
    """While another process holds the session file's lock, the TUI's save waits for it."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_once(app, pilot)
        path = app.session_path
        import fcntl

        companion = lock_path(path)
        held = os.open(companion, os.O_RDWR | os.O_CREAT)
        fcntl.flock(held, fcntl.LOCK_EX)
        saved = threading.Event()
        saver = threading.Thread(target=lambda: (app.autosave(), saved.set()), daemon=True)
        saver.start()
        assert not saved.wait(0.5)  # blocked on the lock
        os.unlink(companion)
        os.close(held)
        saver.join(timeout=30)
        assert saved.is_set()
    assert len(load_session(path).runs) == 1
