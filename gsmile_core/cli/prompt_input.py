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


def read_prompt(value: str | None, prompt_file: str | None = None) -> str:
    """The prompt from the argument, stdin (`-`) or `--prompt-file`; exactly one of them."""
    if prompt_file is not None:
        if value is not None:
            raise ConfigError("give the prompt as an argument or with --prompt-file, not both")
        return read_prompt_file(Path(prompt_file))
    if value is None:
        raise ConfigError("no prompt: give it as an argument, - for stdin, or --prompt-file PATH")
    if value == "-":
        return decode_prompt(sys.stdin.buffer.read(), "the prompt on stdin")
    if lone_surrogate_at(value) is not None:
        return decode_prompt(os.fsencode(value), "the prompt argument")  # raises, naming the byte
    return value.removeprefix("\ufeff")


def read_prompt_file(path: Path) -> str:
    """A prompt file's text: UTF-8 (a byte-order mark dropped); anything else is one clear error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"prompt file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"prompt file {path} is a folder") from None
    except OSError as error:
        raise ConfigError(f"cannot read prompt file {path}: {error.strerror or error}") from None
    if b"\x00" in data:
        raise ConfigError(f"prompt file {path} is binary (it holds NUL bytes), not text")
    return decode_prompt(data, f"prompt file {path}")


def decode_prompt(data: bytes, source: str) -> str:
    """`data` as UTF-8 text without a leading byte-order mark; ConfigError naming the first byte
    that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{source} is not UTF-8 text (byte {error.start} is 0x{data[error.start]:02x}); convert it, e.g. with iconv"
        ) from None
    return text.removeprefix("\ufeff")
