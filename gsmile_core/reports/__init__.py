"""Reports of explanations and sessions, one module per job.

- `format`: untrusted text made safe for HTML and Markdown, numbers, p-values, tables;
- `wording`: the legend and column names every report shares; `palette`: heatmap colours;
- `provenance`: settings (secrets redacted) and how a run was made; `selection`: which runs;
- `html` (one explanation, the notebook fragment), `html_session`, `markdown`, `svg`: the documents; `checks`: the trust checks' sections;
  `model_sections`: what a classifier or table-row explanation adds to them;
- `terminal`, `model_terminal`: the rich views the CLI prints;
- `render`: one entry point, `render(subject, fmt)` and `export(subject, fmt, path)`.

The names below load lazily, so drawing a terminal report never loads the HTML writer.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "FORMATS": "render",
    "render": "render",
    "export": "render",
    "CSP": "html",
    "explanation_html": "html",
    "session_html": "html_session",
    "explanation_markdown": "markdown",
    "session_markdown": "markdown",
    "heatmap_svg": "svg",
    "Palette": "palette",
    "PALETTES": "palette",
    "DEFAULT_PALETTE": "palette",
    "get_palette": "palette",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    try:
        module = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(import_module(f"{__name__}.{module}"), name)
