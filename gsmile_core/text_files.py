"""A user's text file (a prompt, a prompt set, fairness templates and groups, a session): one
reading rule, one set of messages.

Every such file must be UTF-8 text. Bytes that are not are refused with one line naming the first
bad byte, rather than replaced: the text is what gets explained, and a silently changed prompt
would be explained instead. A file holding NUL bytes is binary, not text. A leading byte-order
mark is dropped. The CLI reads argv and stdin with the same decoding (`decode_user_text`).
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError, GsmileError


def read_user_text(path: Path, what: str, *, error: type[GsmileError] = ConfigError) -> str:
    """The text of `path` (described to the user as `what`, e.g. "prompt file"); a missing,
    unreadable, binary or non-UTF-8 file is one line, raised as `error`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a folder") from None
    except OSError as failure:
        raise error(f"cannot read {what} {path}: {failure.strerror or failure}") from None
    if b"\x00" in data:
        raise error(f"{what} {path} is binary (it holds NUL bytes), not text")
    return decode_user_text(data, f"{what} {path}", error=error)


def decode_user_text(data: bytes, source: str, *, error: type[GsmileError] = ConfigError) -> str:
    """`data` as UTF-8 text without a leading byte-order mark; an `error` naming the first byte
    that is not UTF-8 (`source` says where the bytes came from)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise error(
            f"{source} is not UTF-8 text (byte {failure.start} is 0x{data[failure.start]:02x}); convert it, e.g. with iconv"
        ) from None
    return text.removeprefix("\ufeff")
