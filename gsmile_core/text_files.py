"""A user's text file (a prompt, a prompt set, fairness templates and groups): one reading rule.

Every such file must be UTF-8 text. Bytes that are not are refused with one line naming the first
bad byte, rather than replaced: the text is what gets explained, and a silently changed prompt
would be explained instead. A file holding NUL bytes is binary, not text. A leading byte-order
mark is dropped. The CLI reads argv and stdin with the same decoding (`decode_user_text`).
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError


def read_user_text(path: Path, what: str) -> str:
    """The text of `path` (described to the user as `what`, e.g. "prompt file"); a missing,
    unreadable, binary or non-UTF-8 file is one `ConfigError` line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder") from None
    except OSError as error:
        raise ConfigError(f"cannot read {what} {path}: {error.strerror or error}") from None
    if b"\x00" in data:
        raise ConfigError(f"{what} {path} is binary (it holds NUL bytes), not text")
    return decode_user_text(data, f"{what} {path}")


def decode_user_text(data: bytes, source: str) -> str:
    """`data` as UTF-8 text without a leading byte-order mark; a `ConfigError` naming the first
    byte that is not UTF-8 (`source` says where the bytes came from)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{source} is not UTF-8 text (byte {error.start} is 0x{data[error.start]:02x}); convert it, e.g. with iconv"
        ) from None
    return text.removeprefix("\ufeff")
