"""The one writer: atomic over regular files, through devices, FIFOs and symlinks, never a rename
over a path that is not a regular file; and the check that runs before any model call."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from gsmile_core.atomic import check_writable, write_text_atomic
from gsmile_core.errors import GsmileError


def read_fifo_in_background(path: Path) -> tuple[threading.Thread, list[str]]:
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(path.read_text()), daemon=True)
    reader.start()
    return reader, received


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader, received = read_fifo_in_background(fifo)
    write_text_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary left


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_dangling_symlink_creates_the_file_it_names(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to("made.json")
    write_text_atomic(link, "made\n")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "made\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_is_written_through_and_stays_a_device(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the same device as /dev/null
    write_text_atomic(null, "discarded\n")
    mode = os.lstat(null).st_mode
    assert stat.S_ISCHR(mode) and os.major(os.lstat(null).st_rdev) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_folder_is_refused_in_one_line(tmp_path):
    with pytest.raises(GsmileError, match="it is a folder"):
        write_text_atomic(tmp_path, "x")
    with pytest.raises(GsmileError, match="it is a folder"):
        check_writable(tmp_path)


def test_check_writable_probes_the_folder_and_leaves_nothing(tmp_path):
    check_writable(tmp_path / "new.json")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(GsmileError, match="folder .* does not exist"):
        check_writable(tmp_path / "missing" / "x.json")
    with pytest.raises(GsmileError, match=r"cannot write /proc/x\.json: folder /proc takes no new file"):
        check_writable("/proc/x.json")


def test_check_writable_does_not_open_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    check_writable(fifo)  # returns at once: opening it would wait for a reader


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_writable_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(GsmileError, match="takes no new file"):
            check_writable(folder / "x.json")
    finally:
        folder.chmod(0o700)
