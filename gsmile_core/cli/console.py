"""The consoles the CLI draws through: every piece of text shown passes one sanitiser.

Model answers, prompts, cached data, file names and provider messages are untrusted: an escape
sequence in any of them acts on the user's terminal (sets its title, clears it, writes its
clipboard). The core removes them where text enters (the engine on receipt and on cache reads,
the pipeline on prompts, `Explanation.from_dict` on files), but what is shown must not depend on
every source having done so. `SafeConsole` strips escape sequences, control and bidi characters
from the text of every segment it renders, progress bars and warnings included; rich's own
styling is applied after, untouched. Plain writes (tables, error lines) use `safe_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.segment import Segment

from ..sanitize import strip_unsafe


class SafeConsole(Console):
    """A rich Console that never writes the escapes or controls found in what it is given."""

    def render(self, renderable: Any, options: Any = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and segment.text and not segment.text.isprintable():
                yield Segment(safe_text(segment.text), segment.style, None)
            else:
                yield segment


def safe_text(text: str) -> str:
    """`text` without escape sequences, control or bidi characters (newlines and tabs kept)."""
    return strip_unsafe(text)


def stdout_console(**options: Any) -> SafeConsole:
    return SafeConsole(**options)


def stderr_console(**options: Any) -> SafeConsole:
    return SafeConsole(stderr=True, **options)
