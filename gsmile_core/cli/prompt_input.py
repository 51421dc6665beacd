"""The prompt as the user gave it: an argument, stdin (`-`) or `--prompt-file`, one rule for all.

Every source must be UTF-8 text. Bytes that are not are refused with exit 2 and one line naming
the first bad byte, rather than replaced: the prompt is the thing being explained, and a silently
changed prompt would be explained instead. (Python hands argv and, under a C locale, stdin over
with such bytes as lone surrogates, which could be neither sent nor used as a cache key.) A
leading byte-order mark is dropped; a prompt of only invisible characters is empty (the core's
`prepare_prompt` says so).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import ConfigError
from ..sanitize import lone_surrogate_at
from ..text_files import decode_user_text, read_user_text


def read_prompt(value: str | None, prompt_file: str | None = None) -> str:
    """The prompt from the argument, stdin (`-`) or `--prompt-file`; exactly one of them."""
    if prompt_file is not None:
        if value is not None:
            raise ConfigError("give the prompt as an argument or with --prompt-file, not both")
        return read_prompt_file(Path(prompt_file))
    if value is None:
        raise ConfigError("no prompt: give it as an argument, - for stdin, or --prompt-file PATH")
    if value == "-":
        return decode_user_text(sys.stdin.buffer.read(), "the prompt on stdin")
    if lone_surrogate_at(value) is not None:
        return decode_user_text(os.fsencode(value), "the prompt argument")  # raises, naming the byte
    return value.removeprefix("\ufeff")


def read_prompt_file(path: Path) -> str:
    """A prompt file's text (`text_files.read_user_text`)."""
    return read_user_text(path, "prompt file")
