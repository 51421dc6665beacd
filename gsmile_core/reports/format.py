"""Formatting shared by every report: untrusted text made safe for HTML and Markdown, numbers,
p-values and tables.

Every string from a prompt, a model or a file passes through `esc` (HTML, SVG) or `md`/`md_block`
(Markdown) here, so no renderer escapes by hand.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..sanitize import one_line, strip_unsafe


def clean(text: Any) -> str:
    """Untrusted text made safe to place anywhere (before format-specific escaping)."""
    return strip_unsafe(str(text))


def esc(text: Any) -> str:
    """Untrusted text for HTML or SVG: sanitised, then escaped (quotes too)."""
    return html.escape(clean(text), quote=True)


def number(value: float | None, digits: int = 4, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def p_value(value: float | None) -> str:
    """A p-value: 4 decimals, or scientific notation below 0.0001 (never a bare 0.0000)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.1e}" if value < 1e-4 else f"{value:.4f}"


def html_table(headers: Sequence[str], rows: Iterable[Sequence[tuple[str, str]]], caption: str | None = None) -> str:
    """rows hold (css class, already-escaped html) cells."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for c, v in row) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{caption}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# What Markdown (CommonMark + GFM) reads as syntax, by position. Anywhere: backslash, code, emphasis
# (an underscore only at a word's edge: GFM ignores it inside a word), links and images ("[" "]"),
# table cells ("|") and strikethrough ("~"); raw HTML and entities are HTML-escaped. At the start
# of a line only: a heading ("# "), a list item ("- ", "+ ", "1. ", "1) ") or a setext underline.
# GFM turns bare "http://..." and "www." into links: the ":" or "." that would start one is escaped.
_MD_INLINE = re.compile(r"[\\`*\[\]|~]|(?<!\w)_|_(?!\w)")
_MD_LINE_START = re.compile(r"^(?:[#+\-]|\d{1,9}[.)])(?=\s|$)|^(?:=+|-+)\s*$")
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)")


def md(text: Any) -> str:
    """Untrusted text for inline Markdown: sanitised, on one line, HTML-escaped (so no raw HTML),
    and each character Markdown would read as syntax in its position backslash-escaped (so no
    links, emphasis, headings, lists or table breaks), nothing else: a date stays 2026-12-04."""
    flat = html.escape(one_line(str(text)), quote=False)
    flat = _MD_INLINE.sub(lambda m: "\\" + m.group(), flat)
    flat = _MD_AUTOLINK.sub(lambda m: "\\", flat)
    return _MD_LINE_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1] if m.group()[0].isdigit() else "\\" + m.group(), flat)


def md_block(text: Any) -> str:
    """Untrusted multi-line text as a fenced block (shown literally, never parsed)."""
    body = clean(text)
    longest = max((len(m.group()) for m in re.finditer(r"`+|~+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
