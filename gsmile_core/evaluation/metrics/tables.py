"""Render result rows (dicts) as Markdown and CSV, with the columns named as in the paper.

Numbers are printed with 4 decimals (the paper's precision) in Markdown and in full in CSV;
None or a non-finite number (an undefined figure) is "—" in Markdown and empty in CSV. Cell text is escaped for
Markdown tables (pipes, newlines), since prompts and answers are untrusted.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

Column = tuple[str, str]  # (key in the row, title)


def _markdown_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split())


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    head = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(_markdown_cell(row.get(key)) for key, _ in columns) + " |" for row in rows]
    return "\n".join([head, rule, *body]) + "\n"


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return value


def csv_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([key for key, _ in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _ in columns])
    return buffer.getvalue()
