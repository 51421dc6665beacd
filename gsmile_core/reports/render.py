"""One entry point for front ends: an explanation or a session rendered in a named format, and
written atomically.

`gsmile report`, the app's export and `gsmile_core.export` all come here, so a format is chosen by
name ("html", "markdown", "json", "svg") and the write never leaves a half-written file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..method.word_support import significance_record
from ..session import Session, session_json, write_atomic
from ..types import Explanation
from .html import explanation_html
from .html_session import session_html
from .markdown import explanation_markdown, session_markdown
from .palette import Palette
from .selection import subset
from .svg import heatmap_svg, session_svg

FORMATS = ("html", "markdown", "json", "svg")
SIGNIFICANCE_KEY = "significance"


def render(
    subject: Explanation | Session,
    fmt: str,
    palette: str | Palette | None = None,
    run_ids: Sequence[str] | None = None,
) -> str:
    """`subject` rendered as "html", "markdown", "json" or "svg"."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if isinstance(subject, Explanation):
        return {
            "html": lambda: explanation_html(subject, palette),
            "markdown": lambda: explanation_markdown(subject),
            "json": lambda: json.dumps(_with_significance(subject), indent=2, ensure_ascii=False) + "\n",
            "svg": lambda: heatmap_svg(subject, palette),
        }[fmt]()
    if fmt == "json":
        if run_ids is not None:
            subject = subset(subject, run_ids)
        return session_json(subject)
    return {
        "html": lambda: session_html(subject, palette, run_ids),
        "markdown": lambda: session_markdown(subject, run_ids),
        "svg": lambda: session_svg(subject, palette, run_ids),
    }[fmt]()


def export(
    subject: Explanation | Session,
    fmt: str,
    path: Path | str,
    palette: str | Palette | None = None,
    run_ids: Sequence[str] | None = None,
) -> Path:
    """Render and write atomically; returns the path. Raises `SessionError` if it cannot write."""
    text = render(subject, fmt, palette, run_ids)
    write_atomic(Path(path), text)
    return Path(path)


def _with_significance(explanation: Explanation) -> dict:
    """The explanation's JSON with each word's significance verdict and the rule under
    `extras["significance"]` (recomputed from the explanation whenever it is rendered)."""
    data = explanation.to_dict()
    data["extras"] = {**data.get("extras", {}), SIGNIFICANCE_KEY: significance_record(explanation)}
    return data
