"""Prompts that are not clean UTF-8 text: refused in one line (exit 2) from argv, stdin and files
alike; a byte-order mark dropped; a prompt of only invisible characters is empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gsmile_core.backends import create_backend
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.pipeline import explain_sync

GSMILE = [sys.executable, "-m", "gsmile_core"]
FAST = ["--backend", "fake", "-n", "8", "--bootstrap", "0", "--ci-resamples", "0", "--interactions", "0"]
BAD = b"What is the \xff meaning"


def gsmile(*args: bytes | str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}
    return subprocess.run([*GSMILE, *args], input=stdin, capture_output=True, env=env, timeout=300)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("gsmile: error: "), err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("source", ["argv", "stdin", "file"])
def test_invalid_utf8_is_refused_in_one_line_naming_the_byte(tmp_path, source):
    if source == "argv":
        result = gsmile("explain", BAD, *FAST)
        where = "the prompt argument"
    elif source == "stdin":
        result = gsmile("explain", "-", *FAST, stdin=BAD)
        where = "the prompt on stdin"
    else:
        path = tmp_path / "prompt.txt"
        path.write_bytes(BAD)
        result = gsmile("explain", "--prompt-file", str(path), *FAST)
        where = f"prompt file {path}"
    assert one_error_line(result) == f"gsmile: error: {where} is not UTF-8 text (byte 12 is 0xff); convert it, e.g. with iconv"


@pytest.mark.parametrize("source", ["argv", "stdin", "file"])
def test_a_byte_order_mark_is_dropped(tmp_path, source):
    text = "\ufeffthe ocean today"
    if source == "argv":
        result = gsmile("explain", text, *FAST, "--json", "-")
    elif source == "stdin":
        result = gsmile("explain", "-", *FAST, "--json", "-", stdin=text.encode())
    else:
        path = tmp_path / "prompt.txt"
        path.write_bytes(text.encode())
        result = gsmile("explain", "--prompt-file", str(path), *FAST, "--json", "-")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["prompt"] == "the ocean today" and data["features"][0]["text"] == "the"


@pytest.mark.parametrize("invisible", ["\u200b\u200b", "\ufeff", "\u200d \u2060\u00ad", "\u3164", "\ufe0f\u200c\n\t"])
def test_a_prompt_of_only_invisible_characters_is_empty(invisible):
    result = gsmile("explain", invisible, *FAST)
    assert one_error_line(result).startswith("gsmile: error: the prompt is empty")


@pytest.mark.parametrize("prompt", ["What is the \udcff meaning", "\u200b\u2060", "\ufeff"])
def test_the_core_refuses_the_same_prompts_from_python(prompt):
    with pytest.raises(ConfigError, match="not valid UTF-8|the prompt is empty"):
        explain_sync(prompt, create_backend("fake"), ExplainConfig(perturbations=8))


def test_the_core_drops_a_leading_byte_order_mark():
    explanation = explain_sync("\ufeffthe ocean today", create_backend("fake"),
                               ExplainConfig(perturbations=8, bootstrap=0, ci_resamples=0, interactions=0))
    assert explanation.prompt == "the ocean today"
