"""`gsmile keys set|delete|list`, in-process with real keyring backends and in a real pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import keyring.backends.null
import pytest
from fakes.keyrings import MemoryKeyring

from gsmile_core.cli import main
from gsmile_core.backends.secrets import SERVICE

VALUE = "sk-proj-KEYSCLI0123456789abcdefc3d4"
REPO = Path(__file__).resolve().parents[2]


def run_cli(args, capsys, monkeypatch, stdin_text: str | None = None):
    if stdin_text is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin_text))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_set_reads_stdin_saves_and_verifies(memory_keyring, capsys, monkeypatch):
    code, out, err = run_cli(["keys", "set", "openai"], capsys, monkeypatch, VALUE + "\n")
    assert code == 0
    assert memory_keyring.store[(SERVICE, "openai")] == VALUE
    assert "read back and verified" in err and "sk-…c3d4" in err
    assert VALUE not in out + err


def test_set_mentions_an_overriding_env_var(memory_keyring, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-0000000000000000")
    code, _, err = run_cli(["keys", "set", "openai"], capsys, monkeypatch, VALUE + "\n")
    assert code == 0 and "OPENAI_API_KEY is set in this environment and takes precedence" in err


def test_key_is_never_taken_from_argv(memory_keyring, capsys, monkeypatch):
    code, _, err = run_cli(["keys", "set", "openai", VALUE], capsys, monkeypatch, "")
    assert code == 2 and err.startswith("gsmile: error: unrecognized arguments")
    assert memory_keyring.store == {}


def test_set_empty_key(memory_keyring, capsys, monkeypatch):
    code, _, err = run_cli(["keys", "set", "anthropic"], capsys, monkeypatch, "\n")
    assert code == 2 and err == "gsmile: error: the API key is empty\n"


def test_set_without_a_keyring_says_what_to_do(no_keyring, capsys, monkeypatch):
    code, _, err = run_cli(["keys", "set", "together"], capsys, monkeypatch, VALUE + "\n")
    assert code == 2
    assert err.count("\n") == 1
    assert "no system keyring is available here" in err and "set TOGETHER_API_KEY" in err


def test_set_with_the_null_keyring(use_keyring, capsys, monkeypatch):
    use_keyring(keyring.backends.null.Keyring())
    code, _, err = run_cli(["keys", "set", "openai"], capsys, monkeypatch, VALUE + "\n")
    assert code == 2 and "disabled" in err and "OPENAI_API_KEY" in err


def test_delete(memory_keyring, capsys, monkeypatch):
    memory_keyring.set_password(SERVICE, "anthropic", VALUE)
    code, _, err = run_cli(["keys", "delete", "anthropic"], capsys, monkeypatch)
    assert code == 0 and "deleted" in err and memory_keyring.store == {}
    code, _, err = run_cli(["keys", "delete", "anthropic"], capsys, monkeypatch)
    assert code == 2 and "no anthropic key is stored" in err


def test_unknown_provider_and_missing_action(memory_keyring, capsys, monkeypatch):
    code, _, err = run_cli(["keys", "set", "mistral"], capsys, monkeypatch, VALUE)
    assert code == 2 and "invalid choice: 'mistral'" in err
    code, _, err = run_cli(["keys"], capsys, monkeypatch)
    assert code == 2 and "gsmile keys set|delete|list" in err


def test_list_shows_source_mask_and_destination_never_the_key(memory_keyring, capsys, monkeypatch):
    memory_keyring.set_password(SERVICE, "anthropic", VALUE)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-ABCDEFGHIJKLMNOPe5f6")
    monkeypatch.setenv("TOGETHER_BASE_URL", "http://10.0.0.5:9000")
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run_cli(["keys", "list"], capsys, monkeypatch)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip() and line.split()[0] in
            ("openai", "anthropic", "together", "openai-compatible")}
    assert "env OPENAI_API_KEY" in rows["openai"] and "sk-…e5f6" in rows["openai"]
    assert "https://api.openai.com/v1" in rows["openai"]
    assert "keyring" in rows["anthropic"] and "sk-…c3d4" in rows["anthropic"]
    assert "https://api.anthropic.com" in rows["anthropic"]
    assert "not set" in rows["together"] and "http://10.0.0.5:9000" in rows["together"]
    assert "--base-url" in rows["openai-compatible"]
    assert VALUE not in out + err and "sk-env-ABCDEFGHIJKLMNOPe5f6" not in out + err
    assert "keyring: " in out


def test_list_without_a_keyring(no_keyring, capsys, monkeypatch):
    code, out, _ = run_cli(["keys", "list"], capsys, monkeypatch)
    assert code == 0
    assert "unusable" in " ".join(out.split()) and "no system keyring is available here" in " ".join(out.split())


def test_list_shows_outside_text_literally_not_as_markup(use_keyring, capsys, monkeypatch):
    class Exploding(MemoryKeyring):
        def get_password(self, service, username):
            raise RuntimeError(f"dbus [bold]said[/bold] no to {VALUE}")

    use_keyring(Exploding())
    monkeypatch.setenv("COLUMNS", "300")
    code, out, err = run_cli(["keys", "list"], capsys, monkeypatch)
    assert code == 0
    assert "dbus [bold]said[/bold] no to [redacted]" in out
    assert VALUE not in out + err


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_hidden_prompt_in_a_real_terminal(tmp_path):
    """On a terminal the key is read with echo off: it never appears on screen or in argv."""
    store = tmp_path / "keyring.json"
    env = dict(os.environ)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TOGETHER_API_KEY"):
        env.pop(name, None)
    env.update(
        PYTHON_KEYRING_BACKEND="fakes.keyrings.JsonFileKeyring",
        GSMILE_TEST_KEYRING_FILE=str(store),
        PYTHONPATH=os.pathsep.join([str(REPO / "tests"), str(REPO)]),
    )
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "gsmile_core", "keys", "set", "openai"],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path,
        start_new_session=True,  # no controlling terminal: getpass uses stdin (the pty) with echo off
    )
    os.close(slave)
    screen = b""

    def read_until(marker: bytes, timeout: float = 30.0) -> None:
        nonlocal screen
        deadline = time.monotonic() + timeout
        while marker not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk

    try:
        read_until(b"(input hidden)")
        assert b"(input hidden)" in screen
        os.write(master, VALUE.encode() + b"\n")
        read_until(b"verified")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert b"verified" in screen
    assert VALUE.encode() not in screen  # echo was off
    assert json.loads(store.read_text()) == {f"{SERVICE}/openai": VALUE}
