"""A response cache locked by another program (a real sqlite connection holding the write lock)
does not abort the run: the engine waits with backoff, says so once, and carries on when the lock
goes; if it never goes, the run finishes without the cache and says that too. Through the CLI:
`gsmile explain` waits for a lock the test releases only after the CLI has said it is waiting."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from scripted_backend import ScriptedBackend

from gsmile_core.calls.cache import CACHE_FILE, ResponseCache
from gsmile_core.calls.cache_gate import LockWait
from gsmile_core.calls.engine import CallEngine
from gsmile_core.events import Notice
from gsmile_core.types import GenerationParams


def hold_write_lock(directory) -> sqlite3.Connection:
    """Another program's connection in the middle of a write transaction."""
    other = sqlite3.connect(directory / CACHE_FILE, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT OR REPLACE INTO responses (key, provider, model, created, value) VALUES ('x', 'p', 'm', 0, '{}')")
    return other


class ReleasingSleep:
    """Does not wait; lets the other program commit after `release_after` waits."""

    def __init__(self, other: sqlite3.Connection | None, release_after: int) -> None:
        self.other, self.release_after, self.delays = other, release_after, []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.other is not None and len(self.delays) == self.release_after:
            self.other.execute("COMMIT")


def notices(events):
    return [(e.level, e.message) for e in events if isinstance(e, Notice)]


async def test_a_locked_cache_is_waited_for_with_backoff_and_the_answers_are_stored(tmp_path):
    cache = ResponseCache(tmp_path)
    other = hold_write_lock(tmp_path)
    sleep, events = ReleasingSleep(other, release_after=4), []
    engine = CallEngine(ScriptedBackend(), GenerationParams(max_tokens=16), cache=cache, sleep=sleep,
                        on_event=events.append, concurrency=4)
    answers, _ = await engine.generate_all([f"p{i}" for i in range(6)])
    assert len(answers) == 6
    assert sleep.delays == [0.5, 1.0, 2.0, 4.0]  # backoff, and one waiter for all the workers
    said = notices(events)
    assert said[0][0] == "warning" and "is locked by another program; waiting for it" in said[0][1]
    assert said[1:] == [("info", "the response cache is free again; carrying on")]
    assert len(cache) == 6 + 1  # every answer stored, and the other program's row
    other.close()
    cache.close()


async def test_a_cache_locked_for_good_is_given_up_and_the_run_finishes(tmp_path):
    cache = ResponseCache(tmp_path)
    other = hold_write_lock(tmp_path)
    sleep, events = ReleasingSleep(None, 0), []
    engine = CallEngine(ScriptedBackend(), GenerationParams(max_tokens=16), cache=cache, sleep=sleep,
                        on_event=events.append, cache_wait=LockWait(first=1, longest=4, patience=10))
    answers, _ = await engine.generate_all(["a", "b", "c"])
    assert sorted(answers) == ["a", "b", "c"]
    assert sleep.delays == [1, 2, 4, 3]  # 10 s of patience in all, then no more waiting
    said = notices(events)
    assert len(said) == 2 and "still, after 10 s: this run goes on without it" in said[1][1]
    other.execute("ROLLBACK")
    assert len(cache) == 0
    other.close()
    cache.close()


def test_the_cli_waits_for_a_locked_cache_and_says_so(tmp_path):
    cache_dir = tmp_path / "cache"
    ResponseCache(cache_dir).close()
    other = hold_write_lock(cache_dir)
    command = [sys.executable, "-m", "gsmile_core", "explain", "What is the meaning of life?", "--backend", "fake",
               "-n", "8", "--bootstrap", "50", "--cache-dir", str(cache_dir), "--json", str(tmp_path / "e.json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200"})
    seen = []
    try:
        for line in process.stderr:  # the lock is held until the CLI says it is waiting
            seen.append(line)
            if "locked by another program; waiting for it" in line:
                break
        other.execute("COMMIT")
        out, rest = process.communicate(timeout=120)
    finally:
        other.close()
        if process.poll() is None:
            process.kill()
    stderr = "".join(seen) + rest
    assert process.returncode == 0, stderr
    assert "the response cache is free again" in stderr and "Prompt heatmap" in out
    asked = json.loads((tmp_path / "e.json").read_text())["unique_prompts"]
    with ResponseCache(cache_dir) as cache:
        assert len(cache) == asked + 1  # every answer, and the other program's row
