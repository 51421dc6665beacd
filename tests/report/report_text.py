"""Every report format as the words a reader sees: terminal (rich, recorded), HTML (as a browser's
tokenizer reads the text), Markdown (with its backslash escapes undone) and SVG (its text nodes)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from rich.console import Console

from gsmile_core.reports.html import explanation_html
from gsmile_core.reports.markdown import explanation_markdown
from gsmile_core.reports.svg import heatmap_svg
from gsmile_core.reports.terminal import full_report


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag, attrs):
        self.skip = tag in ("style", "title")

    def handle_endtag(self, tag):
        self.skip = False

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def flat(text: str) -> str:
    return " ".join(text.split())


def terminal_text(explanation, width: int = 140) -> str:
    console = Console(record=True, width=width, file=open("/dev/null", "w"))
    console.print(full_report(explanation))
    return console.export_text()


def html_text(document: str) -> str:
    parser = _Text()
    parser.feed(document)
    return " ".join(parser.parts)


def markdown_text(document: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", document))


def svg_text(document: str) -> str:
    root = ET.fromstring(document.encode("utf-8"))
    return " ".join(node.text or "" for node in root.iter("{http://www.w3.org/2000/svg}text"))


def every_format(explanation) -> dict[str, str]:
    """The reader's words of each format, whitespace flattened."""
    return {
        "terminal": flat(terminal_text(explanation)),
        "html": flat(html_text(explanation_html(explanation))),
        "markdown": flat(markdown_text(explanation_markdown(explanation))),
        "svg": flat(svg_text(heatmap_svg(explanation))),
    }
