"""Make untrusted text (prompts, model answers) safe to use and to show.

Model output and prompts may carry terminal escape sequences (CSI, OSC, DCS...), C0/C1 control
characters and bidirectional overrides. Sent to a terminal, escapes act on it even without any
markup; bidi overrides make a heatmap lie about word order. We remove them once, at the edge,
so nothing downstream has to think about it. Newlines and tabs are kept.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ] ... BEL or ST),
# and two-character escapes (ESC followed by one byte in @-_ range). Each string sequence's scan
# stops at the next introducer and never backtracks (`*+`), so the work stays linear in the text
# even for a hostile megabyte of introducers.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                     # CSI
    | \x1b[\]PX^_](?:[^\x07\x1b]*+(?:\x07|\x1b\\)|\S*)  # OSC, DCS, SOS, PM, APC up to BEL or ST;
                                                    # unterminated (BEL dropped by rich): its first word
    | \x1b[@-Z\\-_]                             # other two-byte escapes
    | \x9b[0-?]++[!-/]*+[@-~]                   # 8-bit CSI: see _EIGHT_BIT_CSI below
    | [\x90\x9d\x98\x9e\x9f](?:[^\x07\x9c\x90\x9d\x98\x9e\x9f\x1b]*+(?:\x07|\x9c)|\S*)  # 8-bit ones
    """,
    re.VERBOSE,
)
# _EIGHT_BIT_CSI: U+009B turns up in text (a mis-decoded byte, a hostile answer) far more often
# than as a control: UTF-8 terminals seldom act on it, and it is removed as a C1 control anyway.
# So a sequence is removed with it only when it has parameters (`\x9b31m`, `\x9b2J`, `\x9b?25l`)
# and no space before its final byte: "\x9bis high" keeps "is high", "\x9b2024 was" keeps
# "2024 was" (a bare final letter, or a space read as an intermediate byte, swallowed them).
# C0 controls except TAB and LF, DEL, C1 controls, and Unicode bidi embeddings/overrides/isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def strip_unsafe(text: str) -> str:
    """Remove escape sequences, control characters and bidi controls; keep `\\n` and `\\t`.

    `\\r\\n` becomes `\\n`; a lone `\\r` becomes `\\n` too, so a carriage return cannot overwrite
    an earlier part of a line on screen.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text)


# Characters that draw nothing: controls, format characters (zero-width space and joiners, the
# byte-order mark, soft hyphen), separators, and the other default-ignorable code points (Hangul
# fillers, variation selectors, the combining grapheme joiner, Khmer and Mongolian ones).
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Cn", "Co", "Zs", "Zl", "Zp"}
_INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_visible_text(text: str) -> bool:
    """Whether `text` holds at least one character that draws something."""
    return any(
        not char.isspace() and unicodedata.category(char) not in _INVISIBLE_CATEGORIES and not _INVISIBLE.match(char)
        for char in text
    )


def lone_surrogate_at(text: str) -> int | None:
    """Where `text` holds a lone surrogate (bytes that were not UTF-8, decoded with Python's
    surrogateescape, as argv and stdin are), or None: such text cannot be encoded to send or key."""
    found = _LONE_SURROGATE.search(text)
    return None if found is None else found.start()


def one_line(text: str, limit: int | None = None) -> str:
    """A safe single-line rendering (for logs and table cells): whitespace runs become one space."""
    flat = " ".join(strip_unsafe(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat


def strip_unsafe_everywhere(data: Any) -> Any:
    """`data` (JSON-like: dicts, lists, strings, numbers) with `strip_unsafe` applied to every
    string in it, keys included: for data read from a file a person or an older version wrote."""
    if isinstance(data, str):
        return strip_unsafe(data)
    if isinstance(data, dict):
        return {strip_unsafe_everywhere(k): strip_unsafe_everywhere(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(strip_unsafe_everywhere(v) for v in data)
    return data
